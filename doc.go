// Package gatehouse holds the domain of the Gatehouse identity provider: directories, users, groups, apps with their
// SAML settings and signing certificates, assignments, sessions, API tokens and logs, the storage contract every
// database engine implements, and the one error type used throughout.
//
// It imports only the standard library. Packages named after a dependency (sqlite, saml, web, ...) implement or use
// what is declared here; only cmd/... wires concrete things together.
package gatehouse
