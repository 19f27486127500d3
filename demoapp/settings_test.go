package demoapp

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestParseIdPCertificate(t *testing.T) {
	idp, _ := idps(t)
	now := time.Now()
	expired := certFor(t, idp.key, now.Add(-48*time.Hour), now.Add(-24*time.Hour), "expired")
	future := certFor(t, idp.key, now.Add(24*time.Hour), now.Add(48*time.Hour), "future")
	small := newIdP(t, 1024, now.Add(-time.Hour), now.Add(time.Hour), "small")
	pkcs8, err := x509.MarshalPKCS8PrivateKey(idp.key)
	if err != nil {
		t.Fatal(err)
	}
	pemOf := func(typ string, der []byte) []byte { return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}) }
	b64 := func(der []byte) []byte {
		s := base64.StdEncoding.EncodeToString(der)
		var lines []string
		for len(s) > 64 {
			lines, s = append(lines, s[:64]), s[64:]
		}
		return []byte(strings.Join(append(lines, s), "\r\n"))
	}

	tests := []struct {
		name string
		data []byte
		code string // "" for accepted
		want string
	}{
		{"PEM", pemOf("CERTIFICATE", idp.cert.Raw), "", ""},
		{"Base64 .cer with CRLF lines", b64(idp.cert.Raw), "", ""},
		{"raw DER .cer", idp.cert.Raw, "", ""},
		{"PEM with a BOM and spaces", append([]byte("\xef\xbb\xbf  \n"), pemOf("CERTIFICATE", idp.cert.Raw)...), "", ""},
		{"federation metadata XML", []byte(`<?xml version="1.0"?><EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata"/>`), EINVALID, "federation metadata XML, not a certificate"},
		{"PKCS#8 private key", pemOf("PRIVATE KEY", pkcs8), EINVALID, "private key"},
		{"PKCS#1 private key", pemOf("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(idp.key)), EINVALID, "private key"},
		{"certificate with its key", append(pemOf("CERTIFICATE", idp.cert.Raw), pemOf("PRIVATE KEY", pkcs8)...), EINVALID, "private key"},
		{"Base64 private key", b64(pkcs8), EINVALID, "private key"},
		{"garbage text", []byte("this is not a certificate at all"), EINVALID, "not a readable X.509 certificate"},
		{"garbage bytes", []byte{0xff, 0x00, 0x13, 0x37, 0x80}, EINVALID, "not a readable X.509 certificate"},
		{"Base64 of garbage", []byte(base64.StdEncoding.EncodeToString([]byte("hello world"))), EINVALID, "not a readable X.509 certificate"},
		{"PEM without a certificate", pemOf("PUBLIC KEY", []byte{1, 2, 3}), EINVALID, "bare public key, not a certificate"},
		{"empty", []byte("  \n"), EINVALID, "empty"},
		{"expired", pemOf("CERTIFICATE", expired.cert.Raw), EINVALID, "expired on"},
		{"not yet valid", pemOf("CERTIFICATE", future.cert.Raw), EINVALID, "not valid until"},
		{"RSA 1024", pemOf("CERTIFICATE", small.cert.Raw), EINVALID, "1024 bits; at least 2048"},
		{"oversize", append(pemOf("CERTIFICATE", idp.cert.Raw), make([]byte, maxCertSize)...), ETOOLARGE, "over the 64 KiB allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cert, err := parseIdPCertificate(tt.data, now)
			if tt.code == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if !cert.Equal(idp.cert) {
					t.Errorf("parsed another certificate")
				}
				return
			}
			e, ok := err.(*Error)
			if !ok {
				t.Fatalf("got %v (%T), want an *Error", err, err)
			}
			if e.Code != tt.code || !strings.Contains(e.Message, tt.want) {
				t.Errorf("got %s %q, want %s containing %q", e.Code, e.Message, tt.code, tt.want)
			}
		})
	}
}

// certUpload returns the page after uploading data as the certificate file.
func certUpload(b *browser, data []byte) page {
	b.t.Helper()
	return b.postMultipart("/settings/access-security", map[string]string{"auth-url": testAuthURL, "issuer-url": testIssuer},
		"cert-file", "idp.cer", data)
}

func TestAccessSecurityUploadErrors(t *testing.T) {
	e := newEnv(t)
	owner := e.browser()
	owner.signInOwner()
	idp := e.idp
	now := time.Now()
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(idp.key)
	small := newIdP(t, 1024, now.Add(-time.Hour), now.Add(time.Hour), "small")
	expired := certFor(t, idp.key, now.Add(-48*time.Hour), now.Add(-24*time.Hour), "expired")
	tests := []struct {
		name   string
		data   []byte
		status int
		want   string
	}{
		{"xml", []byte(`<?xml version="1.0"?><EntityDescriptor/>`), http.StatusBadRequest, "This is federation metadata XML, not a certificate"},
		{"private key", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}), http.StatusBadRequest, "This is a private key"},
		{"garbage", []byte("garbage\x00\x01"), http.StatusBadRequest, "not a readable X.509 certificate"},
		{"expired", []byte(expired.pem()), http.StatusBadRequest, "This certificate expired on"},
		{"small RSA", []byte(small.pem()), http.StatusBadRequest, "RSA key has 1024 bits"},
		{"oversize", make([]byte, maxCertSize+1), http.StatusRequestEntityTooLarge, "over the 64 KiB allowed"},
		{"far oversize", make([]byte, 4*maxCertSize), http.StatusRequestEntityTooLarge, "larger than 64 KiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := certUpload(owner, tt.data)
			if p.Status != tt.status {
				t.Fatalf("status %d, want %d\n%s", p.Status, tt.status, p.Body)
			}
			wantContains(t, p.Body, `id="settings-error"`, tt.want, `id="cert-file"`)
			s, err := e.app.loadSettings(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if s.Cert != nil || s.AuthURL != "" {
				t.Errorf("settings changed by a refused upload")
			}
		})
	}
}

func TestAccessSecuritySave(t *testing.T) {
	e := newEnv(t)
	owner := e.browser()
	owner.signInOwner()

	p := owner.get("/settings")
	wantContains(t, p.Body, `id="change-settings"`, "Not set up", `id="sp-entity-id"`, `value="`+e.app.EntityID()+`"`,
		`value="`+e.app.ACSURL()+`"`, `value="`+e.app.SignOnURL()+`"`, `id="copy-sp-acs-url"`)
	p = owner.get("/settings/access-security")
	wantContains(t, p.Body, `id="cert-file"`, `id="cert-text"`, `id="auth-url"`, `id="issuer-url"`, `id="require-sso"`, `id="save-sso"`)

	// Pasted text works as well as a file.
	p = owner.postMultipart("/settings/access-security", map[string]string{
		"cert-text": e.idp.pem(), "auth-url": testAuthURL, "issuer-url": testIssuer, "require-sso": "on"}, "", "", nil)
	if p.Status != http.StatusSeeOther || p.Location != "/settings?saved=1" {
		t.Fatalf("save: status %d location %q\n%s", p.Status, p.Location, p.Body)
	}
	p = owner.get("/settings?saved=1")
	wantContains(t, p.Body, `id="settings-saved"`, "Configured", thumbprint(e.idp.cert), testAuthURL, testIssuer,
		e.idp.cert.NotAfter.UTC().Format("2 Jan 2006"), `id="current-require-sso">On<`)

	// Saving again without a certificate keeps the uploaded one.
	p = owner.postMultipart("/settings/access-security", map[string]string{"auth-url": testAuthURL, "issuer-url": testIssuer}, "cert-file", "", nil)
	if p.Status != http.StatusSeeOther {
		t.Fatalf("second save: status %d\n%s", p.Status, p.Body)
	}
	s, _ := e.app.loadSettings(t.Context())
	if s.Cert == nil || !s.Cert.Equal(e.idp.cert) || s.RequireSSO {
		t.Errorf("settings after the second save: cert kept %v, require SSO %v", s.Cert != nil, s.RequireSSO)
	}
	// The sign-in page now offers SSO.
	wantContains(t, e.browser().get("/signin").Body, `id="sso-button"`)
}

func TestAccessSecurityFieldErrors(t *testing.T) {
	e := newEnv(t)
	owner := e.browser()
	owner.signInOwner()
	tests := []struct {
		name   string
		fields map[string]string
		want   string
	}{
		{"relative auth URL", map[string]string{"auth-url": "/saml2", "issuer-url": testIssuer}, "Authentication URL"},
		{"javascript auth URL", map[string]string{"auth-url": "javascript:alert(1)", "issuer-url": testIssuer}, "Authentication URL"},
		{"issuer with spaces", map[string]string{"auth-url": testAuthURL, "issuer-url": "my idp"}, "Issuer URL"},
		{"require SSO before it is set up", map[string]string{"auth-url": testAuthURL, "issuer-url": testIssuer, "require-sso": "on"}, "before requiring SSO"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := owner.postMultipart("/settings/access-security", tt.fields, "", "", nil)
			if p.Status != http.StatusBadRequest {
				t.Fatalf("status %d, want 400\n%s", p.Status, p.Body)
			}
			wantContains(t, p.Body, tt.want)
		})
	}
}

func TestOwnerOnlyPages(t *testing.T) {
	e := newEnv(t)
	e.invite("pw@example.com", "member-password-1")
	m := e.browser()
	if p := m.signIn("pw@example.com", "member-password-1"); p.Status != http.StatusSeeOther {
		t.Fatalf("member sign-in: %d", p.Status)
	}
	for _, path := range []string{"/settings", "/settings/access-security", "/team"} {
		if p := m.get(path); p.Status != http.StatusForbidden {
			t.Errorf("GET %s as a member: status %d, want 403", path, p.Status)
		}
	}
	if p := m.postMultipart("/settings/access-security", map[string]string{"auth-url": testAuthURL}, "", "", nil); p.Status != http.StatusForbidden {
		t.Errorf("POST settings as a member: status %d, want 403", p.Status)
	}
	if p := m.post("/team/invite", map[string][]string{"email": {"x@example.com"}}); p.Status != http.StatusForbidden {
		t.Errorf("invite as a member: status %d, want 403", p.Status)
	}
	if p := m.get("/dashboard"); p.Status != http.StatusOK {
		t.Errorf("dashboard as a member: status %d, want 200", p.Status)
	}
}

// TestParseRawDEREndingInSpaceByte is the regression test for a raw DER certificate whose last byte happens to be
// an ASCII space or control character: it must not be trimmed away as whitespace.
func TestParseRawDEREndingInSpaceByte(t *testing.T) {
	idp, _ := idps(t)
	now := time.Now()
	for i := 0; i < 3000; i++ {
		c := certFor(t, idp.key, now.Add(-time.Hour), now.Add(time.Hour), "trailing")
		last := c.cert.Raw[len(c.cert.Raw)-1]
		if last != ' ' && (last < '\t' || last > '\r') {
			continue
		}
		got, err := parseIdPCertificate(c.cert.Raw, now)
		if err != nil {
			t.Fatalf("DER ending in %#x refused: %v", last, err)
		}
		if !got.Equal(c.cert) {
			t.Fatal("parsed another certificate")
		}
		return
	}
	t.Fatal("no certificate ending in a whitespace byte came up in 3000 tries")
}
