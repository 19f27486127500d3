package scim

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/gatehouse-idp/gatehouse"
)

// Paging limits: a list answers DefaultCount resources unless the client asks for fewer, and never more than
// MaxCount.
const (
	DefaultCount = 100
	MaxCount     = 200
)

// ListParams are the query parameters of a list request.
type ListParams struct {
	Query gatehouse.Query
	// StartIndex is the 1-based index of the first result.
	StartIndex int
	// Projection selects the attributes of each resource.
	Projection Projection
}

// ParseListParams reads filter, startIndex, count, sortBy, sortOrder, attributes and excludedAttributes.
func ParseListParams(rt *ResourceType, q url.Values) (*ListParams, error) {
	p := &ListParams{StartIndex: 1}
	if f := q.Get("filter"); strings.TrimSpace(f) != "" {
		var err error
		if p.Query.Filter, err = ParseFilter(rt, f); err != nil {
			return nil, err
		}
	}
	if s := q.Get("startIndex"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return nil, InvalidValue("startIndex must be a whole number; got %s.", quote(s))
		}
		p.StartIndex = max(n, 1) // RFC 7644 3.4.2.4: a value below 1 is read as 1
	}
	p.Query.Offset = p.StartIndex - 1
	p.Query.Limit = DefaultCount
	if s := q.Get("count"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return nil, InvalidValue("count must be a whole number; got %s.", quote(s))
		}
		p.Query.Limit = min(max(n, 0), MaxCount)
	}
	if s := q.Get("sortBy"); s != "" {
		attr, kind, ok := (&translator{rt: rt}).attribute(lowerURN(rt, s))
		if !ok || attr == gatehouse.QueryMember || kind == "" {
			return nil, InvalidValue("Sorting %s resources by %s is not supported.", rt.Name, quote(s))
		}
		p.Query.SortBy = attr
	}
	switch strings.ToLower(q.Get("sortOrder")) {
	case "", "ascending":
	case "descending":
		p.Query.Descending = true
	default:
		return nil, InvalidValue("sortOrder is ascending or descending.")
	}
	var err error
	p.Projection, err = ParseProjection(rt, q.Get("attributes"), q.Get("excludedAttributes"))
	return p, err
}

// lowerURN splits an attribute path into its schema URN ("" for the core schema) and the lower-case rest.
func lowerURN(rt *ResourceType, s string) (string, string) {
	urn, rest := rt.splitURN(s)
	if strings.EqualFold(urn, rt.Schema.ID) {
		urn = ""
	}
	return strings.ToLower(urn), strings.ToLower(rest)
}

// Projection is the attributes and excludedAttributes of a request.
type Projection struct {
	rt       *ResourceType
	include  []attrRef
	exclude  []attrRef
	explicit bool
}

// attrRef is an attribute, or a sub-attribute of one, of a schema ("" for the core schema and common attributes).
type attrRef struct{ urn, name, sub string }

// ParseProjection reads the comma-separated attribute lists; both empty select every attribute returned by default.
func ParseProjection(rt *ResourceType, attributes, excluded string) (Projection, error) {
	p := Projection{rt: rt}
	var err error
	if p.include, err = parseRefs(rt, attributes); err != nil {
		return p, err
	}
	if p.exclude, err = parseRefs(rt, excluded); err != nil {
		return p, err
	}
	p.explicit = len(p.include) > 0
	return p, nil
}

func parseRefs(rt *ResourceType, list string) ([]attrRef, error) {
	var refs []attrRef
	for _, s := range strings.Split(list, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		urn, rest := rt.splitURN(s)
		if ext := rt.extension(s); ext != nil {
			refs = append(refs, attrRef{urn: ext.ID})
			continue
		}
		name, sub, _ := strings.Cut(rest, ".")
		a, ext := rt.lookup(urn, name)
		if a == nil {
			return nil, InvalidValue("The %s resource has no attribute %s.", rt.Name, quote(s))
		}
		r := attrRef{name: a.Name}
		if ext != nil {
			r.urn = ext.ID
		}
		if sub != "" {
			sa := a.sub(sub)
			if sa == nil {
				return nil, InvalidValue("%s has no sub-attribute %s.", a.Name, quote(sub))
			}
			r.sub = sa.Name
		}
		refs = append(refs, r)
	}
	return refs, nil
}

// Wants reports whether the projection returns the attribute name of the core schema, so that a caller can skip
// reading what would not be returned (a group's members, a user's groups).
func (p Projection) Wants(name string) bool {
	for _, r := range p.exclude {
		if r.urn == "" && r.name == name && r.sub == "" {
			return false
		}
	}
	if !p.explicit {
		return true
	}
	for _, r := range p.include {
		if r.urn == "" && r.name == name {
			return true
		}
	}
	return false
}

// Apply returns doc with only the selected attributes; id and schemas are always returned (RFC 7643 "returned:
// always").
func (p Projection) Apply(doc map[string]any) map[string]any {
	if !p.explicit && len(p.exclude) == 0 {
		return doc
	}
	out := map[string]any{}
	if p.explicit {
		for _, r := range p.include {
			copyRef(out, doc, r)
		}
	} else {
		out = deepCopy(doc).(map[string]any)
		for _, r := range p.exclude {
			removeRef(out, r)
		}
	}
	out["id"], out["schemas"] = doc["id"], doc["schemas"]
	if p.rt == Users && doc["userName"] != nil && p.explicit {
		// userName is "returned: always" by nothing in RFC 7643, but clients match on it; keep it.
		out["userName"] = doc["userName"]
	}
	return out
}

func copyRef(out, doc map[string]any, r attrRef) {
	src, dst := doc, out
	if r.urn != "" {
		src, _ = doc[r.urn].(map[string]any)
		if src == nil {
			return
		}
		if r.name == "" {
			out[r.urn] = src
			return
		}
		d, _ := out[r.urn].(map[string]any)
		if d == nil {
			d = map[string]any{}
			out[r.urn] = d
		}
		dst = d
	}
	v, ok := src[r.name]
	if !ok {
		return
	}
	if r.sub == "" {
		dst[r.name] = v
		return
	}
	switch v := v.(type) {
	case map[string]any:
		d, _ := dst[r.name].(map[string]any)
		if d == nil {
			d = map[string]any{}
			dst[r.name] = d
		}
		if sv, ok := v[r.sub]; ok {
			d[r.sub] = sv
		}
	case []any:
		var list []any
		for _, e := range v {
			if m, ok := e.(map[string]any); ok && m[r.sub] != nil {
				list = append(list, map[string]any{r.sub: m[r.sub]})
			}
		}
		if list != nil {
			dst[r.name] = list
		}
	}
}

func removeRef(out map[string]any, r attrRef) {
	if r.name == "id" || r.name == "schemas" {
		return
	}
	m := out
	if r.urn != "" {
		if r.name == "" {
			delete(out, r.urn)
			return
		}
		m, _ = out[r.urn].(map[string]any)
		if m == nil {
			return
		}
	}
	if r.sub == "" {
		delete(m, r.name)
		return
	}
	switch v := m[r.name].(type) {
	case map[string]any:
		delete(v, r.sub)
	case []any:
		for _, e := range v {
			if em, ok := e.(map[string]any); ok {
				delete(em, r.sub)
			}
		}
	}
}

// ListResponse returns the list response of one page of resources.
func ListResponse(resources []map[string]any, total, startIndex int) map[string]any {
	if resources == nil {
		resources = []map[string]any{}
	}
	return map[string]any{"schemas": []string{ListSchema}, "totalResults": total, "startIndex": startIndex,
		"itemsPerPage": len(resources), "Resources": resources}
}
