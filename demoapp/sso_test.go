package demoapp

import (
	"encoding/base64"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestSPInitiatedSignOn(t *testing.T) {
	e := newEnv(t)
	e.configureSSO(false)
	e.invite("ada@example.com", "")
	b := e.browser()

	id, relay := b.startSSO("/team?tab=1")
	if !strings.HasPrefix(id, "id-") || len(id) < 40 {
		t.Errorf("AuthnRequest ID %q is not a fresh random ID", id)
	}
	if relay != "/team?tab=1" {
		t.Errorf("RelayState %q, want the page asked for", relay)
	}
	o := member("ada@example.com", "Ada", "Lovelace")
	o.InResponseTo = id
	p := b.postResponse(e.response(o), relay)
	if p.Status != http.StatusSeeOther || p.Location != "/team?tab=1" {
		t.Fatalf("ACS: status %d location %q, want 303 to /team?tab=1\n%s", p.Status, p.Location, p.Body)
	}
	if got := b.currentUser(); got != "ada@example.com" {
		t.Errorf("current user %q, want ada@example.com", got)
	}
	// The request is answered: it cannot be answered again.
	var n int
	e.app.db.QueryRow(`SELECT count(*) FROM authn_requests WHERE id = ?`, id).Scan(&n)
	if n != 0 {
		t.Errorf("the answered AuthnRequest is still outstanding")
	}
}

func TestIdPInitiatedSignOn(t *testing.T) {
	e := newEnv(t)
	e.configureSSO(false)
	e.invite("grace@example.com", "")
	tests := []struct {
		name, relay, want string
	}{
		{"no RelayState", "", "/dashboard"},
		{"relative RelayState", "/team", "/team"},
		{"absolute RelayState is ignored", "https://evil.example/phish", "/dashboard"},
		{"scheme-relative RelayState is ignored", "//evil.example/", "/dashboard"},
		{"backslash RelayState is ignored", "/\\evil.example", "/dashboard"},
		{"javascript RelayState is ignored", "javascript:alert(1)", "/dashboard"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := e.browser()
			p := b.postResponse(e.response(member("Grace@Example.com", "Grace", "Hopper")), tt.relay)
			if p.Status != http.StatusSeeOther || p.Location != tt.want {
				t.Fatalf("ACS: status %d location %q, want 303 to %s\n%s", p.Status, p.Location, tt.want, p.Body)
			}
			if got := b.currentUser(); got != "grace@example.com" {
				t.Errorf("current user %q, want grace@example.com (matched case-insensitively)", got)
			}
		})
	}
}

func TestSignOnNameIDFallback(t *testing.T) {
	e := newEnv(t)
	e.configureSSO(false)
	e.invite("linus@example.com", "")
	b := e.browser()
	p := b.postResponse(e.response(assertion{NameID: "linus@example.com"}), "")
	if p.Status != http.StatusSeeOther {
		t.Fatalf("ACS: status %d\n%s", p.Status, p.Body)
	}
	if got := b.currentUser(); got != "linus@example.com" {
		t.Errorf("current user %q, want the NameID", got)
	}
}

func TestInvitePendingActive(t *testing.T) {
	e := newEnv(t)
	e.configureSSO(false)
	owner := e.browser()
	owner.signInOwner()

	p := owner.post("/team/invite", map[string][]string{"email": {"ada@example.com"}})
	if p.Status != http.StatusSeeOther {
		t.Fatalf("invite: status %d\n%s", p.Status, p.Body)
	}
	p = owner.get("/team")
	wantContains(t, p.Body, `data-email="ada@example.com" data-status="pending"`)

	b := e.browser()
	if p := b.postResponse(e.response(member("ada@example.com", "Ada", "Lovelace")), ""); p.Status != http.StatusSeeOther {
		t.Fatalf("SSO: status %d\n%s", p.Status, p.Body)
	}
	p = owner.get("/team")
	wantContains(t, p.Body, `data-email="ada@example.com" data-status="active"`, "Ada Lovelace")
	if p := b.get("/dashboard"); !strings.Contains(p.Body, `<span class="name">Ada Lovelace</span>`) {
		t.Errorf("the member's name from firstName/lastName is not shown\n%s", p.Body)
	}
}

func TestSSOLoginNotConfigured(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	p := b.get("/saml/login")
	if p.Status != http.StatusBadRequest {
		t.Fatalf("status %d, want 400", p.Status)
	}
	wantContains(t, p.Body, "Single sign-on is not set up", `id="error-ref"`)
	p = b.postResponse("PHg+", "")
	if p.Status != http.StatusBadRequest {
		t.Fatalf("ACS without settings: status %d, want 400", p.Status)
	}
}

func TestACSBadInput(t *testing.T) {
	e := newEnv(t)
	now := time.Now().UTC().Format(time.RFC3339)
	e.configureSSO(false)
	tests := []struct {
		name, resp string
		status     int
		want       string
	}{
		{"missing", "", http.StatusBadRequest, "No SAMLResponse was posted"},
		{"bad base64", "!!!not base64", http.StatusBadRequest, "not valid Base64"},
		{"not XML", "bm90IHhtbA==", http.StatusBadRequest, "not a well-formed SAML 2.0 response"},
		{"DOCTYPE with an entity", base64.StdEncoding.EncodeToString([]byte(`<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">&x;</samlp:Response>`)),
			http.StatusBadRequest, "The response"},
		{"unsigned assertion", base64.StdEncoding.EncodeToString([]byte(`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r" Version="2.0" IssueInstant="` + now + `"><saml:Issuer>` + testIssuer + `</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status><saml:Assertion ID="_a" Version="2.0" IssueInstant="` + now + `"><saml:Issuer>` + testIssuer + `</saml:Issuer></saml:Assertion></samlp:Response>`)),
			http.StatusBadRequest, "Neither the response nor its assertion is signed"},
		{"oversized", strings.Repeat("A", maxACSBody+10), http.StatusRequestEntityTooLarge, "larger than 1 MiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := e.browser().postResponse(tt.resp, "")
			if p.Status != tt.status {
				t.Fatalf("status %d, want %d\n%s", p.Status, tt.status, p.Body)
			}
			wantContains(t, p.Body, tt.want)
		})
	}
	if n := e.sessionCount(); n != 0 {
		t.Errorf("%d sessions after bad input, want 0", n)
	}
}

// TestRequireSSO checks that with "Require SSO for members" on, members cannot use passwords and the owner can.
func TestRequireSSO(t *testing.T) {
	e := newEnv(t)
	e.invite("pw@example.com", "member-password-1")
	if p := e.browser().signIn("pw@example.com", "member-password-1"); p.Status != http.StatusSeeOther {
		t.Fatalf("member password sign-in before SSO is required: status %d", p.Status)
	}
	e.configureSSO(true)
	p := e.browser().signIn("pw@example.com", "member-password-1")
	if p.Status != http.StatusForbidden {
		t.Fatalf("member password sign-in with SSO required: status %d, want 403", p.Status)
	}
	wantContains(t, p.Body, "requires single sign-on", `id="sso-button"`)
	if p := e.browser().signIn(ownerEmail, ownerPassword); p.Status != http.StatusSeeOther {
		t.Errorf("owner password sign-in with SSO required: status %d, want 303", p.Status)
	}
}

// TestSSOButtonCarriesNext checks that the sign-in page's SSO button starts sign-on for the page asked for.
func TestSSOButtonCarriesNext(t *testing.T) {
	e := newEnv(t)
	e.configureSSO(false)
	p := e.browser().get("/signin?next=/team")
	wantContains(t, p.Body, `id="sso-button" href="/saml/login?next=%2Fteam"`)
	_ = time.Now
}

// TestPendingRequestsCapped checks that a browser keeps only its latest requests, and that the latest still works.
func TestPendingRequestsCapped(t *testing.T) {
	e := newEnv(t)
	e.configureSSO(false)
	e.invite("ada@example.com", "")
	b := e.browser()
	var first, last string
	for i := 0; i < maxPendingPerBrowser+5; i++ {
		id, _ := b.startSSO("/dashboard")
		if i == 0 {
			first = id
		}
		last = id
	}
	var n int
	e.app.db.QueryRow(`SELECT count(*) FROM authn_requests`).Scan(&n)
	if n != maxPendingPerBrowser {
		t.Errorf("%d pending requests, want %d", n, maxPendingPerBrowser)
	}
	o := member("ada@example.com", "", "")
	o.InResponseTo = first
	e.rejected(t, b, e.response(o), http.StatusBadRequest, "InResponseTo")
	o.InResponseTo = last
	if p := b.postResponse(e.response(o), ""); p.Status != http.StatusSeeOther {
		t.Errorf("latest request: status %d\n%s", p.Status, p.Body)
	}
}

// TestOwnerSignsInWithSSO checks that the owner, a team member too, may use SSO.
func TestOwnerSignsInWithSSO(t *testing.T) {
	e := newEnv(t)
	e.configureSSO(true)
	b := e.browser()
	if p := b.postResponse(e.response(member(ownerEmail, "Olga", "Owner")), ""); p.Status != http.StatusSeeOther {
		t.Fatalf("status %d\n%s", p.Status, p.Body)
	}
	if got := b.currentUser(); got != ownerEmail {
		t.Errorf("current user %q", got)
	}
	wantContains(t, b.get("/settings").Body, `id="access-security"`)
}

// TestSessionTimeouts checks the idle and absolute session timeouts with an injected clock.
func TestSessionTimeouts(t *testing.T) {
	e := newEnv(t)
	var clock atomic.Int64 // the server reads it while the test moves it
	clock.Store(time.Now().UnixNano())
	e.app.nowFn = func() time.Time { return time.Unix(0, clock.Load()) }
	advance := func(d time.Duration) { clock.Add(int64(d)) }
	b := e.browser()
	b.signInOwner()
	advance(sessionIdle - time.Minute)
	if b.currentUser() == "" {
		t.Fatal("signed out before the idle timeout")
	}
	// Keep the session busy: it lives until the absolute timeout, not beyond.
	elapsed := sessionIdle - time.Minute
	for i := 0; i < 3; i++ {
		advance(sessionIdle - time.Minute)
		elapsed += sessionIdle - time.Minute
		signedIn := b.currentUser() != ""
		if want := elapsed < sessionAbsolute; signedIn != want {
			t.Fatalf("after %s of activity: signed in %v, want %v", elapsed, signedIn, want)
		}
	}
	b.signInOwner()
	advance(sessionIdle + time.Minute)
	if got := b.currentUser(); got != "" {
		t.Errorf("still signed in as %q past the idle timeout", got)
	}
	if n := e.sessionCount(); n != 0 {
		t.Errorf("%d sessions left after the timeouts, want 0", n)
	}
}
