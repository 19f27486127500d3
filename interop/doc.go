// Package interop proves that Gatehouse works with independent SAML service providers: Shibboleth SP 3 under
// Apache, SimpleSAMLphp, pysaml2, @node-saml/node-saml and crewjam/saml, with xmlsec1 verifying every XML signature
// Gatehouse produces. Its tests start the real gatehouse binary and each service provider on loopback ports,
// register each provider in Gatehouse from the provider's own metadata through the REST API, and sign in with a
// headless client that follows redirects, auto-submitting forms and the frames of Gatehouse's logout page.
//
// Each provider is put through the same checks: metadata import, SP-initiated sign-in with and without a signed
// AuthnRequest, IdP-initiated sign-in, encrypted assertions, claims, single logout (SP-initiated, propagated to
// another app, and IdP-initiated), a tampered and a forged Response that the provider must refuse, and certificate
// rollover; signed metadata is checked by xmlsec1 and Shibboleth. The tests print one line per provider and check,
// and write the whole matrix as a Markdown table to the file named by the environment variable INTEROP_MATRIX when
// it is set. A check that needs a Gatehouse feature that does not exist yet is reported as "not supported" and
// skipped; a provider whose software is not installed is skipped with a loud message, except under CI=true, where
// that is a failure. See docs/interop.md.
package interop
