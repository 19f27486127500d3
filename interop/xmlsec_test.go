package interop

import (
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	crewjam "github.com/crewjam/saml"
	dsig "github.com/russellhaering/goxmldsig"
)

var (
	nameIDRE       = regexp.MustCompile(`<(?:\w+:)?NameID\b[^>]*>([^<]+)<`)
	sessionIndexRE = regexp.MustCompile(`SessionIndex="([^"]+)"`)
)

// firstSubmatch returns the first group of re's first match in x, or "".
func firstSubmatch(re *regexp.Regexp, x []byte) string {
	if m := re.FindSubmatch(x); m != nil {
		return string(m[1])
	}
	return ""
}

// verifyMetadata checks with xmlsec1 that metadata carries an enveloped signature that verifies with certPEM, and
// that changing an endpoint after signing breaks it.
func verifyMetadata(t testing.TB, md, certPEM []byte) {
	t.Helper()
	if !bytes.Contains(md, []byte("SignatureValue")) {
		t.Fatalf("the metadata is not signed:\n%s", md)
	}
	if err := xmlsecVerify(t, md, certPEM, xpathResponseSig); err != nil {
		t.Fatalf("%v\n%s", err, md)
	}
	xmlsecCount.add(1)
	changed := bytes.Replace(md, []byte("/saml2\""), []byte("/evil\""), 1)
	if bytes.Equal(changed, md) {
		t.Fatalf("the metadata has no /saml2 endpoint to change:\n%s", md)
	}
	if err := xmlsecVerify(t, changed, certPEM, xpathResponseSig); err == nil {
		t.Fatalf("xmlsec1 verified metadata whose endpoint was changed after signing")
	}
}

var x509CertRE = regexp.MustCompile(`<(?:\w+:)?X509Certificate>([^<]+)<`)

// certByThumbprint returns, as PEM, the certificate in md whose SHA-1 thumbprint (upper-case hex) is thumbprint.
func certByThumbprint(md []byte, thumbprint string) []byte {
	for _, m := range x509CertRE.FindAllSubmatch(md, -1) {
		der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(string(m[1])), ""))
		if err != nil {
			continue
		}
		sum := sha1.Sum(der)
		if strings.EqualFold(hex.EncodeToString(sum[:]), thumbprint) {
			return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
		}
	}
	return nil
}

// tamperLogout returns a copy of a signed LogoutResponse whose status says the logout failed.
func tamperLogout(x []byte) []byte {
	return bytes.Replace(x, []byte("status:Success"), []byte("status:Requester"), 1)
}

// TestXMLSec1 checks every kind of signature Gatehouse produces with xmlsec1, an independent implementation of
// XML signatures in C: the Assertion, the Response, both, SP- and IdP-initiated, and signed metadata; and that
// xmlsec1 refuses a tampered Response. (Every Response of the other SPs' checks is verified with xmlsec1 as well.)
// The SP that asks for the Responses is registered from metadata generated with crewjam/saml; nothing but xmlsec1
// verifies what comes back.
func TestXMLSec1(t *testing.T) {
	if !haveXMLSec() {
		requireTool(t, "xmlsec1", "xmlsec1", "Debian package xmlsec1")
	}
	gh := startGatehouse(t)
	const sp = "xmlsec1"
	app := gh.createApp(t, "xmlsec1")
	var idpMD crewjam.EntityDescriptor
	if err := xml.Unmarshal(app.idpMetadata(t), &idpMD); err != nil {
		t.Fatal(err)
	}
	base := fmt.Sprintf("http://127.0.0.1:%d", freePort(t))
	kp := newKeyPair(t, t.TempDir(), "sp", sp)
	mdURL, _ := url.Parse(base + "/saml/metadata")
	acsURL, _ := url.Parse(base + "/saml/acs")
	sloURL, _ := url.Parse(base + "/saml/slo")
	spc := &crewjam.ServiceProvider{EntityID: mdURL.String(), Key: kp.Key, Certificate: kp.Cert, MetadataURL: *mdURL,
		AcsURL: *acsURL, SloURL: *sloURL, IDPMetadata: &idpMD, AuthnNameIDFormat: crewjam.EmailAddressNameIDFormat,
		// LogoutResponses by the POST binding carry an XML signature, which xmlsec1 can check.
		LogoutBindings: []string{crewjam.HTTPPostBinding}, SignatureMethod: dsig.RSASHA256SignatureMethod}
	md, err := xml.Marshal(spc.Metadata())
	if err != nil {
		t.Fatal(err)
	}
	gh.registerMetadata(t, app, md, map[string]any{"relayState": "/"})

	// response signs in (SP-initiated when spInitiated) with the app signing as option, and returns Gatehouse's
	// Response without delivering it.
	response := func(c *checkT, option string, spInitiated bool) []byte {
		c.Helper()
		gh.api.mustCall(c, "PATCH", app.path()+"/saml", map[string]any{"signingOption": option}, 200, nil)
		app.App.SAML.SigningOption = option
		b := newBrowser()
		f := b.flow()
		f.t = c
		f.StopAtResponse = true
		start := app.UserAccessURL
		if spInitiated {
			u, err := spc.MakeRedirectAuthenticationRequest("")
			if err != nil {
				c.Fatal(err)
			}
			start = u.String()
		}
		f.run(c, start)
		rs := f.responses()
		if len(rs) != 1 {
			c.Fatalf("saw %d Responses, want 1", len(rs))
		}
		if !bytes.Contains(rs[0].XML, []byte(userName)) && !bytes.Contains(rs[0].XML, []byte("EncryptedAssertion")) {
			c.Fatalf("the Response does not name the user:\n%s", rs[0].XML)
		}
		return rs[0].XML
	}
	// verifyAll checks with xmlsec1 that the Response carries the signatures option asks for and that each verifies.
	verifyAll := func(c *checkT, x []byte, option string) {
		c.Helper()
		resp, assertion := signatures(x)
		want := map[string][2]bool{"assertion": {false, true}, "response": {true, false}, "both": {true, true}}[option]
		if resp != want[0] || assertion != want[1] {
			c.Fatalf("signing option %s: Response signed %v, Assertion signed %v, want %v and %v:\n%s", option, resp, assertion, want[0], want[1], x)
		}
		var xps []string
		if resp {
			xps = append(xps, xpathResponseSig)
		}
		if assertion {
			xps = append(xps, xpathAssertionSig)
		}
		if err := xmlsecVerify(c, x, app.CertPEM, xps...); err != nil {
			c.Fatalf("%v\n%s", err, x)
		}
		xmlsecCount.add(len(xps))
	}

	runCheck(t, sp, checkImport, func(c *checkT) {
		if !gh.features.metadataImport {
			c.notSupported("SP metadata import")
		}
		requireImported(c, gh, app)
		c.notePass("crewjam/saml's metadata for the verifying SP")
	})
	runCheck(t, sp, checkSPInitiated, func(c *checkT) {
		for _, option := range []string{"assertion", "response", "both"} {
			verifyAll(c, response(c, option, true), option)
		}
		c.notePass("Assertion, Response and both signed verify")
	})
	runCheck(t, sp, checkSPSigned, func(c *checkT) {
		c.notApplicable("xmlsec1 verifies what Gatehouse signs; pysaml2's signed AuthnRequests (POST binding) are made with xmlsec1")
	})
	runCheck(t, sp, checkIdPInit, func(c *checkT) {
		for _, option := range []string{"assertion", "response", "both"} {
			verifyAll(c, response(c, option, false), option)
		}
		c.notePass("Assertion, Response and both signed verify")
	})
	runCheck(t, sp, checkEncrypted, func(c *checkT) {
		if !gh.features.encryption {
			c.notSupported("encrypted assertions")
		}
		encryptFor(c, gh, app)
		x := response(c, "assertion", true)
		algs := requireEncrypted(c, x)
		dir := c.TempDir()
		file := filepath.Join(dir, "response.xml")
		writeFile(c, file, x)
		decrypted := filepath.Join(dir, "decrypted.xml")
		msg, err := runTool(30*time.Second, "xmlsec1", "--decrypt", "--privkey-pem", kp.KeyFile, "--output", decrypted, file)
		out, _ := os.ReadFile(decrypted)
		if err != nil || !bytes.Contains(out, []byte(userName)) {
			c.Fatalf("xmlsec1 --decrypt with the SP's key failed: %v\n%s\n%s\n%s", err, msg, out, x)
		}
		if err := xmlsecVerify(c, out, app.CertPEM, xpathAssertionSig); err != nil {
			c.Fatalf("the decrypted assertion's signature: %v\n%s", err, out)
		}
		xmlsecCount.add(1)
		c.notePass("decrypted (%s) and its signature verified", strings.Join(algs, ", "))
	})
	runCheck(t, sp, checkLogout, func(c *checkT) {
		if !gh.features.logout {
			c.notSupported("single logout")
		}
		gh.api.mustCall(c, "PATCH", app.path()+"/saml", map[string]any{"signingOption": "assertion"}, 200, nil)
		app.App.SAML.SigningOption = "assertion"
		b := newBrowser()
		f := b.flow()
		f.t = c
		f.StopAtResponse = true
		u, err := spc.MakeRedirectAuthenticationRequest("")
		if err != nil {
			c.Fatal(err)
		}
		f.run(c, u.String())
		if len(f.responses()) != 1 {
			c.Fatalf("saw %d Responses, want 1", len(f.responses()))
		}
		x := f.responses()[0].XML
		nameID, sessionIndex := firstSubmatch(nameIDRE, x), firstSubmatch(sessionIndexRE, x)
		lr, err := spc.MakeRedirectLogoutRequest(nameID, "", crewjam.WithSessionIndexes(sessionIndex))
		if err != nil {
			c.Fatal(err)
		}
		p, err := b.get(lr.String())
		if err != nil {
			c.Fatal(err)
		}
		action, _, fields := formFields(p.Body)
		raw, err := base64.StdEncoding.DecodeString(fields["SAMLResponse"])
		if p.Status != 200 || action != sloURL.String() || err != nil || len(raw) == 0 {
			c.Fatalf("Gatehouse's answer to the LogoutRequest (status %d) does not post a LogoutResponse to %s:\n%s", p.Status, sloURL, clip(p.Body))
		}
		if rootName(raw) != "LogoutResponse" || !bytes.Contains(raw, []byte("status:Success")) {
			c.Fatalf("not a successful LogoutResponse:\n%s", raw)
		}
		if resp, _ := signatures(raw); !resp {
			c.Fatalf("the LogoutResponse by the POST binding is not signed:\n%s", raw)
		}
		if err := xmlsecVerify(c, raw, app.CertPEM, xpathResponseSig); err != nil {
			c.Fatalf("%v\n%s", err, raw)
		}
		xmlsecCount.add(1)
		if err := xmlsecVerify(c, tamperLogout(raw), app.CertPEM, xpathResponseSig); err == nil {
			c.Fatalf("xmlsec1 verified a LogoutResponse whose status was changed after signing")
		}
		c.notePass("LogoutResponse (POST binding) signature verified")
	})
	runCheck(t, sp, checkTampered, func(c *checkT) {
		forger := newKeyPair(c, c.TempDir(), "forger", "Gatehouse SSO Certificate")
		for _, option := range []string{"assertion", "response", "both"} {
			x := tamper(c, response(c, option, true))
			// The forgery the SPs get is well made: its signatures verify with the forger's key, not Gatehouse's.
			forged := forge(c, x, forger.Key, forger.Cert)
			fr, fa := signatures(forged)
			var xps []string
			if fr {
				xps = append(xps, xpathResponseSig)
			}
			if fa {
				xps = append(xps, xpathAssertionSig)
			}
			if err := xmlsecVerify(c, forged, forger.CertPEM, xps...); err != nil {
				c.Fatalf("the forged Response does not verify with the forger's key: %v", err)
			}
			if err := xmlsecVerify(c, forged, app.CertPEM, xps...); err == nil {
				c.Fatalf("the forged Response verifies with Gatehouse's certificate")
			}
			resp, assertion := signatures(x)
			for _, s := range []struct {
				signed bool
				xpath  string
			}{{resp, xpathResponseSig}, {assertion, xpathAssertionSig}} {
				if !s.signed {
					continue
				}
				err := xmlsecVerify(c, x, app.CertPEM, s.xpath)
				if err == nil {
					c.Fatalf("xmlsec1 verified the signature at %s of a tampered Response (signing option %s)", s.xpath, option)
				}
				if !strings.Contains(err.Error(), "fail") && !strings.Contains(err.Error(), "FAIL") {
					c.Logf("xmlsec1's refusal: %v", err)
				}
			}
		}
		c.notePass("changed after signing; the forgery the SPs get verifies only with the forger's key")
	})
	runCheck(t, sp, checkRollover, func(c *checkT) {
		if !gh.features.rollover {
			c.notSupported("certificate rollover")
		}
		old := app.CertPEM
		activateNext(c, gh, app)
		x := response(c, "both", true)
		verifyAll(c, x, "both")
		if err := xmlsecVerify(c, x, old, xpathAssertionSig); err == nil {
			c.Fatalf("after make active, the Response still verifies with the previous certificate")
		}
		c.notePass("after make active, signatures verify with the next certificate and not with the previous one")
	})
	runCheck(t, sp, checkMetadata, func(c *checkT) {
		if !gh.features.signedMetadata {
			c.notSupported("signed IdP metadata")
		}
		// The app's federation metadata, signed with the app's active certificate.
		gh.api.mustCall(c, "PATCH", app.path()+"/saml", map[string]any{"signMetadata": true}, 200, nil)
		verifyMetadata(c, app.idpMetadata(c), app.CertPEM)
		// The directory's metadata, signed with the directory's active certificate when asked for.
		var certs struct {
			Items []struct {
				Thumbprint string `json:"thumbprint"`
				Active     bool   `json:"active"`
			} `json:"items"`
		}
		gh.api.mustCall(c, "GET", "/api/v1/directories/"+directory+"/certificates", nil, 200, &certs)
		var thumbprint string
		for _, ct := range certs.Items {
			if ct.Active {
				thumbprint = ct.Thumbprint
			}
		}
		md := fetch(c, gh.URL+"/d/"+directory+"/federationmetadata/2007-06/federationmetadata.xml?signed=1")
		certPEM := certByThumbprint(md, thumbprint)
		if certPEM == nil {
			c.Fatalf("the directory's metadata does not publish its active certificate (thumbprint %q):\n%s", thumbprint, md)
		}
		verifyMetadata(c, md, certPEM)
		c.notePass("app and directory metadata signatures verify; a changed endpoint breaks them")
	})
	runCheck(t, sp, checkECDSA, func(c *checkT) {
		if !gh.features.ecdsa {
			c.notSupported("ECDSA signing")
		}
		rsaPEM := app.CertPEM
		// The app has been used, so each switch stages the new key's certificate as the next one.
		switchKey(c, gh, app, "ecdsa-p256")
		x := response(c, "both", true)
		verifyAll(c, x, "both")
		if n := bytes.Count(x, []byte(`Algorithm="`+sigAlgECDSASHA256+`"`)); n != 2 {
			c.Fatalf("%d signatures name ECDSA-SHA256, want 2:\n%s", n, x)
		}
		if err := xmlsecVerify(c, x, rsaPEM, xpathAssertionSig); err == nil {
			c.Fatalf("an ECDSA signature verifies with the previous RSA certificate")
		}
		if gh.features.signedMetadata {
			verifyMetadata(c, app.idpMetadata(c), app.CertPEM)
		}
		// Back to RSA.
		switchKey(c, gh, app, "rsa-2048")
		x = response(c, "both", true)
		verifyAll(c, x, "both")
		if bytes.Contains(x, []byte(sigAlgECDSASHA256)) {
			c.Fatalf("after switching back to RSA the Response is still signed with ECDSA:\n%s", x)
		}
		c.notePass("ECDSA-SHA256 signatures of a P-256 key (Response, Assertion, metadata) verify; back to RSA after make active")
	})
	t.Logf("xmlsec1 verified %d signatures of Gatehouse in this run", xmlsecCount.get())
}

// switchKey chooses keyType as the app's signing key type and makes the certificate of that type that it staged
// active, so that the app's checks verify against it from then on.
func switchKey(t testing.TB, gh *gatehouseServer, app *registeredApp, keyType string) {
	t.Helper()
	gh.api.mustCall(t, "PATCH", app.path()+"/saml", map[string]any{"signingKeyType": keyType}, http.StatusOK, nil)
	var list struct {
		Items []struct {
			ID      string `json:"id"`
			State   string `json:"state"`
			KeyType string `json:"keyType"`
		} `json:"items"`
	}
	gh.api.mustCall(t, "GET", app.path()+"/certificates", nil, http.StatusOK, &list)
	for _, c := range list.Items {
		if c.State == "next" && c.KeyType == keyType {
			gh.api.mustCall(t, "GET", app.path()+"/certificates/"+c.ID+"/download?format=pem", nil, http.StatusOK, &app.CertPEM)
			gh.api.mustCall(t, "POST", app.path()+"/certificates/"+c.ID+"/activate", nil, http.StatusOK, nil)
			return
		}
	}
	t.Fatalf("choosing %s staged no next certificate of that key: %+v", keyType, list.Items)
}
