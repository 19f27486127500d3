package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestHelp(t *testing.T) {
	for _, arg := range []string{"--help", "-h"} {
		var out, errOut bytes.Buffer
		if code := run(context.Background(), []string{arg}, env(nil), &out, &errOut, nil); code != exitOK {
			t.Fatalf("%s: exit %d", arg, code)
		}
		for _, want := range []string{"--addr", "--public-url", "--data", "--owner-email", "--owner-password",
			"GATEHOUSE_DEMO_ADDR", "GATEHOUSE_DEMO_PUBLIC_URL", "GATEHOUSE_DEMO_DATA", "GATEHOUSE_DEMO_OWNER_EMAIL",
			"GATEHOUSE_DEMO_OWNER_PASSWORD", "127.0.0.1:8090", "/saml/metadata", "/saml/acs", "/saml/login"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("%s: help lacks %q", arg, want)
			}
		}
	}
}

func TestBadUsage(t *testing.T) {
	for _, args := range [][]string{{"--nope"}, {"extra"}, {"--addr", "no-port"}} {
		var out, errOut bytes.Buffer
		if code := run(context.Background(), args, env(nil), &out, &errOut, nil); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
		if !strings.Contains(errOut.String(), "--help") {
			t.Errorf("%v: stderr %q does not point to --help", args, errOut.String())
		}
	}
}

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want config
	}{
		{"defaults", nil, nil, config{addr: "127.0.0.1:8090", publicURL: "http://127.0.0.1:8090", data: "./gatehouse-demo-data", ownerEmail: "owner@example.com", gatehouseURL: "http://127.0.0.1:8080"}},
		{"environment", nil, map[string]string{
			"GATEHOUSE_DEMO_ADDR": "127.0.0.1:9000", "GATEHOUSE_DEMO_DATA": "/tmp/d", "GATEHOUSE_DEMO_OWNER_EMAIL": "o@example.com",
			"GATEHOUSE_DEMO_OWNER_PASSWORD": "secret-secret", "GATEHOUSE_DEMO_PUBLIC_URL": "https://demo.example",
			"GATEHOUSE_DEMO_GATEHOUSE_URL": "https://sso.example"},
			config{addr: "127.0.0.1:9000", publicURL: "https://demo.example", data: "/tmp/d", ownerEmail: "o@example.com", ownerPassword: "secret-secret",
				gatehouseURL: "https://sso.example"}},
		{"flags over environment", []string{"--addr", ":7000", "--data", "x", "--owner-email", "f@example.com", "--owner-password", "pw-pw-pw-pw",
			"--gatehouse-url", "https://gatehouse.example:8443"},
			map[string]string{"GATEHOUSE_DEMO_ADDR": "127.0.0.1:9000", "GATEHOUSE_DEMO_DATA": "/tmp/d", "GATEHOUSE_DEMO_GATEHOUSE_URL": "https://sso.example"},
			config{addr: ":7000", publicURL: "http://127.0.0.1:7000", data: "x", ownerEmail: "f@example.com", ownerPassword: "pw-pw-pw-pw",
				gatehouseURL: "https://gatehouse.example:8443"}},
		{"public URL flag", []string{"--public-url", "http://localhost:8090"}, nil,
			config{addr: "127.0.0.1:8090", publicURL: "http://localhost:8090", data: "./gatehouse-demo-data", ownerEmail: "owner@example.com", gatehouseURL: "http://127.0.0.1:8080"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseConfig(tt.args, env(tt.env))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(config{})); diff != "" {
				t.Errorf("config mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// syncBuffer is a bytes.Buffer safe for the server goroutine and the test to share.
type syncBuffer struct {
	mu sync.Mutex // guards b
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestServe(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := t.TempDir()
	var out, errOut syncBuffer
	addrc := make(chan string, 1)
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"--addr", "127.0.0.1:0", "--data", dir, "--public-url", "http://127.0.0.1:8090"},
			env(map[string]string{"GATEHOUSE_DEMO_OWNER_EMAIL": "boss@example.com"}), &out, &errOut, func(a string) { addrc <- a })
	}()
	var addr string
	select {
	case addr = <-addrc:
	case code := <-done:
		t.Fatalf("exited with %d before serving: %s", code, errOut.String())
	}
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"ok"`) {
		t.Errorf("healthz: %d %s", resp.StatusCode, body)
	}
	cancel()
	if code := <-done; code != exitOK {
		t.Errorf("exit %d after shutdown: %s", code, errOut.String())
	}
	for _, want := range []string{"Created the organization owner boss@example.com", "Generated password (shown only once): ",
		"http://127.0.0.1:8090/saml/metadata", "http://127.0.0.1:8090/saml/acs", "http://127.0.0.1:8090/saml/login"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("stdout lacks %q:\n%s", want, out.String())
		}
	}
}
