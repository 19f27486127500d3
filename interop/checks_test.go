package interop

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// spKit is a running service provider, registered in Gatehouse, ready for the checks.
type spKit struct {
	name string
	// plain sends unsigned AuthnRequests; signed (nil when the SP cannot sign them) signed ones.
	plain, signed *variant
	// noEncryption and noLogout, when set, say why the SP cannot decrypt assertions or log out.
	noEncryption, noLogout string
	// refusal, when set, is text the SP's page shows when it refuses a tampered Response.
	refusal string
	// ecdsa is an instance registered as an app that signs with an ECDSA P-256 key (nil when there is none);
	// ecdsaRefusal, when set, is what the SP says when it refuses that app's ECDSA-SHA256 signatures, and empty
	// when it accepts them.
	ecdsa        *variant
	ecdsaRefusal string
}

// variant is one configuration of an SP, registered in Gatehouse as an app of its own.
type variant struct {
	app *registeredApp
	// start is a protected page: opening it without a session starts SP-initiated sign-in, and with one it shows
	// the signed-in user's NameID and attributes.
	start string
	// logout starts SP-initiated single logout ("" when the SP has none).
	logout string
	// force and passive start SP-initiated sign-in with ForceAuthn and with IsPassive ("" when the SP cannot ask).
	force, passive string
	// mfa starts SP-initiated sign-in whose RequestedAuthnContext asks for https://refeds.org/profile/mfa
	// (exact), "" when the SP cannot send RequestedAuthnContext.
	mfa string
	// shib is the configuration of a Shibboleth variant.
	shib *shibConfig
}

// newFlow returns a flow in b whose Gatehouse Responses are checked against v's app: its signatures verified by
// xmlsec1 and the signing option honoured.
func (v *variant) newFlow(t testing.TB, b *browser) *flow {
	f := b.flow()
	f.app = v.app
	f.t = t
	return f
}

// requireSignedIn fails the test unless p is the SP's page for the test user.
func requireSignedIn(t testing.TB, p *page) {
	t.Helper()
	if p.Status != http.StatusOK {
		t.Fatalf("the SP answered %s with status %d, not the signed-in page:\n%s", p.URL, p.Status, clip(p.Body))
	}
	for _, want := range []string{userName, userGiven, userSurname} {
		if !strings.Contains(p.Body, want) {
			t.Fatalf("the SP's page %s does not show %q from the assertion:\n%s", p.URL, want, clip(p.Body))
		}
	}
	if strings.Contains(p.Body, mallory) {
		t.Fatalf("the SP's page shows %s:\n%s", mallory, clip(p.Body))
	}
}

// requireSignedOut fails the test unless opening the SP's protected page start in b sends the browser to
// Gatehouse (or shows a page without the user) instead of the signed-in page.
func requireSignedOut(t testing.TB, b *browser, start string) {
	t.Helper()
	p, err := b.get(start)
	if err != nil {
		t.Fatal(err)
	}
	if p.Status == http.StatusOK && (strings.Contains(p.Body, userGiven) || strings.Contains(p.Body, mallory)) && !strings.Contains(p.Body, "SAMLRequest") {
		t.Fatalf("the SP still shows a signed-in user at %s:\n%s", start, clip(p.Body))
	}
}

func clip(s string) string {
	if len(s) > 3000 {
		return s[:3000] + "…"
	}
	return s
}

// spChecks are the checks every SP is put through, in the order of the matrix.
var spChecks = []struct {
	name string
	run  func(c *checkT, gh *gatehouseServer, k *spKit)
}{
	{checkImport, metadataImport},
	{checkSPInitiated, spInitiated},
	{checkSPSigned, spInitiatedSigned},
	{checkIdPInit, idpInitiated},
	{checkForceAuthn, forceAuthn},
	{checkPassive, isPassive},
	{checkEncrypted, encrypted},
	{checkClaims, claims},
	{checkLogout, logout},
	{checkPropagated, logoutPropagated},
	{checkIdPLogout, idpLogout},
	{checkTampered, tampered},
	{checkRollover, rollover},
	{checkPasskeyMFA, passkeyMFA},
	{checkECDSA, ecdsaSignOn},
}

// runChecks runs every check of the matrix against k.
func runChecks(t *testing.T, k *spKit) {
	gh := startGatehouse(t)
	for _, ch := range spChecks {
		runCheck(t, k.name, ch.name, func(c *checkT) { ch.run(c, gh, k) })
	}
}

// metadataImport checks that Gatehouse registered each instance of the SP from the SP's own metadata, with the
// settings that metadata describes.
func metadataImport(c *checkT, gh *gatehouseServer, k *spKit) {
	if !gh.features.metadataImport {
		c.notSupported("SP metadata import")
	}
	n := 0
	for _, v := range []*variant{k.plain, k.signed} {
		if v == nil {
			continue
		}
		if !v.app.Imported {
			c.Fatalf("%s was not registered through Gatehouse's metadata import", v.app.App.Name)
		}
		requireImported(c, gh, v.app)
		n++
	}
	c.notePass("%d instances: entity ID, POST ACS with index, logout URL, certificates, AuthnRequestsSigned", n)
}

// requireImported fails the test unless the app's settings are what its SP's metadata describes.
func requireImported(t testing.TB, gh *gatehouseServer, app *registeredApp) {
	t.Helper()
	var st struct {
		EntityID              string   `json:"entityId"`
		ReplyURLs             []string `json:"replyUrls"`
		ACSIndexes            []int    `json:"acsIndexes"`
		LogoutURL             string   `json:"logoutUrl"`
		SigningCertificates   []string `json:"signingCertificates"`
		EncryptionCertificate string   `json:"encryptionCertificate"`
		RequireSignedRequests bool     `json:"requireSignedRequests"`
	}
	gh.api.mustCall(t, "GET", app.path()+"/saml", nil, http.StatusOK, &st)
	md := app.SP
	if st.EntityID != md.EntityID {
		t.Errorf("entity ID %q, want %q", st.EntityID, md.EntityID)
	}
	for i, u := range md.ACSURLs {
		j := slices.Index(st.ReplyURLs, u)
		switch {
		case j < 0:
			t.Errorf("reply URLs %v lack the HTTP-POST ACS %s", st.ReplyURLs, u)
		case j < len(st.ACSIndexes) && md.ACSIndexes[i] != 0 && st.ACSIndexes[j] != md.ACSIndexes[i]:
			t.Errorf("the ACS %s has index %d, want %d from the metadata", u, st.ACSIndexes[j], md.ACSIndexes[i])
		}
	}
	if st.LogoutURL != md.SLOURL {
		t.Errorf("logout URL %q, want %q", st.LogoutURL, md.SLOURL)
	}
	if (md.SigningKeys > 0) != (len(st.SigningCertificates) > 0) {
		t.Errorf("%d signing certificates, but the metadata has %d signing keys", len(st.SigningCertificates), md.SigningKeys)
	}
	if (md.EncryptionKeys > 0) != (st.EncryptionCertificate != "") {
		t.Errorf("encryption certificate %v, but the metadata has %d encryption keys", st.EncryptionCertificate != "", md.EncryptionKeys)
	}
	if st.RequireSignedRequests != md.AuthnRequestsSigned {
		t.Errorf("requireSignedRequests %v, but the metadata says AuthnRequestsSigned %v", st.RequireSignedRequests, md.AuthnRequestsSigned)
	}
}

// spInitiated checks SP-initiated sign-in with an unsigned AuthnRequest: the SP shows the user, and the Response answers the request.
func spInitiated(c *checkT, gh *gatehouseServer, k *spKit) {
	b := newBrowser()
	f := k.plain.newFlow(c, b)
	p := f.run(c, k.plain.start)
	requireSignedIn(c, p)
	reqs, resps := f.requests(), f.responses()
	if len(reqs) != 1 || len(resps) != 1 || f.Logins != 1 {
		c.Fatalf("saw %d AuthnRequests, %d Responses and %d sign-ins, want one each", len(reqs), len(resps), f.Logins)
	}
	if signedRequest(reqs[0]) {
		c.Errorf("the unsigned variant sent a signed AuthnRequest")
	}
	if id, irt := messageID(reqs[0].XML), inResponseTo(resps[0].XML); id == "" || irt != id {
		c.Errorf("Response InResponseTo=%q, want the AuthnRequest's ID %q", irt, id)
	}
	acs := "ACS by URL"
	if bytes.Contains(reqs[0].XML, []byte("AssertionConsumerServiceIndex")) {
		acs = "ACS by index"
	}
	c.notePass("%s binding, %s", reqs[0].Binding, acs)
}

// spInitiatedSigned checks SP-initiated sign-in with a signed AuthnRequest from an app that requires one, and that Gatehouse refuses copies of the request with a corrupted or a removed signature.
func spInitiatedSigned(c *checkT, gh *gatehouseServer, k *spKit) {
	if k.signed == nil {
		c.notApplicable(k.name + " does not sign AuthnRequests")
	}
	if !gh.features.signedRequests {
		c.notSupported("verification of signed AuthnRequests")
	}
	// The app must require signed requests: from the SP's metadata (AuthnRequestsSigned) or set here.
	var st map[string]any
	gh.api.mustCall(c, "GET", k.signed.app.path()+"/saml", nil, http.StatusOK, &st)
	how := "required by the SP's metadata"
	if on, _ := st["requireSignedRequests"].(bool); !on {
		how = "required by the app's setting (the SP's metadata does not say AuthnRequestsSigned)"
		gh.api.mustCall(c, "PATCH", k.signed.app.path()+"/saml", map[string]any{"requireSignedRequests": true}, http.StatusOK, nil)
	}
	b := newBrowser()
	f := k.signed.newFlow(c, b)
	var corrupted, unsigned *page
	f.BeforeRequest = func(m samlMessage) {
		corrupted = sendAltered(c, m, corruptSignature)
		unsigned = sendAltered(c, m, stripSignature)
	}
	p := f.run(c, k.signed.start)
	requireSignedIn(c, p)
	reqs := f.requests()
	if len(reqs) != 1 || !signedRequest(reqs[0]) {
		c.Fatalf("the signed variant sent %d AuthnRequests, the first signed: %v", len(reqs), len(reqs) > 0 && signedRequest(reqs[0]))
	}
	for _, r := range []struct {
		what string
		p    *page
	}{{"with a corrupted signature", corrupted}, {"without its signature", unsigned}} {
		if r.p == nil || r.p.Status != http.StatusBadRequest {
			st := 0
			if r.p != nil {
				st = r.p.Status
			}
			c.Errorf("Gatehouse did not refuse a copy of the AuthnRequest %s: status %d, want 400", r.what, st)
		}
	}
	c.notePass("%s binding, %s; a corrupted or removed signature is refused", reqs[0].Binding, how)
}

// idpInitiated checks IdP-initiated sign-on from the app's user access URL.
func idpInitiated(c *checkT, gh *gatehouseServer, k *spKit) {
	b := newBrowser()
	f := k.plain.newFlow(c, b)
	p := f.run(c, k.plain.app.UserAccessURL)
	if len(f.responses()) != 1 {
		c.Fatalf("saw %d Responses, want 1; last page %s:\n%s", len(f.responses()), p.URL, clip(p.Body))
	}
	if len(f.requests()) != 0 {
		c.Fatalf("IdP-initiated sign-on sent %d AuthnRequests", len(f.requests()))
	}
	if irt := inResponseTo(f.responses()[0].XML); irt != "" {
		c.Errorf("an IdP-initiated Response carries InResponseTo=%q", irt)
	}
	if !strings.Contains(p.Body, userGiven) {
		// The SP landed somewhere else than the protected page: open it.
		p, _ = b.get(k.plain.start)
	}
	requireSignedIn(c, p)
}

// forceAuthn checks that an AuthnRequest with ForceAuthn makes Gatehouse ask for the password again although the
// user is signed in, and that the SP then signs the user in.
func forceAuthn(c *checkT, gh *gatehouseServer, k *spKit) {
	if k.plain.force == "" {
		c.notApplicable(k.name + " has no option to send ForceAuthn")
	}
	b := newBrowser()
	requireSignedIn(c, k.plain.newFlow(c, b).run(c, k.plain.start))
	f := k.plain.newFlow(c, b)
	p := f.run(c, k.plain.force)
	reqs := f.requests()
	if len(reqs) != 1 || !forceAuthnRE.Match(reqs[0].XML) {
		c.Fatalf("the SP did not send one AuthnRequest with ForceAuthn (%d requests):\n%s", len(reqs), firstXML(reqs))
	}
	if f.Logins != 1 {
		c.Fatalf("Gatehouse did not ask for the password again for a ForceAuthn request (sign-ins: %d)", f.Logins)
	}
	if !strings.Contains(p.Body, userGiven) {
		p, _ = b.get(k.plain.start)
	}
	requireSignedIn(c, p)
}

var forceAuthnRE = regexp.MustCompile(`ForceAuthn="(true|1)"`)

// isPassive checks IsPassive: without a session at Gatehouse the SP gets a NoPassive status, and the user neither
// sees Gatehouse's sign-in page nor is signed in; with one, the user is signed in without being asked anything.
func isPassive(c *checkT, gh *gatehouseServer, k *spKit) {
	if k.plain.passive == "" {
		c.notApplicable(k.name + " has no option to send IsPassive")
	}
	b := newBrowser()
	f := k.plain.newFlow(c, b)
	f.StopAtLogin = true
	p := f.run(c, k.plain.passive)
	reqs, resps := f.requests(), f.responses()
	if len(reqs) != 1 || !isPassiveRE.Match(reqs[0].XML) {
		c.Fatalf("the SP did not send one AuthnRequest with IsPassive (%d requests):\n%s", len(reqs), firstXML(reqs))
	}
	if strings.HasPrefix(p.URL, gh.URL+"/d/"+directory+"/login") {
		c.Fatalf("a passive request without a session showed Gatehouse's sign-in page")
	}
	if len(resps) != 1 || !bytes.Contains(resps[0].XML, []byte("urn:oasis:names:tc:SAML:2.0:status:NoPassive")) {
		c.Fatalf("Gatehouse did not answer the passive request with the NoPassive status:\n%s", firstXML(resps))
	}
	requireSignedOut(c, b, k.plain.start)
	// Signed in at Gatehouse through another sign-in, a passive request signs the user in without a question.
	b = newBrowser()
	requireSignedIn(c, k.plain.newFlow(c, b).run(c, k.plain.app.UserAccessURL))
	f = k.plain.newFlow(c, b)
	p = f.run(c, k.plain.passive)
	if f.Logins != 0 {
		c.Fatalf("a passive request with a session asked for the password")
	}
	if !strings.Contains(p.Body, userGiven) {
		p, _ = b.get(k.plain.start)
	}
	requireSignedIn(c, p)
	c.notePass("NoPassive without a session, silent sign-in with one")
}

var isPassiveRE = regexp.MustCompile(`IsPassive="(true|1)"`)

func firstXML(ms []samlMessage) []byte {
	if len(ms) == 0 {
		return nil
	}
	return ms[0].XML
}

// encrypted checks that the SP decrypts an encrypted assertion, and that nothing of it is in the clear.
func encrypted(c *checkT, gh *gatehouseServer, k *spKit) {
	if k.noEncryption != "" {
		c.notApplicable(k.noEncryption)
	}
	if !gh.features.encryption {
		c.notSupported("encrypted assertions")
	}
	encryptFor(c, gh, k.plain.app)
	b := newBrowser()
	f := k.plain.newFlow(c, b)
	p := f.run(c, k.plain.start)
	resps := f.responses()
	if len(resps) != 1 {
		c.Fatalf("saw %d Responses, want 1", len(resps))
	}
	algs := requireEncrypted(c, resps[0].XML)
	requireSignedIn(c, p)
	c.notePass("%s", strings.Join(algs, ", "))
}

// extraClaims are claims that exercise Gatehouse's claim features, and the values each must reach the SP with.
var extraClaims = []struct {
	claim map[string]any
	want  []string
}{
	{map[string]any{"name": "groups", "groups": "all"}, []string{groupNames[0], groupNames[1]}},
	{map[string]any{"name": "upn_upper", "source": "user.userprincipalname", "transform": "upper"}, []string{strings.ToUpper(userName)}},
	{map[string]any{"name": "mail_prefix", "source": "user.mail", "transform": "mailPrefix"}, []string{"b.simon"}},
	{map[string]any{"name": "full_name", "source": "user.givenname", "transform": "join", "joinSource": "user.surname", "separator": " "}, []string{userGiven + " " + userSurname}},
	{map[string]any{"name": "department", "value": "Interop", "values": []string{"Quality"}}, []string{"Interop", "Quality"}},
	{map[string]any{"name": "urn:oid:2.5.4.11", "nameFormat": "urn:oasis:names:tc:SAML:2.0:attrname-format:uri", "source": "user.displayname"}, []string{userGiven + " " + userSurname + " (display)"}},
}

// claims checks that the SP receives claims made with Gatehouse's claim features: a multi-valued group claim by
// group name, transforms (upper case, mail prefix, join), a multi-valued constant and a URI-named claim.
func claims(c *checkT, gh *gatehouseServer, k *spKit) {
	app := k.plain.app
	var st struct {
		Claims []map[string]any `json:"claims"`
	}
	gh.api.mustCall(c, "GET", app.path()+"/saml", nil, http.StatusOK, &st)
	all := append([]map[string]any(nil), st.Claims...)
	for _, x := range extraClaims {
		all = append(all, x.claim)
	}
	gh.api.mustCall(c, "PATCH", app.path()+"/saml", map[string]any{"claims": all}, http.StatusOK, nil)
	c.Cleanup(func() {
		_ = gh.api.call("PATCH", app.path()+"/saml", map[string]any{"claims": st.Claims}, http.StatusOK, nil)
	})
	b := newBrowser()
	p := k.plain.newFlow(c, b).run(c, k.plain.start)
	requireSignedIn(c, p)
	for _, x := range extraClaims {
		for _, v := range x.want {
			if !strings.Contains(p.Body, v) {
				c.Errorf("the SP's page does not show %q of claim %v:\n%s", v, x.claim["name"], clip(p.Body))
			}
		}
	}
	c.notePass("group claim (2 values), upper, mailPrefix, join, multi-valued constant, URI name")
}

// logout checks SP-initiated single logout: Gatehouse answers the SP's LogoutRequest with a successful LogoutResponse, and both sessions end.
func logout(c *checkT, gh *gatehouseServer, k *spKit) {
	if k.noLogout != "" || k.plain.logout == "" {
		c.notApplicable(k.noLogout)
	}
	if !gh.features.logout {
		c.notSupported("single logout")
	}
	// The variant that signs its requests signs its LogoutRequests too, as the single logout profile wants for
	// the front-channel bindings.
	v := k.plain
	if k.signed != nil {
		v = k.signed
	}
	b := newBrowser()
	requireSignedIn(c, v.newFlow(c, b).run(c, v.start))
	f := v.newFlow(c, b)
	p := f.run(c, v.logout)
	var sawRequest, sawResponse bool
	var bindings []string
	for _, m := range f.Messages {
		switch {
		case m.Param == "SAMLRequest" && strings.HasPrefix(m.To, gh.URL) && bytes.Contains(m.XML, []byte("LogoutRequest")):
			sawRequest = true
			bindings = append(bindings, "LogoutRequest by "+m.Binding)
		case m.Param == "SAMLResponse" && strings.HasPrefix(m.From, gh.URL) && bytes.Contains(m.XML, []byte("LogoutResponse")):
			sawResponse = true
			bindings = append(bindings, "LogoutResponse by "+m.Binding)
			if !bytes.Contains(m.XML, []byte("urn:oasis:names:tc:SAML:2.0:status:Success")) {
				c.Errorf("the LogoutResponse is not a success:\n%s", m.XML)
			}
		}
	}
	if p.Status >= 400 {
		c.Errorf("the SP's last page after logout, %s, has status %d:\n%s", p.URL, p.Status, clip(p.Body))
	}
	if !sawRequest || !sawResponse {
		c.Fatalf("logout sent a LogoutRequest to Gatehouse: %v, got a LogoutResponse back: %v; last page %s (%d):\n%s", sawRequest, sawResponse, p.URL, p.Status, clip(p.Body))
	}
	requireSignedOut(c, b, v.start)
	// Gatehouse's own session has ended too: signing in again asks for the password.
	f = v.newFlow(c, b)
	requireSignedIn(c, f.run(c, v.start))
	if f.Logins != 1 {
		c.Errorf("after single logout, signing in again did not ask for the password at Gatehouse")
	}
	c.notePass("%s", strings.Join(bindings, ", "))
}

// logoutPropagated checks that logging out of one app of a session logs the user out of the other app too.
func logoutPropagated(c *checkT, gh *gatehouseServer, k *spKit) {
	if k.noLogout != "" || k.plain.logout == "" {
		c.notApplicable(k.noLogout)
	}
	if k.signed == nil {
		c.notApplicable("one instance of the SP only")
	}
	if !gh.features.logout {
		c.notSupported("single logout")
	}
	// Signed in to both apps of the SP in one browser, logging out of one must log out of the other.
	b := newBrowser()
	requireSignedIn(c, k.plain.newFlow(c, b).run(c, k.plain.start))
	second := k.signed.newFlow(c, b)
	requireSignedIn(c, second.run(c, k.signed.start))
	if second.Logins != 0 {
		c.Fatalf("the second app asked for the password again instead of using Gatehouse's session")
	}
	f := k.signed.newFlow(c, b)
	f.run(c, k.signed.logout)
	requireLogoutSent(c, f, gh, k.plain)
	requireSignedOut(c, b, k.plain.start)
	requireSignedOut(c, b, k.signed.start)
	c.notePass("%s", strings.Join(logoutBindings(f, gh), ", "))
}

// idpLogout checks that signing out at Gatehouse — the sign-out button of My Apps — logs the user out of the SP.
func idpLogout(c *checkT, gh *gatehouseServer, k *spKit) {
	if k.noLogout != "" || k.plain.logout == "" {
		c.notApplicable(k.noLogout)
	}
	if !gh.features.logout {
		c.notSupported("single logout")
	}
	b := newBrowser()
	requireSignedIn(c, k.plain.newFlow(c, b).run(c, k.plain.start))
	myApps := gh.URL + "/d/" + directory + "/myapps"
	m, err := b.get(myApps)
	if err != nil {
		c.Fatal(err)
	}
	action := signOutRE.FindStringSubmatch(m.Body)
	if m.Status != http.StatusOK || action == nil {
		c.Fatalf("My Apps (status %d) has no sign-out form:\n%s", m.Status, clip(m.Body))
	}
	p, err := b.post(gh.URL+html.UnescapeString(action[1]), myApps, map[string]string{})
	if err != nil {
		c.Fatal(err)
	}
	f := k.plain.newFlow(c, b)
	f.StopAtLogin = true
	last := f.follow(c, p)
	requireLogoutSent(c, f, gh, k.plain)
	requireSignedOut(c, b, k.plain.start)
	if q, err := b.get(myApps); err != nil || q.Status == http.StatusOK {
		c.Errorf("My Apps still answers 200 after signing out at Gatehouse (last page %s)", last.URL)
	}
	c.notePass("My Apps' sign-out: %s", strings.Join(logoutBindings(f, gh), ", "))
}

// signOutRE finds the action of the sign-out form in Gatehouse's page header.
var signOutRE = regexp.MustCompile(`<form method="post" action="([^"]*/logout)"[^>]*>\s*<button[^>]*id="sign-out"`)

// tampered checks that the SP refuses a Response changed after signing, and stays signed out.
func tampered(c *checkT, gh *gatehouseServer, k *spKit) {
	b := newBrowser()
	f := k.plain.newFlow(c, b)
	f.BeforePost = func(x []byte) []byte { return tamper(c, x) }
	p := f.run(c, k.plain.start)
	if len(f.responses()) != 1 {
		c.Fatalf("saw %d Responses, want 1", len(f.responses()))
	}
	if p.Status == http.StatusOK && strings.Contains(p.Body, mallory) && !strings.Contains(p.Body, "SAMLRequest") {
		c.Fatalf("the SP accepted a tampered Response and signed in %s:\n%s", mallory, clip(p.Body))
	}
	if k.refusal != "" && !strings.Contains(p.Body, k.refusal) {
		c.Errorf("the SP's answer to the tampered Response (status %d) does not say %q:\n%s", p.Status, k.refusal, clip(p.Body))
	}
	requireSignedOut(c, b, k.plain.start)
	c.Logf("the SP's refusal (status %d): %s", p.Status, clip(p.Body))

	// The same tampered Response signed again with another key, whose certificate its KeyInfo carries: the SP must
	// trust only Gatehouse's certificates from the metadata.
	forger := newKeyPair(c, c.TempDir(), "forger", "Gatehouse SSO Certificate")
	b = newBrowser()
	f = k.plain.newFlow(c, b)
	f.BeforePost = func(x []byte) []byte { return forge(c, tamper(c, x), forger.Key, forger.Cert) }
	q := f.run(c, k.plain.start)
	if q.Status == http.StatusOK && strings.Contains(q.Body, mallory) && !strings.Contains(q.Body, "SAMLRequest") {
		c.Fatalf("the SP accepted a tampered Response signed again with another key and signed in %s:\n%s", mallory, clip(q.Body))
	}
	requireSignedOut(c, b, k.plain.start)
	c.Logf("the SP's refusal of the re-signed Response (status %d): %s", q.Status, clip(q.Body))
	if k.refusal != "" {
		c.notePass("SP answered %d: %s; also refused when signed again with another key", p.Status, k.refusal)
	} else {
		c.notePass("SP answered %d; also refused when signed again with another key", p.Status)
	}
}

// rollover checks that the SP accepts Responses signed with the app's next certificate once it is made active, without being reconfigured.
func rollover(c *checkT, gh *gatehouseServer, k *spKit) {
	if !gh.features.rollover {
		c.notSupported("certificate rollover")
	}
	// The SP read the IdP metadata while it published the next certificate beside the active one; once the next
	// one signs, the SP must accept the Responses without being touched.
	activateNext(c, gh, k.plain.app)
	b := newBrowser()
	f := k.plain.newFlow(c, b)
	requireSignedIn(c, f.run(c, k.plain.start))
	c.notePass("signed with the next certificate after make active; the SP was not reconfigured")
}

// ecdsaSignOn signs in to the SP's instance whose app signs with an ECDSA P-256 key (ECDSA-SHA256, r||s as XML
// Signature specifies; xmlsec1 verifies each signature on the way) and checks that the SP accepts the Response, or
// refuses it with the words it is known to say, so that a change either way is noticed.
func ecdsaSignOn(c *checkT, gh *gatehouseServer, k *spKit) {
	if !gh.features.ecdsa {
		c.notSupported("ECDSA signing")
	}
	if k.ecdsa == nil {
		c.Fatal("the SP has no instance for an app signing with ECDSA")
	}
	requireECDSAApp(c, gh, k.ecdsa.app)
	b := newBrowser()
	f := k.ecdsa.newFlow(c, b)
	p := f.run(c, k.ecdsa.start)
	rs := f.responses()
	if len(rs) == 0 {
		c.Fatalf("Gatehouse sent no Response; the flow ended at %s (status %d):\n%s", p.URL, p.Status, clip(p.Body))
	}
	for _, r := range rs {
		if !bytes.Contains(r.XML, []byte(`Algorithm="`+sigAlgECDSASHA256+`"`)) {
			c.Fatalf("the Response is not signed with ECDSA-SHA256:\n%s", r.XML)
		}
	}
	if k.ecdsaRefusal == "" {
		requireSignedIn(c, p)
		c.notePass("accepts ECDSA-SHA256 signatures of a P-256 key")
		return
	}
	requireSignedOut(c, b, k.ecdsa.start)
	if !strings.Contains(p.Body, k.ecdsaRefusal) {
		c.Fatalf("the SP did not refuse the ECDSA-signed Response with %q; it answered %s (status %d):\n%s", k.ecdsaRefusal, p.URL, p.Status, clip(p.Body))
	}
	c.noteRefused("refuses ECDSA-SHA256 signatures: %s", k.ecdsaRefusal)
}

// sigAlgECDSASHA256 is the ECDSA-SHA256 signature method URI.
const sigAlgECDSASHA256 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"

// requireECDSAApp fails the test unless the app's active certificate has an ECDSA P-256 key.
func requireECDSAApp(t testing.TB, gh *gatehouseServer, app *registeredApp) {
	t.Helper()
	var list struct {
		Items []struct {
			State   string `json:"state"`
			KeyType string `json:"keyType"`
		} `json:"items"`
	}
	gh.api.mustCall(t, "GET", app.path()+"/certificates", nil, http.StatusOK, &list)
	for _, c := range list.Items {
		if c.State == "active" && c.KeyType == "ecdsa-p256" {
			return
		}
	}
	t.Fatalf("the app %s has no active ECDSA P-256 certificate: %+v", app.App.Name, list.Items)
}

// activateNext makes the app's next certificate the active one, after checking that its metadata publishes both,
// and from then on checks Responses against it.
func activateNext(t testing.TB, gh *gatehouseServer, app *registeredApp) {
	t.Helper()
	md := app.idpMetadata(t)
	for _, p := range [][]byte{app.CertPEM, app.NextCertPEM} {
		if !bytes.Contains(md, []byte(pemBody(p)[:64])) {
			t.Fatalf("the app's metadata does not publish both the active and the next certificate:\n%s", md)
		}
	}
	gh.api.mustCall(t, "POST", app.path()+"/certificates/"+app.NextCertID+"/activate", nil, http.StatusOK, nil)
	app.CertPEM = app.NextCertPEM
}

// pemBody returns the base64 body of a PEM certificate on one line.
func pemBody(p []byte) string {
	var body []string
	for _, line := range strings.Split(string(p), "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "-----") {
			body = append(body, line)
		}
	}
	return strings.Join(body, "")
}

// requireLogoutSent fails the test unless Gatehouse sent v's SP a LogoutRequest in f and the SP's answer was a
// LogoutResponse that Gatehouse accepted.
func requireLogoutSent(t testing.TB, f *flow, gh *gatehouseServer, v *variant) {
	t.Helper()
	host := hostOf(v.start)
	var sent, answered bool
	for _, m := range f.Messages {
		switch {
		case m.Param == "SAMLRequest" && strings.HasPrefix(m.From, gh.URL) && hostOf(m.To) == host && rootName(m.XML) == "LogoutRequest":
			sent = true
			defer func(x []byte) {
				if t.Failed() {
					t.Logf("Gatehouse's LogoutRequest to the SP:\n%s", x)
				}
			}(m.XML)
		case m.Param == "SAMLResponse" && strings.HasPrefix(m.To, gh.URL) && hostOf(m.From) == host && rootName(m.XML) == "LogoutResponse":
			answered = true
			if !bytes.Contains(m.XML, []byte("status:Success")) {
				t.Errorf("the SP's LogoutResponse is not a success:\n%s", m.XML)
			}
		}
	}
	if !sent {
		t.Fatalf("Gatehouse sent no LogoutRequest to %s (%d frames on its logout page)", host, len(f.Frames))
	}
	if !answered {
		t.Errorf("the SP at %s sent no LogoutResponse back to Gatehouse", host)
	}
	for _, p := range f.Frames {
		defer func(p *page) {
			if t.Failed() {
				t.Logf("a frame of Gatehouse's logout page ended at %s (status %d):\n%s", p.URL, p.Status, clip(p.Body))
			}
		}(p)
		if strings.HasPrefix(p.URL, gh.URL) && p.Status != http.StatusOK {
			t.Errorf("Gatehouse refused the LogoutResponse of %s: status %d: %s", host, p.Status, clip(p.Body))
		}
	}
}

// logoutBindings lists the logout messages of a flow with their bindings.
func logoutBindings(f *flow, gh *gatehouseServer) []string {
	var out []string
	for _, m := range f.Messages {
		if n := rootName(m.XML); strings.HasPrefix(n, "Logout") {
			dir := "to"
			if strings.HasPrefix(m.From, gh.URL) {
				dir = "from"
			}
			out = append(out, n+" "+dir+" Gatehouse by "+m.Binding)
		}
	}
	return out
}

func hostOf(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return ""
	}
	return p.Host
}

// encryptFor turns on encrypted assertions for app until the test ends; the encryption certificate must have come
// from the SP's metadata.
func encryptFor(t testing.TB, gh *gatehouseServer, app *registeredApp) {
	t.Helper()
	var st map[string]any
	gh.api.mustCall(t, "GET", app.path()+"/saml", nil, http.StatusOK, &st)
	if cert, _ := st["encryptionCertificate"].(string); cert == "" {
		t.Fatalf("the app has no encryption certificate after registering the SP's metadata (imported: %v)", app.Imported)
	}
	gh.api.mustCall(t, "PATCH", app.path()+"/saml", map[string]any{"encryptAssertions": true}, http.StatusOK, nil)
	gh.api.mustCall(t, "GET", app.path()+"/saml", nil, http.StatusOK, &st)
	if on, _ := st["encryptAssertions"].(bool); !on {
		t.Fatalf("PATCH .../saml {\"encryptAssertions\": true} did not stick: the app's settings say %v", st["encryptAssertions"])
	}
	t.Cleanup(func() {
		_ = gh.api.call("PATCH", app.path()+"/saml", map[string]any{"encryptAssertions": false}, http.StatusOK, nil)
	})
}

var (
	plainAssertionRE = regexp.MustCompile(`<(?:\w+:)?Assertion[\s>]`)
	encryptionAlgRE  = regexp.MustCompile(`<(?:\w+:)?EncryptionMethod\b[^>]*Algorithm="([^"]+)"`)
)

// requireEncrypted fails the test unless the Response carries an EncryptedAssertion and nothing of the assertion
// in the clear; it returns the encryption algorithms (the fragment of their URIs).
func requireEncrypted(t testing.TB, x []byte) []string {
	t.Helper()
	if !bytes.Contains(x, []byte("EncryptedAssertion")) || plainAssertionRE.Match(x) || bytes.Contains(x, []byte(userName)) {
		t.Fatalf("the Response does not carry only an encrypted assertion:\n%s", x)
	}
	var algs []string
	for _, m := range encryptionAlgRE.FindAllSubmatch(x, -1) {
		a := string(m[1])
		if i := strings.LastIndex(a, "#"); i >= 0 {
			a = a[i+1:]
		}
		algs = append(algs, a)
	}
	return algs
}

// signedRequest reports whether an AuthnRequest carries a signature (in the query for the Redirect binding, in
// the XML for POST).
func signedRequest(m samlMessage) bool {
	if m.Binding == "redirect" {
		return m.Query.Get("Signature") != ""
	}
	return bytes.Contains(m.XML, []byte("SignatureValue"))
}

// Alterations of a signed AuthnRequest that Gatehouse must refuse.
const (
	corruptSignature = "corrupt"
	stripSignature   = "strip"
)

var signatureElementRE = regexp.MustCompile(`(?s)<(?:\w+:)?Signature\b.*?</(?:\w+:)?Signature>`)

// sendAltered sends Gatehouse, from a fresh browser, a copy of the signed AuthnRequest m with one bit of its
// signature flipped (corruptSignature) or without its signature (stripSignature), and returns Gatehouse's answer.
func sendAltered(t testing.TB, m samlMessage, how string) *page {
	t.Helper()
	b := newBrowser()
	if m.Binding == "redirect" {
		u, _ := url.Parse(m.To)
		q := u.Query()
		if how == stripSignature {
			q.Del("Signature")
			q.Del("SigAlg")
		} else {
			raw, err := base64.StdEncoding.DecodeString(q.Get("Signature"))
			if err != nil || len(raw) == 0 {
				t.Fatalf("the Signature parameter is not base64: %v", err)
			}
			raw[0] ^= 1
			q.Set("Signature", base64.StdEncoding.EncodeToString(raw))
		}
		u.RawQuery = q.Encode()
		p, err := b.get(u.String())
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	var x []byte
	if how == stripSignature {
		x = signatureElementRE.ReplaceAll(m.XML, nil)
	} else {
		loc := signatureValueRE.FindSubmatchIndex(m.XML)
		if loc == nil {
			t.Fatalf("no SignatureValue in the AuthnRequest:\n%s", m.XML)
		}
		raw, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(string(m.XML[loc[2]:loc[3]])), ""))
		if err != nil || len(raw) == 0 {
			t.Fatalf("SignatureValue is not base64: %v", err)
		}
		raw[0] ^= 1
		x = append(append(append([]byte(nil), m.XML[:loc[2]]...), base64.StdEncoding.EncodeToString(raw)...), m.XML[loc[3]:]...)
	}
	p, err := b.post(m.To, m.From, map[string]string{"SAMLRequest": base64.StdEncoding.EncodeToString(x)})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// messageID returns the ID attribute of a SAML message's root element.
func messageID(x []byte) string {
	var r struct {
		ID string `xml:"ID,attr"`
	}
	_ = xml.Unmarshal(x, &r)
	return r.ID
}

// inResponseTo returns the InResponseTo attribute of a SAML message's root element.
func inResponseTo(x []byte) string {
	var r struct {
		InResponseTo string `xml:"InResponseTo,attr"`
	}
	_ = xml.Unmarshal(x, &r)
	return r.InResponseTo
}

var signatureValueRE = regexp.MustCompile(`<(?:\w+:)?SignatureValue[^>]*>([^<]+)<`)
