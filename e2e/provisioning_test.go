package e2e

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse/internal/scimtarget"
)

// TestProvisioningSurvivesKill kills the real binary with SIGKILL in the middle of the initial provisioning cycle
// of 2,000 users to an app that would accept duplicate accounts (SCIMMY, lenient): after a restart on the same
// database every user exists at the app exactly once.
func TestProvisioningSurvivesKill(t *testing.T) {
	const users = 2000
	target := scimtarget.Start(t, scimtarget.Options{Lenient: true})
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	data := t.TempDir()
	env := []string{"GATEHOUSE_KEY=" + base64.StdEncoding.EncodeToString(key), "GATEHOUSE_ADMIN_USER=" + adminUser,
		"GATEHOUSE_ADMIN_PASSWORD=" + adminPassword, "GATEHOUSE_PROVISIONING_ALLOW_ADDRESSES=127.0.0.1/32"}
	first := startServerIn(t, data, env...)
	var tok struct {
		Token string `json:"token"`
	}
	(&apiClient{t: t, base: first.URL}).call("POST", "/api/v1/tokens", map[string]string{"directory": "default",
		"userName": adminUser, "password": adminPassword, "name": "provisioning-test"}, http.StatusCreated, &tok)
	api := &apiClient{t: t, base: first.URL, token: tok.Token}

	var csv bytes.Buffer
	csv.WriteString("userName,displayName\n")
	for i := range users {
		fmt.Fprintf(&csv, "user%04d@contoso.com,User %04d\n", i, i)
	}
	req, err := http.NewRequest("POST", first.URL+"/api/v1/directories/default/users:import", &csv)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "text/csv")
	req.Header.Set("Authorization", "Bearer "+tok.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("import: HTTP %d", resp.StatusCode)
	}
	var app struct {
		ID string `json:"id"`
	}
	api.call("POST", "/api/v1/directories/default/apps", map[string]any{"galleryId": "custom", "name": "Lenient"}, http.StatusCreated, &app)
	api.call("PATCH", "/api/v1/directories/default/apps/"+app.ID+"/provisioning", map[string]any{"mode": "automatic",
		"tenantUrl": target.BaseURL, "token": target.Token, "scope": "all"}, http.StatusOK, nil)

	// Killed once a part of the users is there.
	waitUntil(t, "the initial cycle has created 300 accounts", 2*time.Minute, func() bool { return target.Users(t) >= 300 })
	if err := first.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_, _ = first.cmd.Process.Wait()
	at := target.Users(t)
	if at >= users {
		t.Fatalf("the cycle had finished (%d accounts) before the kill; nothing was proven", at)
	}
	t.Logf("killed with %d of %d accounts created", at, users)

	startServerIn(t, data, env...)
	last := time.Now()
	waitUntil(t, "every user has an account", 8*time.Minute, func() bool {
		n := target.Users(t)
		if time.Since(last) > 15*time.Second {
			t.Logf("%d accounts", n)
			last = time.Now()
		}
		return n >= users+1
	})
	seen := map[string]int{}
	for _, name := range target.UserNames(t) {
		seen[strings.ToLower(name)]++
	}
	for i := range users {
		if n := seen[fmt.Sprintf("user%04d@contoso.com", i)]; n != 1 {
			t.Errorf("user%04d has %d accounts at the app, want 1", i, n)
		}
	}
	if n := seen[adminUser]; n != 1 { // scope all: the admin is a user too
		t.Errorf("the admin has %d accounts at the app, want 1", n)
	}
	if len(seen) != users+1 {
		t.Errorf("%d distinct accounts, want %d", len(seen), users+1)
	}
}

// waitUntil polls cond until it holds or the limit passes, which fails the test; the limit only stops a hang.
func waitUntil(t *testing.T, what string, limit time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(200 * time.Millisecond) // polling the condition
	}
}
