package scim

import (
	"encoding/json"
	"reflect"
	"strings"

	filter "github.com/scim2/filter-parser/v2"
)

// MaxOperations bounds the operations of one PATCH request.
const MaxOperations = 1000

// Operation is one operation of a PATCH request: op is add, replace or remove, in lower case.
type Operation struct {
	Op    string
	Path  string
	Value any
}

// ParsePatch decodes a PatchOp request body. op values are read ignoring case (clients send "Add", "Replace").
func ParsePatch(body []byte) ([]Operation, error) {
	var req struct {
		Schemas    []string `json:"schemas"`
		Operations []struct {
			Op    string `json:"op"`
			Path  string `json:"path"`
			Value any    `json:"value"`
		} `json:"Operations"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, InvalidSyntax("The request body is not a PatchOp message: %s", jsonProblem(err))
	}
	found := false
	for _, s := range req.Schemas {
		found = found || strings.EqualFold(s, PatchOpSchema)
	}
	if !found {
		return nil, InvalidSyntax("schemas must list %s.", PatchOpSchema)
	}
	if len(req.Operations) == 0 {
		return nil, InvalidSyntax("Operations lists no operation.")
	}
	if len(req.Operations) > MaxOperations {
		return nil, errorf(413, TypeTooMany, "The request has %d operations; at most %d are allowed.", len(req.Operations), MaxOperations)
	}
	ops := make([]Operation, 0, len(req.Operations))
	for i, o := range req.Operations {
		op := strings.ToLower(strings.TrimSpace(o.Op))
		switch op {
		case "add", "replace", "remove":
		default:
			return nil, InvalidSyntax("Operation %d has op %s; use add, replace or remove.", i+1, quote(o.Op))
		}
		if op != "remove" && o.Value == nil {
			return nil, InvalidValue("Operation %d (%s) has no value.", i+1, op)
		}
		ops = append(ops, Operation{Op: op, Path: strings.TrimSpace(o.Path), Value: o.Value})
	}
	return ops, nil
}

func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errorsAs(err, &se):
		return "a syntax error."
	case errorsAs(err, &te):
		return "field " + te.Field + " has the wrong type."
	}
	return "it could not be decoded."
}

// Apply applies ops, in order, to doc, the canonical resource of type rt as Gatehouse shows it, and returns the
// result. An operation on a read-only attribute is mutability, a path the schema lacks invalidPath, a value filter
// that matches nothing where something must match noTarget.
func Apply(rt *ResourceType, doc map[string]any, ops []Operation) (map[string]any, error) {
	out := deepCopy(doc).(map[string]any)
	for i, op := range ops {
		var err error
		if op.Path == "" {
			err = applyWithoutPath(rt, out, op)
		} else {
			err = applyPath(rt, out, op, op.Path)
		}
		if err != nil {
			if e, ok := err.(*Error); ok {
				e.Detail = "Operation " + itoa(i+1) + " (" + op.Op + "): " + e.Detail
			}
			return nil, err
		}
	}
	return out, nil
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

// applyWithoutPath applies an add or replace whose value is an object of attributes. A key may be dotted
// ("name.givenName", as some clients send) or carry a schema URN; an extension URN key holds an object of the
// extension's attributes.
func applyWithoutPath(rt *ResourceType, doc map[string]any, op Operation) error {
	if op.Op == "remove" {
		return badRequest(TypeNoTarget, "A remove needs a path.")
	}
	m, ok := op.Value.(map[string]any)
	if !ok {
		return InvalidValue("Without a path, the value must be an object of attributes.")
	}
	for k, v := range m {
		if ext := rt.extension(k); ext != nil {
			sub, ok := v.(map[string]any)
			if !ok {
				return InvalidValue("%s must be an object of the extension's attributes.", ext.ID)
			}
			for sk, sv := range sub {
				if err := applyPath(rt, doc, Operation{Op: op.Op, Value: sv}, ext.ID+":"+sk); err != nil {
					return err
				}
			}
			continue
		}
		if strings.EqualFold(k, "schemas") {
			continue
		}
		if err := applyPath(rt, doc, Operation{Op: op.Op, Value: v}, k); err != nil {
			return err
		}
	}
	return nil
}

// target is where a path points: the container map of the attribute, its definition, and the value filter and
// sub-attribute that follow it.
type target struct {
	container map[string]any
	attr      *Attribute
	filter    filter.Expression
	sub       *Attribute
	// readOnly reports whether the client may not change the target.
	readOnly bool
}

// resolve parses path against rt and finds its container in doc, creating an extension's object when create.
func resolve(rt *ResourceType, doc map[string]any, path string, create bool) (*target, error) {
	urn, rest := rt.splitURN(path)
	if ext := rt.extension(path); ext != nil {
		return nil, badRequest(TypeInvalidPath, "The path %s names a schema, not an attribute.", quote(path))
	}
	p, err := filter.ParsePath([]byte(rest))
	if msg, ok := refused[strings.ToLower(strings.SplitN(rest, "[", 2)[0])]; ok {
		return nil, Mutability("%s", msg)
	}
	if err != nil {
		return nil, &Error{Status: 400, Type: TypeInvalidPath, Detail: "The path " + quote(path) + " is not a SCIM attribute path.", Err: err}
	}
	if p.AttributePath.URIPrefix != nil {
		urn = *p.AttributePath.URIPrefix
	}
	a, ext := rt.lookup(urn, p.AttributePath.AttributeName)
	if a == nil {
		return nil, badRequest(TypeInvalidPath, "The %s resource has no attribute %s.", rt.Name, quote(path))
	}
	t := &target{container: doc, attr: a, filter: p.ValueExpression}
	if ext != nil {
		m, _ := doc[ext.ID].(map[string]any)
		if m == nil {
			m = map[string]any{}
			if create {
				doc[ext.ID] = m
				addSchema(doc, ext.ID)
			}
		}
		t.container = m
	}
	subName := p.AttributePath.SubAttributeName()
	if p.SubAttribute != nil {
		if subName != "" {
			return nil, badRequest(TypeInvalidPath, "The path %s has two sub-attributes.", quote(path))
		}
		subName = *p.SubAttribute
	}
	if subName != "" {
		if t.sub = a.sub(subName); t.sub == nil {
			return nil, badRequest(TypeInvalidPath, "%s has no sub-attribute %s.", a.Name, quote(subName))
		}
	}
	if t.filter != nil && !a.MultiValued {
		return nil, badRequest(TypeInvalidPath, "%s is not multi-valued: a value filter does not apply.", a.Name)
	}
	t.readOnly = a.Mutability == readOnly || t.sub != nil && t.sub.Mutability == readOnly
	return t, nil
}

// echoes reports whether an add or replace of a read-only attribute sets the value it has: clients echo id in a
// replace without a path ({"id": ..., "displayName": ...} to rename a group), which changes nothing.
func (t *target) echoes(op Operation) bool {
	if op.Op == "remove" || t.filter != nil {
		return false
	}
	cur := t.container[t.attr.Name]
	if t.sub != nil {
		m, _ := cur.(map[string]any)
		cur = m[t.sub.Name]
	}
	return sameValue(op.Value, cur)
}

func addSchema(doc map[string]any, urn string) {
	list, _ := doc["schemas"].([]any)
	for _, s := range list {
		if s == urn {
			return
		}
	}
	doc["schemas"] = append(list, urn)
}

// applyPath applies op at path.
func applyPath(rt *ResourceType, doc map[string]any, op Operation, path string) error {
	t, err := resolve(rt, doc, path, op.Op != "remove")
	if err != nil {
		return err
	}
	if t.readOnly {
		if t.echoes(op) {
			return nil
		}
		return Mutability("%s is read-only.", path)
	}
	a, name := t.attr, t.attr.Name
	switch {
	case op.Op == "remove":
		return t.remove(op.Value)
	case t.filter != nil:
		return t.replaceMatching(op)
	case t.sub != nil && a.MultiValued:
		return badRequest(TypeInvalidPath, "%s is multi-valued: select values with a filter, as in %s[type eq \"work\"].%s.", name, name, t.sub.Name)
	case t.sub != nil:
		v, err := singleValue(t.sub, op.Value, name+"."+t.sub.Name)
		if err != nil {
			return err
		}
		parent, _ := t.container[name].(map[string]any)
		if parent == nil {
			parent = map[string]any{}
			t.container[name] = parent
		}
		setOrDelete(parent, t.sub.Name, v)
		return nil
	case a.MultiValued:
		list := op.Value
		if _, isList := list.([]any); !isList {
			list = []any{list} // a single value added to a multi-valued attribute
		}
		v, err := canonicalValue(a, list, name)
		if err != nil {
			return err
		}
		values := v.([]any)
		if op.Op == "replace" {
			setOrDelete(t.container, name, emptyToNil(values))
			return nil
		}
		cur, _ := t.container[name].([]any)
		for _, nv := range values {
			if !containsValue(cur, nv) {
				cur = append(cur, nv)
			}
		}
		setOrDelete(t.container, name, emptyToNil(cur))
		return nil
	case a.Type == typeComplex:
		v, err := singleValue(a, op.Value, name)
		if err != nil {
			return err
		}
		m, _ := v.(map[string]any)
		cur, _ := t.container[name].(map[string]any)
		if cur == nil {
			cur = map[string]any{}
		}
		for k, sv := range m { // add and replace both merge the sub-attributes given
			cur[k] = sv
		}
		setOrDelete(t.container, name, emptyMapToNil(cur))
		return nil
	default:
		v, err := singleValue(a, op.Value, name)
		if err != nil {
			return err
		}
		setOrDelete(t.container, name, v)
		return nil
	}
}

// remove removes the target. A remove of a multi-valued attribute without a filter but with a value list removes
// the listed values (matched by their value sub-attribute) rather than every value, as clients removing group
// members send it.
func (t *target) remove(value any) error {
	name := t.attr.Name
	list, _ := t.container[name].([]any)
	switch {
	case t.filter != nil:
		var keep []any
		for _, e := range list {
			m, _ := e.(map[string]any)
			ok, err := matches(t.attr, m, t.filter)
			if err != nil {
				return err
			}
			switch {
			case !ok:
				keep = append(keep, e)
			case t.sub != nil:
				delete(m, t.sub.Name)
				keep = append(keep, m)
			}
		}
		setOrDelete(t.container, name, emptyToNil(keep))
	case t.attr.MultiValued && t.sub == nil && value != nil:
		values, ok := value.([]any)
		if !ok {
			values = []any{value}
		}
		var keep []any
		for _, e := range list {
			if !listedByValue(values, e) {
				keep = append(keep, e)
			}
		}
		setOrDelete(t.container, name, emptyToNil(keep))
	case t.sub != nil && t.attr.MultiValued:
		for _, e := range list {
			if m, ok := e.(map[string]any); ok {
				delete(m, t.sub.Name)
			}
		}
	case t.sub != nil:
		if m, ok := t.container[name].(map[string]any); ok {
			delete(m, t.sub.Name)
			setOrDelete(t.container, name, emptyMapToNil(m))
		}
	default:
		if t.attr.Required {
			return Mutability("%s is required and cannot be removed.", name)
		}
		delete(t.container, name)
	}
	return nil
}

// listedByValue reports whether e's value sub-attribute is the value of one of values.
func listedByValue(values []any, e any) bool {
	em, _ := e.(map[string]any)
	for _, v := range values {
		vm, _ := v.(map[string]any)
		if vm != nil && em != nil && vm["value"] != nil && sameValue(vm["value"], em["value"]) {
			return true
		}
		if reflect.DeepEqual(v, e) {
			return true
		}
	}
	return false
}

// replaceMatching applies an add or replace whose path has a value filter: the values the filter selects are
// replaced (their sub-attribute set, when the path has one). When nothing matches and the filter is a plain
// equality such as type eq "work", a value with that sub-attribute is added, as clients expect of a typed e-mail
// that does not exist yet; otherwise it is noTarget.
func (t *target) replaceMatching(op Operation) error {
	name := t.attr.Name
	list, _ := t.container[name].([]any)
	var newValue any
	if t.sub != nil {
		v, err := singleValue(t.sub, op.Value, name+"."+t.sub.Name)
		if err != nil {
			return err
		}
		newValue = v
	} else {
		v, err := singleValue(t.attr, op.Value, name)
		if err != nil {
			return err
		}
		newValue = v
	}
	matched := false
	for i, e := range list {
		m, _ := e.(map[string]any)
		ok, err := matches(t.attr, m, t.filter)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		matched = true
		if t.sub != nil {
			setOrDelete(m, t.sub.Name, newValue)
			continue
		}
		nm, _ := newValue.(map[string]any)
		for k, v := range nm {
			m[k] = v
		}
		list[i] = m
	}
	if matched {
		t.container[name] = list
		return nil
	}
	eq, ok := t.filter.(*filter.AttributeExpression)
	if !ok || eq.Operator != filter.EQ || eq.AttributePath.SubAttribute != nil || t.attr.sub(eq.AttributePath.AttributeName) == nil {
		return badRequest(TypeNoTarget, "No value of %s matches %v.", name, t.filter)
	}
	fresh := map[string]any{t.attr.sub(eq.AttributePath.AttributeName).Name: eq.CompareValue}
	if t.sub != nil {
		fresh[t.sub.Name] = newValue
	} else if nm, ok := newValue.(map[string]any); ok {
		for k, v := range nm {
			fresh[k] = v
		}
	}
	t.container[name] = append(list, fresh)
	return nil
}

// matches reports whether the value m of multi-valued attribute a matches the value filter e.
func matches(a *Attribute, m map[string]any, e filter.Expression) (bool, error) {
	switch e := e.(type) {
	case *filter.LogicalExpression:
		l, err := matches(a, m, e.Left)
		if err != nil {
			return false, err
		}
		r, err := matches(a, m, e.Right)
		if err != nil {
			return false, err
		}
		if strings.EqualFold(string(e.Operator), "and") {
			return l && r, nil
		}
		return l || r, nil
	case *filter.NotExpression:
		ok, err := matches(a, m, e.Expression)
		return !ok, err
	case *filter.AttributeExpression:
		sa := a.sub(e.AttributePath.AttributeName)
		if sa == nil || e.AttributePath.SubAttribute != nil {
			return false, badRequest(TypeInvalidFilter, "%s has no sub-attribute %s.", a.Name, quote(e.AttributePath.String()))
		}
		return compareValue(sa, m[sa.Name], strings.ToLower(string(e.Operator)), e.CompareValue), nil
	}
	return false, badRequest(TypeInvalidFilter, "Value filters cannot nest.")
}

// compareValue applies a filter operator to a value v of attribute a.
func compareValue(a *Attribute, v any, op string, want any) bool {
	if op == "pr" {
		return v != nil && v != ""
	}
	if a.Type == typeBoolean {
		b, _ := v.(bool)
		w, ok := want.(bool)
		if s, isStr := want.(string); isStr {
			w, ok = strings.EqualFold(s, "true"), strings.EqualFold(s, "true") || strings.EqualFold(s, "false")
		}
		switch op {
		case "eq":
			return ok && b == w
		case "ne":
			return ok && b != w
		}
		return false
	}
	s, _ := v.(string)
	w, ok := want.(string)
	if !ok {
		return false
	}
	if !a.CaseExact {
		s, w = strings.ToLower(s), strings.ToLower(w)
	}
	switch op {
	case "eq":
		return v != nil && s == w
	case "ne":
		return v == nil || s != w
	case "co":
		return v != nil && strings.Contains(s, w)
	case "sw":
		return v != nil && strings.HasPrefix(s, w)
	case "ew":
		return v != nil && strings.HasSuffix(s, w)
	case "gt":
		return v != nil && s > w
	case "ge":
		return v != nil && s >= w
	case "lt":
		return v != nil && s < w
	case "le":
		return v != nil && s <= w
	}
	return false
}

func setOrDelete(m map[string]any, k string, v any) {
	if v == nil {
		delete(m, k)
		return
	}
	m[k] = v
}

func emptyToNil(l []any) any {
	if len(l) == 0 {
		return nil
	}
	return l
}

func emptyMapToNil(m map[string]any) any {
	if len(m) == 0 {
		return nil
	}
	return m
}

func containsValue(list []any, v any) bool {
	for _, e := range list {
		if reflect.DeepEqual(e, v) {
			return true
		}
		em, _ := e.(map[string]any)
		vm, _ := v.(map[string]any)
		// Members are the same member when their values are the same.
		if em != nil && vm != nil && len(vm) >= 1 && em["value"] != nil && sameValue(em["value"], vm["value"]) && em["type"] == "User" {
			return true
		}
	}
	return false
}

// deepCopy copies a JSON value.
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
