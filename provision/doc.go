// Package provision is Gatehouse's automatic user provisioning: it creates, updates, disables and deletes the
// accounts of a directory's users and groups at apps, over SCIM 2.0 (RFC 7643 and RFC 7644), as the apps'
// assignments, the users and the groups change.
//
// An Engine runs in every node. It finds the apps with work due in the database (queued changes, a full cycle
// running or due, a probe of an app in quarantine, a provision-on-demand request), takes an app's lease so that
// one node at a time provisions it, and then works through the app's queued changes in batches and its full
// cycle page by page, writing the links to the accounts, the provisioning log and the progress after each batch,
// so that a node that stops (even by kill -9) loses nothing: another one, or the same after a restart, takes the
// lease over once it expires and continues.
//
// For each user or group it reads the source, decides whether it is in the app's scope, finds the account at the
// app (by the id it kept, or with the matching attribute, so that a retried create never makes a second account)
// and creates, updates (PATCH or PUT), disables or deletes it. The values of the account's attributes come from
// the app's attribute mappings: a source attribute, a constant, or an expression of the small language of
// ParseExpr (Join, ToLower, ToUpper, Coalesce, Replace, Switch, Append).
//
// The Client that talks to an app bounds each request's time and answer, follows redirects only on the tenant
// URL's own host, waits as long as a 429 or 503 with Retry-After asks, caps the requests in flight, removes the
// token from whatever it keeps of an answer, and refuses to connect to loopback, link-local and cloud metadata
// addresses unless the server's administrator allows them (SECURITY-CASES 50 and 51). Failures are retried with
// backoff per item; when the app refuses the credentials or fails most requests it goes into quarantine, is
// probed less and less often, and leaves quarantine by itself when it answers again.
package provision
