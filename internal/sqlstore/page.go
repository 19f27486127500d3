package sqlstore

import "strings"

// Paging defaults: a limit of 0 means DefaultLimit, and no more than MaxLimit rows are returned.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

// Page returns the offset and limit to use for the requested ones: a negative offset is 0, a limit of 0 or less is
// DefaultLimit and one above MaxLimit is MaxLimit.
func Page(offset, limit int) (int, int) {
	if offset < 0 {
		offset = 0
	}
	switch {
	case limit <= 0:
		limit = DefaultLimit
	case limit > MaxLimit:
		limit = MaxLimit
	}
	return offset, limit
}

// Key returns the key a name is compared through, ignoring case: its Unicode lower case, computed here rather than
// by the database (whose lower() follows its locale), so that uniqueness, search and order are the same on every
// engine and a copy from one to the other never conflicts.
func Key(s string) string { return strings.ToLower(s) }

// Scanner is a row being scanned, of either engine's driver.
type Scanner interface {
	Scan(dest ...any) error
}

// Joined scans one row into two objects, so that a join is read by the scan functions of both: Scan, called by the
// first object's scan function with its destinations, runs Second with a scanner whose Scan scans the whole row —
// the destinations in Lead, the first object's, then the second's. Each scan function finishes its object (such as
// converting times) after the row is scanned.
type Joined struct {
	Row    Scanner
	Lead   []any
	Second func(Scanner) error
}

// Scan implements Scanner.
func (j Joined) Scan(dest ...any) error {
	lead := append(j.Lead[:len(j.Lead):len(j.Lead)], dest...)
	return j.Second(scanFunc(func(rest ...any) error { return j.Row.Scan(append(lead, rest...)...) }))
}

type scanFunc func(dest ...any) error

func (f scanFunc) Scan(dest ...any) error { return f(dest...) }

// Qualified returns a list of columns, such as "id, name", with each column qualified by a table alias: "t.id, t.name".
func Qualified(alias, columns string) string {
	var b strings.Builder
	for i, c := range strings.Split(columns, ",") {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(alias + "." + strings.TrimSpace(c))
	}
	return b.String()
}
