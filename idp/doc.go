// Package idp implements Gatehouse's services on top of a gatehouse.Store: directory administration (users,
// groups, apps from the gallery, SAML settings, signing certificates, assignments), authentication with
// passwords, sessions and API tokens, and the SAML sign-on policy that joins a validated AuthnRequest to a signed-in
// user. The REST API, the portal and the sign-in pages in package web are thin layers over these services, so they
// never disagree.
//
// Every administrative method takes the acting user and checks their role and directory here, in one place.
package idp
