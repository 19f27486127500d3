package idp_test

import (
	"context"
	"testing"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/saml"
	"github.com/google/go-cmp/cmp"
)

// TestClaims checks constant, multi-valued, transformed and group claims, the fallback, and NameFormat per claim.
func TestClaims(t *testing.T) {
	svc, root := newSPService(t)
	ctx := context.Background()
	u, temp, err := svc.CreateUser(ctx, root, "default", idp.UserInput{UserName: "b.simon@contoso.com", FirstName: "B", LastName: "Simon",
		DisplayName: "B. Simon", Mail: "B.Simon@Contoso.com"})
	if err != nil {
		t.Fatal(err)
	}
	group := func(name string) *gatehouse.Group {
		g, err := svc.CreateGroup(ctx, root, "default", idp.GroupInput{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.AddGroupMember(ctx, root, "default", g.ID, u.ID); err != nil {
			t.Fatal(err)
		}
		return g
	}
	sales, _ := group("Sales"), group("Engineering")
	claims := []gatehouse.Claim{
		{Name: "role", Value: "member", NameFormat: gatehouse.NameFormatBasic},
		{Name: "roles", Value: "reader", Values: []string{"writer"}},
		{Name: "fullName", Source: gatehouse.AttrGivenName, Transform: gatehouse.TransformJoin, JoinSource: gatehouse.AttrSurname, Separator: " "},
		{Name: "mailLower", Source: gatehouse.AttrMail, Transform: gatehouse.TransformLower},
		{Name: "mailUpper", Source: gatehouse.AttrMail, Transform: gatehouse.TransformUpper},
		{Name: "login", Source: gatehouse.AttrMail, Transform: gatehouse.TransformMailPrefix},
		{Name: "domainSwap", Source: gatehouse.AttrMail, Transform: gatehouse.TransformRegexReplace, Pattern: `(?i)@contoso\.com$`, Replacement: "@fabrikam.example"},
		{Name: "initial", Source: gatehouse.AttrGivenName, Transform: gatehouse.TransformRegexReplace, Pattern: `^(.).*$`, Replacement: "${1}."},
		{Name: "nickname", Source: gatehouse.AttrDisplayName, Transform: gatehouse.TransformRegexReplace, Pattern: `.*`, Replacement: "", FallbackSource: gatehouse.AttrUserName},
		{Name: "department", Value: "", Values: nil, Source: gatehouse.AttrObjectID, Transform: gatehouse.TransformRegexReplace, Pattern: `.+`, Replacement: "", FallbackValue: "none"},
		{Name: "groups", Groups: gatehouse.ClaimGroupsAll, NameFormat: gatehouse.NameFormatURI},
		{Name: "appGroups", Groups: gatehouse.ClaimGroupsAssigned},
		{Name: "empty", Source: gatehouse.AttrSurname, Transform: gatehouse.TransformRegexReplace, Pattern: `.*`, Replacement: ""},
	}
	app := plainApp(t, svc, root, "claims", func(s *gatehouse.SAMLSettings) { s.Claims = claims })
	if _, err := svc.Assign(ctx, root, "default", app.ID, gatehouse.PrincipalGroup, sales.ID); err != nil {
		t.Fatal(err)
	}
	got, err := svc.Claims(ctx, app, u)
	if err != nil {
		t.Fatal(err)
	}
	want := []saml.Attribute{
		{Name: "role", NameFormat: gatehouse.NameFormatBasic, Values: []string{"member"}},
		{Name: "roles", Values: []string{"reader", "writer"}},
		{Name: "fullName", Values: []string{"B Simon"}},
		{Name: "mailLower", Values: []string{"b.simon@contoso.com"}},
		{Name: "mailUpper", Values: []string{"B.SIMON@CONTOSO.COM"}},
		{Name: "login", Values: []string{"B.Simon"}},
		{Name: "domainSwap", Values: []string{"B.Simon@fabrikam.example"}},
		{Name: "initial", Values: []string{"B."}},
		{Name: "nickname", Values: []string{"b.simon@contoso.com"}},
		{Name: "department", Values: []string{"none"}},
		{Name: "groups", NameFormat: gatehouse.NameFormatURI, Values: []string{"Engineering", "Sales"}},
		{Name: "appGroups", Values: []string{"Sales"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("claims mismatch (-want +got):\n%s", diff)
	}
	// The claims reach the assertion.
	doc := spInitiated(t, svc, app, newSession(t, svc, withPassword(t, svc, u, temp), false), "", "")
	var names []string
	for _, a := range doc.FindElements("//Attribute") {
		names = append(names, a.SelectAttrValue("Name", ""))
	}
	if len(names) != len(want) {
		t.Errorf("assertion attributes %v", names)
	}
	if vs := doc.FindElements("//Attribute[@Name='groups']/AttributeValue"); len(vs) != 2 {
		t.Errorf("group claim has %d values, want 2", len(vs))
	}
}
