package interop

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
)

// The checks of the matrix, in the order they are reported.
const (
	checkSPInitiated = "sp-initiated"
	checkSPSigned    = "sp-initiated-signed"
	checkIdPInit     = "idp-initiated"
	checkEncrypted   = "encrypted"
	checkLogout      = "logout"
	checkTampered    = "tampered-refused"
	checkMetadata    = "metadata-signature"
)

var checkOrder = []string{checkSPInitiated, checkSPSigned, checkIdPInit, checkEncrypted, checkLogout, checkTampered, checkMetadata}

// The service providers of the matrix, in the order they are reported.
var spOrder = []string{"shibboleth", "simplesamlphp", "pysaml2", "node-saml", "crewjam", "xmlsec1"}

// Results of a check.
const (
	resultPass          = "PASS"
	resultFail          = "FAIL"
	resultNotSupported  = "not supported"
	resultNotApplicable = "n/a"
	resultSkipped       = "SKIP"
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
	b.WriteString("| service provider |")
	for _, c := range checkOrder {
		b.WriteString(" " + c + " |")
	}
	b.WriteString("\n|---|")
	b.WriteString(strings.Repeat("---|", len(checkOrder)))
	b.WriteString("\n")
	var notes []string
	sps := append([]string(nil), spOrder...)
	for sp := range matrix.results {
		if !contains(sps, sp) {
			sps = append(sps, sp)
		}
	}
	for _, sp := range sps {
		row, ok := matrix.results[sp]
		if !ok {
			continue
		}
		b.WriteString("| " + sp + " |")
		for _, c := range checkOrder {
			o, ok := row[c]
			switch {
			case !ok:
				b.WriteString(" – |")
			default:
				b.WriteString(" " + o.Result + " |")
				if o.Note != "" && o.Result != resultPass {
					notes = append(notes, fmt.Sprintf("- %s %s: %s", sp, c, o.Note))
				}
			}
		}
		b.WriteString("\n")
	}
	sort.Strings(notes)
	if len(notes) > 0 {
		b.WriteString("\n" + strings.Join(notes, "\n") + "\n")
	}
	return b.String()
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
			case t.Skipped() && c.result != "":
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
	if os.Getenv("CI") == "true" {
		for _, c := range checkOrder {
			record(sp, c, outcome{Result: resultFail, Note: msg})
		}
		t.Fatal(msg)
	}
	for _, c := range checkOrder {
		record(sp, c, outcome{Result: resultSkipped, Note: msg})
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
