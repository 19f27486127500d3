package interop

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
)

// The checks of the matrix, in the order they are reported.
const (
	checkImport      = "metadata-import"
	checkSPInitiated = "sp-initiated"
	checkSPSigned    = "sp-initiated-signed"
	checkIdPInit     = "idp-initiated"
	checkForceAuthn  = "force-authn"
	checkPassive     = "is-passive"
	checkEncrypted   = "encrypted"
	checkClaims      = "claims"
	checkLogout      = "logout"
	checkPropagated  = "logout-propagated"
	checkIdPLogout   = "idp-logout"
	checkTampered    = "tampered-refused"
	checkRollover    = "cert-rollover"
	checkMetadata    = "metadata-signature"
	checkPasskeyMFA  = "passkey-mfa"
	checkECDSA       = "ecdsa-p256"
)

var checkOrder = []string{checkImport, checkSPInitiated, checkSPSigned, checkIdPInit, checkForceAuthn, checkPassive, checkEncrypted, checkClaims, checkLogout, checkPropagated, checkIdPLogout, checkTampered, checkRollover, checkMetadata, checkPasskeyMFA, checkECDSA}

// The checks of the OpenID Connect relying parties, in the order they are reported.
const (
	checkDiscovery   = "discovery"
	checkCodePKCE    = "code-pkce"
	checkUserGroups  = "user-and-groups"
	checkRefresh     = "refresh"
	checkRPLogout    = "rp-logout"
	checkTamperedJWT = "tampered-id-token-refused"
)

var oidcCheckOrder = []string{checkDiscovery, checkCodePKCE, checkUserGroups, checkRefresh, checkRPLogout, checkTamperedJWT}

// The OpenID Connect relying parties of the matrix, in the order they are reported.
var rpOrder = []string{"oauth2-proxy", "openid-client", "go-oidc"}

// checksOf returns the checks sp is put through.
func checksOf(sp string) []string {
	if contains(rpOrder, sp) {
		return oidcCheckOrder
	}
	var out []string
	for _, c := range checkOrder {
		switch {
		case sp == "xmlsec1" && (c == checkPropagated || c == checkIdPLogout || c == checkClaims || c == checkForceAuthn || c == checkPassive || c == checkPasskeyMFA):
		case sp != "xmlsec1" && sp != "shibboleth" && c == checkMetadata:
		default:
			out = append(out, c)
		}
	}
	return out
}

// The service providers of the matrix, in the order they are reported.
var spOrder = []string{"shibboleth", "simplesamlphp", "pysaml2", "node-saml", "crewjam", "xmlsec1"}

// Results of a check.
const (
	resultPass          = "PASS"
	resultFail          = "FAIL"
	resultNotSupported  = "not supported"
	resultNotApplicable = "n/a"
	resultSkipped       = "SKIP"
	// resultRefused is a check whose expected refusal was seen: the SP refuses what it does not support, and says
	// so as the test expects (a change of behaviour fails the check).
	resultRefused = "refused"
)

// outcome is the result of one check of one service provider, with a note saying why when it did not pass.
type outcome struct {
	Result string
	Note   string
}

// matrix collects the outcomes of every check; mu guards results.
var matrix = struct {
	mu      sync.Mutex
	results map[string]map[string]outcome
	// registration says how the SPs were registered in Gatehouse.
	registration string
}{results: map[string]map[string]outcome{}}

func record(sp, check string, o outcome) {
	matrix.mu.Lock()
	defer matrix.mu.Unlock()
	if matrix.results[sp] == nil {
		matrix.results[sp] = map[string]outcome{}
	}
	matrix.results[sp][check] = o
	line := fmt.Sprintf("interop: %-13s %-20s %s", sp, check, o.Result)
	if o.Note != "" {
		line += " (" + o.Note + ")"
	}
	fmt.Println(line)
}

func TestMain(m *testing.M) {
	code := m.Run()
	stopServer()
	table := matrixTable()
	if path := os.Getenv("INTEROP_MATRIX"); path != "" && table != "" {
		if err := os.WriteFile(path, []byte(table), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "interop: write matrix:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// matrixTable returns the matrix as a Markdown table, with the notes of the cells that did not pass below it, or ""
// when nothing ran.
func matrixTable() string {
	matrix.mu.Lock()
	defer matrix.mu.Unlock()
	if len(matrix.results) == 0 {
		return ""
	}
	var b strings.Builder
	var samlSPs []string
	for sp := range matrix.results {
		if !contains(spOrder, sp) && !contains(rpOrder, sp) {
			samlSPs = append(samlSPs, sp)
		}
	}
	writeTable(&b, "service provider", append(append([]string(nil), spOrder...), samlSPs...), checkOrder)
	if b.Len() > 0 {
		b.WriteString("\n")
	}
	writeTable(&b, "OpenID Connect relying party", rpOrder, oidcCheckOrder)
	if matrix.registration != "" {
		b.WriteString("\nSPs were registered " + matrix.registration + ".")
	}
	if n := xmlsecCount.get(); n > 0 {
		fmt.Fprintf(&b, " xmlsec1 verified %d XML signatures Gatehouse made in the run", n)
		if m := opensslCount.get(); m > 0 {
			fmt.Fprintf(&b, ", and OpenSSL %d signatures of its Redirect-binding logout messages", m)
		}
		b.WriteString(".")
	}
	b.WriteString("\n")
	return b.String()
}

// writeTable writes the rows of the matrix for sps (those that ran) and checks as a Markdown table, with the notes
// of the cells that did not pass below it; it writes nothing when none of sps ran. matrix.mu is held.
func writeTable(b *strings.Builder, head string, sps, checks []string) {
	ran := false
	for _, sp := range sps {
		if _, ok := matrix.results[sp]; ok {
			ran = true
		}
	}
	if !ran {
		return
	}
	b.WriteString("| " + head + " |")
	for _, c := range checks {
		b.WriteString(" " + c + " |")
	}
	b.WriteString("\n|---|")
	b.WriteString(strings.Repeat("---|", len(checks)))
	b.WriteString("\n")
	// The notes of the cells that did not pass, each note once with the checks and SPs it applies to.
	var notes []string
	where := map[string][]string{}
	for _, sp := range sps {
		row, ok := matrix.results[sp]
		if !ok {
			continue
		}
		b.WriteString("| " + sp + " |")
		for _, c := range checks {
			o, ok := row[c]
			if !ok {
				b.WriteString(" – |")
				continue
			}
			b.WriteString(" " + o.Result + " |")
			if o.Note != "" && o.Result != resultPass {
				if where[o.Note] == nil {
					notes = append(notes, o.Note)
				}
				where[o.Note] = append(where[o.Note], sp+" "+c)
			}
		}
		b.WriteString("\n")
	}
	if len(notes) > 0 {
		b.WriteString("\n")
	}
	for _, n := range notes {
		fmt.Fprintf(b, "- %s: %s\n", n, compactCells(where[n]))
	}
}

// compactCells lists "sp check" cells, an SP whose every check is listed as "sp (every check)", and one check of
// several SPs as "check (sp, sp)".
func compactCells(cells []string) string {
	bySP := map[string][]string{}
	byCheck := map[string][]string{}
	var spList, checkList []string
	for _, cell := range cells {
		sp, c, _ := strings.Cut(cell, " ")
		if bySP[sp] == nil {
			spList = append(spList, sp)
		}
		if byCheck[c] == nil {
			checkList = append(checkList, c)
		}
		bySP[sp] = append(bySP[sp], c)
		byCheck[c] = append(byCheck[c], sp)
	}
	var out []string
	done := map[string]bool{}
	for _, sp := range spList {
		if len(bySP[sp]) == len(checksOf(sp)) {
			out = append(out, sp+" (every check)")
			done[sp] = true
		}
	}
	for _, c := range checkList {
		var rest []string
		for _, sp := range byCheck[c] {
			if !done[sp] {
				rest = append(rest, sp)
			}
		}
		if len(rest) > 0 {
			out = append(out, c+" ("+strings.Join(rest, ", ")+")")
		}
	}
	return strings.Join(out, "; ")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// checkT is a check in progress: the subtest, and the note to report with its result.
type checkT struct {
	*testing.T
	note   string
	result string
}

// notSupported skips the check because Gatehouse lacks the named feature; the matrix reports "not supported".
func (c *checkT) notSupported(feature string) {
	c.Helper()
	c.result, c.note = resultNotSupported, "Gatehouse has no "+feature+" yet"
	c.Skipf("NOT SUPPORTED: Gatehouse has no %s yet; the check runs once it has", feature)
}

// notApplicable skips the check because the service provider has no such feature; the matrix reports "n/a".
func (c *checkT) notApplicable(why string) {
	c.Helper()
	c.result, c.note = resultNotApplicable, why
	c.Skipf("n/a: %s", why)
}

// noteRefused records that the SP refused, as expected, what the check offered it, with the reason it gave; the
// matrix reports "refused" with the note.
func (c *checkT) noteRefused(format string, args ...any) {
	c.result, c.note = resultRefused, fmt.Sprintf(format, args...)
}

// notePass sets a note shown beside a passing result, e.g. what was verified.
func (c *checkT) notePass(format string, args ...any) { c.note = fmt.Sprintf(format, args...) }

// runCheck runs fn as the subtest named check of sp and records its outcome in the matrix.
func runCheck(t *testing.T, sp, check string, fn func(c *checkT)) {
	t.Helper()
	t.Run(check, func(t *testing.T) {
		c := &checkT{T: t}
		t.Cleanup(func() {
			o := outcome{Result: resultPass, Note: c.note}
			switch {
			case t.Failed():
				o.Result = resultFail
				failedAny = true
			case t.Skipped() && c.result != "", c.result == resultRefused:
				o.Result = c.result
			case t.Skipped():
				o.Result = resultSkipped
			}
			record(sp, check, o)
		})
		fn(c)
	})
}

// requireTool skips every check of sp with a loud message when a program it needs is missing, and fails instead
// under CI=true.
func requireTool(t *testing.T, sp string, missing string, install string) {
	t.Helper()
	msg := fmt.Sprintf("%s is not installed (%s); scripts/test.sh installs it", missing, install)
	result := resultSkipped
	if os.Getenv("CI") == "true" {
		result = resultFail
		failedAny = true
	}
	for _, c := range checksOf(sp) {
		record(sp, c, outcome{Result: result, Note: msg})
	}
	if result == resultFail {
		t.Fatal(msg)
	}
	t.Skip("SKIPPING " + sp + ": " + msg)
}

// counter is a count shared by tests; mu guards n.
type counter struct {
	mu sync.Mutex
	n  int
}

func (c *counter) add(n int) {
	c.mu.Lock()
	c.n += n
	c.mu.Unlock()
}

func (c *counter) get() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}
