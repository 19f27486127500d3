package demoapp

import (
	"bytes"
	"compress/flate"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

const (
	ownerEmail    = "owner@example.com"
	ownerPassword = "owner-password-1"
	testIssuer    = "http://127.0.0.1:8080/d/default"
	testAuthURL   = "http://127.0.0.1:8080/d/default/saml2"
)

// testIdP is an identity provider key and certificate used to sign responses in tests.
type testIdP struct {
	key  *rsa.PrivateKey
	cert *x509.Certificate
}

func (p *testIdP) pem() string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.cert.Raw}))
}

var (
	idpOnce           sync.Once
	mainIdP, otherIdP *testIdP
)

// idps returns two IdPs with 2048-bit keys, generated once per test binary.
func idps(tb testing.TB) (*testIdP, *testIdP) {
	tb.Helper()
	idpOnce.Do(func() {
		mainIdP = newIdP(tb, 2048, time.Now().Add(-time.Hour), time.Now().Add(3*365*24*time.Hour), "Gatehouse test IdP")
		otherIdP = newIdP(tb, 2048, time.Now().Add(-time.Hour), time.Now().Add(3*365*24*time.Hour), "Some other IdP")
	})
	return mainIdP, otherIdP
}

func newIdP(tb testing.TB, bits int, notBefore, notAfter time.Time, cn string) *testIdP {
	tb.Helper()
	key, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		tb.Fatal(err)
	}
	return certFor(tb, key, notBefore, notAfter, cn)
}

func certFor(tb testing.TB, key *rsa.PrivateKey, notBefore, notAfter time.Time, cn string) *testIdP {
	tb.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatal(err)
	}
	return &testIdP{key: key, cert: cert}
}

// env is a running app on a loopback httptest server with a real SQLite database.
type env struct {
	t   testing.TB
	app *App
	srv *httptest.Server
	url string
	idp *testIdP
}

func newEnv(t testing.TB, configure ...func(*Config)) *env {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	cfg := Config{PublicURL: base, DataDir: t.TempDir(), Logger: slog.New(slog.NewTextHandler(testLog{t}, nil))}
	for _, c := range configure {
		c(&cfg)
	}
	app, err := Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = app.Handler()
	srv.Start()
	t.Cleanup(func() {
		srv.Close()
		app.Close()
	})
	if _, _, err := app.EnsureOwner(context.Background(), ownerEmail, ownerPassword); err != nil {
		t.Fatal(err)
	}
	idp, _ := idps(t)
	return &env{t: t, app: app, srv: srv, url: base, idp: idp}
}

// configureSSO stores settings that trust e.idp.
func (e *env) configureSSO(requireSSO bool) {
	e.t.Helper()
	if err := e.app.saveSettings(context.Background(), &settings{Cert: e.idp.cert, AuthURL: testAuthURL, IssuerURL: testIssuer, RequireSSO: requireSSO}); err != nil {
		e.t.Fatal(err)
	}
}

// invite adds a pending member directly.
func (e *env) invite(email, password string) {
	e.t.Helper()
	u := &User{Email: email, Role: RoleMember, Status: StatusPending, InvitedAt: time.Now()}
	if password != "" {
		h, err := e.app.hashPassword(password)
		if err != nil {
			e.t.Fatal(err)
		}
		u.PasswordHash = h
	}
	if err := e.app.createUser(context.Background(), u); err != nil {
		e.t.Fatal(err)
	}
}

// browser is an HTTP client with cookies that does not follow redirects.
type browser struct {
	t    testing.TB
	e    *env
	c    *http.Client
	jar  http.CookieJar
	base string
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: e.t, e: e, jar: jar, base: e.url, c: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       30 * time.Second,
	}}
}

// page is a response read whole.
type page struct {
	Status   int
	Body     string
	Location string
	Header   http.Header
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return page{Status: resp.StatusCode, Body: string(body), Location: resp.Header.Get("Location"), Header: resp.Header}
}

func (b *browser) get(path string) page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.base+path, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.do(req)
}

// post sends a same-origin form post, as a browser on the app's own page would.
func (b *browser) post(path string, form url.Values, headers ...string) page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return b.do(req)
}

// postMultipart sends the Access security form with an optional file.
func (b *browser) postMultipart(path string, fields map[string]string, fileField, fileName string, file []byte) page {
	b.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	if fileField != "" {
		fw, err := mw.CreateFormFile(fileField, fileName)
		if err != nil {
			b.t.Fatal(err)
		}
		fw.Write(file)
	}
	mw.Close()
	req, err := http.NewRequest(http.MethodPost, b.base+path, &buf)
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return b.do(req)
}

func (b *browser) signIn(email, password string) page {
	b.t.Helper()
	return b.post("/signin", url.Values{"email": {email}, "password": {password}, "next": {"/dashboard"}})
}

// signInOwner signs in as the owner and fails the test if that does not work.
func (b *browser) signInOwner() {
	b.t.Helper()
	if p := b.signIn(ownerEmail, ownerPassword); p.Status != http.StatusSeeOther {
		b.t.Fatalf("owner sign-in: status %d\n%s", p.Status, p.Body)
	}
}

// postResponse posts a SAMLResponse to the ACS as the IdP's auto-submitting form would, from another site.
func (b *browser) postResponse(samlResponse, relayState string) page {
	b.t.Helper()
	form := url.Values{"SAMLResponse": {samlResponse}}
	if relayState != "" {
		form.Set("RelayState", relayState)
	}
	return b.post("/saml/acs", form, "Sec-Fetch-Site", "cross-site", "Origin", "http://127.0.0.1:8080")
}

// startSSO follows GET /saml/login?next=... and returns the AuthnRequest ID and RelayState sent to the IdP.
func (b *browser) startSSO(next string) (id, relayState string) {
	b.t.Helper()
	p := b.get("/saml/login?next=" + url.QueryEscape(next))
	if p.Status != http.StatusFound {
		b.t.Fatalf("GET /saml/login: status %d\n%s", p.Status, p.Body)
	}
	loc, err := url.Parse(p.Location)
	if err != nil {
		b.t.Fatal(err)
	}
	if got := loc.Scheme + "://" + loc.Host + loc.Path; got != testAuthURL {
		b.t.Fatalf("redirected to %s, want the authentication URL %s", got, testAuthURL)
	}
	raw, err := base64.StdEncoding.DecodeString(loc.Query().Get("SAMLRequest"))
	if err != nil {
		b.t.Fatal(err)
	}
	xmlReq, err := io.ReadAll(io.LimitReader(flate.NewReader(bytes.NewReader(raw)), 1<<20))
	if err != nil {
		b.t.Fatal(err)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(xmlReq); err != nil {
		b.t.Fatal(err)
	}
	root := doc.Root()
	if root.Tag != "AuthnRequest" {
		b.t.Fatalf("root %s, want AuthnRequest", root.Tag)
	}
	if got := root.SelectAttrValue("AssertionConsumerServiceURL", ""); got != b.e.app.ACSURL() {
		b.t.Errorf("AssertionConsumerServiceURL %q, want %q", got, b.e.app.ACSURL())
	}
	if iss := root.FindElement("./Issuer"); iss == nil || iss.Text() != b.e.app.EntityID() {
		b.t.Errorf("AuthnRequest Issuer is not the entity ID %s", b.e.app.EntityID())
	}
	return root.SelectAttrValue("ID", ""), loc.Query().Get("RelayState")
}

// assertion describes a Response the test IdP produces; zero fields take correct defaults.
type assertion struct {
	Issuer, Audience, Recipient, Destination, InResponseTo string
	NameID                                                 string
	Attrs                                                  [][2]string
	IssueInstant, NotBefore, NotOnOrAfter                  time.Time
	ID                                                     string
	Signer                                                 *testIdP
	// Wrap adds an unsigned assertion for WrapEmail before the signed one.
	Wrap      bool
	WrapEmail string
}

func newID() string {
	b := make([]byte, 20)
	rand.Read(b)
	return fmt.Sprintf("_%x", b)
}

// response returns a base64 SAMLResponse for o, with the assertion signed (enveloped, RSA-SHA256, exclusive C14N).
func (e *env) response(o assertion) string {
	e.t.Helper()
	now := time.Now().UTC()
	if o.Issuer == "" {
		o.Issuer = testIssuer
	}
	if o.Audience == "" {
		o.Audience = e.app.EntityID()
	}
	if o.Recipient == "" {
		o.Recipient = e.app.ACSURL()
	}
	if o.Destination == "" {
		o.Destination = e.app.ACSURL()
	}
	if o.IssueInstant.IsZero() {
		o.IssueInstant = now
	}
	if o.NotBefore.IsZero() {
		o.NotBefore = o.IssueInstant.Add(-30 * time.Second)
	}
	if o.NotOnOrAfter.IsZero() {
		o.NotOnOrAfter = o.IssueInstant.Add(5 * time.Minute)
	}
	if o.ID == "" {
		o.ID = newID()
	}
	if o.Signer == nil {
		o.Signer = e.idp
	}
	resp := etree.NewElement("samlp:Response")
	resp.CreateAttr("xmlns:samlp", "urn:oasis:names:tc:SAML:2.0:protocol")
	resp.CreateAttr("xmlns:saml", "urn:oasis:names:tc:SAML:2.0:assertion")
	resp.CreateAttr("ID", newID())
	resp.CreateAttr("Version", "2.0")
	resp.CreateAttr("IssueInstant", o.IssueInstant.Format(time.RFC3339))
	resp.CreateAttr("Destination", o.Destination)
	if o.InResponseTo != "" {
		resp.CreateAttr("InResponseTo", o.InResponseTo)
	}
	resp.CreateElement("saml:Issuer").SetText(o.Issuer)
	resp.CreateElement("samlp:Status").CreateElement("samlp:StatusCode").CreateAttr("Value", "urn:oasis:names:tc:SAML:2.0:status:Success")
	if o.Wrap {
		forged := o
		forged.ID = newID()
		forged.NameID = o.WrapEmail
		forged.Attrs = [][2]string{{"email", o.WrapEmail}}
		resp.AddChild(buildAssertion(forged))
	}
	as := buildAssertion(o)
	ks := dsig.TLSCertKeyStore(tls.Certificate{Certificate: [][]byte{o.Signer.cert.Raw}, PrivateKey: o.Signer.key})
	ctx := dsig.NewDefaultSigningContext(ks)
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	if err := ctx.SetSignatureMethod(dsig.RSASHA256SignatureMethod); err != nil {
		e.t.Fatal(err)
	}
	signed, err := ctx.SignEnveloped(as)
	if err != nil {
		e.t.Fatal(err)
	}
	// Reparse what was signed, as the receiver will, then put the Signature right after the Issuer, where the
	// schema wants it.
	sd := etree.NewDocument()
	sd.SetRoot(signed)
	sb, err := sd.WriteToBytes()
	if err != nil {
		e.t.Fatal(err)
	}
	sd = etree.NewDocument()
	if err := sd.ReadFromBytes(sb); err != nil {
		e.t.Fatal(err)
	}
	signed = sd.Root()
	sig := signed.SelectElement("Signature")
	signed.RemoveChild(sig)
	signed.InsertChildAt(1, sig)
	resp.AddChild(signed)
	doc := etree.NewDocument()
	doc.SetRoot(resp)
	out, err := doc.WriteToBytes()
	if err != nil {
		e.t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(out)
}

func buildAssertion(o assertion) *etree.Element {
	as := etree.NewElement("saml:Assertion")
	as.CreateAttr("xmlns:saml", "urn:oasis:names:tc:SAML:2.0:assertion")
	as.CreateAttr("xmlns:xs", "http://www.w3.org/2001/XMLSchema")
	as.CreateAttr("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance")
	as.CreateAttr("ID", o.ID)
	as.CreateAttr("Version", "2.0")
	as.CreateAttr("IssueInstant", o.IssueInstant.Format(time.RFC3339))
	as.CreateElement("saml:Issuer").SetText(o.Issuer)
	subj := as.CreateElement("saml:Subject")
	nameID := subj.CreateElement("saml:NameID")
	nameID.CreateAttr("Format", "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress")
	nameID.SetText(o.NameID)
	sc := subj.CreateElement("saml:SubjectConfirmation")
	sc.CreateAttr("Method", "urn:oasis:names:tc:SAML:2.0:cm:bearer")
	scd := sc.CreateElement("saml:SubjectConfirmationData")
	scd.CreateAttr("NotOnOrAfter", o.NotOnOrAfter.Format(time.RFC3339))
	scd.CreateAttr("Recipient", o.Recipient)
	if o.InResponseTo != "" {
		scd.CreateAttr("InResponseTo", o.InResponseTo)
	}
	cond := as.CreateElement("saml:Conditions")
	cond.CreateAttr("NotBefore", o.NotBefore.Format(time.RFC3339))
	cond.CreateAttr("NotOnOrAfter", o.NotOnOrAfter.Format(time.RFC3339))
	cond.CreateElement("saml:AudienceRestriction").CreateElement("saml:Audience").SetText(o.Audience)
	st := as.CreateElement("saml:AuthnStatement")
	st.CreateAttr("AuthnInstant", o.IssueInstant.Format(time.RFC3339))
	st.CreateAttr("SessionIndex", newID())
	st.CreateElement("saml:AuthnContext").CreateElement("saml:AuthnContextClassRef").SetText("urn:oasis:names:tc:SAML:2.0:ac:classes:Password")
	if len(o.Attrs) > 0 {
		ats := as.CreateElement("saml:AttributeStatement")
		for _, kv := range o.Attrs {
			at := ats.CreateElement("saml:Attribute")
			at.CreateAttr("Name", kv[0])
			at.CreateAttr("NameFormat", "urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified")
			v := at.CreateElement("saml:AttributeValue")
			v.CreateAttr("xsi:type", "xs:string")
			v.SetText(kv[1])
		}
	}
	return as
}

// member returns the assertion for a team member with the given claims.
func member(email, first, last string) assertion {
	o := assertion{NameID: email, Attrs: [][2]string{{"email", email}}}
	if first != "" {
		o.Attrs = append(o.Attrs, [2]string{"firstName", first})
	}
	if last != "" {
		o.Attrs = append(o.Attrs, [2]string{"lastName", last})
	}
	return o
}

// currentUser returns the text of the id="current-user" element of the dashboard, or "".
func (b *browser) currentUser() string {
	b.t.Helper()
	p := b.get("/dashboard")
	if p.Status != http.StatusOK {
		return ""
	}
	const marker = `<span id="current-user">`
	i := strings.Index(p.Body, marker)
	if i < 0 {
		return ""
	}
	rest := p.Body[i+len(marker):]
	return rest[:strings.Index(rest, "<")]
}

// sessionCount returns the number of sessions in the database.
func (e *env) sessionCount() int {
	e.t.Helper()
	var n int
	if err := e.app.db.QueryRow(`SELECT count(*) FROM sessions`).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// wantContains fails unless body contains each of subs.
func wantContains(t *testing.T, body string, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if !strings.Contains(body, s) {
			t.Errorf("page lacks %q\n%s", s, body)
		}
	}
}

// testLog writes the app's log to the test's log, shown when a test fails or with -v.
type testLog struct{ t testing.TB }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// newBenchEnv is newEnv with SSO set up and ada@example.com invited, logging nothing.
func newBenchEnv(b *testing.B) *env {
	b.Helper()
	e := newEnv(b)
	e.app.log = slog.New(slog.DiscardHandler)
	e.configureSSO(false)
	e.invite("ada@example.com", "")
	return e
}
