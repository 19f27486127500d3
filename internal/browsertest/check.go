package browsertest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gatehouse-idp/gatehouse/internal/tooltest"
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

// loadAxe installs axe-core (tooltest.NPMInstall) and reads its script.
func loadAxe() (string, error) {
	_, file, _, _ := runtime.Caller(0)
	modules, err := tooltest.NPMInstall(filepath.Join(filepath.Dir(file), "testdata"), "gatehouse-browser/axe",
		"axe-core/axe.min.js")
	if err != nil {
		return "", err
	}
	data, err := os.ReadFile(filepath.Join(modules, "axe-core", "axe.min.js"))
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

// focusStops is how many elements after the skip link Keyboard checks the focus ring of.
const focusStops = 4

// Keyboard fails t unless the page ctx shows can be used with a keyboard as WCAG 2.4.1 and 2.4.7 ask (axe-core
// checks neither): the first Tab reaches a skip link, shown on the screen, whose target is the page's main content
// and which moves the focus there; and the skip link and the next elements Tab reaches each show a focus ring at
// least 2 pixels wide with a contrast of at least 3:1 against the colour around it (WCAG 1.4.11). page names the
// page in the message. The page is left as it was, scrolled to its top, with the focus on its main content.
func Keyboard(ctx context.Context, t testing.TB, page string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	// Focus the document itself, so that the next Tab goes to the page's first focusable element whatever had the
	// focus before (a field with autofocus, the button a test clicked).
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](`(() => {
		const d = document.documentElement; d.setAttribute("tabindex", "-1"); d.focus({preventScroll: true}); d.removeAttribute("tabindex");
		window.scrollTo(0, 0);
	})()`)); err != nil {
		t.Fatalf("%s: focus the page: %v", page, err)
	}
	type stop struct {
		Name, Problem string
		SkipTarget    string
		Contrast      float64
	}
	// focused describes the element with the focus and what is wrong with its focus ring, if anything.
	const focused = `(() => {
		const e = document.activeElement;
		if (!e || e === document.body || e === document.documentElement) return {Name: "nothing", Problem: "nothing has the focus"};
		const name = e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (typeof e.className === "string" && e.className.trim() ? "." + e.className.trim().split(/\s+/).join(".") : "");
		const rgb = c => { const m = c.match(/rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)(?:,\s*([\d.]+))?\)/); return m ? [+m[1], +m[2], +m[3], m[4] === undefined ? 1 : +m[4]] : null; };
		const lum = c => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }; return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); };
		// The ring is drawn around the element, over its parent's background: the first opaque one going up.
		let bg = [255, 255, 255, 1];
		for (let a = e.parentElement; a; a = a.parentElement) { const c = rgb(getComputedStyle(a).backgroundColor); if (c && c[3] > 0.5) { bg = c; break; } }
		const st = getComputedStyle(e), ring = rgb(st.outlineColor), width = parseFloat(st.outlineWidth) || 0;
		let problem = "";
		if (st.outlineStyle === "none" || width < 2 || !ring || ring[3] < 0.5) problem = "no focus ring (outline " + st.outlineStyle + " " + st.outlineWidth + " " + st.outlineColor + ")";
		const hi = ring ? Math.max(lum(ring), lum(bg)) : 0, lo = ring ? Math.min(lum(ring), lum(bg)) : 0;
		const contrast = Math.round((hi + 0.05) / (lo + 0.05) * 100) / 100;
		if (!problem && contrast < 3) problem = "focus ring " + st.outlineColor + " has contrast " + contrast + ":1 against " + "rgb(" + bg.slice(0, 3).join(", ") + "), want 3:1";
		let skip = "";
		const href = e.getAttribute("href") || "";
		if (e.tagName === "A" && href.startsWith("#") && href.length > 1) skip = href.slice(1);
		const r = e.getBoundingClientRect();
		if (!problem && (r.width < 1 || r.height < 1 || r.bottom <= 0 || r.top >= innerHeight || r.right <= 0 || r.left >= innerWidth)) problem = "it is not on the screen";
		return {Name: name, Problem: problem, SkipTarget: skip, Contrast: contrast};
	})()`
	tab := func() stop {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.KeyEvent("\t")); err != nil {
			t.Fatalf("%s: press Tab: %v", page, err)
		}
		s, err := chromedp.Run(ctx, chromedp.Evaluate[stop](focused))
		if err != nil {
			t.Fatalf("%s: look at the focus: %v", page, err)
		}
		return s
	}
	first := tab()
	if first.SkipTarget == "" {
		t.Errorf("%s: the first Tab reaches %s, not a skip link to the main content", page, first.Name)
		return
	}
	if first.Problem != "" {
		t.Errorf("%s: skip link %s: %s", page, first.Name, first.Problem)
	}
	inMain, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const m = document.getElementById(`+jsString(first.SkipTarget)+`);
		return !!m && (m.tagName === "MAIN" || m.getAttribute("role") === "main") && m.contains(document.querySelector("h1")); })()`))
	if err != nil {
		t.Fatalf("%s: find the skip link's target: %v", page, err)
	}
	if !inMain {
		t.Errorf("%s: skip link %s goes to #%s, which is not the main content with the page's heading", page, first.Name, first.SkipTarget)
	}
	if err := chromedp.Do(ctx, chromedp.KeyEvent("\r")); err != nil {
		t.Fatalf("%s: press Enter on the skip link: %v", page, err)
	}
	moved, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => {
		const m = document.getElementById(`+jsString(first.SkipTarget)+`), moved = !!m && m.contains(document.activeElement);
		history.replaceState(history.state, "", location.pathname + location.search);
		return moved; })()`))
	if err != nil {
		t.Fatalf("%s: look at the focus after the skip link: %v", page, err)
	}
	if !moved {
		t.Errorf("%s: Enter on the skip link leaves the focus outside #%s", page, first.SkipTarget)
	}
	for range focusStops {
		s := tab()
		if s.Name == "nothing" {
			break
		}
		if s.Problem != "" {
			t.Errorf("%s: %s: %s", page, s.Name, s.Problem)
		}
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](`document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0)`)); err != nil {
		t.Fatalf("%s: %v", page, err)
	}
}

// CheckPage runs the checks every page must pass on the page ctx shows: axe-core finds no accessibility problem
// at the browser's width (see Axe), the keyboard reaches a skip link first and every focus ring shows (see
// Keyboard), and at PhoneWidth the page does not scroll sideways (see NoSideScroll). The browser's width is 1280
// pixels afterwards, as New starts it.
func CheckPage(ctx context.Context, t testing.TB, page string) {
	t.Helper()
	Axe(ctx, t, page)
	Keyboard(ctx, t, page)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(PhoneWidth, 844)); err != nil {
		t.Fatalf("%s: narrow the window: %v", page, err)
	}
	NoSideScroll(ctx, t, page+" (phone)")
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 1000)); err != nil {
		t.Fatalf("%s: widen the window: %v", page, err)
	}
}
