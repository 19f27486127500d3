package provision

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// Expr is a parsed mapping expression: an attribute ([givenName]), a string ("text") or a function call
// (Join(" ", [givenName], [surname])). Evaluate it with Eval.
type Expr struct {
	// kind is exprAttr, exprString or exprCall.
	kind int
	// text is the attribute name, the string, or the function name.
	text string
	args []*Expr
}

const (
	exprAttr = iota
	exprString
	exprCall
)

// Limits of expressions.
const (
	maxExprDepth  = 16
	maxExprArgs   = 32
	maxValueBytes = 4096
)

// function describes a function of the expression language: its argument counts and how it computes its value.
type function struct {
	min, max int // max -1: any number
	// pairs reports whether the arguments after the first two come in pairs (Switch).
	pairs bool
	eval  func(args []string) string
}

// functions are the documented functions, by name. docs/provisioning.md describes each.
var functions = map[string]function{
	// Join(separator, value1, value2, ...) joins the values that are not empty with separator between them.
	"Join": {min: 2, max: -1, eval: func(a []string) string {
		var parts []string
		for _, v := range a[1:] {
			if v != "" {
				parts = append(parts, v)
			}
		}
		return strings.Join(parts, a[0])
	}},
	// ToLower(value) and ToUpper(value) change the case of every letter.
	"ToLower": {min: 1, max: 1, eval: func(a []string) string { return strings.ToLower(a[0]) }},
	"ToUpper": {min: 1, max: 1, eval: func(a []string) string { return strings.ToUpper(a[0]) }},
	// Coalesce(value1, value2, ...) is the first value that is not empty.
	"Coalesce": {min: 1, max: -1, eval: func(a []string) string {
		for _, v := range a {
			if v != "" {
				return v
			}
		}
		return ""
	}},
	// Replace(value, old, new) replaces every occurrence of old in value with new.
	"Replace": {min: 3, max: 3, eval: func(a []string) string {
		if a[1] == "" {
			return a[0]
		}
		return strings.ReplaceAll(a[0], a[1], a[2])
	}},
	// Switch(value, default, key1, result1, key2, result2, ...) is the result of the first key equal to value,
	// or default.
	"Switch": {min: 2, max: -1, pairs: true, eval: func(a []string) string {
		for i := 2; i+1 < len(a); i += 2 {
			if a[i] == a[0] {
				return a[i+1]
			}
		}
		return a[1]
	}},
	// Append(value, suffix) is value followed by suffix.
	"Append": {min: 2, max: 2, eval: func(a []string) string { return a[0] + a[1] }},
}

// Functions returns the names of the expression functions, sorted.
func Functions() []string {
	var names []string
	for n := range functions {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// ExprError is a mistake in an expression, with the byte offset where it was found.
type ExprError struct {
	Offset  int
	Message string
}

func (e *ExprError) Error() string { return fmt.Sprintf("at character %d: %s", e.Offset+1, e.Message) }

// ParseExpr parses an expression whose attributes must be among sources (the source attributes of users or of
// groups).
func ParseExpr(s string, sources []string) (*Expr, error) {
	if !utf8.ValidString(s) {
		return nil, &ExprError{0, "the expression is not UTF-8 text"}
	}
	p := &parser{s: s, sources: sources}
	e, err := p.expr(0)
	if err != nil {
		return nil, err
	}
	p.space()
	if p.pos < len(p.s) {
		return nil, p.errorf("unexpected %q after the expression", p.rest())
	}
	return e, nil
}

type parser struct {
	s       string
	pos     int
	sources []string
}

func (p *parser) errorf(format string, args ...any) *ExprError {
	return &ExprError{p.pos, fmt.Sprintf(format, args...)}
}

// rest returns a short piece of the text from the current position, for messages.
func (p *parser) rest() string {
	r := p.s[p.pos:]
	if len(r) > 16 {
		cut := 16
		for cut > 0 && !utf8.RuneStart(r[cut]) {
			cut--
		}
		r = r[:cut] + "…"
	}
	return r
}

func (p *parser) space() {
	for p.pos < len(p.s) && (p.s[p.pos] == ' ' || p.s[p.pos] == '\t') {
		p.pos++
	}
}

func (p *parser) expr(depth int) (*Expr, error) {
	if depth > maxExprDepth {
		return nil, p.errorf("functions are nested more than %d deep", maxExprDepth)
	}
	p.space()
	if p.pos >= len(p.s) {
		return nil, p.errorf("the expression ends where a value should be")
	}
	switch c := p.s[p.pos]; {
	case c == '[':
		end := strings.IndexByte(p.s[p.pos:], ']')
		if end < 0 {
			return nil, p.errorf("the attribute has no closing ]")
		}
		name := strings.TrimSpace(p.s[p.pos+1 : p.pos+end])
		if !slices.Contains(p.sources, name) {
			return nil, p.errorf("unknown attribute [%s]; use one of %s", name, strings.Join(p.sources, ", "))
		}
		p.pos += end + 1
		return &Expr{kind: exprAttr, text: name}, nil
	case c == '"':
		return p.str()
	case c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z':
		start := p.pos
		for p.pos < len(p.s) && (p.s[p.pos] >= 'A' && p.s[p.pos] <= 'Z' || p.s[p.pos] >= 'a' && p.s[p.pos] <= 'z') {
			p.pos++
		}
		name := p.s[start:p.pos]
		f, ok := functions[name]
		if !ok {
			p.pos = start
			return nil, p.errorf("unknown function %s; use one of %s", name, strings.Join(Functions(), ", "))
		}
		p.space()
		if p.pos >= len(p.s) || p.s[p.pos] != '(' {
			return nil, p.errorf("%s needs its arguments in parentheses", name)
		}
		p.pos++
		call := &Expr{kind: exprCall, text: name}
		p.space()
		if p.pos < len(p.s) && p.s[p.pos] == ')' {
			p.pos++
		} else {
			for {
				arg, err := p.expr(depth + 1)
				if err != nil {
					return nil, err
				}
				call.args = append(call.args, arg)
				if len(call.args) > maxExprArgs {
					return nil, p.errorf("%s has more than %d arguments", name, maxExprArgs)
				}
				p.space()
				if p.pos >= len(p.s) {
					return nil, p.errorf("%s( has no closing )", name)
				}
				if p.s[p.pos] == ')' {
					p.pos++
					break
				}
				if p.s[p.pos] != ',' {
					return nil, p.errorf("expected , or ) in the arguments of %s, found %q", name, p.rest())
				}
				p.pos++
			}
		}
		n := len(call.args)
		switch {
		case n < f.min:
			return nil, &ExprError{start, fmt.Sprintf("%s needs at least %d arguments, it has %d", name, f.min, n)}
		case f.max >= 0 && n > f.max:
			return nil, &ExprError{start, fmt.Sprintf("%s takes %d arguments, it has %d", name, f.max, n)}
		case f.pairs && (n-2)%2 != 0:
			return nil, &ExprError{start, fmt.Sprintf("%s takes a value, a default, then keys and results in pairs; a key has no result", name)}
		}
		return call, nil
	default:
		return nil, p.errorf("expected [attribute], \"text\" or a function, found %q", p.rest())
	}
}

// str parses a string in double quotes; \" and \\ stand for " and \.
func (p *parser) str() (*Expr, error) {
	start := p.pos
	p.pos++
	var b strings.Builder
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		switch c {
		case '"':
			p.pos++
			return &Expr{kind: exprString, text: b.String()}, nil
		case '\\':
			if p.pos+1 < len(p.s) && (p.s[p.pos+1] == '"' || p.s[p.pos+1] == '\\') {
				b.WriteByte(p.s[p.pos+1])
				p.pos += 2
				continue
			}
			return nil, p.errorf(`only \" and \\ are escapes in text`)
		}
		b.WriteByte(c)
		p.pos++
	}
	p.pos = start
	return nil, p.errorf("the text has no closing \"")
}

// Eval returns the expression's value for the source attributes attrs. A value is cut at 4096 bytes.
func (e *Expr) Eval(attrs map[string]string) string {
	var v string
	switch e.kind {
	case exprAttr:
		v = attrs[e.text]
	case exprString:
		v = e.text
	default:
		args := make([]string, len(e.args))
		for i, a := range e.args {
			args[i] = a.Eval(attrs)
		}
		v = functions[e.text].eval(args)
	}
	if len(v) > maxValueBytes {
		cut := maxValueBytes
		for cut > 0 && !utf8.RuneStart(v[cut]) {
			cut--
		}
		v = v[:cut]
	}
	return v
}

// String returns the expression in its canonical form.
func (e *Expr) String() string {
	switch e.kind {
	case exprAttr:
		return "[" + e.text + "]"
	case exprString:
		return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(e.text) + `"`
	}
	args := make([]string, len(e.args))
	for i, a := range e.args {
		args[i] = a.String()
	}
	return e.text + "(" + strings.Join(args, ", ") + ")"
}
