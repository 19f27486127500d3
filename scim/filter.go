package scim

import (
	"strings"
	"time"

	filter "github.com/scim2/filter-parser/v2"

	"github.com/gatehouse-idp/gatehouse"
)

// Limits of a filter (SECURITY-CASES 49): its length in bytes, how deep brackets and parentheses nest, and how
// many comparisons it makes.
const (
	MaxFilterLength = 1024
	MaxFilterDepth  = 8
	MaxFilterTerms  = 32
)

func invalidFilter(format string, args ...any) *Error {
	return badRequest(TypeInvalidFilter, format, args...)
}

// ParseFilter parses a filter on resources of type rt and returns it as a store filter. An attribute the store
// cannot filter on, a malformed filter or one over the limits is invalidFilter. The filter
// emails[type eq "work"].value eq "x", which some clients send although RFC 7644 has no such form, is read as
// emails[type eq "work" and value eq "x"].
func ParseFilter(rt *ResourceType, s string) (*gatehouse.Filter, error) {
	if len(s) > MaxFilterLength {
		return nil, invalidFilter("The filter is %d bytes long; at most %d are allowed.", len(s), MaxFilterLength)
	}
	if d := nesting(s); d > MaxFilterDepth {
		return nil, invalidFilter("The filter nests %d levels deep; at most %d are allowed.", d, MaxFilterDepth)
	}
	expr, err := filter.ParseFilter([]byte(s))
	if err != nil {
		if rewritten, ok := rewriteValuePathComparison(s); ok {
			expr, err = filter.ParseFilter([]byte(rewritten))
		}
	}
	if err != nil {
		return nil, &Error{Status: 400, Type: TypeInvalidFilter, Detail: "The filter " + quote(s) + " is not a SCIM filter (RFC 7644 section 3.4.2.2).", Err: err}
	}
	t := translator{rt: rt}
	f, err := t.expr(expr, "")
	if err != nil {
		return nil, err
	}
	if t.terms > MaxFilterTerms {
		return nil, invalidFilter("The filter makes %d comparisons; at most %d are allowed.", t.terms, MaxFilterTerms)
	}
	return f, nil
}

// nesting returns how deep parentheses and brackets nest in s, outside quoted strings.
func nesting(s string) int {
	depth, max, quoted := 0, 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case quoted && c == '\\':
			i++
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == '(' || c == '[':
			depth++
			max = maxInt(max, depth)
		case c == ')' || c == ']':
			depth--
		}
	}
	return max
}

func maxInt(a, b int) int {
	if a > b {
		return a
	}
	return b
}

// rewriteValuePathComparison rewrites `attr[inner].sub op value...` into `attr[inner and sub op value...]` when s
// is exactly that shape, the one filter outside RFC 7644's grammar that clients are known to send.
func rewriteValuePathComparison(s string) (string, bool) {
	open := strings.IndexByte(s, '[')
	if open <= 0 {
		return "", false
	}
	close, quoted := -1, false
	for i := open + 1; i < len(s) && close < 0; i++ {
		switch c := s[i]; {
		case quoted && c == '\\':
			i++
		case c == '"':
			quoted = !quoted
		case !quoted && c == ']':
			close = i
		case !quoted && c == '[':
			return "", false
		}
	}
	if close < 0 || close+1 >= len(s) || s[close+1] != '.' {
		return "", false
	}
	rest := s[close+2:]
	sp := strings.IndexByte(rest, ' ')
	if sp <= 0 || strings.ContainsAny(rest[:sp], "[]()\"") {
		return "", false
	}
	return s[:close] + " and " + rest + "]", true
}

// translator turns a parsed filter into a store filter.
type translator struct {
	rt    *ResourceType
	terms int
}

// matchAll and never are filters that match every and no resource: the store has no constants, and every resource
// has an ID.
func matchAll() *gatehouse.Filter {
	return &gatehouse.Filter{Op: gatehouse.FilterPr, Attr: gatehouse.QueryID}
}

func never() *gatehouse.Filter { return &gatehouse.Filter{Op: gatehouse.FilterNot, Left: matchAll()} }

// expr translates e; parent is the multi-valued attribute whose value filter e is, or "".
func (t *translator) expr(e filter.Expression, parent string) (*gatehouse.Filter, error) {
	switch e := e.(type) {
	case *filter.LogicalExpression:
		l, err := t.expr(e.Left, parent)
		if err != nil {
			return nil, err
		}
		r, err := t.expr(e.Right, parent)
		if err != nil {
			return nil, err
		}
		op := gatehouse.FilterAnd
		if strings.EqualFold(string(e.Operator), "or") {
			op = gatehouse.FilterOr
		}
		return &gatehouse.Filter{Op: op, Left: l, Right: r}, nil
	case *filter.NotExpression:
		l, err := t.expr(e.Expression, parent)
		if err != nil {
			return nil, err
		}
		return &gatehouse.Filter{Op: gatehouse.FilterNot, Left: l}, nil
	case *filter.ValuePath:
		if parent != "" {
			return nil, invalidFilter("Value filters cannot nest.")
		}
		name := e.AttributePath.AttributeName
		if e.AttributePath.SubAttribute != nil {
			return nil, invalidFilter("%s is not a multi-valued attribute.", e.AttributePath)
		}
		a, _ := t.rt.lookup(e.AttributePath.URI(), name)
		if a == nil || !a.MultiValued {
			return nil, invalidFilter("%s is not a multi-valued attribute of the %s resource.", quote(name), t.rt.Name)
		}
		return t.expr(e.ValueFilter, a.Name)
	case *filter.AttributeExpression:
		t.terms++
		return t.compare(e, parent)
	}
	return nil, invalidFilter("The filter has an expression Gatehouse does not know.")
}

// compare translates one comparison.
func (t *translator) compare(e *filter.AttributeExpression, parent string) (*gatehouse.Filter, error) {
	p := e.AttributePath
	path := strings.ToLower(p.AttributeName)
	if p.SubAttribute != nil {
		path += "." + strings.ToLower(*p.SubAttribute)
	}
	if parent != "" {
		path = strings.ToLower(parent) + "." + path
	}
	uri := strings.ToLower(p.URI())
	if uri == strings.ToLower(t.rt.Schema.ID) {
		uri = ""
	}
	op := gatehouse.FilterOp(strings.ToLower(string(e.Operator)))
	// Only the primary (work) e-mail is stored as the user's mail: its type and primary flag are known.
	if t.rt == Users && uri == "" {
		switch path {
		case "emails.type":
			v, _ := e.CompareValue.(string)
			if op == gatehouse.FilterPr || op == gatehouse.FilterEq && strings.EqualFold(v, "work") {
				return matchAll(), nil
			}
			if op == gatehouse.FilterEq {
				return never(), nil
			}
		case "emails.primary":
			if op == gatehouse.FilterPr || op == gatehouse.FilterEq && e.CompareValue == true {
				return matchAll(), nil
			}
		}
	}
	attr, kind, ok := t.attribute(uri, path)
	if !ok {
		return nil, invalidFilter("Filtering %s resources on %s is not supported.", t.rt.Name, quote(p.String()))
	}
	f := &gatehouse.Filter{Op: op, Attr: attr}
	if op == gatehouse.FilterPr {
		return f, nil
	}
	switch kind {
	case typeBoolean:
		switch v := e.CompareValue.(type) {
		case bool:
			f.Value = v
		case string:
			switch strings.ToLower(v) {
			case "true":
				f.Value = true
			case "false":
				f.Value = false
			}
		}
		if f.Value == nil || (op != gatehouse.FilterEq && op != gatehouse.FilterNe) {
			return nil, invalidFilter("%s compares only with eq or ne and true or false.", p.String())
		}
	case typeDateTime:
		s, _ := e.CompareValue.(string)
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return nil, invalidFilter("%s compares with a date and time such as \"2026-01-31T12:00:00Z\".", p.String())
		}
		if op == gatehouse.FilterCo || op == gatehouse.FilterSw || op == gatehouse.FilterEw {
			return nil, invalidFilter("%s is a time: %s does not apply.", p.String(), op)
		}
		f.Value = tm
	default:
		s, ok := e.CompareValue.(string)
		if !ok {
			return nil, invalidFilter("%s compares with a string.", p.String())
		}
		if attr == gatehouse.QueryMember && op != gatehouse.FilterEq {
			return nil, invalidFilter("Members compare only with eq or pr.")
		}
		f.Value = s
	}
	return f, nil
}

// attribute maps a lower-case attribute path of schema uri ("" for the core schema) to a store attribute.
func (t *translator) attribute(uri, path string) (gatehouse.QueryAttr, string, bool) {
	common := map[string]gatehouse.QueryAttr{"id": gatehouse.QueryID, "externalid": gatehouse.QueryExternalID,
		"meta.created": gatehouse.QueryCreated, "meta.lastmodified": gatehouse.QueryUpdated}
	if uri == "" {
		if a, ok := common[path]; ok {
			kind := typeString
			if strings.HasPrefix(path, "meta.") {
				kind = typeDateTime
			}
			return a, kind, true
		}
	}
	if t.rt == Groups {
		switch {
		case uri == "" && path == "displayname":
			return gatehouse.QueryDisplayName, typeString, true
		case uri == "" && (path == "members" || path == "members.value"):
			return gatehouse.QueryMember, typeString, true
		}
		return "", "", false
	}
	if uri == "" {
		a, ok := map[string]gatehouse.QueryAttr{"username": gatehouse.QueryUserName,
			"displayname": gatehouse.QueryDisplayName, "name.givenname": gatehouse.QueryGivenName,
			"name.familyname": gatehouse.QueryFamilyName, "emails": gatehouse.QueryMail,
			"emails.value": gatehouse.QueryMail, "active": gatehouse.QueryActive}[path]
		if a == gatehouse.QueryActive {
			return a, typeBoolean, true
		}
		return a, typeString, ok
	}
	if uri == strings.ToLower(EnterpriseSchema) {
		a, ok := map[string]gatehouse.QueryAttr{"department": gatehouse.QueryDepartment,
			"employeenumber": gatehouse.QueryEmployeeNumber, "costcenter": gatehouse.QueryCostCenter,
			"organization": gatehouse.QueryOrganization, "division": gatehouse.QueryDivision,
			"manager": gatehouse.QueryManagerID, "manager.value": gatehouse.QueryManagerID}[path]
		return a, typeString, ok
	}
	return "", "", false
}
