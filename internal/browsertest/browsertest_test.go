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
