// Package browsertest starts headless Chromium for browser tests and gives them waits that end on a condition,
// never after a time. A test that calls New skips with a loud message when no Chromium is installed, except when
// the environment variable CI is "true": then it fails, so that CI never passes without running the browser.
//
// An action that makes the tab load another page (a click on a link or a submit button, a select that submits its
// form on change, Enter in a search box) runs inside Loads, which returns once that page has loaded; the next action
// then cannot land on the page being left. A wait that spans several pages (redirects, forms that submit
// themselves) is WaitFor; a download is Download.
package browsertest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
)

// Chromium returns the path of a Chromium or Chrome binary, skipping or failing the test as described above when
// there is none.
func Chromium(t testing.TB) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed, and CI=true requires the browser tests to run (scripts/test.sh installs it)")
	}
	t.Skip("SKIPPING browser test: chromium is not installed (scripts/test.sh installs it)")
	return ""
}

// New starts a headless Chromium with a fresh profile (--headless --no-sandbox --disable-gpu) and returns a
// chromedp context for one tab, bounded by timeout. The browser stops when the test ends. The timeout only stops a
// test that hangs: make it generous, so that a test on a busy machine finishes instead of failing.
func New(t testing.TB, timeout time.Duration) context.Context {
	t.Helper()
	exe := Chromium(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.Headless,
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 1000))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, timeout)
	t.Cleanup(func() {
		cancelTimeout()
		cancelTab()
		cancelAlloc()
	})
	return ctx
}

// Screenshot saves a PNG of the whole page as name.png, a test artifact. It goes to the directory named by the
// environment variable GATEHOUSE_SCREENSHOTS when set (the documentation's screenshots are made this way), else
// to the screenshots directory under GATEHOUSE_ARTIFACTS (scripts/test.sh sets it to ./artifacts, which git
// ignores), else under the system's temporary directory. A failure to save is reported but does not fail the test.
func Screenshot(ctx context.Context, t testing.TB, name string) {
	t.Helper()
	dir := os.Getenv("GATEHOUSE_SCREENSHOTS")
	if dir == "" {
		base := os.Getenv("GATEHOUSE_ARTIFACTS")
		if base == "" {
			base = filepath.Join(os.TempDir(), "gatehouse-test-artifacts")
		}
		dir = filepath.Join(base, "screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Logf("screenshot %s: %v", name, err)
		return
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // quality 100 is PNG; below it chromedp gives JPEG
	if err != nil {
		t.Logf("screenshot %s: %v", name, err)
		return
	}
	if !strings.HasSuffix(name, ".png") {
		name += ".png"
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Logf("screenshot %s: %v", name, err)
	}
}

// Loads runs actions that make the tab load a new page and waits until that page has loaded (its load event); it
// fails with the context's error when the actions start no navigation. Wait for the new page's elements after it.
func Loads(actions ...chromedp.Action[chromedp.Void]) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		if _, err := chromedp.RunResponse(ctx, actions...); err != nil {
			return fmt.Errorf("load the next page: %w", err)
		}
		return nil
	})
}

// WaitFor waits until the JavaScript expression cond is true on a completely loaded page, through any navigation on
// the way: the page evaluates cond every 50 ms, and after a navigation the wait starts again on the new page. An
// exception in cond fails at once.
func WaitFor(cond string) chromedp.Action[chromedp.Void] {
	expr := "document.readyState === 'complete' && Boolean(" + cond + ")"
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		for {
			_, err := chromedp.Poll[bool](expr, chromedp.WithPollingInterval(50*time.Millisecond),
				chromedp.WithPollingTimeout(0))(ctx, t)
			var exc *chromedp.ExceptionError
			switch {
			case err == nil:
				return nil
			case ctx.Err() != nil:
				return fmt.Errorf("wait for %s: %w", cond, ctx.Err())
			case errors.As(err, &exc):
				return fmt.Errorf("wait for %s: %w", cond, err)
			}
			// The page the poll ran in went away (a navigation): poll on the one that replaces it.
		}
	})
}

// AllowDownloads lets the browser of ctx save downloads in dir, named by their ID until Download renames them, and
// report their progress, which Download waits on.
func AllowDownloads(ctx context.Context, dir string) error {
	events := true
	_, err := chromedp.CallBrowser(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
		Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dir, EventsEnabled: &events})
	return err
}

// Download runs actions that make the tab download a file into dir (see AllowDownloads), waits until the download
// has completed, and returns the path of the file, renamed to the name the server suggested.
func Download(ctx context.Context, dir string, actions ...chromedp.Action[chromedp.Void]) (string, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Subscribed before the actions run, so that no event is missed.
	begins := chromedp.BrowserEvents(ctx, cdpbrowser.DownloadWillBegin)
	progress := chromedp.BrowserEvents(ctx, cdpbrowser.DownloadProgress)
	if err := chromedp.Do(ctx, actions...); err != nil {
		return "", err
	}
	var begin cdpbrowser.EventDownloadWillBegin
	for ev, err := range begins {
		if err != nil {
			return "", fmt.Errorf("wait for the download to begin: %w", err)
		}
		begin = ev
		break
	}
	for ev, err := range progress {
		if err != nil {
			return "", fmt.Errorf("wait for the download of %s: %w", begin.SuggestedFilename, err)
		}
		if ev.GUID != begin.GUID {
			continue
		}
		switch ev.State {
		case cdpbrowser.DownloadProgressStateCompleted:
			path := filepath.Join(dir, filepath.Base(begin.SuggestedFilename))
			if err := os.Rename(filepath.Join(dir, begin.GUID), path); err != nil {
				return "", fmt.Errorf("download %s: %w", begin.SuggestedFilename, err)
			}
			return path, nil
		case cdpbrowser.DownloadProgressStateCanceled:
			return "", fmt.Errorf("the download of %s was canceled", begin.SuggestedFilename)
		}
	}
	return "", fmt.Errorf("wait for the download of %s: %w", begin.SuggestedFilename, ctx.Err())
}
