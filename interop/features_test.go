package interop

import (
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// features are the protocol features of issue 5 that this Gatehouse has. A check that needs a missing one reports
// "not supported" in the matrix instead of running; once the feature is there, the check runs.
type features struct {
	// metadataImport: POST .../apps/{id}/saml/metadata registers an SP from its metadata.
	metadataImport bool
	// signedRequests: Gatehouse verifies signed AuthnRequests with the app's registered certificates.
	signedRequests bool
	// encryption: Gatehouse encrypts assertions for an app with an encryption certificate.
	encryption bool
	// logout: Gatehouse's SAML endpoint answers LogoutRequests.
	logout bool
	// signedMetadata: the directory's IdP metadata can be signed.
	signedMetadata bool
	// rollover: an app can have a next certificate, published beside the active one, and make it active.
	rollover bool
	// passkeys: users sign in with passkeys, and a passkey session meets a request for multi-factor authentication.
	passkeys bool
	// ecdsa: an app can sign with an ECDSA P-256 key (its signingKeyType).
	ecdsa bool
}

func (f features) String() string {
	return fmt.Sprintf("metadata import %v, signed AuthnRequests %v, encrypted assertions %v, single logout %v, certificate rollover %v, signed metadata %v, passkeys %v, ECDSA signing %v",
		f.metadataImport, f.signedRequests, f.encryption, f.logout, f.rollover, f.signedMetadata, f.passkeys, f.ecdsa)
}

// probeFeatures finds out what the running Gatehouse can do from its OpenAPI document (every route and setting is
// described there) and, for the protocol endpoints, from how it answers.
func (s *gatehouseServer) probeFeatures() (features, error) {
	var f features
	var doc []byte
	if err := s.api.call("GET", "/api/v1/openapi.yaml", nil, http.StatusOK, &doc); err != nil {
		return f, err
	}
	api := strings.ToLower(string(doc))
	f.metadataImport = strings.Contains(api, "/saml/metadata:")
	f.signedRequests = strings.Contains(api, "requiresignedrequests") || strings.Contains(api, "authnrequestssigned")
	f.encryption = strings.Contains(api, "encryptassertion") || strings.Contains(api, "encryptedassertion") || strings.Contains(api, "encryptassertions")
	f.signedMetadata = strings.Contains(api, "signmetadata") || strings.Contains(api, "metadatasigned")
	f.rollover = strings.Contains(api, "/certificates/{certid}/activate:")
	f.passkeys = strings.Contains(api, "/passkey-policy:")
	f.ecdsa = strings.Contains(api, "ecdsa-p256")

	// A LogoutRequest sent to the SAML endpoint is refused as "not an AuthnRequest" by a Gatehouse without single
	// logout.
	lr := fmt.Sprintf(`<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_probe%d" Version="2.0" IssueInstant="%s"><saml:Issuer>https://probe.invalid/sp</saml:Issuer><saml:NameID>nobody@contoso.com</saml:NameID></samlp:LogoutRequest>`,
		time.Now().UnixNano(), time.Now().UTC().Format("2006-01-02T15:04:05Z"))
	hc := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Get(s.URL + "/d/" + directory + "/saml2?SAMLRequest=" + url.QueryEscape(base64.StdEncoding.EncodeToString(deflate([]byte(lr)))))
	if err != nil {
		return f, err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	f.logout = !strings.Contains(string(body), "}AuthnRequest")
	return f, nil
}
