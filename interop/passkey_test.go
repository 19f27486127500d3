package interop

import (
	"bytes"
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/descope/virtualwebauthn"
	"github.com/gatehouse-idp/gatehouse/internal/passkeytest"
)

// refedsMFA is the REFEDS MFA profile, the authentication context class an SP asks for to get multi-factor
// authentication.
const refedsMFA = "https://refeds.org/profile/mfa"

var (
	passkeyOptionsRE = regexp.MustCompile(`data-options="([^"]*)"`)
	passkeyStateRE   = regexp.MustCompile(`<input type="hidden" name="state" value="([^"]*)">`)
)

// passkeyPage returns the passkey options and state of a Gatehouse page, failing the test when it offers none.
func passkeyPage(t testing.TB, p *page) (options, state string) {
	t.Helper()
	o, s := passkeyOptionsRE.FindStringSubmatch(p.Body), passkeyStateRE.FindStringSubmatch(p.Body)
	if p.Status != http.StatusOK || o == nil || s == nil {
		t.Fatalf("%s (status %d) offers no passkey:\n%s", p.URL, p.Status, clip(p.Body))
	}
	return html.UnescapeString(o[1]), html.UnescapeString(s[1])
}

// passkeyMFA checks that a passkey session meets an SP's request for multi-factor authentication: the SP's
// AuthnRequest asks for the REFEDS MFA profile (exact); signed in with the password only, Gatehouse answers the SP
// with the NoAuthnContext status; the user then adds a passkey (an independent virtual authenticator,
// descope/virtualwebauthn) and signs in with it alone, and the same request is answered with an assertion that
// states the profile, without a question. The passkey is removed afterwards, so the other checks sign in with
// the password as before.
func passkeyMFA(c *checkT, gh *gatehouseServer, k *spKit) {
	if k.plain.mfa == "" {
		c.notApplicable(k.name + " cannot send RequestedAuthnContext")
	}
	if !gh.features.passkeys {
		c.notSupported("passkeys")
	}
	// The password alone does not meet the request.
	b := newBrowser()
	f := k.plain.newFlow(c, b)
	f.run(c, k.plain.mfa)
	reqs, resps := f.requests(), f.responses()
	if len(reqs) != 1 || !bytes.Contains(reqs[0].XML, []byte(refedsMFA)) {
		c.Fatalf("the SP did not send one AuthnRequest asking for %s (%d requests):\n%s", refedsMFA, len(reqs), firstXML(reqs))
	}
	if len(resps) != 1 || !bytes.Contains(resps[0].XML, []byte("urn:oasis:names:tc:SAML:2.0:status:NoAuthnContext")) {
		c.Fatalf("a password-only session was not answered with NoAuthnContext:\n%s", firstXML(resps))
	}

	// The user adds a passkey in that session.
	rp := virtualwebauthn.RelyingParty{ID: "localhost", Name: "Gatehouse", Origin: gh.URL}
	auth := virtualwebauthn.NewAuthenticatorWithOptions(virtualwebauthn.AuthenticatorOptions{UserHandle: []byte(gh.user.ID)})
	cred := passkeytest.NewCredential()
	setup := gh.URL + "/d/" + directory + "/passkeys/new"
	p, err := b.get(setup)
	if err != nil {
		c.Fatal(err)
	}
	options, state := passkeyPage(c, p)
	att, err := virtualwebauthn.ParseAttestationOptions(options)
	if err != nil {
		c.Fatal(err)
	}
	p, err = b.post(gh.URL+"/d/"+directory+"/passkeys", setup, map[string]string{"name": "Interop key", "state": state,
		"credential": virtualwebauthn.CreateAttestationResponse(rp, auth, cred, *att)})
	if err != nil || p.Status != http.StatusOK && p.Status != http.StatusSeeOther {
		c.Fatalf("adding the passkey: %v, status %d:\n%s", err, p.Status, clip(p.Body))
	}
	auth.AddCredential(cred)
	var keys struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	gh.api.mustCall(c, "GET", "/api/v1/directories/"+directory+"/users/"+gh.user.ID+"/passkeys", nil, http.StatusOK, &keys)
	if len(keys.Items) != 1 {
		c.Fatalf("the user has %d passkeys, want 1", len(keys.Items))
	}
	c.Cleanup(func() {
		_ = gh.api.call("DELETE", "/api/v1/directories/"+directory+"/users/"+gh.user.ID+"/passkeys/"+keys.Items[0].ID, nil, http.StatusNoContent, nil)
	})

	// A new browser signs in with the passkey alone, then the SP's request is answered at once.
	b = newBrowser()
	login := gh.URL + "/d/" + directory + "/login"
	if p, err = b.get(login); err != nil {
		c.Fatal(err)
	}
	options, state = passkeyPage(c, p)
	as, err := virtualwebauthn.ParseAssertionOptions(options)
	if err != nil {
		c.Fatal(err)
	}
	auth.Credentials[0].Counter++
	p, err = b.post(login+"/passkey", login, map[string]string{"state": state,
		"credential": virtualwebauthn.CreateAssertionResponse(rp, auth, auth.Credentials[0], *as)})
	if err != nil || p.Status != http.StatusSeeOther {
		c.Fatalf("signing in with the passkey: %v, status %d:\n%s", err, p.Status, clip(p.Body))
	}
	f = k.plain.newFlow(c, b)
	f.StopAtLogin = true
	p = f.run(c, k.plain.mfa)
	resps = f.responses()
	if len(resps) != 1 || !bytes.Contains(resps[0].XML, []byte("AuthnContextClassRef>"+refedsMFA+"<")) {
		c.Fatalf("the passkey session's Response does not state %s:\n%s", refedsMFA, firstXML(resps))
	}
	if strings.HasPrefix(p.URL, login) {
		c.Fatalf("a passkey session was sent to the sign-in page")
	}
	if !strings.Contains(p.Body, userGiven) {
		p, _ = b.get(k.plain.start)
	}
	requireSignedIn(c, p)
	c.notePass("NoAuthnContext for the password alone; %s for a passkey", refedsMFA)
}
