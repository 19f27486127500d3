package password

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gatehouse-idp/gatehouse"
)

// Password policy limits.
const (
	// MinLength is the least number of characters of a new password.
	MinLength = 12
	// LongLength is the number of characters from which a password needs no mix of character classes.
	LongLength = 16
	// MinClasses is the number of character classes (upper case, lower case, digits, symbols) a shorter password
	// needs.
	MinClasses = 3
)

// policyField is the input field named by CheckPolicy's errors.
const policyField = "newPassword"

// CheckPolicy returns an EINVALID error naming the field "newPassword" and the rule broken when pw may not become
// userName's password: at least MinLength characters, at most MaxLength bytes, no part equal to the local part of
// the user name (case-insensitively), not one of the most common passwords (also with digits or symbols added),
// and either MinClasses of the four character classes or at least LongLength characters.
func CheckPolicy(pw string, userName string) error {
	if len(pw) > MaxLength {
		return gatehouse.FieldErrorf(policyField, "The password is longer than %d bytes; choose a shorter one.", MaxLength)
	}
	if !utf8.ValidString(pw) || strings.ContainsFunc(pw, unicode.IsControl) {
		return gatehouse.FieldErrorf(policyField, "The password may not contain control characters or invalid text.")
	}
	n := utf8.RuneCountInString(pw)
	if n < MinLength {
		return gatehouse.FieldErrorf(policyField, "The password must have at least %d characters; it has %d.", MinLength, n)
	}
	lower := strings.ToLower(pw)
	local, _, _ := strings.Cut(strings.ToLower(userName), "@")
	if len(local) >= 3 && strings.Contains(lower, local) {
		return gatehouse.FieldErrorf(policyField, "The password may not contain your user name.")
	}
	if isCommon(lower) {
		return gatehouse.FieldErrorf(policyField, "The password is one of the most commonly used passwords; choose one that is harder to guess.")
	}
	if c := classes(pw); c < MinClasses && n < LongLength {
		return gatehouse.FieldErrorf(policyField, "The password must use at least %d of: upper-case letters, lower-case letters, digits and symbols, or have at least %d characters.", MinClasses, LongLength)
	}
	return nil
}

// classes counts the character classes in pw: upper-case letters, lower-case letters, digits and anything else.
func classes(pw string) int {
	var upper, lower, digit, other int
	for _, r := range pw {
		switch {
		case unicode.IsUpper(r):
			upper = 1
		case unicode.IsLower(r):
			lower = 1
		case unicode.IsDigit(r):
			digit = 1
		default:
			other = 1
		}
	}
	return upper + lower + digit + other
}

// isCommon reports whether lower (a lower-cased password) is a common password, a run of one character, or a
// common base word with only digits and symbols around it ("Password123!", "!!Welcome2026").
func isCommon(lower string) bool {
	if _, ok := commonPasswords[lower]; ok {
		return true
	}
	first, _ := utf8.DecodeRuneInString(lower)
	if strings.Trim(lower, string(first)) == "" {
		return true
	}
	core := strings.TrimFunc(lower, func(r rune) bool { return !unicode.IsLetter(r) })
	if _, ok := commonWords[core]; ok {
		return true
	}
	_, ok := commonWords[leet.Replace(core)]
	return ok
}

// leet undoes the usual letter substitutions ("p@ssw0rd").
var leet = strings.NewReplacer("0", "o", "1", "i", "3", "e", "4", "a", "5", "s", "7", "t", "@", "a", "$", "s")

// commonWords are the bases of the most common passwords; a password that is one of them with only digits and
// symbols before or after is refused.
var commonWords = set(
	"password", "passwort", "passw", "qwerty", "qwertz", "azerty", "qwertyuiop", "asdfgh", "asdfghjkl", "zxcvbnm",
	"letmein", "welcome", "admin", "administrator", "iloveyou", "monkey", "dragon", "football", "baseball",
	"sunshine", "princess", "master", "shadow", "superman", "batman", "trustno", "starwars", "whatever", "secret",
	"login", "abc", "abcdef", "abcdefgh", "changeme", "default", "summer", "winter", "spring", "autumn", "hello",
	"freedom", "michael", "jennifer", "charlie", "computer", "internet", "gatehouse", "mixpanel", "test", "guest",
	"root", "user", "access", "passpass", "pass", "pw", "temp", "temporary", "company", "office", "microsoft",
)

// commonPasswords are common passwords of twelve characters or more that are not a word with digits around it.
var commonPasswords = set(
	"123456789012", "1234567890123", "12345678901234", "123456789abc", "1234567890ab", "1q2w3e4r5t6y",
	"1qaz2wsx3edc", "qwerty123456", "qwertyuiop12", "qwertyuiop123", "q1w2e3r4t5y6", "zaq12wsx3edc",
	"abc123456789", "abcd12345678", "abcdefghijkl", "abcdefghijklm", "asdfghjkl123", "iloveyou1234",
	"000000000000", "111111111111", "123123123123", "121212121212", "987654321098", "098765432109",
	"correcthorsebatterystaple", "correct horse battery staple", "passwordpassword", "qwertyqwerty",
)

func set(words ...string) map[string]struct{} {
	m := make(map[string]struct{}, len(words))
	for _, w := range words {
		m[w] = struct{}{}
	}
	return m
}
