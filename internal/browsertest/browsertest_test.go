package browsertest_test

import (
	"context"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/gatehouse-idp/gatehouse/internal/browsertest"
	"github.com/gatehouse-idp/gatehouse/internal/testserver"
)

// TestSignInPage loads the in-process server's sign-in page in Chromium, which proves both helpers work together.
func TestSignInPage(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	resp, err := http.Get(srv.URL + "/healthz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("healthz: %v %v", resp, err)
	}
	ctx := browsertest.New(t, 5*time.Minute)
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/d/default/login")); err != nil {
		t.Fatal(err)
	}
	title, err := chromedp.Run(ctx, chromedp.Title())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(title, "Sign in") {
		t.Errorf("title = %q, want the sign-in page", title)
	}
}

// TestWaits drives a few pages of a local server through the waits of the package: Loads returns only once the page
// an action asks for has loaded (the server holds that page back until the test has seen Loads still waiting), a
// select that submits its form on change is one such action, WaitFor follows a form that submits itself to the
// page after, and fails at once on an exception, and Download returns the completed file under its name.
func TestWaits(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	mux := http.NewServeMux()
	page := func(body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, "<!doctype html><title>t</title>"+body)
		}
	}
	mux.Handle("GET /start", page(`<a id="next" href="/slow">next</a>`+
		`<form action="/chosen"><select id="pick" name="v" onchange="this.form.submit()"><option>a<option>b</select></form>`))
	mux.HandleFunc("GET /slow", func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
		page(`<p id="slow">here</p>`)(w, r)
	})
	mux.HandleFunc("GET /chosen", func(w http.ResponseWriter, r *http.Request) {
		page(`<p id="chosen">`+html.EscapeString(r.URL.Query().Get("v"))+`</p>`)(w, r)
	})
	mux.Handle("GET /autopost", page(`<form id="f" method="post" action="/posted"></form><script>document.getElementById("f").submit()</script>`))
	mux.Handle("POST /posted", page(`<p id="posted">posted</p>`))
	mux.HandleFunc("GET /file", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Disposition", `attachment; filename="Demo App.cer"`)
		fmt.Fprint(w, "certificate bytes")
	})
	mux.Handle("GET /download", page(`<a id="dl" href="/file">download</a>`))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	ctx := browsertest.New(t, 5*time.Minute)
	do := func(actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatal(err)
		}
	}
	loaded := func(path, sel string) bool {
		t.Helper()
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(
			"location.pathname === %q && document.readyState === 'complete' && document.querySelector(%q) !== null", path, sel)))
		return err == nil && ok
	}

	do(chromedp.Navigate(srv.URL + "/start"))
	done := make(chan error, 1)
	go func() { done <- chromedp.Do(ctx, browsertest.Loads(chromedp.Click(chromedp.CSS("#next")))) }()
	<-entered
	select {
	case err := <-done:
		t.Fatalf("Loads returned (%v) while the page it loads was still being answered", err)
	default:
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !loaded("/slow", "#slow") {
		t.Error("after Loads the tab is not on the loaded next page")
	}

	do(chromedp.Navigate(srv.URL+"/start"), browsertest.Loads(chromedp.SetValue(chromedp.CSS("#pick"), "b")))
	if !loaded("/chosen", "#chosen") {
		t.Error("after Loads of a select that submits its form the tab is not on the loaded result")
	}

	do(chromedp.Navigate(srv.URL+"/autopost"), browsertest.WaitFor("location.pathname === '/posted' && document.querySelector('#posted') !== null"))

	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	err := chromedp.Do(wctx, browsertest.WaitFor("no_such_variable.length > 0"))
	cancel()
	if err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitFor of a condition that throws: %v, want the exception at once", err)
	}

	dir := t.TempDir()
	if err := browsertest.AllowDownloads(ctx, dir); err != nil {
		t.Fatal(err)
	}
	do(chromedp.Navigate(srv.URL + "/download"))
	path, err := browsertest.Download(ctx, dir, chromedp.Click(chromedp.CSS("#dl")))
	if err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(path); err != nil || filepath.Base(path) != "Demo App.cer" || string(b) != "certificate bytes" {
		t.Errorf("downloaded %s: %q, %v; want Demo App.cer with the served bytes", path, b, err)
	}
}

// recorder is a testing.TB that keeps what a check reports instead of failing the test; Fatalf ends the check with
// errFatal.
type recorder struct {
	testing.TB
	msgs []string
}

var errFatal = errors.New("fatal")

func (r *recorder) Errorf(format string, args ...any) {
	r.msgs = append(r.msgs, fmt.Sprintf(format, args...))
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.msgs = append(r.msgs, fmt.Sprintf(format, args...))
	panic(errFatal)
}

// TestChecksFindProblems runs CheckPage on a page that passes it and on pages with one problem each, which it must
// report: a page wider than a phone, text too faint to read, no skip link, a skip link that goes nowhere, and a
// focus ring too faint to see.
func TestChecksFindProblems(t *testing.T) {
	const head = `<!doctype html><html lang="en"><head><title>t</title><style>
		body { margin: 0; background: #fff; color: #222; font: 16px sans-serif; }
		.skip { position: absolute; top: -3rem; } .skip:focus { top: .5rem; }
		:focus-visible { outline: 3px solid #1f5fa8; outline-offset: 2px; } main:focus { outline: none; }
		%s</style></head><body>`
	const good = `<a class="skip" href="#main">Skip to main content</a><header><a href="/">Home</a></header>` +
		`<main id="main" tabindex="-1"><h1>A page</h1><p>Text <a href="/x">a link</a></p><button>Go</button></main></body></html>`
	pages := map[string]struct {
		style, body string
		want        string // in a message; "" means no message
	}{
		"good":           {"", good, ""},
		"wide":           {"", strings.Replace(good, "<p>", `<p style="width: 600px">`, 1), "scrolls sideways"},
		"faint text":     {"p { color: #bbb; }", good, "color-contrast"},
		"no skip link":   {"", strings.Replace(good, `<a class="skip" href="#main">Skip to main content</a>`, "", 1), "not a skip link"},
		"skip to header": {"", strings.Replace(strings.Replace(good, `href="#main"`, `href="#top"`, 1), "<header>", `<header id="top">`, 1), "not the main content"},
		"faint ring":     {"button:focus-visible { outline-color: #ddd; }", good, "want 3:1"},
	}
	mux := http.NewServeMux()
	for name, p := range pages {
		mux.HandleFunc("GET /"+strings.ReplaceAll(name, " ", "-"), func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprintf(w, head, p.style)
			fmt.Fprint(w, p.body)
		})
	}
	srv := httptest.NewServer(mux)
	defer srv.Close()
	ctx := browsertest.New(t, 5*time.Minute)
	for name, p := range pages {
		if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/"+strings.ReplaceAll(name, " ", "-")), chromedp.WaitVisible(chromedp.CSS("h1"))); err != nil {
			t.Fatal(err)
		}
		r := &recorder{TB: t}
		func() {
			defer func() {
				if v := recover(); v != nil && v != errFatal {
					panic(v)
				}
			}()
			browsertest.CheckPage(ctx, r, name)
		}()
		got := strings.Join(r.msgs, "\n")
		switch {
		case p.want == "" && got != "":
			t.Errorf("%s: CheckPage reported\n%s", name, got)
		case p.want != "" && !strings.Contains(got, p.want):
			t.Errorf("%s: CheckPage reported %q, want %q", name, got, p.want)
		}
	}
}
