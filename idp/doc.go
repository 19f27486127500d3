// Package idp implements Gatehouse's services on top of a gatehouse.Store: directory administration (users,
// groups, apps from the gallery, SAML settings, signing certificates, assignments), authentication with
// passwords, second factors, sessions and API tokens, and the sign-on policy that answers an app's request for a
// signed-in user. The REST API, the portal and the sign-in pages in package web are thin layers over these
// services, so they never disagree.
//
// # The service
//
// One Service type carries every operation; New builds it from a Config, and its dependencies (the store, the
// gallery, the hasher, the key sealer) are its own, so that package web can only call its methods. Its files are
// grouped by area: service.go and authz.go (the type and who may do what); directory.go, branding.go, user.go,
// group.go, app.go, spmetadata.go, metadata.go, assignment.go, cert.go, claims.go, preview.go (administration);
// auth.go, mfa.go, passkey.go, lockout.go (signing in to Gatehouse); signon.go, sso.go, slo.go, failure.go, hint.go (sign-on to
// apps and single logout); log.go, metrics.go, overview.go (what admins read).
//
// Every administrative method takes the acting user and checks their role and directory here, in one place
// (Authorize).
//
// # Signing in
//
// A session records how it was made (gatehouse.Session.Methods: password, totp, recovery-code, passkey); StartSession
// makes one, and it is multi-factor (Session.MFA) when it was made with a passkey, or with a password and a second
// factor. SignInStep decides what the user of a session must still do under the directory's policy, and every
// path that answers for a signed-in user (the sign-in pages, the sign-on policy, LoginWithCode) asks it. Passkeys
// (passkey.go, on go-webauthn) are a second factor and, where the directory allows, a sign-in of their own; their
// relying party follows the public URL. The SAML assertion states an authentication context class from the
// session's methods (authnContextOf), and OpenID Connect reads the same methods (Session.AMR).
//
// # Sign-on
//
// Each protocol endpoint is one service call. Package web hands it what the request carried, as received: the
// binding's raw parameters (SAMLRedirect takes the query string, whose bytes a signature covers; SAMLPost the form
// values and the error of reading them), the session cookie's value, and, in the context, the request's
// correlation ID and client address (WithRequestInfo). Behind the call the service decodes and validates the
// message, looks up the browser's session, applies every check of the policy and writes the sign-in log. It
// returns either an *Answer for web to write (a Post to send to the app's registered reply URL, a SignInPrompt to
// show a step of signing in, single logout to carry out, or a short Notice), or exactly one error type, *Failure.
//
// The paths into a sign-on are
//
//   - an app's AuthnRequest by the HTTP-Redirect or the HTTP-POST binding (SAMLRedirect, SAMLPost), answered at
//     once for a signed-in user (two writes: the request ID's replay record and the log entry) or parked as a
//     pending sign-in while the user signs in;
//   - the return to a pending sign-in from the sign-in pages (ContinueSignOn);
//   - an app's user access URL, which My Apps' tile of an app without a Sign-on URL leads to (OpenApp); the tile
//     of an app with one leads to the app, which sends an AuthnRequest.
//
// All of them go through the same steps, so a new path cannot forget one: the browser's session
// (lookUpBrowser), what the user must still do before an answer (browser.prompt: sign in, sign in again for
// ForceAuthn, give the second factor, change a temporary password, enrol a second factor the directory requires),
// a passive request answered with NoPassive instead of a page, and the access policy and the assertion (answer:
// disabled user or app, assignment, reply URL, NameID, encryption, the authentication context the request asked
// for, which a pending sign-in keeps in its own column). Another protocol (OpenID Connect's authorization
// endpoint, a passkey sign-in) plugs in as another endpoint method over the same steps.
//
// # Failures
//
// A Failure carries the HTTP status, the Gatehouse code, the plain explanation and message anyone may see, the
// values received and expected, the admin's how-to-fix hint with the Setting it names (computed when the failure
// happens, while the request and the app are at hand: an unknown Issuer is matched to the app that registers the
// reply URL it asked for), and the sign-in log entry it was written to, with the user whose browser sent the
// request and the app as far as they are known. ViewFailure decides who sees what: the details only an admin of
// the directory. HTTPStatus is the one table of error codes to HTTP status.
package idp
