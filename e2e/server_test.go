package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// gatehouseBinary builds cmd/gatehouse once per test run and returns its path.
func gatehouseBinary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "gatehouse-e2e-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "gatehouse")
		out, err := exec.Command("go", "build", "-o", binPath, "../cmd/gatehouse").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// freeAddr returns a free loopback address.
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// server is a running gatehouse serve process.
type server struct {
	URL  string
	Data string
	cmd  *exec.Cmd
	// mu guards out, which a goroutine fills with the process's output.
	mu  *sync.Mutex
	out *bytes.Buffer
}

// startServer runs `gatehouse serve` on a free loopback port with a fresh data directory and waits until it
// answers. The process is stopped when the test ends.
func startServer(t *testing.T, env ...string) *server {
	t.Helper()
	return startServerIn(t, t.TempDir(), env...)
}

// startServerIn is startServer with the data directory data, which may hold a database already.
func startServerIn(t testing.TB, data string, env ...string) *server {
	t.Helper()
	return startServerOn(t, data, freeAddr(t), env...)
}

// startServerOn is startServerIn listening on addr.
func startServerOn(t testing.TB, data, addr string, env ...string) *server {
	t.Helper()
	bin := gatehouseBinary(t)
	s := &server{URL: "http://" + addr, Data: data, mu: new(sync.Mutex), out: &bytes.Buffer{}}
	ctx, cancel := context.WithCancel(context.Background())
	s.cmd = exec.CommandContext(ctx, bin, "serve", "--addr", addr, "--data", s.Data, "--log-level", "debug", "--rate-limit", "0")
	s.cmd.Env = append(os.Environ(), env...)
	pr, pw := io.Pipe()
	s.cmd.Stdout = pw
	s.cmd.Stderr = pw
	mu := s.mu
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			mu.Lock()
			s.out.WriteString(sc.Text() + "\n")
			mu.Unlock()
		}
	}()
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		_ = s.cmd.Wait()
		pw.Close()
		if t.Failed() {
			mu.Lock()
			t.Logf("server output:\n%s", s.out.String())
			mu.Unlock()
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(s.URL + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		if time.Now().After(deadline) {
			mu.Lock()
			defer mu.Unlock()
			t.Fatalf("server did not start: %v\n%s", err, s.out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// output returns what the server printed so far.
func (s *server) output() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.String()
}

// apiClient calls the REST API with a bearer token.
type apiClient struct {
	t     *testing.T
	base  string
	token string
}

// call sends a JSON request and decodes the JSON answer into out (when not nil), failing the test unless the
// status is want.
func (c *apiClient) call(method, path string, body any, want int, out any) []byte {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		c.t.Fatalf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, want, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			c.t.Fatalf("%s %s: decode %s: %v", method, path, data, err)
		}
	}
	return data
}

// browser is an HTTP client with a cookie jar that does not follow redirects, so each step can be checked.
type browser struct {
	t  *testing.T
	hc *http.Client
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, hc: &http.Client{
		Jar:           jar,
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// page is an HTTP answer with its body read.
type page struct {
	Status   int
	Location string
	Body     string
	Header   http.Header
}

func (b *browser) do(req *http.Request) *page {
	b.t.Helper()
	resp, err := b.hc.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return &page{Status: resp.StatusCode, Location: resp.Header.Get("Location"), Body: string(data), Header: resp.Header}
}

func (b *browser) get(u string) *page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.do(req)
}

// post submits a form as a same-origin browser would (Sec-Fetch-Site: same-origin).
func (b *browser) post(u string, form map[string]string) *page {
	b.t.Helper()
	vals := make([]string, 0, len(form))
	for k, v := range form {
		vals = append(vals, urlEncode(k)+"="+urlEncode(v))
	}
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(strings.Join(vals, "&")))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return b.do(req)
}

// follow follows redirects from p (GETs), returning the first non-redirect page.
func (b *browser) follow(base string, p *page) *page {
	b.t.Helper()
	for i := 0; i < 10 && p.Status >= 300 && p.Status < 400; i++ {
		loc := p.Location
		if strings.HasPrefix(loc, "/") {
			loc = base + loc
		}
		p = b.get(loc)
	}
	return p
}
