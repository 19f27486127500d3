// Package web is Gatehouse's HTTP layer: the SAML endpoints (single sign-on on both bindings, IdP-initiated
// sign-on, metadata), the sign-in pages with the forced password change, My Apps, and the REST API under
// /api/v1 with its OpenAPI document. Handlers are thin over the services of package idp and return errors, which
// are rendered in one place: JSON for the API, an HTML page everywhere else. A SAML endpoint is one service call:
// the handler passes the binding's raw parameters and the session cookie and writes the idp.Answer, or renders the
// *idp.Failure with what idp.ViewFailure lets the viewer see. Templates and static files are
// embedded and parsed at start-up, so a broken template stops the boot instead of failing a request.
package web
