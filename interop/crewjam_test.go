package interop

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"testing"
	"time"

	crewjam "github.com/crewjam/saml"
	"github.com/crewjam/saml/samlsp"
)

// TestCrewjam runs the checks against crewjam/saml's samlsp middleware, served in this process.
func TestCrewjam(t *testing.T) {
	gh := startGatehouse(t)
	runChecks(t, &spKit{
		name:   "crewjam",
		plain:  startCrewjam(t, gh, "crewjam", false),
		signed: startCrewjam(t, gh, "crewjam-signed", true),
		ecdsa:  startCrewjam(t, gh, "crewjam"+ecdsaSuffix, false),
		// goxmldsig v1.6.1, which crewjam/saml verifies with, reads an ECDSA SignatureValue as ASN.1 DER instead of
		// XML Signature's r||s (russellhaering/goxmldsig#163), so a correct ECDSA signature fails its check.
		ecdsaRefusal: "x509: ECDSA verification failure",
		// crewjam/saml's words when the assertion's signature does not verify.
		refusal: "cannot validate signature",
	})
}

// startCrewjam serves a samlsp middleware on a loopback port, with /hello as its protected page (it prints the
// session's NameID and attributes as JSON) and /logout to start single logout, and registers it in Gatehouse from
// its metadata.
func startCrewjam(t *testing.T, gh *gatehouseServer, name string, signRequests bool) *variant {
	t.Helper()
	app := gh.createApp(t, "crewjam/saml "+name)
	var idpMD crewjam.EntityDescriptor
	if err := xml.Unmarshal(app.idpMetadata(t), &idpMD); err != nil {
		t.Fatalf("crewjam/saml cannot read Gatehouse's metadata: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base, _ := url.Parse("http://" + ln.Addr().String() + "/")
	kp := newKeyPair(t, t.TempDir(), "sp", name)
	m, err := samlsp.New(samlsp.Options{
		URL: *base, Key: kp.Key, Certificate: kp.Cert, IDPMetadata: &idpMD,
		SignRequest: signRequests, SignLogout: true, AllowIDPInitiated: true, DefaultRedirectURI: "/hello", KeyAttributesByName: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	// A refusal says why on the page (this SP is for tests), instead of logging the whole Response.
	m.OnError = func(w http.ResponseWriter, _ *http.Request, err error) {
		msg := err.Error()
		var ie *crewjam.InvalidResponseError
		if errors.As(err, &ie) && ie.PrivateErr != nil {
			msg = ie.PrivateErr.Error()
		}
		http.Error(w, "refused: "+msg, http.StatusForbidden)
	}
	mux := http.NewServeMux()
	mux.Handle("/saml/", m)
	mux.Handle("/hello", m.RequireAccount(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, _ := samlsp.SessionFromContext(r.Context()).(samlsp.SessionWithAttributes)
		var attrs samlsp.Attributes
		if s != nil {
			attrs = s.GetAttributes()
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(attrs)
	})))
	mux.HandleFunc("/logout", m.HandleStartLogout)
	// /force starts sign-in with ForceAuthn, coming back to /hello. The checks run one at a time, so the setting
	// can be switched around the one request.
	mux.HandleFunc("/force", func(w http.ResponseWriter, r *http.Request) {
		force, off := true, false
		m.ServiceProvider.ForceAuthn = &force
		defer func() { m.ServiceProvider.ForceAuthn = &off }()
		r2 := r.Clone(r.Context())
		r2.URL.Path = "/hello"
		m.HandleStartAuthFlow(w, r2)
	})
	// /mfa starts sign-in whose RequestedAuthnContext asks for the REFEDS MFA profile, coming back to /hello.
	mux.HandleFunc("/mfa", func(w http.ResponseWriter, r *http.Request) {
		m.ServiceProvider.RequestedAuthnContext = &crewjam.RequestedAuthnContext{Comparison: "exact", AuthnContextClassRefs: []string{refedsMFA}}
		defer func() { m.ServiceProvider.RequestedAuthnContext = nil }()
		r2 := r.Clone(r.Context())
		r2.URL.Path = "/hello"
		m.HandleStartAuthFlow(w, r2)
	})
	// Where the middleware lands after single logout.
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "crewjam/saml SP\n") })
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})

	md := fetch(t, base.String()+"saml/metadata")
	gh.registerMetadata(t, app, md, map[string]any{"relayState": "/hello"})
	return &variant{app: app, start: base.String() + "hello", logout: base.String() + "logout", force: base.String() + "force", mfa: base.String() + "mfa"}
}

// fetch GETs u and returns the body, failing the test unless the status is 200.
func fetch(t testing.TB, u string) []byte {
	t.Helper()
	hc := &http.Client{Timeout: 30 * time.Second}
	resp, err := hc.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d, %v:\n%s", u, resp.StatusCode, err, data)
	}
	return bytes.TrimSpace(data)
}
