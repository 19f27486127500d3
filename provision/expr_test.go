package provision_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/provision"
)

var attrs = map[string]string{
	"userName": "B.Simon@Contoso.com", "givenName": "B", "surname": "Simon", "displayName": "B.Simon",
	"mail": "b.simon@contoso.com", "mailNickname": "b.simon", "department": "Sales", "division": "",
}

func TestExpressions(t *testing.T) {
	for _, tt := range []struct {
		name, expr, want, canonical string
	}{
		{"attribute", `[givenName]`, "B", ""},
		{"text", `"a \"quoted\" \\ text"`, `a "quoted" \ text`, ""},
		{"Join leaves out empty values", `Join(" ", [givenName], [division], [surname])`, "B Simon", ""},
		{"Join of one value", `Join(".", [surname])`, "Simon", ""},
		{"ToLower", `ToLower([userName])`, "b.simon@contoso.com", ""},
		{"ToUpper", `ToUpper([surname])`, "SIMON", ""},
		{"Coalesce takes the first value that is not empty", `Coalesce([division], [department], "none")`, "Sales", ""},
		{"Coalesce of empty values", `Coalesce([division])`, "", ""},
		{"Replace every occurrence", `Replace([mail], "contoso", "fabrikam")`, "b.simon@fabrikam.com", ""},
		{"Replace of nothing", `Replace([mail], "", "x")`, "b.simon@contoso.com", ""},
		{"Switch finds a key", `Switch([department], "Other", "Engineering", "E", "Sales", "S")`, "S", ""},
		{"Switch default", `Switch([division], "Other", "Sales", "S")`, "Other", ""},
		{"Append", `Append([mailNickname], "@fabrikam.com")`, "b.simon@fabrikam.com", ""},
		{"nested", `ToLower(Join(".", [givenName], [surname]))`, "b.simon", ""},
		{"spaces", `  Join ( "-" ,[givenName] , [surname] ) `, "B-Simon", `Join("-", [givenName], [surname])`},
		{"unknown source attribute as empty", `Coalesce([division], "x")`, "x", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e, err := provision.ParseExpr(tt.expr, gatehouse.ProvisioningUserSources)
			if err != nil {
				t.Fatalf("ParseExpr(%s): %v", tt.expr, err)
			}
			if got := e.Eval(attrs); got != tt.want {
				t.Errorf("Eval = %q, want %q", got, tt.want)
			}
			canonical := tt.canonical
			if canonical == "" {
				canonical = strings.TrimSpace(tt.expr)
			}
			if got := e.String(); got != canonical {
				t.Errorf("String = %s, want %s", got, canonical)
			}
		})
	}
}

func TestExpressionErrors(t *testing.T) {
	deep := strings.Repeat("ToLower(", 20) + "[mail]" + strings.Repeat(")", 20)
	for _, tt := range []struct{ name, expr, want string }{
		{"empty", ``, "ends where a value should be"},
		{"unknown function", `Lower([mail])`, "unknown function Lower; use one of Append, Coalesce, Join, Replace, Switch, ToLower, ToUpper"},
		{"unknown attribute", `[jobTitle]`, "unknown attribute [jobTitle]"},
		{"group attribute in a user mapping", `[description]`, "unknown attribute [description]"},
		{"unclosed attribute", `[mail`, "no closing ]"},
		{"unclosed text", `Join(" , [mail])`, "no closing \""},
		{"bad escape", `"a\nb"`, `only \" and \\ are escapes`},
		{"unclosed call", `Join(" ", [mail]`, "Join( has no closing )"},
		{"missing comma", `Join(" " [mail])`, "expected , or ) in the arguments of Join"},
		{"too few arguments", `Join(" ")`, "Join needs at least 2 arguments, it has 1"},
		{"too many arguments", `ToLower([mail], [surname])`, "ToLower takes 1 arguments, it has 2"},
		{"Switch without a result", `Switch([department], "x", "Sales")`, "a key has no result"},
		{"no parentheses", `ToLower [mail]`, "ToLower needs its arguments in parentheses"},
		{"trailing text", `[mail] [surname]`, "unexpected \"[surname]\" after the expression"},
		{"too deep", deep, "nested more than 16 deep"},
		{"a number", `42`, "expected [attribute], \"text\" or a function"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := provision.ParseExpr(tt.expr, gatehouse.ProvisioningUserSources)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseExpr(%s) = %v, want an error containing %q", tt.expr, err, tt.want)
			}
		})
	}
}

func TestCheckMappings(t *testing.T) {
	p := gatehouse.DefaultProvisioning("d", "a")
	if err := provision.CheckMappings(p); err != nil {
		t.Fatalf("default mappings: %v", err)
	}
	p.UserMappings = append(p.UserMappings, gatehouse.AttributeMapping{Target: "title", Kind: gatehouse.MappingExpression,
		Expression: `Join(" ", [jobTitle])`, Apply: gatehouse.ApplyAlways})
	err := provision.CheckMappings(p)
	if gatehouse.ErrorField(err) != "userMappings" || !strings.Contains(gatehouse.ErrorMessage(err), `the expression of title: at character 11: unknown attribute [jobTitle]`) {
		t.Errorf("CheckMappings = %v (field %q), want the user mapping's unknown attribute", err, gatehouse.ErrorField(err))
	}
}

func TestPaths(t *testing.T) {
	const ent = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	for _, tt := range []struct {
		path   string
		want   provision.Path
		filter string
	}{
		{"userName", provision.Path{Attr: "userName"}, `userName eq "x\"y"`},
		{"name.givenName", provision.Path{Attr: "name", Sub: "givenName"}, `name.givenName eq "x\"y"`},
		{`emails[type eq "work"].value`, provision.Path{Attr: "emails", Type: "work", Sub: "value"}, `emails[type eq "work" and value eq "x\"y"]`},
		{`phoneNumbers[type eq "mobile"]`, provision.Path{Attr: "phoneNumbers", Type: "mobile"}, `phoneNumbers[type eq "mobile" and value eq "x\"y"]`},
		{ent + ":department", provision.Path{URN: ent, Attr: "department"}, ent + `:department eq "x\"y"`},
		{ent + ":manager.value", provision.Path{URN: ent, Attr: "manager", Sub: "value"}, ent + `:manager.value eq "x\"y"`},
	} {
		t.Run(tt.path, func(t *testing.T) {
			p, err := provision.ParsePath(tt.path)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, p, cmp.Comparer(func(a, b provision.Path) bool {
				return a.URN == b.URN && a.Attr == b.Attr && a.Type == b.Type && a.Sub == b.Sub
			})); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
			if got := p.Filter(`x"y`); got != tt.filter {
				t.Errorf("Filter = %s, want %s", got, tt.filter)
			}
			doc := map[string]any{"schemas": []any{"urn:ietf:params:scim:schemas:core:2.0:User"}}
			p.Set(doc, "v1")
			if got := p.Get(doc); got != "v1" {
				t.Errorf("Get after Set = %q, want v1 (doc %v)", got, doc)
			}
			p.Set(doc, "v2")
			if got := p.Get(doc); got != "v2" {
				t.Errorf("Get after a second Set = %q, want v2 (doc %v)", got, doc)
			}
		})
	}
	for _, bad := range []string{"", "emails[value eq \"x\"]", "a.b.c", "1abc", "name givenName", "urn:x"} {
		if _, err := provision.ParsePath(bad); err == nil {
			t.Errorf("ParsePath(%q) succeeded", bad)
		}
	}
}

func TestPathsReadAppsSpelling(t *testing.T) {
	// Apps spell attribute names as they like; SCIM names ignore case.
	doc := map[string]any{"UserName": "b", "Name": map[string]any{"GivenName": "B"},
		"Emails": []any{map[string]any{"Type": "Work", "Value": "b@x"}}, "active": "False"}
	for path, want := range map[string]string{"userName": "b", "name.givenName": "B", `emails[type eq "work"].value`: "b@x",
		"name.familyName": "", `emails[type eq "home"].value`: ""} {
		p, _ := provision.ParsePath(path)
		if got := p.Get(doc); got != want {
			t.Errorf("Get(%s) = %q, want %q", path, got, want)
		}
	}
	p, _ := provision.ParsePath(`emails[type eq "work"].value`)
	p.Set(doc, "new@x")
	if emails := doc["Emails"].([]any); len(emails) != 1 || emails[0].(map[string]any)["Value"] != "new@x" {
		t.Errorf("Set wrote %v, want the app's own element changed", doc["Emails"])
	}
}
