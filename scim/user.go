package scim

import (
	"encoding/json"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"

	"github.com/gatehouse-idp/gatehouse"
)

// maxExtra bounds the JSON of the attributes a user keeps beside the directory's own fields.
const maxExtra = 16 << 10

// refused are attributes of RFC 7643 that a client may never set through Gatehouse: it sets passwords, roles and
// credentials itself (SECURITY-CASES 47).
var refused = map[string]string{
	"password":         "Gatehouse does not take passwords over SCIM: a provisioned user gets one when an admin sets a temporary password (turn off password sync in the client).",
	"roles":            "Gatehouse manages roles itself; they cannot be set over SCIM.",
	"entitlements":     "Gatehouse has no entitlements; they cannot be set over SCIM.",
	"x509certificates": "Gatehouse does not take certificates over SCIM.",
	"passwordhash":     "Gatehouse does not take password hashes.",
}

// Version returns the ETag of a resource last changed at t.
func Version(t time.Time) string { return `W/"` + strconv.FormatInt(t.UTC().UnixMicro(), 36) + `"` }

func meta(resourceType, location string, created, updated time.Time) map[string]any {
	return map[string]any{"resourceType": resourceType, "created": created.UTC().Format(time.RFC3339Nano),
		"lastModified": updated.UTC().Format(time.RFC3339Nano), "location": location, "version": Version(updated)}
}

// UserResource returns the SCIM User resource of u, a member of groups, at the endpoint whose base URL is base
// (".../d/{dir}/scim/v2").
func UserResource(u *gatehouse.User, groups []*gatehouse.Group, base string) map[string]any {
	extra := map[string]any{}
	if u.SCIMAttributes != "" {
		_ = json.Unmarshal([]byte(u.SCIMAttributes), &extra) // the store holds what ReadUser wrote
	}
	doc := map[string]any{"schemas": []any{UserSchema}, "id": u.ID, "userName": u.UserName, "active": !u.Disabled,
		"meta": meta("User", base+"/Users/"+u.ID, u.CreatedAt, u.UpdatedAt)}
	for k, v := range extra {
		if k != "name" && k != "emails" {
			doc[k] = v
		}
	}
	if u.DisplayName != "" {
		doc["displayName"] = u.DisplayName
	}
	if u.ExternalID != "" {
		doc["externalId"] = u.ExternalID
	}
	name, _ := extra["name"].(map[string]any)
	if name == nil {
		name = map[string]any{}
	}
	if u.FirstName != "" {
		name["givenName"] = u.FirstName
	}
	if u.LastName != "" {
		name["familyName"] = u.LastName
	}
	if len(name) > 0 {
		doc["name"] = name
	}
	if emails, _ := extra["emails"].([]any); emails != nil && primaryMail(emails) == u.Mail {
		doc["emails"] = emails
	} else if u.Mail != "" {
		doc["emails"] = []any{map[string]any{"value": u.Mail, "type": "work", "primary": true}}
	}
	if len(groups) > 0 {
		list := make([]any, 0, len(groups))
		for _, g := range groups {
			list = append(list, map[string]any{"value": g.ID, "display": g.Name, "$ref": base + "/Groups/" + g.ID,
				"type": "direct"})
		}
		doc["groups"] = list
	}
	ent := map[string]any{}
	for _, f := range []struct{ name, v string }{
		{"employeeNumber", u.EmployeeNumber}, {"costCenter", u.CostCenter}, {"organization", u.Organization},
		{"division", u.Division}, {"department", u.Department},
	} {
		if f.v != "" {
			ent[f.name] = f.v
		}
	}
	if u.ManagerID != "" {
		ent["manager"] = map[string]any{"value": u.ManagerID}
	}
	if len(ent) > 0 {
		doc[EnterpriseSchema] = ent
		doc["schemas"] = []any{UserSchema, EnterpriseSchema}
	}
	return doc
}

// primaryMail returns the value of the primary e-mail, or else of the first work e-mail, or else of the first.
func primaryMail(emails []any) string {
	pick := func(ok func(map[string]any) bool) string {
		for _, e := range emails {
			if m, _ := e.(map[string]any); m != nil && ok(m) {
				s, _ := m["value"].(string)
				return strings.TrimSpace(s)
			}
		}
		return ""
	}
	if v := pick(func(m map[string]any) bool { return m["primary"] == true }); v != "" {
		return v
	}
	if v := pick(func(m map[string]any) bool { t, _ := m["type"].(string); return strings.EqualFold(t, "work") }); v != "" {
		return v
	}
	return pick(func(map[string]any) bool { return true })
}

// ParseResource decodes a request body into a resource of type rt with canonical attribute names and values. It
// refuses attributes a client may never set with mutability.
func ParseResource(rt *ResourceType, body []byte) (map[string]any, error) {
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil || doc == nil {
		return nil, InvalidSyntax("The request body is not a JSON object.")
	}
	return rt.parsed(doc)
}

// parsed checks doc's schemas and returns it canonical.
func (rt *ResourceType) parsed(doc map[string]any) (map[string]any, error) {
	for k := range doc {
		if msg, ok := refused[strings.ToLower(k)]; ok {
			return nil, Mutability("%s", msg)
		}
	}
	c, err := rt.canonical(doc)
	if err != nil {
		return nil, err
	}
	if list, ok := c["schemas"].([]any); ok {
		found := false
		for _, s := range list {
			switch u, _ := s.(string); {
			case strings.EqualFold(u, rt.Schema.ID):
				found = true
			case rt.extension(u) != nil:
			default:
				return nil, InvalidSyntax("The schema %s is not one of the %s resource's.", quote(u), rt.Name)
			}
		}
		if !found {
			return nil, InvalidSyntax("schemas must list %s.", rt.Schema.ID)
		}
	}
	return c, nil
}

// checkReadOnly fails with mutability when doc sets a read-only attribute to anything but the value it has in cur
// (nil for a resource being created): a client that echoes what it read is not changing it.
func checkReadOnly(doc, cur map[string]any, names ...string) error {
	for _, name := range names {
		v, ok := doc[name]
		if !ok {
			continue
		}
		var was any
		if cur != nil {
			was = cur[name]
		}
		if name == "meta" {
			m, _ := v.(map[string]any)
			wm, _ := was.(map[string]any)
			for k, sv := range m {
				if wm == nil || !sameValue(sv, wm[k]) {
					return Mutability("meta.%s is set by Gatehouse and cannot be changed.", k)
				}
			}
			continue
		}
		if !sameValue(v, was) {
			return Mutability("%s is read-only.", name)
		}
	}
	return nil
}

// sameValue reports whether a and b are the same JSON value, an empty list being the same as none.
func sameValue(a, b any) bool {
	if l, ok := a.([]any); ok && len(l) == 0 && b == nil {
		return true
	}
	if l, ok := b.([]any); ok && len(l) == 0 && a == nil {
		return true
	}
	if s, ok := a.(string); ok {
		if t, ok := b.(string); ok {
			return s == t
		}
	}
	return reflect.DeepEqual(a, b)
}

// ReadUser sets the fields of u from doc, a canonical User resource. cur is the user's resource as Gatehouse shows
// it (nil when creating one), against which read-only attributes are checked. Attributes doc leaves out are
// cleared, as a PUT replaces the whole resource; a missing active means active.
func ReadUser(doc, cur map[string]any, u *gatehouse.User) error {
	if err := checkReadOnly(doc, cur, "id", "meta", "groups"); err != nil {
		return err
	}
	str := func(m map[string]any, k string) string { s, _ := m[k].(string); return strings.TrimSpace(s) }
	userName := str(doc, "userName")
	if userName == "" {
		return InvalidValue("userName is required.")
	}
	// NFKC: a name that differs from another only by Unicode form is the same name (SECURITY-CASES 48).
	u.UserName = norm.NFKC.String(userName)
	name, _ := doc["name"].(map[string]any)
	u.FirstName, u.LastName = str(name, "givenName"), str(name, "familyName")
	u.DisplayName = str(doc, "displayName")
	if u.DisplayName == "" {
		u.DisplayName = strings.TrimSpace(u.FirstName + " " + u.LastName)
	}
	if u.DisplayName == "" {
		u.DisplayName = u.UserName
	}
	active, ok := doc["active"].(bool)
	u.Disabled = ok && !active
	u.ExternalID = str(doc, "externalId")
	emails, _ := doc["emails"].([]any)
	u.Mail = primaryMail(emails)
	ent, _ := doc[EnterpriseSchema].(map[string]any)
	u.EmployeeNumber, u.CostCenter = str(ent, "employeeNumber"), str(ent, "costCenter")
	u.Organization, u.Division, u.Department = str(ent, "organization"), str(ent, "division"), str(ent, "department")
	manager, _ := ent["manager"].(map[string]any)
	u.ManagerID = str(manager, "value")

	extra := map[string]any{}
	for k, v := range doc {
		switch k {
		case "schemas", "id", "meta", "groups", "userName", "displayName", "active", "externalId", EnterpriseSchema:
		case "name":
			rest := map[string]any{}
			for nk, nv := range name {
				if nk != "givenName" && nk != "familyName" {
					rest[nk] = nv
				}
			}
			if len(rest) > 0 {
				extra["name"] = rest
			}
		case "emails":
			if !(len(emails) == 1 && reflect.DeepEqual(emails[0], map[string]any{"value": u.Mail, "type": "work", "primary": true})) && len(emails) > 0 {
				extra["emails"] = emails
			}
		default:
			extra[k] = v
		}
	}
	u.SCIMAttributes = ""
	if len(extra) > 0 {
		b, _ := json.Marshal(extra) // canonical values always marshal
		if len(b) > maxExtra {
			return InvalidValue("The user's other attributes take %d bytes; at most %d are kept.", len(b), maxExtra)
		}
		u.SCIMAttributes = string(b)
	}
	return nil
}

// GroupResource returns the SCIM Group resource of g with its members; members is nil when the caller left them
// out (excludedAttributes=members).
func GroupResource(g *gatehouse.Group, members []*gatehouse.User, base string) map[string]any {
	doc := map[string]any{"schemas": []any{GroupSchema}, "id": g.ID, "displayName": g.Name,
		"meta": meta("Group", base+"/Groups/"+g.ID, g.CreatedAt, g.UpdatedAt)}
	if g.ExternalID != "" {
		doc["externalId"] = g.ExternalID
	}
	if len(members) > 0 {
		list := make([]any, 0, len(members))
		for _, u := range members {
			list = append(list, map[string]any{"value": u.ID, "display": u.Name(), "$ref": base + "/Users/" + u.ID,
				"type": "User"})
		}
		doc["members"] = list
	}
	return doc
}

// ReadGroup sets g's name and external ID from doc, a canonical Group resource, and returns the IDs of the members
// it lists, sorted and each once. cur is as in ReadUser.
func ReadGroup(doc, cur map[string]any, g *gatehouse.Group) ([]string, error) {
	if err := checkReadOnly(doc, cur, "id", "meta"); err != nil {
		return nil, err
	}
	name, _ := doc["displayName"].(string)
	if g.Name = strings.TrimSpace(name); g.Name == "" {
		return nil, InvalidValue("displayName is required.")
	}
	ext, _ := doc["externalId"].(string)
	g.ExternalID = strings.TrimSpace(ext)
	var ids []string
	list, _ := doc["members"].([]any)
	for _, e := range list {
		m, _ := e.(map[string]any)
		id, _ := m["value"].(string)
		if id == "" {
			return nil, InvalidValue("Every member needs a value, the user's id.")
		}
		if t, ok := m["type"].(string); ok && !strings.EqualFold(t, "User") {
			return nil, InvalidValue("Member %s is a %s; Gatehouse groups hold only users.", quote(id), quote(t))
		}
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return slices.Compact(ids), nil
}
