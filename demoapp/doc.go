// Package demoapp is gatehouse-demo, a small analytics team app that plays the service provider's side of the
// founding tutorial, as Mixpanel does in it, so that the whole SAML single sign-on flow runs on one machine.
//
// The app has one organization, a few projects with a dashboard of made-up charts, its own local accounts and its
// own SQLite database (WAL, foreign keys on, numbered migrations under migrations/). Its owner uploads the identity
// provider's certificate and sets the authentication URL and Issuer URL under Settings → Access security (or gives
// the IdP's federation metadata URL), invites members under Team, and members then sign in with SSO, started at
// the app (SP-initiated, GET /saml/login) or from a My Apps tile (IdP-initiated, a POST to /saml/acs).
//
// Its SAML values, derived from the public URL: entity ID {public}/saml/metadata (which serves its SP metadata),
// ACS {public}/saml/acs (HTTP-POST) and sign-on URL {public}/saml/login. It reads the claims email (required),
// firstName and lastName, with the NameID as fallback for the e-mail.
//
// Responses are validated by github.com/crewjam/saml with every check on: the signature with the uploaded
// certificate only, Audience, Recipient and Destination, InResponseTo against this browser's outstanding
// requests, the time window, the Issuer, and one use per assertion ID (kept in SQLite). A rejection names the
// check that failed and shows a reference id that is also in the log.
//
// # Pages and the element ids a browser test can rely on
//
//	GET  /signin                     #email #password #signin-submit #sso-button (when SSO is set up) #signin-error
//	POST /signout                    #signout-button (in the header of every signed-in page)
//	GET  /dashboard                  #current-user (the signed-in e-mail, on every signed-in page) #nav-team #nav-settings
//	GET  /settings                   #change-settings #sso-status #current-auth-url #current-issuer-url
//	                                 #cert-thumbprint #cert-expiry #current-metadata-url #current-require-sso #settings-saved
//	                                 #sp-entity-id #sp-acs-url #sp-sign-on-url (inputs) and #copy-sp-… buttons
//	GET  /settings/access-security   #metadata-url #cert-file #cert-text #auth-url #issuer-url #require-sso #save-sso
//	                                 #settings-error (with data-field naming the field at fault)
//	GET  /team                       #invite-email #invite-password #invite-submit #team-invited #team-error #members;
//	                                 each row is tr[data-email][data-status="pending"|"active"] with .member-name,
//	                                 .member-status and a button.remove-member
//	error pages                      #error-page[data-code][data-check] #error-title #error-message #error-check
//	                                 #error-ref; the not-a-member page adds #sso-email and #owner-email
//	GET  /saml/metadata, GET /saml/login?next=/path, POST /saml/acs, GET /healthz ({"status":"ok"})
package demoapp
