package provision

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/scim"
)

// Path is a target attribute path of a mapping: an attribute of a schema (URN empty for the core schema),
// optionally one element of a multi-valued attribute selected by its type, and optionally a sub-attribute.
type Path struct {
	URN  string
	Attr string
	// Type selects the element of a multi-valued attribute whose type is Type (emails[type eq "work"]).
	Type string
	Sub  string
	raw  string
}

// String returns the path as the mapping named it.
func (p Path) String() string { return p.raw }

// ParsePath parses a target attribute path; see gatehouse.ValidTargetPath.
func ParsePath(s string) (Path, error) {
	if !gatehouse.ValidTargetPath(s) {
		return Path{}, fmt.Errorf("%q is not a SCIM attribute path", s)
	}
	p := Path{raw: s}
	rest := s
	if strings.HasPrefix(rest, "urn:") {
		head := rest
		if i := strings.IndexAny(head, "["); i >= 0 {
			head = head[:i]
		}
		i := strings.LastIndexByte(head, ':')
		p.URN, rest = rest[:i], rest[i+1:]
	}
	if i := strings.IndexByte(rest, '['); i >= 0 {
		j := strings.IndexByte(rest, ']')
		p.Type = strings.TrimSuffix(strings.TrimPrefix(rest[i:j], `[type eq "`), `"`)
		rest = rest[:i] + rest[j+1:]
	}
	p.Attr, p.Sub, _ = strings.Cut(rest, ".")
	return p, nil
}

// filterValue returns s as a SCIM filter string literal.
func filterValue(s string) string {
	b, _ := json.Marshal(s) // a string always marshals; JSON string escapes are the filter's
	return string(b)
}

// Filter returns a filter that matches resources whose attribute at p equals value.
func (p Path) Filter(value string) string {
	attr := p.Attr
	if p.URN != "" {
		attr = p.URN + ":" + attr
	}
	if p.Type != "" {
		sub := p.Sub
		if sub == "" {
			sub = "value"
		}
		return fmt.Sprintf(`%s[type eq %s and %s eq %s]`, attr, filterValue(p.Type), sub, filterValue(value))
	}
	if p.Sub != "" {
		attr += "." + p.Sub
	}
	return attr + " eq " + filterValue(value)
}

// get returns the key of m equal to name ignoring case, as SCIM attribute names are, or "".
func get(m map[string]any, name string) (string, any) {
	if v, ok := m[name]; ok {
		return name, v
	}
	for k, v := range m {
		if strings.EqualFold(k, name) {
			return k, v
		}
	}
	return "", nil
}

// container returns the object that holds p's attribute in doc (doc itself, or the schema extension's object),
// creating an extension's when create is set.
func (p Path) container(doc map[string]any, create bool) map[string]any {
	if p.URN == "" || strings.EqualFold(p.URN, scim.UserSchema) || strings.EqualFold(p.URN, scim.GroupSchema) {
		return doc
	}
	_, v := get(doc, p.URN)
	m, _ := v.(map[string]any)
	if m == nil && create {
		m = map[string]any{}
		doc[p.URN] = m
		list, _ := doc["schemas"].([]any)
		if !slices.ContainsFunc(list, func(s any) bool { u, _ := s.(string); return strings.EqualFold(u, p.URN) }) {
			doc["schemas"] = append(list, p.URN)
		}
	}
	return m
}

// typed returns the element of list whose type is typ, ignoring case, or nil.
func typed(list []any, typ string) map[string]any {
	for _, e := range list {
		if m, _ := e.(map[string]any); m != nil {
			if _, t := get(m, "type"); t != nil {
				if s, _ := t.(string); strings.EqualFold(s, typ) {
					return m
				}
			}
		}
	}
	return nil
}

// Get returns the value at p in doc as text ("" when there is none); a boolean is "true" or "false".
func (p Path) Get(doc map[string]any) string {
	c := p.container(doc, false)
	if c == nil {
		return ""
	}
	_, v := get(c, p.Attr)
	if p.Type != "" {
		list, _ := v.([]any)
		e := typed(list, p.Type)
		if e == nil {
			return ""
		}
		sub := p.Sub
		if sub == "" {
			sub = "value"
		}
		_, v = get(e, sub)
	} else if p.Sub != "" {
		m, _ := v.(map[string]any)
		_, v = get(m, p.Sub)
	}
	return text(v)
}

// text returns a JSON value as text.
func text(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case bool:
		return strconv.FormatBool(v)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case json.Number:
		return v.String()
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// Set sets the value at p in doc, creating the objects and the typed element on the way. A new e-mail is the
// primary one when it is the first.
func (p Path) Set(doc map[string]any, value string) {
	c := p.container(doc, true)
	key, v := get(c, p.Attr)
	if key == "" {
		key = p.Attr
	}
	switch {
	case p.Type != "":
		list, _ := v.([]any)
		e := typed(list, p.Type)
		if e == nil {
			e = map[string]any{"type": p.Type}
			if strings.EqualFold(p.Attr, "emails") && len(list) == 0 {
				e["primary"] = true
			}
			list = append(list, e)
		}
		sub := p.Sub
		if sub == "" {
			sub = "value"
		}
		if k, _ := get(e, sub); k != "" {
			sub = k
		}
		e[sub] = value
		c[key] = list
	case p.Sub != "":
		m, _ := v.(map[string]any)
		if m == nil {
			m = map[string]any{}
		}
		sub := p.Sub
		if k, _ := get(m, sub); k != "" {
			sub = k
		}
		m[sub] = value
		c[key] = m
	default:
		c[key] = value
	}
}

// hasTyped reports whether doc has the element p selects by type.
func (p Path) hasTyped(doc map[string]any) bool {
	c := p.container(doc, false)
	if c == nil {
		return false
	}
	_, v := get(c, p.Attr)
	list, _ := v.([]any)
	return typed(list, p.Type) != nil
}

// patchOp returns the PATCH operation that sets the value at p to value in doc: a replace, or for a typed element
// doc lacks, an add of the element (a replace whose filter matches nothing is noTarget in RFC 7644).
func (p Path) patchOp(doc map[string]any, value string) map[string]any {
	if p.Type != "" && !p.hasTyped(doc) {
		sub := p.Sub
		if sub == "" {
			sub = "value"
		}
		elem := map[string]any{"type": p.Type, sub: value}
		if strings.EqualFold(p.Attr, "emails") {
			elem["primary"] = true
		}
		attr := p.Attr
		if p.URN != "" {
			attr = p.URN + ":" + attr
		}
		return map[string]any{"op": "add", "path": attr, "value": []any{elem}}
	}
	return map[string]any{"op": "replace", "path": p.raw, "value": value}
}

// caseExact reports whether values of the attribute at p differ when only their case differs. SCIM's string
// attributes ignore case unless their schema says otherwise; of those Gatehouse maps, externalId does not.
func (p Path) caseExact() bool {
	return strings.EqualFold(p.Attr, "externalId") && p.URN == ""
}

// same reports whether the value at the app, have, is the value Gatehouse would write, want.
func (p Path) same(have, want string) bool {
	return have == want || !p.caseExact() && strings.EqualFold(have, want)
}

// mapping is an attribute mapping ready to evaluate.
type mapping struct {
	gatehouse.AttributeMapping
	path Path
	expr *Expr
}

// compileMappings parses the mappings of users (sources gatehouse.ProvisioningUserSources) or groups.
func compileMappings(list []gatehouse.AttributeMapping, sources []string) ([]mapping, error) {
	out := make([]mapping, 0, len(list))
	for _, m := range list {
		c := mapping{AttributeMapping: m}
		var err error
		if c.path, err = ParsePath(m.Target); err != nil {
			return nil, err
		}
		if m.Kind == gatehouse.MappingExpression {
			if c.expr, err = ParseExpr(m.Expression, sources); err != nil {
				return nil, fmt.Errorf("the expression of %s: %w", m.Target, err)
			}
		}
		out = append(out, c)
	}
	return out, nil
}

// CheckMappings returns EINVALID, naming the field, when an expression of the settings does not parse.
func CheckMappings(p *gatehouse.Provisioning) error {
	for _, set := range []struct {
		field   string
		list    []gatehouse.AttributeMapping
		sources []string
	}{
		{"userMappings", p.UserMappings, gatehouse.ProvisioningUserSources},
		{"groupMappings", p.GroupMappings, gatehouse.ProvisioningGroupSources},
	} {
		if _, err := compileMappings(set.list, set.sources); err != nil {
			return gatehouse.FieldErrorf(set.field, "Mapping %s.", err.Error())
		}
	}
	return nil
}

// value returns the mapping's value for the source attributes attrs, its default when it is empty.
func (m *mapping) value(attrs map[string]string) string {
	var v string
	switch m.Kind {
	case gatehouse.MappingDirect:
		v = attrs[m.Source]
	case gatehouse.MappingConstant:
		v = m.Value
	case gatehouse.MappingExpression:
		v = m.expr.Eval(attrs)
	}
	if strings.TrimSpace(v) == "" {
		v = m.Default
	}
	return v
}

// UserAttributes returns the source attributes of a user that mappings read.
func UserAttributes(u *gatehouse.User) map[string]string {
	nick, _, _ := strings.Cut(u.Mail, "@")
	return map[string]string{
		"objectId": u.ID, "userName": u.UserName, "givenName": u.FirstName, "surname": u.LastName,
		"displayName": u.DisplayName, "mail": u.Mail, "mailNickname": nick, "externalId": u.ExternalID,
		"department": u.Department, "employeeNumber": u.EmployeeNumber, "costCenter": u.CostCenter,
		"organization": u.Organization, "division": u.Division,
	}
}

// GroupAttributes returns the source attributes of a group that mappings read.
func GroupAttributes(g *gatehouse.Group) map[string]string {
	return map[string]string{"objectId": g.ID, "displayName": g.Name, "description": g.Description,
		"externalId": g.ExternalID}
}

// desired is what Gatehouse wants an account to hold: each mapped attribute's value (empty values are left out:
// they are never written, and never clear a value at the app).
type desired struct {
	values []desiredValue
}

type desiredValue struct {
	path     Path
	value    string
	onCreate bool
}

// evaluate returns the values of the mappings for attrs.
func evaluate(ms []mapping, attrs map[string]string) desired {
	var d desired
	for i := range ms {
		m := &ms[i]
		if v := m.value(attrs); v != "" {
			d.values = append(d.values, desiredValue{path: m.path, value: v, onCreate: m.Apply == gatehouse.ApplyOnCreate})
		}
	}
	return d
}

// get returns the desired value of the attribute at target, or "".
func (d desired) get(target string) string {
	for _, v := range d.values {
		if strings.EqualFold(v.path.raw, target) {
			return v.value
		}
	}
	return ""
}

// resource returns the new resource of schema with the desired values (those applied on create too).
func (d desired) resource(schema string) map[string]any {
	doc := map[string]any{"schemas": []any{schema}}
	for _, v := range d.values {
		v.path.Set(doc, v.value)
	}
	return doc
}

// changes returns the attributes whose value at the app, in doc, differs from the desired one; values applied only
// on create are left alone.
func (d desired) changes(doc map[string]any) []gatehouse.AttributeChange {
	var out []gatehouse.AttributeChange
	for _, v := range d.values {
		if v.onCreate {
			continue
		}
		if have := v.path.Get(doc); !v.path.same(have, v.value) {
			out = append(out, gatehouse.AttributeChange{Attribute: v.path.raw, Before: have, After: v.value})
		}
	}
	return out
}

// patchOps returns the PATCH operations that make the changes to doc.
func (d desired) patchOps(doc map[string]any, changes []gatehouse.AttributeChange) []any {
	var ops []any
	for _, c := range changes {
		for _, v := range d.values {
			if v.path.raw == c.Attribute {
				ops = append(ops, v.path.patchOp(doc, v.value))
			}
		}
	}
	return ops
}

// replaced returns doc, as the app holds it, with the changes made: the body of a PUT, which keeps what Gatehouse
// does not map.
func (d desired) replaced(doc map[string]any, changes []gatehouse.AttributeChange) map[string]any {
	out := deepCopy(doc).(map[string]any)
	delete(out, "meta")
	for _, c := range changes {
		for _, v := range d.values {
			if v.path.raw == c.Attribute {
				v.path.Set(out, v.value)
			}
		}
	}
	return out
}

func deepCopy(v any) any {
	switch v := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		l := make([]any, len(v))
		for i, e := range v {
			l[i] = deepCopy(e)
		}
		return l
	}
	return v
}

// active returns the active attribute of a user resource: true unless it is false (or "false", as some apps send
// it).
func active(doc map[string]any) bool {
	_, v := get(doc, "active")
	switch v := v.(type) {
	case bool:
		return v
	case string:
		return !strings.EqualFold(strings.TrimSpace(v), "false")
	}
	return true
}

// memberIDs returns the values of a group resource's members.
func memberIDs(doc map[string]any) []string {
	_, v := get(doc, "members")
	list, _ := v.([]any)
	var out []string
	for _, e := range list {
		if m, _ := e.(map[string]any); m != nil {
			if _, id := get(m, "value"); id != nil {
				out = append(out, text(id))
			}
		}
	}
	return out
}
