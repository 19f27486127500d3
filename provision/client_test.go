package provision_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse/provision"
)

// loopback allows the tests' loopback servers, as an administrator would with --provisioning-allow-addresses.
var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}

func client(t *testing.T, url, token string, opts provision.ClientOptions) *provision.Client {
	t.Helper()
	if opts.AllowAddresses == nil {
		opts.AllowAddresses = loopback
	}
	c, err := provision.NewClient(url, token, opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestSecurityCase50OutboundTarget sends requests to targets that misbehave: each ends with a clear error in
// bounded time, and the token goes nowhere but the tenant URL's host and is never part of an error.
func TestSecurityCase50OutboundTarget(t *testing.T) {
	ctx := context.Background()
	const token = "s3cret-token-value"
	t.Run("slow target times out", func(t *testing.T) {
		release := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
		defer srv.Close()
		defer close(release)
		c := client(t, srv.URL, token, provision.ClientOptions{Timeout: 300 * time.Millisecond})
		_, err := c.Do(ctx, http.MethodGet, "/Users", nil, nil)
		var te *provision.TransportError
		if !errors.As(err, &te) || !strings.Contains(err.Error(), "got no answer within 300ms") {
			t.Errorf("err = %v, want a time-out", err)
		}
	})
	t.Run("huge answer is not read", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			chunk := strings.Repeat("x", 64<<10)
			for range 40 { // 2.5 MiB
				if _, err := w.Write([]byte(chunk)); err != nil {
					return
				}
			}
		}))
		defer srv.Close()
		_, err := client(t, srv.URL, token, provision.ClientOptions{}).Do(ctx, http.MethodGet, "/Users", nil, nil)
		var he *provision.HTTPError
		if !errors.As(err, &he) || !strings.Contains(err.Error(), "larger than 1048576 bytes") {
			t.Errorf("err = %v, want the answer refused for its size", err)
		}
	})
	t.Run("error answer keeps status and body, never the token", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusBadRequest)
			// An app that echoes the request's headers in its error.
			w.Write([]byte(`{"detail":"bad request","echo":"` + r.Header.Get("Authorization") + `","pad":"` + strings.Repeat("p", 10000) + `"}`))
		}))
		defer srv.Close()
		_, err := client(t, srv.URL, token, provision.ClientOptions{}).Do(ctx, http.MethodPost, "/Users", nil, map[string]any{"userName": "x"})
		var he *provision.HTTPError
		if !errors.As(err, &he) || he.Status != 400 || !strings.Contains(he.Body, `"detail":"bad request"`) {
			t.Fatalf("err = %v, want HTTP 400 with the body", err)
		}
		if strings.Contains(err.Error(), token) || !strings.Contains(he.Body, "Bearer [token]") {
			t.Errorf("the token is in the error: %v", err)
		}
		if len(he.Body) > 4<<10+len("…") {
			t.Errorf("the kept body has %d bytes, want at most 4 KiB", len(he.Body))
		}
	})
	t.Run("500 is an error naming the status", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "database on fire", http.StatusInternalServerError)
		}))
		defer srv.Close()
		_, err := client(t, srv.URL, token, provision.ClientOptions{}).Do(ctx, http.MethodGet, "/Users", nil, nil)
		if err == nil || !strings.Contains(err.Error(), "GET /Users answered HTTP 500 Internal Server Error: database on fire") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("redirect to another host is not followed and the token does not go there", func(t *testing.T) {
		var mu sync.Mutex
		var seen []string
		other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			seen = append(seen, r.Header.Get("Authorization"))
			mu.Unlock()
		}))
		defer other.Close()
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			// localhost is another host name than 127.0.0.1, on the same machine.
			http.Redirect(w, r, strings.Replace(other.URL, "127.0.0.1", "localhost", 1)+"/steal", http.StatusTemporaryRedirect)
		}))
		defer srv.Close()
		_, err := client(t, srv.URL, token, provision.ClientOptions{}).Do(ctx, http.MethodGet, "/Users", nil, nil)
		if err == nil || !strings.Contains(err.Error(), "was not followed") || !strings.Contains(err.Error(), "does not send the token there") {
			t.Errorf("err = %v, want the redirect refused", err)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(seen) != 0 {
			t.Errorf("the other host got %d requests", len(seen))
		}
	})
	t.Run("redirect on the same host is followed with the token", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/scim/Users" {
				http.Redirect(w, r, "/scim/v2/Users", http.StatusPermanentRedirect)
				return
			}
			if r.Header.Get("Authorization") != "Bearer "+token {
				w.WriteHeader(401)
				return
			}
			w.Write([]byte(`{"Resources":[]}`))
		}))
		defer srv.Close()
		if _, err := client(t, srv.URL+"/scim", token, provision.ClientOptions{}).Do(ctx, http.MethodGet, "/Users", nil, nil); err != nil {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("429 with Retry-After is waited for", func(t *testing.T) {
		var mu sync.Mutex
		var at []time.Time
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			defer mu.Unlock()
			at = append(at, time.Now())
			if len(at) == 1 {
				w.Header().Set("Retry-After", "1")
				w.WriteHeader(http.StatusTooManyRequests)
				return
			}
			w.Write([]byte(`{}`))
		}))
		defer srv.Close()
		if _, err := client(t, srv.URL, token, provision.ClientOptions{}).Do(ctx, http.MethodGet, "/Users", nil, nil); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(at) != 2 || at[1].Sub(at[0]) < time.Second {
			t.Errorf("requests at %v, want two a second apart at least", at)
		}
	})
	t.Run("a long Retry-After is returned, and every request of the client waits", func(t *testing.T) {
		var mu sync.Mutex
		n := 0
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			n++
			mu.Unlock()
			w.Header().Set("Retry-After", "600")
			w.WriteHeader(http.StatusTooManyRequests)
		}))
		defer srv.Close()
		c := client(t, srv.URL, token, provision.ClientOptions{})
		_, err := c.Do(ctx, http.MethodGet, "/Users", nil, nil)
		var he *provision.HTTPError
		if !errors.As(err, &he) || he.RetryAfter != 10*time.Minute {
			t.Fatalf("err = %v, want a 429 asking for 10 minutes", err)
		}
		short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		defer cancel()
		if _, err := c.Do(short, http.MethodGet, "/Users", nil, nil); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("a request during the pause = %v, want it to wait", err)
		}
		mu.Lock()
		defer mu.Unlock()
		if n != 1 {
			t.Errorf("the app got %d requests, want 1", n)
		}
	})
	t.Run("concurrency is capped", func(t *testing.T) {
		var mu sync.Mutex
		inFlight, most := 0, 0
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			inFlight++
			most = max(most, inFlight)
			mu.Unlock()
			time.Sleep(20 * time.Millisecond) // a slow app, so that requests overlap
			mu.Lock()
			inFlight--
			mu.Unlock()
			w.Write([]byte(`{}`))
		}))
		defer srv.Close()
		c := client(t, srv.URL, token, provision.ClientOptions{Concurrency: 3})
		var wg sync.WaitGroup
		for range 12 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := c.Do(ctx, http.MethodGet, "/Users", nil, nil); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if most > 3 {
			t.Errorf("%d requests were in flight at once, want at most 3", most)
		}
	})
}

// TestSecurityCase51TargetAddress sends requests to loopback: refused unless allowed, also through a name that
// resolves to it; Where says where an allowed request went.
func TestSecurityCase51TargetAddress(t *testing.T) {
	ctx := context.Background()
	hits := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits++
		w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	for _, url := range []string{srv.URL, strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)} {
		c, err := provision.NewClient(url, "t", provision.ClientOptions{})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Do(ctx, http.MethodGet, "/Users", nil, nil)
		var ae *provision.AddressError
		if !errors.As(err, &ae) || !strings.Contains(err.Error(), "a loopback address (this machine)") ||
			!strings.Contains(err.Error(), "--provisioning-allow-addresses") {
			t.Errorf("%s: err = %v, want the loopback address refused", url, err)
		}
	}
	if hits != 0 {
		t.Fatalf("the loopback server got %d requests", hits)
	}
	resp, err := client(t, srv.URL, "t", provision.ClientOptions{}).Do(ctx, http.MethodGet, "/Users", nil, nil)
	if err != nil || hits != 1 {
		t.Fatalf("allowed: %v, %d requests", err, hits)
	}
	if got := provision.Where("app.example", resp.Addr); !strings.Contains(got, "127.0.0.1:") ||
		!strings.Contains(got, "loopback") || !strings.Contains(got, "allowed by --provisioning-allow-addresses") {
		t.Errorf("Where = %q, want the address, its kind and the setting", got)
	}
	for addr, internal := range map[string]bool{
		"127.0.0.1": true, "::1": true, "169.254.169.254": true, "fe80::1": true, "0.0.0.0": true, "::": true,
		"fd00:ec2::254": true, "100.100.100.200": true, "168.63.129.16": true, "224.0.0.1": true,
		"::ffff:127.0.0.1": true, "10.0.0.1": false, "192.168.1.1": false, "203.0.113.7": false, "2001:db8::1": false,
	} {
		if got := provision.Internal(netip.MustParseAddr(addr)); got != internal {
			t.Errorf("Internal(%s) = %v, want %v", addr, got, internal)
		}
	}
	if got := provision.Where("mixpanel.com", "203.0.113.7:443"); got != "mixpanel.com (203.0.113.7:443)" {
		t.Errorf("Where of a public address = %q", got)
	}
}
