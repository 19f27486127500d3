package saml_test

import (
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"net/http"

	"github.com/gatehouse-idp/gatehouse/saml"
)

// The SSO endpoint of an SP-initiated sign-on, for a user who is signed in. key and cert are the app's active
// signing key and certificate; the CSP nonce comes from the page's headers.
func Example() {
	var (
		key   *rsa.PrivateKey
		cert  *x509.Certificate
		nonce string
	)
	signer, err := saml.NewSigner(key, cert)
	if err != nil {
		return
	}
	idp := &saml.IdentityProvider{
		EntityID: "http://127.0.0.1:8080/d/default",
		SSOURL:   "http://127.0.0.1:8080/d/default/saml2",
	}
	sp := &saml.ServiceProvider{
		EntityID:     "https://mixpanel.com/security/sso/v2/authorize/",
		ACSURLs:      []string{"https://sso.mixpanel.com/sso/saml2"},
		NameIDFormat: saml.NameIDEmail,
	}
	handle := func(w http.ResponseWriter, r *http.Request) error {
		msg, err := saml.DecodeRedirect(r.URL.RawQuery, saml.DefaultLimits)
		if err != nil {
			return err // a *saml.Error: show its Code and Message on a 400 page
		}
		if err := idp.ValidateRequest(msg.Request); err != nil {
			return err
		}
		// Look up the app whose Identifier is msg.Request.Issuer here, and check the replay cache.
		acs, err := sp.ResolveACS(msg.Request)
		if err != nil {
			return err // never answer to an unregistered URL
		}
		if err := sp.CheckNameIDPolicy(msg.Request); err != nil {
			var e *saml.Error
			errors.As(err, &e)
			resp, err := idp.ErrorResponse(sp, acs, msg.Request.ID, e, signer)
			if err != nil {
				return err
			}
			return saml.WritePostForm(w, acs, resp, msg.RelayState, nonce)
		}
		resp, err := idp.Respond(&saml.ResponseParams{
			SP:           sp,
			ACSURL:       acs,
			InResponseTo: msg.Request.ID,
			NameID:       "britta.simon@contoso.example",
			Attributes: []saml.Attribute{
				{Name: "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress", Values: []string{"britta.simon@contoso.example"}},
			},
			SessionIndex: "_session-id",
		}, signer)
		if err != nil {
			return err
		}
		return saml.WritePostForm(w, acs, resp, msg.RelayState, nonce)
	}
	_ = handle
}
