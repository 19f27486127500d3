package demoapp

import (
	"crypto/x509"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	ghsaml "github.com/gatehouse-idp/gatehouse/saml"
)

// TestInteropWithGatehouseIdP runs the tutorial's exchange with Gatehouse's own SAML package on the IdP side: the
// app's AuthnRequest is decoded and validated by it, and its Response, signed each of the three ways, signs the
// member in. With no InResponseTo it is the My Apps tile's IdP-initiated sign-on.
func TestInteropWithGatehouseIdP(t *testing.T) {
	e := newEnv(t)
	e.configureSSO(false)
	e.invite("britta.simon@contoso.example", "")
	signer, err := ghsaml.NewSigner(e.idp.key, e.idp.cert)
	if err != nil {
		t.Fatal(err)
	}
	idp := &ghsaml.IdentityProvider{EntityID: testIssuer, SSOURL: testAuthURL}
	attrs := []ghsaml.Attribute{
		{Name: "email", Values: []string{"britta.simon@contoso.example"}},
		{Name: "firstName", Values: []string{"Britta"}},
		{Name: "lastName", Values: []string{"Simon"}},
	}
	for _, option := range []string{ghsaml.SignAssertion, ghsaml.SignResponse, ghsaml.SignBoth} {
		sp := &ghsaml.ServiceProvider{EntityID: e.app.EntityID(), ACSURLs: []string{e.app.ACSURL()},
			NameIDFormat: ghsaml.NameIDEmail, SigningOption: option}
		t.Run("SP-initiated, sign "+option, func(t *testing.T) {
			b := e.browser()
			p := b.get("/saml/login?next=" + url.QueryEscape("/team"))
			if p.Status != http.StatusFound {
				t.Fatalf("GET /saml/login: %d", p.Status)
			}
			loc, _ := url.Parse(p.Location)
			msg, err := ghsaml.DecodeRedirect(loc.RawQuery, ghsaml.DefaultLimits)
			if err != nil {
				t.Fatalf("Gatehouse cannot decode the AuthnRequest: %v", err)
			}
			if err := idp.ValidateRequest(msg.Request); err != nil {
				t.Fatalf("Gatehouse refuses the AuthnRequest: %v", err)
			}
			if msg.Request.Issuer != e.app.EntityID() {
				t.Errorf("AuthnRequest Issuer %q, want the entity ID", msg.Request.Issuer)
			}
			acs, err := sp.ResolveACS(msg.Request)
			if err != nil {
				t.Fatalf("Gatehouse cannot resolve the ACS: %v", err)
			}
			if err := sp.CheckNameIDPolicy(msg.Request); err != nil {
				t.Fatalf("Gatehouse refuses the NameID policy: %v", err)
			}
			xml, err := idp.Respond(&ghsaml.ResponseParams{SP: sp, ACSURL: acs, InResponseTo: msg.Request.ID,
				NameID: "britta.simon@contoso.example", Attributes: attrs, SessionIndex: "_s1"}, signer)
			if err != nil {
				t.Fatal(err)
			}
			p = b.postResponse(base64.StdEncoding.EncodeToString(xml), msg.RelayState)
			if p.Status != http.StatusSeeOther || p.Location != "/team" {
				t.Fatalf("ACS: status %d location %q\n%s", p.Status, p.Location, p.Body)
			}
			if got := b.currentUser(); got != "britta.simon@contoso.example" {
				t.Errorf("current user %q", got)
			}
		})
		t.Run("IdP-initiated, sign "+option, func(t *testing.T) {
			b := e.browser()
			xml, err := idp.Respond(&ghsaml.ResponseParams{SP: sp, ACSURL: e.app.ACSURL(),
				NameID: "britta.simon@contoso.example", Attributes: attrs, SessionIndex: "_s2"}, signer)
			if err != nil {
				t.Fatal(err)
			}
			p := b.postResponse(base64.StdEncoding.EncodeToString(xml), "")
			if p.Status != http.StatusSeeOther || p.Location != "/dashboard" {
				t.Fatalf("ACS: status %d location %q\n%s", p.Status, p.Location, p.Body)
			}
		})
	}
}

// TestInteropErrorResponse checks that a Gatehouse error Response (an unassigned user) shows the IdP's status and
// message, and signs nobody in.
func TestInteropErrorResponse(t *testing.T) {
	e := newEnv(t)
	e.configureSSO(false)
	signer, err := ghsaml.NewSigner(e.idp.key, e.idp.cert)
	if err != nil {
		t.Fatal(err)
	}
	idp := &ghsaml.IdentityProvider{EntityID: testIssuer, SSOURL: testAuthURL}
	sp := &ghsaml.ServiceProvider{EntityID: e.app.EntityID(), ACSURLs: []string{e.app.ACSURL()}}
	b := e.browser()
	id, _ := b.startSSO("/dashboard")
	xml, err := idp.ErrorResponse(sp, e.app.ACSURL(), id, ghsaml.RequestDeniedError("The user is not assigned to the app."), signer)
	if err != nil {
		t.Fatal(err)
	}
	e.rejected(t, b, base64.StdEncoding.EncodeToString(xml), http.StatusBadRequest, "status",
		"did not sign you in", "RequestDenied", "The user is not assigned to the app.")
}

// TestAccessSecurityFromMetadataURL fills the settings from Gatehouse's federation metadata, served on loopback.
func TestAccessSecurityFromMetadataURL(t *testing.T) {
	e := newEnv(t)
	idp := &ghsaml.IdentityProvider{EntityID: testIssuer, SSOURL: testAuthURL}
	md, err := idp.Metadata([]*x509.Certificate{e.idp.cert})
	if err != nil {
		t.Fatal(err)
	}
	docs := map[string]string{
		"/good":       string(md),
		"/notxml":     "hello",
		"/doctype":    `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"/>`,
		"/sp":         `<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"><SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"/></EntityDescriptor>`,
		"/noredirect": strings.Replace(string(md), ghsaml.BindingHTTPRedirect+`" Location="`+testAuthURL, "urn:other\" Location=\""+testAuthURL, -1),
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d, ok := docs[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/samlmetadata+xml")
		io.WriteString(w, d)
	}))
	defer srv.Close()
	owner := e.browser()
	owner.signInOwner()

	tests := []struct{ path, want string }{
		{"/missing", "404"},
		{"/notxml", "not SAML federation metadata"},
		{"/doctype", "DOCTYPE"},
		{"/sp", "not exactly one IDPSSODescriptor"},
		{"/noredirect", "HTTP-Redirect"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			p := owner.postMultipart("/settings/access-security", map[string]string{"metadata-url": srv.URL + tt.path}, "", "", nil)
			if p.Status != http.StatusBadRequest {
				t.Fatalf("status %d, want 400\n%s", p.Status, p.Body)
			}
			wantContains(t, p.Body, "Federation metadata URL", tt.want)
		})
	}
	if p := owner.postMultipart("/settings/access-security", map[string]string{"metadata-url": "ftp://x/y"}, "", "", nil); p.Status != http.StatusBadRequest {
		t.Errorf("ftp metadata URL: status %d", p.Status)
	}

	p := owner.postMultipart("/settings/access-security", map[string]string{"metadata-url": srv.URL + "/good"}, "", "", nil)
	if p.Status != http.StatusSeeOther {
		t.Fatalf("save: status %d\n%s", p.Status, p.Body)
	}
	s, err := e.app.loadSettings(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if s.Cert == nil || !s.Cert.Equal(e.idp.cert) || s.AuthURL != testAuthURL || s.IssuerURL != testIssuer || s.MetadataURL != srv.URL+"/good" {
		t.Fatalf("settings from metadata: %+v", s)
	}
	wantContains(t, owner.get("/settings").Body, srv.URL+"/good", thumbprint(e.idp.cert))
	e.invite("ada@example.com", "")
	if p := e.browser().postResponse(e.response(member("ada@example.com", "", "")), ""); p.Status != http.StatusSeeOther {
		t.Errorf("SSO with settings from metadata: status %d\n%s", p.Status, p.Body)
	}
}
