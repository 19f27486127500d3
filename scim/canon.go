package scim

import (
	"strings"
)

// canonical returns a copy of doc, a resource of type rt as a client sent it, with every attribute name spelled as
// the schema spells it, extension attributes under their schema's URN, null values left out and every value of the
// attribute's type; booleans sent as the strings "true" and "false" (in any case) become booleans. It fails with
// invalidSyntax on an attribute the schemas lack and invalidValue on a value of the wrong type.
func (rt *ResourceType) canonical(doc map[string]any) (map[string]any, error) {
	out := map[string]any{}
	for k, v := range doc {
		if strings.EqualFold(k, "schemas") {
			list, ok := v.([]any)
			if !ok {
				return nil, InvalidSyntax("schemas must be a list of schema URNs.")
			}
			for _, s := range list {
				if _, ok := s.(string); !ok {
					return nil, InvalidSyntax("schemas must be a list of schema URNs.")
				}
			}
			out["schemas"] = list
			continue
		}
		if ext := rt.extension(k); ext != nil {
			if v == nil {
				continue
			}
			m, ok := v.(map[string]any)
			if !ok {
				return nil, InvalidValue("%s must be an object of the extension's attributes.", ext.ID)
			}
			for name, sv := range m {
				if err := rt.put(out, ext.ID, name, sv); err != nil {
					return nil, err
				}
			}
			continue
		}
		urn, name := rt.splitURN(k)
		if err := rt.put(out, urn, name, v); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// put sets the attribute name of schema urn (core when "" or the core URN) in out to v made canonical.
func (rt *ResourceType) put(out map[string]any, urn, name string, v any) error {
	a, ext := rt.lookup(urn, name)
	if a == nil {
		return InvalidSyntax("The attribute %s is not in the %s schema%s.", quote(name), rt.Name, extNote(rt))
	}
	cv, err := canonicalValue(a, v, a.Name)
	if err != nil || cv == nil {
		return err
	}
	if ext == nil {
		out[a.Name] = cv
		return nil
	}
	m, _ := out[ext.ID].(map[string]any)
	if m == nil {
		m = map[string]any{}
		out[ext.ID] = m
	}
	m[a.Name] = cv
	return nil
}

func extNote(rt *ResourceType) string {
	if len(rt.Extensions) == 0 {
		return ""
	}
	return " or its extensions"
}

// canonicalValue returns v as a value of attribute a (path names it in errors); nil for null.
func canonicalValue(a *Attribute, v any, path string) (any, error) {
	if v == nil {
		return nil, nil
	}
	if a.MultiValued {
		list, ok := v.([]any)
		if !ok {
			return nil, InvalidValue("%s is multi-valued: send a list.", path)
		}
		out := make([]any, 0, len(list))
		for _, e := range list {
			ce, err := singleValue(a, e, path)
			if err != nil {
				return nil, err
			}
			if ce != nil {
				out = append(out, ce)
			}
		}
		return out, nil
	}
	return singleValue(a, v, path)
}

// singleValue returns v as one value of attribute a.
func singleValue(a *Attribute, v any, path string) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch a.Type {
	case typeComplex:
		if s, ok := v.(string); ok && a.Name == "manager" {
			// Entra ID sends the manager as the manager's id alone, not as {"value": id}.
			v = map[string]any{"value": s}
		}
		m, ok := v.(map[string]any)
		if !ok {
			return nil, InvalidValue("%s must be an object.", path)
		}
		out := map[string]any{}
		for k, sv := range m {
			sa := a.sub(k)
			if sa == nil {
				return nil, InvalidSyntax("%s has no sub-attribute %s.", path, quote(k))
			}
			cv, err := singleValue(sa, sv, path+"."+sa.Name)
			if err != nil {
				return nil, err
			}
			if cv != nil {
				out[sa.Name] = cv
			}
		}
		return out, nil
	case typeBoolean:
		switch b := v.(type) {
		case bool:
			return b, nil
		case string:
			switch strings.ToLower(strings.TrimSpace(b)) {
			case "true":
				return true, nil
			case "false":
				return false, nil
			}
		}
		return nil, InvalidValue("%s must be true or false.", path)
	default:
		s, ok := v.(string)
		if !ok {
			return nil, InvalidValue("%s must be a string.", path)
		}
		return s, nil
	}
}
