package username

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"

	"github.com/gatehouse-idp/gatehouse"
)

// Limits of a user name, in bytes.
const (
	MaxLength      = 254
	MaxLocalLength = 64
	MaxDomainASCII = 253
	maxLabel       = 63
)

// field is the input field that Check's errors name.
const field = "userName"

// localSpecials are the characters besides ASCII letters and digits allowed before the @.
const localSpecials = "'.-_!#^~+"

// Check returns nil when name is an acceptable user name (see the package documentation), and otherwise an
// EINVALID *gatehouse.Error naming the field "userName" whose message says what is wrong and, where it can, names
// the character at fault.
func Check(name string) error {
	if name == "" {
		return invalid("Enter a user name such as b.simon@contoso.com.")
	}
	if len(name) > MaxLength {
		return invalid("A user name is at most %d bytes; this one has %d.", MaxLength, len(name))
	}
	if !utf8.ValidString(name) {
		return invalid("The user name is not valid UTF-8 text.")
	}
	// The characters that make one name look like another are named first, whichever part they are in.
	for _, r := range name {
		if err := checkRune(r); err != nil {
			return err
		}
	}
	local, domain, ok := strings.Cut(name, "@")
	if !ok || strings.Contains(domain, "@") {
		return invalid("A user name has one @ between the name and the domain, such as b.simon@contoso.com; got %q.", name)
	}
	if err := checkLocal(local); err != nil {
		return err
	}
	return checkDomain(domain)
}

// checkRune refuses the characters that are invisible, turn text around, or change the letter before them.
func checkRune(r rune) error {
	switch {
	case isBidiControl(r):
		return invalid("The user name contains %s, a text-direction control character that can make it read as another name.", code(r))
	case unicode.In(r, unicode.Cf, unicode.Zs, unicode.Zl, unicode.Zp, unicode.Cc) || unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r) ||
		unicode.Is(unicode.Variation_Selector, r):
		return invalid("The user name contains %s, an invisible character or space; type the name without it.", code(r))
	}
	return nil
}

// isBidiControl reports whether r is one of the explicit text-direction controls of Unicode's bidi algorithm.
func isBidiControl(r rune) bool {
	return unicode.Is(unicode.Bidi_Control, r)
}

func checkLocal(local string) error {
	switch {
	case local == "":
		return invalid("The user name has nothing before the @; write it like b.simon@contoso.com.")
	case len(local) > MaxLocalLength:
		return invalid("The part before the @ is at most %d characters; it has %d.", MaxLocalLength, len(local))
	case strings.HasPrefix(local, ".") || strings.HasSuffix(local, ".") || strings.Contains(local, ".."):
		return invalid("The part before the @ may not start or end with a dot or hold two dots in a row.")
	}
	for _, r := range local {
		if unicode.In(r, unicode.Mn, unicode.Me) {
			return invalid("The part before the @ contains a combining mark (%s), which changes the letter before it; type the name without it.", code(r))
		}
		if r < utf8.RuneSelf && (isASCIILetter(r) || r >= '0' && r <= '9' || strings.ContainsRune(localSpecials, r)) {
			continue
		}
		return invalid("The part before the @ may contain only A–Z, a–z, 0–9 and %s; it contains %s.", localSpecials, describe(r))
	}
	return nil
}

func checkDomain(domain string) error {
	if domain == "" {
		return invalid("The user name has no domain after the @; write it like b.simon@contoso.com.")
	}
	ascii := 0
	for _, label := range strings.Split(domain, ".") {
		a, err := checkLabel(label)
		if err != nil {
			if proper := properDomain(domain); proper != "" && proper != domain {
				return invalid("%s Write the domain as %s.", gatehouse.ErrorMessage(err), proper)
			}
			return err
		}
		ascii += len(a) + 1
	}
	if ascii-1 > MaxDomainASCII {
		return invalid("The domain is at most %d characters in its ASCII form; it has %d.", MaxDomainASCII, ascii-1)
	}
	return nil
}

// checkLabel checks one label of the domain and returns its ASCII form.
func checkLabel(label string) (string, error) {
	switch {
	case label == "":
		return "", invalid("The domain has an empty label: it starts or ends with a dot, or has two dots in a row.")
	case isLDH(label):
		if len(label) > maxLabel || label[0] == '-' || label[len(label)-1] == '-' {
			return "", invalid("The domain label %q is not a host name label: 1 to %d letters, digits and hyphens, not starting or ending with a hyphen.", label, maxLabel)
		}
		if !hasACEPrefix(label) {
			return label, nil
		}
		u, err := idna.Registration.ToUnicode(label)
		if err != nil {
			return "", invalid("The domain label %q is not a valid internationalised (xn--) label.", label)
		}
		for _, r := range u {
			if err := checkRune(r); err != nil {
				return "", err
			}
		}
		return label, checkScripts(u)
	}
	for _, r := range label {
		if r < utf8.RuneSelf && !isASCIILetter(r) && !(r >= '0' && r <= '9') && r != '-' {
			return "", invalid("The domain may contain only letters, digits, hyphens and dots; it contains %s.", describe(r))
		}
	}
	a, err := idna.Registration.ToASCII(label)
	if err != nil {
		return "", invalid("The domain label %q is not a valid internationalised domain name label (IDNA2008).", label)
	}
	if u, err := idna.Registration.ToUnicode(a); err != nil || u != label {
		return "", invalid("The domain label %q is not in its proper form (lower case, NFC).", label)
	}
	return a, checkScripts(label)
}

// properDomain returns domain mapped as IDNA lookups map it (lower case, NFC), or "" when that does not give a
// domain Check accepts.
func properDomain(domain string) string {
	p, err := idna.Lookup.ToUnicode(domain)
	if err != nil || p == domain {
		return ""
	}
	for _, label := range strings.Split(p, ".") {
		if _, err := checkLabel(label); err != nil {
			return ""
		}
	}
	return p
}

// checkScripts refuses a U-label that mixes scripts beyond what UTS #39's highly restrictive level allows, or that
// puts combining marks on Latin, Greek or Cyrillic letters.
func checkScripts(label string) error {
	seen := map[string]bool{}
	var order []string
	mark := rune(-1)
	for _, r := range label {
		if unicode.In(r, unicode.Mn, unicode.Me) && mark < 0 {
			mark = r
		}
		s := scriptOf(r)
		if s == "Common" || s == "Inherited" || s == "" {
			continue
		}
		if !seen[s] {
			seen[s] = true
			order = append(order, s)
		}
	}
	if !allowedScripts(seen) {
		return invalid("The domain label %q mixes %s letters, which makes it look like another name; write each label in one script.", label, strings.Join(order, " and "))
	}
	if mark >= 0 && (seen["Latin"] || seen["Greek"] || seen["Cyrillic"]) {
		return invalid("The domain label %q has a combining mark (%s) on a letter; use the letter with the accent built in.", label, code(mark))
	}
	return nil
}

// allowedScripts reports whether a label may use this set of scripts: one, or a combination UTS #39 allows at its
// highly restrictive level.
func allowedScripts(seen map[string]bool) bool {
	if len(seen) <= 1 {
		return true
	}
	for _, set := range [][]string{
		{"Latin", "Han", "Hiragana", "Katakana"},
		{"Latin", "Han", "Bopomofo"},
		{"Latin", "Han", "Hangul"},
	} {
		n := 0
		for _, s := range set {
			if seen[s] {
				n++
			}
		}
		if n == len(seen) {
			return true
		}
	}
	return false
}

// scriptOf returns the name of r's Unicode script, "" when it has none.
func scriptOf(r rune) string {
	if r < utf8.RuneSelf {
		if isASCIILetter(r) {
			return "Latin"
		}
		return "Common"
	}
	for name, table := range unicode.Scripts {
		if unicode.Is(table, r) {
			return name
		}
	}
	return ""
}

// describe names a character for a message: itself in quotes, its code point and its script when it has one.
func describe(r rune) string {
	if s := scriptOf(r); s != "" && s != "Common" && s != "Inherited" {
		return fmt.Sprintf("%q (%s, %s script)", r, code(r), s)
	}
	if unicode.IsPrint(r) {
		return fmt.Sprintf("%q (%s)", r, code(r))
	}
	return code(r)
}

func code(r rune) string { return fmt.Sprintf("U+%04X", r) }

func isASCIILetter(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' }

// isLDH reports whether label is only ASCII letters, digits and hyphens.
func isLDH(label string) bool {
	for i := 0; i < len(label); i++ {
		c := label[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

func hasACEPrefix(label string) bool { return len(label) > 4 && strings.EqualFold(label[:4], "xn--") }

func invalid(format string, args ...any) error {
	return gatehouse.FieldErrorf(field, format, args...)
}
