// Package storecopy copies a Gatehouse deployment from one store to another, such as from SQLite to PostgreSQL.
//
// Copy reads every directory of the source with what it holds (users with their password hashes, sealed TOTP
// secrets and recovery code hashes, groups with their members, apps, certificates with their sealed keys and the
// times they were replaced, assignments, API tokens, SCIM tokens, OpenID Connect client secret hashes, signing keys
// and the grants and tokens that have not expired, the sign-in sessions that have not expired when the source
// can list them (SessionFinder), and the sign-in and audit logs) and writes it to the destination in one
// transaction, so the destination gets all of it or nothing. Pending sign-in requests, the replay cache and
// rate-limit counters last minutes and are not copied: a sign-in under way when the source stops starts again at
// the app. The source should not change while it is copied.
package storecopy
