package sqlquery

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-idp/gatehouse"
)

// Kind is how a column holds its attribute.
type Kind int

// The kinds of columns.
const (
	// Text compares exactly.
	Text Kind = iota
	// Folded holds text in the store's folded form (lower case): values are folded before they are compared.
	Folded
	// Bool holds a boolean.
	Bool
	// Time holds a time.
	Time
	// Exists is a condition on related rows: Expr is a format with one %s for the compared value's parameter, and
	// Present the condition that any related row exists.
	Exists
)

// Column is where an attribute is stored.
type Column struct {
	Expr string
	Kind Kind
	// Negated reports whether a Bool column holds the opposite of the attribute (disabled for active).
	Negated bool
	// Present is the condition of pr on an Exists column.
	Present string
}

// Dialect is what differs between the engines.
type Dialect struct {
	// Placeholder returns the parameter marker of the n-th argument, counting from 1.
	Placeholder func(n int) string
	// Contains, StartsWith and EndsWith return a condition on column col and the parameter p.
	Contains, StartsWith, EndsWith func(col, p string) string
	// Fold returns s as Folded columns hold it.
	Fold func(s string) string
	// Value converts a bool or a time to the parameter the engine stores.
	Value func(v any) any
}

// SQLite is the dialect of SQLite, whose numbered parameters are ?N and which stores booleans as 0 and 1 and times
// as microseconds.
func SQLite(fold func(string) string) Dialect {
	return Dialect{
		Placeholder: func(n int) string { return "?" + strconv.Itoa(n) },
		Contains:    func(col, p string) string { return "instr(" + col + ", " + p + ") > 0" },
		StartsWith:  func(col, p string) string { return "substr(" + col + ", 1, length(" + p + ")) = " + p },
		EndsWith: func(col, p string) string {
			return "(length(" + p + ") <= length(" + col + ") AND substr(" + col + ", -length(" + p + ")) = " + p + ")"
		},
		Fold: fold,
		Value: func(v any) any {
			switch v := v.(type) {
			case bool:
				if v {
					return 1
				}
				return 0
			case time.Time:
				return v.UnixMicro()
			}
			return v
		},
	}
}

// PostgreSQL is the dialect of PostgreSQL.
func PostgreSQL(fold func(string) string) Dialect {
	return Dialect{
		Placeholder: func(n int) string { return "$" + strconv.Itoa(n) },
		Contains:    func(col, p string) string { return "strpos(" + col + ", " + p + ") > 0" },
		StartsWith:  func(col, p string) string { return "starts_with(" + col + ", " + p + ")" },
		EndsWith:    func(col, p string) string { return "right(" + col + ", length(" + p + ")) = " + p },
		Fold:        fold,
		Value:       func(v any) any { return v },
	}
}

// Builder collects the arguments of one query.
type Builder struct {
	d    Dialect
	cols map[gatehouse.QueryAttr]Column
	// Args are the query's arguments so far; the builder's parameters follow them.
	Args []any
}

// New returns a builder whose parameters follow args.
func New(d Dialect, cols map[gatehouse.QueryAttr]Column, args ...any) *Builder {
	return &Builder{d: d, cols: cols, Args: args}
}

// Param adds v as an argument and returns its marker.
func (b *Builder) Param(v any) string {
	b.Args = append(b.Args, v)
	return b.d.Placeholder(len(b.Args))
}

// Where returns the condition of f ("TRUE" for nil). EINVALID for an attribute the table lacks or an operator its
// kind does not have.
func (b *Builder) Where(f *gatehouse.Filter) (string, error) {
	if f == nil {
		return "1 = 1", nil
	}
	switch f.Op {
	case gatehouse.FilterAnd, gatehouse.FilterOr:
		if f.Left == nil || f.Right == nil {
			return "", invalid("%s needs two operands", f.Op)
		}
		l, err := b.Where(f.Left)
		if err != nil {
			return "", err
		}
		r, err := b.Where(f.Right)
		if err != nil {
			return "", err
		}
		return "(" + l + " " + strings.ToUpper(string(f.Op)) + " " + r + ")", nil
	case gatehouse.FilterNot:
		if f.Left == nil {
			return "", invalid("not needs an operand")
		}
		l, err := b.Where(f.Left)
		if err != nil {
			return "", err
		}
		return "(NOT " + l + ")", nil
	}
	col, ok := b.cols[f.Attr]
	if !ok {
		return "", invalid("filtering on %s is not supported", f.Attr)
	}
	return b.compare(col, f)
}

func (b *Builder) compare(col Column, f *gatehouse.Filter) (string, error) {
	if f.Op == gatehouse.FilterPr {
		switch col.Kind {
		case Text, Folded:
			return col.Expr + " <> ''", nil
		case Exists:
			return col.Present, nil
		default:
			return "1 = 1", nil
		}
	}
	var v any
	switch col.Kind {
	case Text, Folded, Exists:
		s, ok := f.Value.(string)
		if !ok {
			return "", invalid("%s takes a string", f.Attr)
		}
		if col.Kind == Folded {
			s = b.d.Fold(s)
		}
		v = s
	case Bool:
		x, ok := f.Value.(bool)
		if !ok {
			return "", invalid("%s takes true or false", f.Attr)
		}
		if col.Negated {
			x = !x
		}
		v = b.d.Value(x)
	case Time:
		t, ok := f.Value.(time.Time)
		if !ok {
			return "", invalid("%s takes a time", f.Attr)
		}
		v = b.d.Value(t.UTC())
	}
	if col.Kind == Exists {
		if f.Op != gatehouse.FilterEq {
			return "", invalid("%s takes only eq and pr", f.Attr)
		}
		return fmt.Sprintf(col.Expr, b.Param(v)), nil
	}
	text := col.Kind == Text || col.Kind == Folded
	switch f.Op {
	case gatehouse.FilterEq:
		return col.Expr + " = " + b.Param(v), nil
	case gatehouse.FilterNe:
		return col.Expr + " <> " + b.Param(v), nil
	case gatehouse.FilterCo, gatehouse.FilterSw, gatehouse.FilterEw:
		if !text {
			return "", invalid("%s takes no %s", f.Attr, f.Op)
		}
		p := b.Param(v)
		switch f.Op {
		case gatehouse.FilterCo:
			return b.d.Contains(col.Expr, p), nil
		case gatehouse.FilterSw:
			return b.d.StartsWith(col.Expr, p), nil
		}
		return b.d.EndsWith(col.Expr, p), nil
	case gatehouse.FilterGt, gatehouse.FilterGe, gatehouse.FilterLt, gatehouse.FilterLe:
		if col.Kind == Bool {
			return "", invalid("%s takes no %s", f.Attr, f.Op)
		}
		op := map[gatehouse.FilterOp]string{gatehouse.FilterGt: ">", gatehouse.FilterGe: ">=", gatehouse.FilterLt: "<",
			gatehouse.FilterLe: "<="}[f.Op]
		return col.Expr + " " + op + " " + b.Param(v), nil
	}
	return "", invalid("the operator %q is unknown", f.Op)
}

// OrderBy returns the ORDER BY list for sorting by attr (def when attr is ""), then by tiebreak.
func (b *Builder) OrderBy(attr gatehouse.QueryAttr, desc bool, def, tiebreak string) (string, error) {
	expr := def
	if attr != "" {
		col, ok := b.cols[attr]
		if !ok || col.Kind == Exists {
			return "", invalid("sorting by %s is not supported", attr)
		}
		expr = col.Expr
	}
	dir := ""
	if desc {
		dir = " DESC"
	}
	return expr + dir + ", " + tiebreak + dir, nil
}

func invalid(format string, args ...any) error {
	return &gatehouse.Error{Code: gatehouse.EINVALID, Field: "filter", Message: fmt.Sprintf(format, args...) + "."}
}
