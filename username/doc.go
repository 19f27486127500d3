// Package username defines which user names Gatehouse accepts, so that no user name can pass for someone else's.
//
// A user name is a user principal name shaped like an e-mail address, local@domain:
//
//   - The local part (before the @) is 1 to 64 characters from A–Z, a–z, 0–9 and ' . - _ ! # ^ ~ — the characters
//     Microsoft Entra ID allows — and +, for sub-addresses such as b.simon+test@contoso.com. It does not start or
//     end with a dot or hold two dots in a row.
//   - The domain is 1 to 253 characters in its ASCII form, labels separated by dots. A label of ASCII letters,
//     digits and hyphens (not first or last) is taken as it is, in any case. An internationalised label must be
//     valid for registration under IDNA2008 (RFC 5891, checked with golang.org/x/net/idna) and written in its
//     proper form: lower case and NFC, as a U-label (bücher) or an A-label (xn--bcher-kva).
//   - An internationalised label is written in one script, or in one of the combinations that Unicode's "highly
//     restrictive" level (UTS #39) allows: Latin with Han, Hiragana and Katakana (Japanese), with Han and Bopomofo
//     (Chinese), or with Han and Hangul (Korean). A Latin, Greek or Cyrillic label holds no combining marks: the
//     letters of these scripts that people use have precomposed forms.
//
// So invisible characters (a zero-width space), text-direction controls, combining marks on Latin letters and
// look-alike letters from another script (a Cyrillic а in gatehouse.locаl) are refused, each with a message that
// names the character. The rule applies where a user is created or renamed; names stored before it keep working.
package username
