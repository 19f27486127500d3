// Package saml implements the identity provider side of the SAML 2.0 Web Browser SSO and Single Logout profiles:
// it decodes and validates AuthnRequests and LogoutRequests received by the HTTP-Redirect and HTTP-POST bindings
// (DecodeRedirectAny and DecodePostAny tell them apart by parameter and root element), verifies their signatures
// with the SP's registered certificates only (VerifyRedirect over the query string as received, VerifyPost for
// enveloped XML signatures), picks the registered reply URL to answer at, builds and signs Responses and error
// Responses and encrypts their assertions for the SP (crewjam/saml's xmlenc), builds LogoutRequests and
// LogoutResponses for either binding, writes the auto-submitting HTML form of the HTTP-POST binding, publishes the
// IdP's metadata (signed on request), and reads SP metadata (ParseSPMetadata), whose certificates it reads with
// package certs, the one reader of certificates Gatehouse is given.
//
// The package knows nothing of HTTP routing, storage or the domain types: callers map an app to a
// ServiceProvider and a directory to an IdentityProvider. Hostile input is bounded by Limits before any of it is
// interpreted (no DTDs, entities or processing instructions; limits on size, inflation, depth, element count and
// attribute length), and every failure is an *Error with a stable Gatehouse code (GH1xxx to GH4xxx) and a message
// that names the field to fix. Signatures and canonicalization come from github.com/russellhaering/goxmldsig:
// enveloped signatures, exclusive C14N, RSA-SHA256 (RSA-SHA1 only when an app asks for it).
//
// A typical SP-initiated sign-on:
//
//	msg, err := saml.DecodeRedirect(r.URL.RawQuery, saml.DefaultLimits)
//	err = idp.ValidateRequest(msg.Request)
//	acs, err := sp.ResolveACS(msg.Request)
//	xml, err := idp.Respond(&saml.ResponseParams{SP: sp, ACSURL: acs, InResponseTo: msg.Request.ID, ...}, signer)
//	err = saml.WritePostForm(w, acs, xml, msg.RelayState, nonce)
package saml
