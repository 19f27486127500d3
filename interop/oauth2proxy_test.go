package interop

import (
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse"
)

// oauth2ProxyModule is the oauth2-proxy the suite runs: the module go.mod pins as a tool.
const oauth2ProxyModule = "github.com/oauth2-proxy/oauth2-proxy/v7"

// TestOAuth2Proxy runs oauth2-proxy (the version go.mod pins) on loopback in front of a small upstream that shows
// the user and groups the proxy passes on, registered in Gatehouse from the gallery's oauth2-proxy template. A
// second proxy gets its tokens through a loopback proxy that changes the ID token after Gatehouse signed it, and
// must refuse the sign-in.
func TestOAuth2Proxy(t *testing.T) {
	const rp = "oauth2-proxy"
	gh := startGatehouse(t)
	bin, version := buildOAuth2Proxy(t)
	up := &upstream{}
	upURL := httptest.NewServer(up)
	t.Cleanup(upURL.Close)

	grants := []string{gatehouse.GrantAuthorizationCode, gatehouse.GrantRefreshToken}
	port := freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	app := gh.createOIDCApp(t, "oauth2-proxy", "oauth2-proxy", map[string]string{"proxy_url": base}, map[string]any{"grantTypes": grants})
	ghHost := strings.TrimPrefix(gh.URL, "http://")
	proxy := startOAuth2Proxy(t, bin, rp, port, app, upURL.URL, "--cookie-refresh=1s", "--whitelist-domain="+ghHost)

	tport := freePort(t)
	tbase := fmt.Sprintf("http://127.0.0.1:%d", tport)
	tapp := gh.createOIDCApp(t, "oauth2-proxy", "oauth2-proxy-tampered", map[string]string{"proxy_url": tbase}, map[string]any{"grantTypes": grants})
	tamper := tamperingProxy(t, gh)
	prefix := "/d/" + directory + "/oidc"
	startOAuth2Proxy(t, bin, rp+"-tampered", tport, tapp, upURL.URL, "--skip-oidc-discovery",
		"--login-url="+gh.URL+prefix+"/authorize", "--redeem-url="+tamper+prefix+"/token",
		"--oidc-jwks-url="+gh.URL+prefix+"/keys", "--profile-url="+gh.URL+prefix+"/userinfo")

	runCheck(t, rp, checkDiscovery, func(c *checkT) {
		// oauth2-proxy reads the discovery document and the JWKS as it starts, and does not start without them.
		if proxy == nil {
			c.Fatal("oauth2-proxy did not start")
		}
		c.notePass("oauth2-proxy %s", version)
	})
	b := newBrowser()
	var signedIn *page
	runCheck(t, rp, checkCodePKCE, func(c *checkT) {
		signedIn = b.flow().run(c, base+"/")
		if signedIn.Status != http.StatusOK || !strings.HasPrefix(signedIn.URL, base) || !strings.Contains(signedIn.Body, "upstream:") {
			c.Fatalf("the sign-in ended at %s (status %d), not at the upstream:\n%s", signedIn.URL, signedIn.Status, clip(signedIn.Body))
		}
		c.notePass("the app requires PKCE (S256)")
	})
	runCheck(t, rp, checkUserGroups, func(c *checkT) {
		if signedIn == nil || !strings.Contains(signedIn.Body, "upstream:") {
			c.Fatal("not signed in")
		}
		for _, want := range append([]string{"email: " + userName}, groupNames...) {
			if !strings.Contains(signedIn.Body, want) {
				c.Errorf("the upstream's page does not show %q:\n%s", want, signedIn.Body)
			}
		}
	})
	runCheck(t, rp, checkRefresh, func(c *checkT) {
		// The proxy refreshes a session older than --cookie-refresh (1s) with the refresh token when the browser
		// comes back; the answer then sets a new session cookie, and the upstream still sees the user.
		deadline := time.Now().Add(60 * time.Second)
		for {
			p, err := b.get(base + "/")
			if err != nil {
				c.Fatal(err)
			}
			if p.Status != http.StatusOK || !strings.Contains(p.Body, "email: "+userName) {
				c.Fatalf("the upstream answered %d:\n%s\nproxy log:\n%s", p.Status, clip(p.Body), proxy.p.out.String())
			}
			// oauth2-proxy saves the session again only when Gatehouse's token endpoint refreshed it.
			if strings.Contains(strings.Join(p.Header.Values("Set-Cookie"), "\n"), "_oauth2_proxy=") {
				break
			}
			if time.Now().After(deadline) {
				c.Fatalf("oauth2-proxy never refreshed the session:\n%s", proxy.p.out.String())
			}
			time.Sleep(200 * time.Millisecond) // the session must age past --cookie-refresh; this polls for that
		}
		if out := proxy.p.out.String(); strings.Contains(out, "Session not refreshed") || !strings.Contains(out, "Refreshing session") {
			c.Fatalf("oauth2-proxy did not refresh the session with the refresh token:\n%s", out)
		}
	})
	runCheck(t, rp, checkRPLogout, func(c *checkT) {
		end := app.Issuer + "/oidc/logout?" + url.Values{"client_id": {app.ClientID}, "post_logout_redirect_uri": {base + "/"}}.Encode()
		p := b.flow().run(c, base+"/oauth2/sign_out?rd="+url.QueryEscape(end))
		if !strings.Contains(p.Body, `id="logout-confirm"`) {
			c.Fatalf("the sign-out ended at %s (status %d), not at Gatehouse's confirmation:\n%s", p.URL, p.Status, clip(p.Body))
		}
		action, _, fields := formFields(p.Body)
		from, _ := url.Parse(p.URL)
		dest, err := from.Parse(html.UnescapeString(action))
		if err != nil {
			c.Fatal(err)
		}
		q, err := b.post(dest.String(), p.URL, fields)
		if err != nil {
			c.Fatal(err)
		}
		f := b.flow()
		f.StopAtLogin = true
		p = f.follow(c, q)
		if !strings.HasPrefix(p.URL, gh.URL+"/d/"+directory+"/login") {
			c.Fatalf("after signing out, the proxy's page ended at %s (status %d), not at Gatehouse's sign-in page:\n%s", p.URL, p.Status, clip(p.Body))
		}
	})
	runCheck(t, rp, checkTamperedJWT, func(c *checkT) {
		seen := up.count()
		p := newBrowser().flow().run(c, tbase+"/")
		if p.Status == http.StatusOK && strings.Contains(p.Body, "upstream:") || up.count() != seen {
			c.Fatalf("oauth2-proxy let a changed ID token through: %s (status %d)\n%s", p.URL, p.Status, clip(p.Body))
		}
		c.notePass("the callback answered %d", p.Status)
	})
}

// upstream is the app behind oauth2-proxy: it shows the user, e-mail address and groups the proxy passes on; mu
// guards n, the requests it served.
type upstream struct {
	mu sync.Mutex
	n  int
}

func (u *upstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	u.mu.Lock()
	u.n++
	u.mu.Unlock()
	fmt.Fprintf(w, "upstream: %s\nuser: %s\nemail: %s\npreferred: %s\ngroups: %s\n", r.URL.Path, r.Header.Get("X-Forwarded-User"),
		r.Header.Get("X-Forwarded-Email"), r.Header.Get("X-Forwarded-Preferred-Username"), r.Header.Get("X-Forwarded-Groups"))
}

func (u *upstream) count() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.n
}

// oauth2Proxy is a running oauth2-proxy.
type oauth2Proxy struct {
	p *process
}

// buildOAuth2Proxy builds the oauth2-proxy that go.mod pins, once per version, into the user's cache directory, and
// returns the binary and the version.
func buildOAuth2Proxy(t *testing.T) (bin, version string) {
	t.Helper()
	out, err := runTool(time.Minute, "go", "list", "-m", "-f", "{{.Version}}", oauth2ProxyModule)
	if err != nil {
		t.Fatalf("go list %s: %v\n%s", oauth2ProxyModule, err, out)
	}
	version = strings.TrimSpace(string(out))
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	bin = filepath.Join(cache, "gatehouse-interop", "oauth2-proxy-"+version)
	if fi, err := os.Stat(bin); err == nil && fi.Mode().IsRegular() {
		return bin, version
	}
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		t.Fatal(err)
	}
	tmp := bin + fmt.Sprintf(".%d", os.Getpid())
	if out, err := runTool(10*time.Minute, "go", "build", "-o", tmp, oauth2ProxyModule); err != nil {
		t.Fatalf("go build %s: %v\n%s", oauth2ProxyModule, err, out)
	}
	if err := os.Rename(tmp, bin); err != nil {
		t.Fatal(err)
	}
	return bin, version
}

// startOAuth2Proxy starts oauth2-proxy on port for app, in front of upstream, configured as the gallery template's
// notes say, with more flags.
func startOAuth2Proxy(t *testing.T, bin, name string, port int, app *oidcApp, upstream string, more ...string) *oauth2Proxy {
	t.Helper()
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	args := append([]string{
		"--provider=oidc", "--provider-display-name=Gatehouse", "--oidc-issuer-url=" + app.Issuer,
		"--client-id=" + app.ClientID, "--client-secret=" + app.Secret, "--redirect-url=" + base + "/oauth2/callback",
		"--code-challenge-method=S256", "--scope=openid email profile groups offline_access", "--oidc-groups-claim=groups",
		"--http-address=127.0.0.1:" + fmt.Sprint(port), "--upstream=" + upstream + "/",
		"--cookie-secret=" + strings.Repeat("k", 32), "--cookie-secure=false", "--email-domain=*",
		"--skip-provider-button=true", "--pass-user-headers=true",
	}, more...)
	cmd := exec.Command(bin, args...)
	p := startProcess(t, name, cmd)
	waitHTTP(t, p, base+"/ping", 60*time.Second)
	return &oauth2Proxy{p: p}
}
