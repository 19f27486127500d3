package browsertest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// PhoneWidth is the width, in CSS pixels, of the phone the browser tests check every page at (an iPhone 12 to 15).
const PhoneWidth = 390

// checkTimeout bounds one check of a page.
const checkTimeout = 30 * time.Second

// NoSideScroll fails t when the page ctx shows is wider than the window, so that it would scroll sideways, naming
// the elements that stick out. page names the page in the message.
func NoSideScroll(ctx context.Context, t testing.TB, page string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	type width struct {
		Scroll, Window int
		Wide           []string
	}
	w, err := chromedp.Run(ctx, chromedp.Evaluate[width](`(() => {
		const scroll = document.documentElement.scrollWidth, window_ = window.innerWidth;
		// An element inside a box that clips or scrolls it sideways does not widen the page.
		const clipped = e => { for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) { if (getComputedStyle(a).overflowX !== "visible") return true; } return false; };
		const out = e => e.getBoundingClientRect().right > window_ + 1 && !clipped(e);
		const name = e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (typeof e.className === "string" && e.className.trim() ? "." + e.className.trim().split(/\s+/).join(".") : "");
		const wide = scroll <= window_ ? [] : [...document.querySelectorAll("body *")].filter(out)
			.filter(e => !e.parentElement || !out(e.parentElement))
			.slice(0, 5).map(e => name(e) + " in " + name(e.parentElement) + " (right edge at " + Math.round(e.getBoundingClientRect().right) + "px)");
		return {Scroll: scroll, Window: window_, Wide: wide};
	})()`))
	if err != nil {
		t.Fatalf("%s: measure the width: %v", page, err)
	}
	if w.Scroll > w.Window {
		t.Errorf("%s scrolls sideways at %dpx: the page is %dpx wide; sticking out: %s", page, w.Window, w.Scroll, strings.Join(w.Wide, ", "))
	}
}

// axeTags are the axe-core rule sets every page must pass: WCAG 2.0, 2.1 and 2.2 A and AA (colour contrast, labels,
// names, ARIA, the skip link) and axe's best practices, which hold the landmark rules (all content in landmarks,
// one main, unique landmarks).
var axeTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"}

// Axe runs axe-core in the page ctx shows and fails t for every violation, naming the rule, what it checks, the
// elements and why they fail. page names the page in the message. axe-core is installed from
// internal/browsertest/testdata's lockfile on first use (see AxeScript).
func Axe(ctx context.Context, t testing.TB, page string) {
	t.Helper()
	script := AxeScript(t)
	ctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	// Evaluated through the DevTools protocol, the script runs whatever the page's Content-Security-Policy says.
	loaded, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`typeof axe !== "undefined"`))
	if err != nil {
		t.Fatalf("%s: look for axe-core: %v", page, err)
	}
	if !loaded {
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](script+"\n;undefined")); err != nil {
			t.Fatalf("%s: load axe-core: %v", page, err)
		}
	}
	type node struct {
		Target  []string `json:"target"`
		Summary string   `json:"failureSummary"`
	}
	type violation struct {
		ID      string `json:"id"`
		Impact  string `json:"impact"`
		Help    string `json:"help"`
		HelpURL string `json:"helpUrl"`
		Nodes   []node `json:"nodes"`
	}
	run := `axe.run(document, {runOnly: {type: "tag", values: ` + jsArray(axeTags) + `}, resultTypes: ["violations"]})
		.then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
			nodes: v.nodes.slice(0, 5).map(n => ({target: n.target.map(String), failureSummary: n.failureSummary}))})))`
	vs, err := chromedp.Run(ctx, chromedp.Evaluate[[]violation](run, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s: run axe-core: %v", page, err)
	}
	for _, v := range vs {
		var where []string
		for _, n := range v.Nodes {
			where = append(where, strings.Join(n.Target, " ")+": "+strings.ReplaceAll(strings.TrimSpace(n.Summary), "\n", " "))
		}
		t.Errorf("%s: axe-core %s (%s): %s (%s)\n\t%s", page, v.ID, v.Impact, v.Help, v.HelpURL, strings.Join(where, "\n\t"))
	}
}

var (
	axeOnce   sync.Once
	axeSource string
	axeErr    error
)

// AxeScript returns axe-core's axe.min.js. The package is installed with npm ci from testdata's lockfile into the
// user's cache directory, once per lockfile (scripts/test.sh does the same ahead of the tests). Without Node.js the
// test skips with a loud message, and fails when the environment variable CI is "true".
func AxeScript(t testing.TB) string {
	t.Helper()
	if _, err := exec.LookPath("npm"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("npm is not installed, and CI=true requires the accessibility checks to run (scripts/test.sh installs it)")
		}
		t.Skip("SKIPPING browser test: npm is not installed, so axe-core cannot be (scripts/test.sh installs both)")
	}
	axeOnce.Do(func() { axeSource, axeErr = loadAxe() })
	if axeErr != nil {
		t.Fatalf("axe-core: %v", axeErr)
	}
	return axeSource
}

// AxeDir returns the directory npm installs axe-core into: under the user's cache directory, named by a hash of
// the package files, so that a new lockfile gets a fresh install.
func AxeDir() (string, error) {
	_, file, _, _ := runtime.Caller(0)
	testdata := filepath.Join(filepath.Dir(file), "testdata")
	pkg, err := os.ReadFile(filepath.Join(testdata, "package.json"))
	if err != nil {
		return "", err
	}
	lock, err := os.ReadFile(filepath.Join(testdata, "package-lock.json"))
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(append(append([]byte(nil), pkg...), lock...))
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	return filepath.Join(cache, "gatehouse-browser", "axe-"+hex.EncodeToString(sum[:6])), nil
}

func loadAxe() (string, error) {
	dir, err := AxeDir()
	if err != nil {
		return "", err
	}
	script := filepath.Join(dir, "node_modules", "axe-core", "axe.min.js")
	if _, err := os.Stat(script); err != nil {
		_, file, _, _ := runtime.Caller(0)
		testdata := filepath.Join(filepath.Dir(file), "testdata")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return "", err
		}
		for _, name := range []string{"package.json", "package-lock.json"} {
			data, err := os.ReadFile(filepath.Join(testdata, name))
			if err != nil {
				return "", err
			}
			if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
				return "", err
			}
		}
		cmd := exec.Command("npm", "ci", "--prefix", dir, "--no-audit", "--no-fund", "--ignore-scripts")
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("npm ci in %s: %v\n%s", dir, err, out)
		}
	}
	data, err := os.ReadFile(script)
	if err != nil {
		return "", err
	}
	return string(data), nil
}

// jsString returns s as a JavaScript string literal.
func jsString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\u2028':
			b.WriteString(`\u2028`)
		case '\u2029':
			b.WriteString(`\u2029`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// jsArray returns ss as a JavaScript array of strings.
func jsArray(ss []string) string {
	quoted := make([]string, len(ss))
	for i, s := range ss {
		quoted[i] = jsString(s)
	}
	return "[" + strings.Join(quoted, ", ") + "]"
}

// CheckPage runs the checks every page must pass on the page ctx shows: axe-core finds no accessibility problem
// at the browser's width (see Axe), and at PhoneWidth the page does not scroll sideways (see NoSideScroll). The
// browser's width is 1280 pixels afterwards, as New starts it.
func CheckPage(ctx context.Context, t testing.TB, page string) {
	t.Helper()
	Axe(ctx, t, page)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(PhoneWidth, 844)); err != nil {
		t.Fatalf("%s: narrow the window: %v", page, err)
	}
	NoSideScroll(ctx, t, page+" (phone)")
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 1000)); err != nil {
		t.Fatalf("%s: widen the window: %v", page, err)
	}
}
