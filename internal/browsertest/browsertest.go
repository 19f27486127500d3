// Package browsertest starts headless Chromium for browser tests. A test that calls New skips with a loud message
// when no Chromium is installed, except when the environment variable CI is "true": then it fails, so that CI
// never passes without running the browser.
package browsertest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
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
// chromedp context for one tab, bounded by timeout. The browser stops when the test ends.
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

// ClickToLoad clicks the element sel, which loads a new page (a link or a form's submit button), and waits until
// the new page has loaded: the browser's load event after the click, not a guess at how long it takes.
func ClickToLoad(ctx context.Context, sel string) error {
	lctx, stop := context.WithCancel(ctx)
	defer stop()
	loaded := make(chan struct{}, 1)
	if err := chromedp.Listen(lctx, func(ev any) {
		if _, ok := ev.(*page.EventLoadEventFired); ok {
			select {
			case loaded <- struct{}{}:
			default:
			}
		}
	}); err != nil {
		return err
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(sel))); err != nil {
		return err
	}
	select {
	case <-loaded:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("clicking %s loaded no new page: %w", sel, ctx.Err())
	}
}
