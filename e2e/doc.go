// Package e2e holds Gatehouse's end-to-end tests: they build the real gatehouse binary, run it on a loopback port
// and walk the founding tutorial through the REST API and the CLI, then sign users in through SAML and check each
// Response with independent service-provider libraries and with xmlsec1.
package e2e
