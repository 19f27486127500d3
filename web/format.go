package web

import (
	"encoding/json"
	"fmt"
	"html/template"
	"strings"
	"time"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/internal/textdiff"
)

// Every page shows times, roles, NameID formats and user attributes the same way, through these template
// functions; a page that adds such a value uses them too.

// timeLayout is the one way pages write a time: in UTC, to the minute, and unambiguous in every locale.
const timeLayout = "2006-01-02 15:04 UTC"

// fmtTime returns t as a <time> element in timeLayout whose datetime attribute holds the exact instant. t is a
// time.Time, a *time.Time or an RFC 3339 string (such as an assertion's NotBefore); a zero time is written as a dash,
// and a string that is not a time as it is.
func fmtTime(t any) template.HTML {
	var tt time.Time
	switch v := t.(type) {
	case time.Time:
		tt = v
	case *time.Time:
		if v != nil {
			tt = *v
		}
	case string:
		p, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return template.HTML(template.HTMLEscapeString(v))
		}
		tt = p
	}
	if tt.IsZero() {
		return "–"
	}
	tt = tt.UTC()
	return template.HTML(`<time datetime="` + tt.Format(time.RFC3339) + `">` + tt.Format(timeLayout) + `</time>`)
}

// auditValue shows the value v (compact JSON) of the changed field: a role by its name, a time as every page writes
// times, an object or a list as code, anything else as it is.
func auditValue(field, v string) template.HTML {
	var str string
	if json.Unmarshal([]byte(v), &str) == nil {
		if _, ok := roleNames[gatehouse.Role(str)]; ok && field == "role" {
			return template.HTML(template.HTMLEscapeString(roleName(gatehouse.Role(str))))
		}
		if _, err := time.Parse(time.RFC3339Nano, str); err == nil {
			return fmtTime(str)
		}
	}
	if strings.HasPrefix(v, "{") || strings.HasPrefix(v, "[") {
		return template.HTML("<code>" + template.HTMLEscapeString(v) + "</code>")
	}
	return template.HTML(template.HTMLEscapeString(v))
}

// roleNames are the roles in words, as Entra ID names them.
var roleNames = map[gatehouse.Role]string{
	gatehouse.RoleUser:        "User",
	gatehouse.RoleUserAdmin:   "User administrator",
	gatehouse.RoleAppAdmin:    "Application administrator",
	gatehouse.RoleGlobalAdmin: "Global administrator",
}

// roleDescriptions say what each role may do.
var roleDescriptions = map[gatehouse.Role]string{
	gatehouse.RoleUser:        "My Apps only",
	gatehouse.RoleUserAdmin:   "users and groups",
	gatehouse.RoleAppAdmin:    "enterprise apps",
	gatehouse.RoleGlobalAdmin: "everything, including the directory's settings",
}

// roleName returns a role in words.
func roleName(r gatehouse.Role) string {
	if n, ok := roleNames[r]; ok {
		return n
	}
	return string(r)
}

// nameIDFormatNames are the NameID formats as the portal names them.
var nameIDFormatNames = map[string]string{
	gatehouse.NameIDEmail:       "Email address",
	gatehouse.NameIDPersistent:  "Persistent",
	gatehouse.NameIDTransient:   "Transient",
	gatehouse.NameIDUnspecified: "Unspecified",
}

// nameIDFormatName returns a NameID format's name, or the URN itself for one the portal does not name.
func nameIDFormatName(urn string) string {
	if n, ok := nameIDFormatNames[urn]; ok {
		return n
	}
	return urn
}

// attributeNames are the user attributes in words, shown beside their names (user.mail).
var attributeNames = map[string]string{
	gatehouse.AttrUserName:    "User name",
	gatehouse.AttrMail:        "E-mail",
	gatehouse.AttrGivenName:   "First name",
	gatehouse.AttrSurname:     "Last name",
	gatehouse.AttrDisplayName: "Display name",
	gatehouse.AttrObjectID:    "Object ID",
}

// attributeName returns a user attribute in words ("E-mail" for user.mail), or the attribute itself.
func attributeName(attr string) string {
	if n, ok := attributeNames[attr]; ok {
		return n
	}
	return attr
}

// attributeField is the id of the user form's field that holds a user attribute, "" for one without a field.
var attributeField = map[string]string{
	gatehouse.AttrUserName:    "userName",
	gatehouse.AttrMail:        "mail",
	gatehouse.AttrGivenName:   "firstName",
	gatehouse.AttrSurname:     "lastName",
	gatehouse.AttrDisplayName: "displayName",
}

// sectionNotice returns n when it belongs beside the page's section id, and nil otherwise: a card shows it with
// {{with sectionNotice $.Notice "basic"}}{{template "notice" .}}{{end}}.
func sectionNotice(n *notice, id string) *notice {
	if n != nil && n.Section == id {
		return n
	}
	return nil
}

// ssoFieldNames are the Basic SAML configuration's settings in words, for "still to fill in".
var ssoFieldNames = map[string]string{
	"entityId": "Identifier (Entity ID)", "replyUrls": "Reply URL", "signOnUrl": "Sign-on URL", "relayState": "Relay state",
	"logoutUrl": "Logout URL",
}

// diffPart is one run of a value compared with another: Same reports whether the other value has it too.
type diffPart struct {
	Text string
	Same bool
}

// diffParts splits a into the runs it shares with b and the run where they differ, for an error page that shows
// what was received beside what was expected.
func diffParts(a, b string) []diffPart {
	var out []diffPart
	for _, p := range textdiff.Split(a, b) {
		out = append(out, diffPart{Text: p.Text, Same: p.Same})
	}
	return out
}

// args returns its arguments, names and values in turn, as a map: a partial template's named arguments,
// {{template "save-cancel" (args "save" "save-basic" "cancel" $url)}}.
func args(kv ...any) (map[string]any, error) {
	if len(kv)%2 != 0 {
		return nil, fmt.Errorf("args: %d arguments, want names and values in pairs", len(kv))
	}
	m := make(map[string]any, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		name, ok := kv[i].(string)
		if !ok {
			return nil, fmt.Errorf("args: argument %d is not a name", i)
		}
		m[name] = kv[i+1]
	}
	return m, nil
}
