package e2e

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// cluster is two gatehouse serve processes on one PostgreSQL database, with the same key and public URL, as nodes
// behind a load balancer are.
type cluster struct {
	a, b   *server
	public string
	api    map[*server]*apiClient
	tu     *tutorial
	// dbURL and env are the database and the environment every node is started with.
	dbURL string
	env   []string
}

// on returns u, a URL under the public URL, as sent to the node n instead of the balancer.
func (c *cluster) on(n *server, u string) string {
	return n.URL + strings.TrimPrefix(u, c.public)
}

// startCluster starts node A on a fresh PostgreSQL database, then node B beside it, and sets up a custom SAML app
// for the test service provider through A's API, with B.Simon assigned to it.
func startCluster(t *testing.T) *cluster {
	t.Helper()
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	c := &cluster{public: "http://" + freeAddr(t), api: map[*server]*apiClient{}, dbURL: pgtest.URL(t)}
	env := []string{
		"GATEHOUSE_DATABASE_URL=" + c.dbURL, "GATEHOUSE_KEY=" + base64.StdEncoding.EncodeToString(key),
		"GATEHOUSE_PUBLIC_URL=" + c.public, "GATEHOUSE_ADMIN_USER=" + adminUser, "GATEHOUSE_ADMIN_PASSWORD=" + adminPassword,
	}
	c.env = env
	c.a = startServer(t, env...)
	c.b = startServer(t, env...)
	if !strings.Contains(c.a.output(), "Created the default directory") || strings.Contains(c.b.output(), "Created the default directory") {
		t.Fatalf("node A should create the default directory and node B find it:\nA:\n%s\nB:\n%s", c.a.output(), c.b.output())
	}
	// One API token, made on A, works on both nodes.
	var tok struct {
		Token string `json:"token"`
	}
	(&apiClient{t: t, base: c.a.URL}).call("POST", "/api/v1/tokens", map[string]string{"directory": "default",
		"userName": adminUser, "password": adminPassword, "name": "multinode"}, http.StatusCreated, &tok)
	for _, n := range []*server{c.a, c.b} {
		c.api[n] = &apiClient{t: t, base: n.URL, token: tok.Token}
	}

	api := c.api[c.a]
	tu := &tutorial{srv: c.a, api: api}
	var created struct {
		User              gatehouse.User `json:"user"`
		TemporaryPassword string         `json:"temporaryPassword"`
	}
	api.call("POST", "/api/v1/directories/default/users", map[string]string{"userName": "b.simon@contoso.com",
		"firstName": "B", "lastName": "Simon", "mail": "b.simon@contoso.com", "role": "user"}, http.StatusCreated, &created)
	tu.user, tu.tempPW = created.User, created.TemporaryPassword
	api.call("POST", "/api/v1/directories/default/apps", map[string]any{"galleryId": "custom", "name": "Analytics"},
		http.StatusCreated, &tu.app)
	appPath := "/api/v1/directories/default/apps/" + tu.app.ID
	api.call("PATCH", appPath+"/saml", map[string]any{"entityId": spEntityID, "replyUrls": []string{spACS}},
		http.StatusOK, nil)
	api.call("POST", appPath+"/assignments", map[string]string{"principalType": "user", "principalId": tu.user.ID},
		http.StatusCreated, nil)
	api.call("GET", appPath+"/setup", nil, http.StatusOK, &tu.setup)
	tu.certPEM = api.call("GET", appPath+"/certificates/active/download?format=base64", nil, http.StatusOK, nil)
	block, _ := pem.Decode(tu.certPEM)
	if block == nil {
		t.Fatalf("no certificate in %s", tu.certPEM)
	}
	var err error
	if tu.idpCert, err = x509.ParseCertificate(block.Bytes); err != nil {
		t.Fatal(err)
	}
	// The metadata names the public URL; it is fetched from node B, which must serve the same.
	tu.spConfig = testSP(t, c.on(c.b, tu.setup["metadataUrl"].(string)))
	c.tu = tu
	return c
}

// simonPassword is the password B.Simon chooses at the first sign-in.
const simonPassword = "Blue-Ocean-Lantern-42"

// startBalancer runs a round-robin HTTP load balancer on the cluster's public address in front of both nodes,
// and returns how many requests it has passed on.
func (c *cluster) startBalancer(t *testing.T) *atomic.Int64 {
	t.Helper()
	ln, err := net.Listen("tcp", strings.TrimPrefix(c.public, "http://"))
	if err != nil {
		t.Fatalf("listen on the public address: %v", err)
	}
	var n atomic.Int64
	nodes := []*server{c.a, c.b}
	proxy := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		target, _ := url.Parse(nodes[n.Add(1)%2].URL)
		r.SetURL(target)
		r.Out.Host = r.In.Host
	}}
	srv := &http.Server{Handler: proxy}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return &n
}

// signIn signs B.Simon in on node n with the temporary password and chooses a new one, leaving the session
// cookie in the browser.
func (c *cluster) signIn(t *testing.T, b *browser, n *server) {
	t.Helper()
	p := b.post(n.URL+"/d/default/login", map[string]string{"userName": "b.simon@contoso.com", "password": c.tu.tempPW})
	if p.Status != http.StatusSeeOther || !strings.Contains(p.Location, "/d/default/password") {
		t.Fatalf("sign-in with the temporary password on %s: status %d location %q", n.URL, p.Status, p.Location)
	}
	p = b.post(n.URL+"/d/default/password", map[string]string{"currentPassword": c.tu.tempPW, "newPassword": simonPassword, "confirmPassword": simonPassword})
	if p = b.follow(n.URL, p); p.Status != http.StatusOK {
		t.Fatalf("password change on %s: status %d:\n%s", n.URL, p.Status, p.Body)
	}
}

// ssoURL returns a fresh Redirect-binding AuthnRequest of the test SP, sent to node n, and its ID.
func (c *cluster) ssoURL(t *testing.T, n *server) (string, string) {
	t.Helper()
	u, err := c.tu.spConfig.MakeRedirectAuthenticationRequest("")
	if err != nil {
		t.Fatal(err)
	}
	id, err := decodeRequestID(u)
	if err != nil {
		t.Fatal(err)
	}
	return c.on(n, u.String()), id
}

// TestMultiNode runs two nodes on one database: a session made on one works on the other, an admin change made
// through one is seen by the other at once, the replay cache and the lockout counters are shared, a round-robin
// balancer on the public URL serves sign-ins from both, killing one node in the middle of a load of sign-ins loses
// no sign-in that was answered, and a node older than the schema refuses to start.
func TestMultiNode(t *testing.T) {
	c := startCluster(t)
	b := newBrowser(t)

	t.Run("SignInOnAThenSSOOnB", func(t *testing.T) {
		c.signIn(t, b, c.a)
		if p := b.get(c.b.URL + "/d/default/myapps"); p.Status != http.StatusOK {
			t.Fatalf("My Apps on B with A's session cookie: status %d location %q", p.Status, p.Location)
		}
		u, id := c.ssoURL(t, c.b)
		xmlResp, _ := postedResponse(t, b.get(u))
		a := c.tu.verify(t, xmlResp, []string{id})
		if a.Subject.NameID.Value != "b.simon@contoso.com" {
			t.Errorf("NameID = %q", a.Subject.NameID.Value)
		}
	})

	t.Run("AdminChangeOnBSeenOnA", func(t *testing.T) {
		path := "/api/v1/directories/default/users/" + c.tu.user.ID
		c.api[c.b].call("PATCH", path, map[string]string{"displayName": "Barbara Simon"}, http.StatusOK, nil)
		var u gatehouse.User
		c.api[c.a].call("GET", path, nil, http.StatusOK, &u)
		if u.DisplayName != "Barbara Simon" {
			t.Errorf("A sees display name %q after B changed it to %q", u.DisplayName, "Barbara Simon")
		}
		// Disabling the app through B stops sign-in on A at once, and enabling it again lets it through.
		appPath := "/api/v1/directories/default/apps/" + c.tu.app.ID
		c.api[c.b].call("PATCH", appPath, map[string]any{"enabled": false}, http.StatusOK, nil)
		u1, _ := c.ssoURL(t, c.a)
		// A answers with an error page, or with a SAML error status at the app; never with a sign-in.
		if p := b.get(u1); p.Status == http.StatusOK && strings.Contains(p.Body, "SAMLResponse") {
			if xmlResp, _ := postedResponse(t, p); strings.Contains(string(xmlResp), "urn:oasis:names:tc:SAML:2.0:status:Success") {
				t.Errorf("A signed the user in to an app B disabled")
			}
		}
		c.api[c.b].call("PATCH", appPath, map[string]any{"enabled": true}, http.StatusOK, nil)
		u2, id := c.ssoURL(t, c.a)
		xmlResp, _ := postedResponse(t, b.get(u2))
		c.tu.verify(t, xmlResp, []string{id})
	})

	t.Run("ReplayAcrossNodes", func(t *testing.T) {
		u, _ := c.ssoURL(t, c.a)
		if p := b.get(u); p.Status != http.StatusOK {
			t.Fatalf("fresh request on A: status %d:\n%s", p.Status, p.Body)
		}
		replay := b.get(strings.Replace(u, c.a.URL, c.b.URL, 1))
		if replay.Status != http.StatusBadRequest || !strings.Contains(replay.Body, "GH1007") {
			t.Fatalf("the same request on B: status %d, want 400 with GH1007:\n%s", replay.Status, replay.Body)
		}
	})

	t.Run("ThroughTheBalancer", func(t *testing.T) {
		// The public URL, as apps have it in the metadata, reaches both nodes in turn.
		passed := c.startBalancer(t)
		bb := newBrowser(t)
		p := bb.post(c.public+"/d/default/login", map[string]string{"userName": "b.simon@contoso.com", "password": simonPassword})
		if p.Status != http.StatusSeeOther {
			t.Fatalf("sign-in through the balancer: status %d:\n%s", p.Status, p.Body)
		}
		for range 4 {
			u, err := c.tu.spConfig.MakeRedirectAuthenticationRequest("")
			if err != nil {
				t.Fatal(err)
			}
			id, err := decodeRequestID(u)
			if err != nil {
				t.Fatal(err)
			}
			xmlResp, _ := postedResponse(t, bb.get(u.String()))
			c.tu.verify(t, xmlResp, []string{id})
		}
		if n := passed.Load(); n < 5 {
			t.Errorf("the balancer passed on %d requests, want every one of the 5", n)
		}
	})

	t.Run("LockoutAcrossNodes", func(t *testing.T) {
		var created struct {
			TemporaryPassword string `json:"temporaryPassword"`
		}
		c.api[c.a].call("POST", "/api/v1/directories/default/users", map[string]string{"userName": "guessed@contoso.com",
			"firstName": "G", "lastName": "Uessed", "role": "user"}, http.StatusCreated, &created)
		// Five wrong passwords, three on A and two on B: the limit per account and address is five, which neither
		// node reaches alone.
		guesser := newBrowser(t)
		for i := range idp.DefaultLockout.PerAccountAddr {
			n := []*server{c.a, c.b}[i%2]
			p := guesser.post(n.URL+"/d/default/login", map[string]string{"userName": "guessed@contoso.com", "password": fmt.Sprintf("wrong-%d", i)})
			if p.Status != http.StatusUnauthorized && p.Status != http.StatusTooManyRequests {
				t.Fatalf("wrong password %d on %s: status %d, want 401", i+1, n.URL, p.Status)
			}
		}
		p := guesser.post(c.b.URL+"/d/default/login", map[string]string{"userName": "guessed@contoso.com", "password": created.TemporaryPassword})
		if p.Status != http.StatusTooManyRequests || !strings.Contains(p.Body, "Too many") {
			t.Fatalf("the right password on B after five failures across both nodes: status %d, want 429 (locked):\n%s", p.Status, p.Body)
		}
	})

	t.Run("KillOneNodeUnderLoad", func(t *testing.T) {
		killNodeUnderLoad(t, c, b)
	})

	t.Run("NewerSchemaRefused", func(t *testing.T) {
		// A node of an older version than the one that migrated the database refuses to start, saying why.
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		conn, err := pgx.Connect(ctx, c.dbURL)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, `INSERT INTO schema_migrations (version, name)
			SELECT max(version) + 1, 'from_a_newer_gatehouse.sql' FROM schema_migrations`); err != nil {
			t.Fatal(err)
		}
		cmd := exec.CommandContext(ctx, gatehouseBinary(t), "serve", "--addr", freeAddr(t), "--data", t.TempDir())
		cmd.Env = append(os.Environ(), c.env...)
		out, err := cmd.CombinedOutput()
		if err == nil || ctx.Err() != nil || !strings.Contains(string(out), "newer than this version of Gatehouse") {
			t.Errorf("serve on a newer schema: %v, want it to stop saying the schema is newer:\n%s", err, out)
		}
	})
}

// attempt is one sign-in of the load: the node it went to, whether the node answered with a signed Response, and
// the correlation ID of the answer.
type attempt struct {
	node          *server
	afterKill     bool
	ok            bool
	err           string
	correlationID string
}

// killNodeUnderLoad sends a bounded load of single sign-ons to both nodes, SIGKILLs node A once a third of it is
// done, and checks that B answered every sign-in sent to it and that every sign-in answered with a Response, on
// either node, is in the sign-in log.
func killNodeUnderLoad(t *testing.T, c *cluster, b *browser) {
	const total, workers = 90, 6
	type job struct {
		i   int
		url string
	}
	jobs := make(chan job, total)
	for i := range total {
		n := []*server{c.a, c.b}[i%2]
		u, _ := c.ssoURL(t, n)
		jobs <- job{i, u}
	}
	close(jobs)
	results := make([]attempt, total)
	var done atomic.Int32
	var killed atomic.Bool
	var killOnce sync.Once
	kill := func() {
		if err := c.a.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Errorf("kill node A: %v", err)
		}
		killed.Store(true)
	}
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				n := []*server{c.a, c.b}[j.i%2]
				r := attempt{node: n, afterKill: killed.Load()}
				resp, err := b.hc.Get(j.url)
				if err != nil {
					r.err = err.Error()
				} else {
					body, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					r.correlationID = resp.Header.Get("X-Correlation-ID")
					r.ok = resp.StatusCode == http.StatusOK && strings.Contains(string(body), `name="SAMLResponse"`)
					if !r.ok {
						r.err = fmt.Sprintf("status %d: %.300s", resp.StatusCode, body)
					}
				}
				results[j.i] = r
				if done.Add(1) == total/3 {
					killOnce.Do(kill)
				}
			}
		}()
	}
	wg.Wait()
	killOnce.Do(kill)

	var okA, okB, bAfterKill int
	answered := map[string]bool{}
	for i, r := range results {
		switch {
		case r.ok && r.node == c.a:
			okA++
		case r.ok:
			okB++
		}
		if r.ok {
			answered[r.correlationID] = true
		}
		if r.node == c.b {
			if r.afterKill {
				bAfterKill++
			}
			if !r.ok {
				t.Errorf("sign-in %d on node B failed: %s", i, r.err)
			}
		}
	}
	if okA == 0 || bAfterKill == 0 {
		t.Errorf("the load did not straddle the kill: %d sign-ins answered by A, %d sent to B after the kill", okA, bAfterKill)
	}
	// B still serves a sign-in from scratch after A is gone.
	u, id := c.ssoURL(t, c.b)
	xmlResp, _ := postedResponse(t, b.get(u))
	c.tu.verify(t, xmlResp, []string{id})

	// Every answered sign-in is in the log, read through B.
	var log struct {
		Items []gatehouse.SignInEvent `json:"items"`
		Total int                     `json:"total"`
	}
	q := url.Values{"app": {c.tu.app.ID}, "result": {"success"}, "limit": {"1000"}}
	c.api[c.b].call("GET", "/api/v1/directories/default/sign-ins?"+q.Encode(), nil, http.StatusOK, &log)
	logged := map[string]bool{}
	for _, e := range log.Items {
		logged[e.CorrelationID] = true
	}
	for id := range answered {
		if !logged[id] {
			t.Errorf("the sign-in answered with correlation ID %s is not in the sign-in log", id)
		}
	}
	t.Logf("%d sign-ins answered by A before it was killed, %d by B; %d successes in the log", okA, okB, log.Total)
}
