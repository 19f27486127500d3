// Package demoapp is gatehouse-demo, a small analytics team app that plays the service provider's side of the
// founding tutorial, as Mixpanel does in it, so that the whole SAML single sign-on flow runs on one machine.
//
// The app has one organization, a few projects with a dashboard of made-up charts, its own local accounts and its
// own SQLite database. Its owner uploads the identity provider's certificate and sets the authentication URL and
// Issuer URL under Settings → Access security, invites members under Team, and members then sign in with SSO,
// started at the app (SP-initiated, GET /saml/login) or from a My Apps tile (IdP-initiated, a POST to /saml/acs).
//
// Its SAML values, derived from the public URL: entity ID {public}/saml/metadata (which serves its SP metadata),
// ACS {public}/saml/acs (HTTP-POST) and sign-on URL {public}/saml/login. It reads the claims email (required),
// firstName and lastName, with the NameID as fallback for the e-mail.
//
// Responses are validated by github.com/crewjam/saml with every check on: the signature with the uploaded
// certificate only, Audience, Recipient and Destination, InResponseTo against this browser's outstanding
// requests, the time window, the Issuer, and one use per assertion ID. A rejection names the check that failed.
package demoapp
