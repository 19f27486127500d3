package gatehouse

import (
	"context"
	"time"
)

// Store is the storage contract. Every database engine implements it and passes the conformance suite in package
// storetest. Objects that belong to a directory are always looked up with the directory's ID, so an ID from one
// directory never finds an object of another: such lookups return ENOTFOUND.
//
// The store persists what it is given: callers set IDs and timestamps. Unless documented otherwise, Find* methods
// return ENOTFOUND when nothing matches, Create* methods return ECONFLICT when a unique value is taken, and Update*
// and Delete* methods return ENOTFOUND when the object does not exist. Any other failure is EINTERNAL.
type Store interface {
	// InTx runs fn in one transaction: every change fn makes through tx is committed when fn returns nil and rolled
	// back otherwise. fn's error is returned as is. Calling InTx on a tx runs fn in the same transaction.
	InTx(ctx context.Context, fn func(tx Store) error) error

	// CreateDirectory stores d. ECONFLICT if the ID is taken.
	CreateDirectory(ctx context.Context, d *Directory) error
	FindDirectory(ctx context.Context, id string) (*Directory, error)
	// FindDirectories returns every directory, ordered by creation time.
	FindDirectories(ctx context.Context) ([]*Directory, error)
	UpdateDirectory(ctx context.Context, d *Directory) error
	// DeleteDirectory deletes the directory and everything in it.
	DeleteDirectory(ctx context.Context, id string) error
	// ConfigGeneration returns a number that changes, in the same transaction, with every change to what a
	// sign-on reads of a directory's configuration: the directory, its passkey policy, its apps, its certificates,
	// and the removal of an assignment or a group membership. It is 0 for a directory that never changed (or does
	// not exist). Whoever keeps such objects in memory may use them while the number stays the same; a change made
	// through any store on the same database changes it.
	ConfigGeneration(ctx context.Context, directoryID string) (int64, error)

	// CreateUser stores u. ECONFLICT if the directory has a user with the same user name, ignoring case.
	CreateUser(ctx context.Context, u *User) error
	FindUser(ctx context.Context, directoryID, id string) (*User, error)
	// FindUserByName finds a user by user name, ignoring case.
	FindUserByName(ctx context.Context, directoryID, userName string) (*User, error)
	// FindUsers returns one page of the users that match f, ordered by user name (ignoring case), and how many
	// match f ignoring After, Before and Limit, counted no further than UserCountLimit+1. A list, or a list by role,
	// reads one index in order from the page's edge, so a page costs the same in a directory of a thousand users as
	// in one of a million; a search reads, through an index per field, only the users whose names begin with the
	// query.
	FindUsers(ctx context.Context, directoryID string, f UserFilter) ([]*User, int, error)
	// UpdateUser replaces every stored field of u but ID, DirectoryID and CreatedAt. ECONFLICT as in CreateUser.
	UpdateUser(ctx context.Context, u *User) error
	// DeleteUser deletes the user with their sessions, API tokens, group memberships, assignments and OpenID
	// Connect grants.
	DeleteUser(ctx context.Context, directoryID, id string) error
	// HasUsers reports whether the directory has at least one user. It reads at most one row, however many users
	// there are.
	HasUsers(ctx context.Context, directoryID string) (bool, error)

	// CreateGroup stores g. ECONFLICT if the directory has a group with the same name, ignoring case.
	CreateGroup(ctx context.Context, g *Group) error
	FindGroup(ctx context.Context, directoryID, id string) (*Group, error)
	// FindGroups returns the groups whose name contains query (ignoring case; "" matches all), ordered by name.
	FindGroups(ctx context.Context, directoryID, query string) ([]*Group, error)
	UpdateGroup(ctx context.Context, g *Group) error
	// DeleteGroup deletes the group with its memberships and assignments.
	DeleteGroup(ctx context.Context, directoryID, id string) error
	// AddGroupMember adds a user to a group. ENOTFOUND if either is not in the directory, ECONFLICT if already a member.
	AddGroupMember(ctx context.Context, directoryID, groupID, userID string) error
	// RemoveGroupMember removes a user from a group. ENOTFOUND if the user is not a member.
	RemoveGroupMember(ctx context.Context, directoryID, groupID, userID string) error
	// FindGroupMembers returns a group's members ordered by user name. ENOTFOUND if there is no such group.
	FindGroupMembers(ctx context.Context, directoryID, groupID string) ([]*User, error)
	// FindUserGroups returns the groups a user is a member of, ordered by name. ENOTFOUND if there is no such user.
	FindUserGroups(ctx context.Context, directoryID, userID string) ([]*Group, error)

	// CreateApp stores a, and cert (its first signing certificate) when cert is not nil, in one transaction.
	// ECONFLICT if a.SAML.EntityID is not empty and another app of the directory has it, or a.OIDC's client ID is
	// taken in the directory.
	CreateApp(ctx context.Context, a *App, cert *Certificate) error
	FindApp(ctx context.Context, directoryID, id string) (*App, error)
	// FindAppForUpdate is FindApp for a read-modify-write inside InTx: until the transaction ends, no other
	// transaction can change or lock the app, so a change based on what was read cannot overwrite one made meanwhile.
	// Outside a transaction it is FindApp.
	FindAppForUpdate(ctx context.Context, directoryID, id string) (*App, error)
	// FindAppByEntityID finds the app whose SAML Identifier equals entityID exactly.
	FindAppByEntityID(ctx context.Context, directoryID, entityID string) (*App, error)
	// FindApps returns the apps whose name contains query (ignoring case; "" matches all), ordered by name.
	FindApps(ctx context.Context, directoryID, query string) ([]*App, error)
	// UpdateApp replaces every stored field of a but ID, DirectoryID and CreatedAt. ECONFLICT as in CreateApp.
	UpdateApp(ctx context.Context, a *App) error
	// DeleteApp deletes the app with its certificates, assignments, pending sign-in requests, client secrets and
	// OpenID Connect grants.
	DeleteApp(ctx context.Context, directoryID, id string) error

	// CreateCertificate stores c. If c.Active, every other certificate of the same owner becomes inactive, and the
	// one that was active gets DeactivatedAt = c.CreatedAt.
	CreateCertificate(ctx context.Context, c *Certificate) error
	FindCertificate(ctx context.Context, directoryID, id string) (*Certificate, error)
	// FindCertificates returns the certificates of an app, or of the directory itself when appID is "", newest
	// first. An empty list is not an error.
	FindCertificates(ctx context.Context, directoryID, appID string) ([]*Certificate, error)
	// FindExpiringCertificates returns the directory's active certificates (of apps and of the directory) whose
	// NotAfter is before the given time, soonest first.
	FindExpiringCertificates(ctx context.Context, directoryID string, before time.Time) ([]*Certificate, error)
	// ActivateCertificate makes the certificate active and every other certificate of the same owner inactive;
	// the one that was active gets DeactivatedAt = now, and the newly active one a zero DeactivatedAt.
	ActivateCertificate(ctx context.Context, directoryID, id string, now time.Time) error
	DeleteCertificate(ctx context.Context, directoryID, id string) error

	// CreateAssignment stores a. ENOTFOUND if the app or the principal is not in the directory, ECONFLICT if the
	// principal is already assigned to the app.
	CreateAssignment(ctx context.Context, a *Assignment) error
	// FindAssignments returns an app's assignments, oldest first. ENOTFOUND if there is no such app.
	FindAssignments(ctx context.Context, directoryID, appID string) ([]*Assignment, error)
	DeleteAssignment(ctx context.Context, directoryID, id string) error
	// FindUserApps returns the apps assigned to the user directly or through a group, ordered by name, each once.
	// ENOTFOUND if there is no such user.
	FindUserApps(ctx context.Context, directoryID, userID string) ([]*App, error)
	// IsAssigned reports whether the user is assigned to the app directly or through a group.
	IsAssigned(ctx context.Context, directoryID, appID, userID string) (bool, error)

	// CreateSession stores s. FindSession finds it by ID alone (the hash of the cookie's token) and returns
	// ENOTFOUND when it is missing or expired at now.
	CreateSession(ctx context.Context, s *Session) error
	FindSession(ctx context.Context, id string, now time.Time) (*Session, error)
	// FindSignOnState reads what a sign-on to directoryID starts from, in one read when sessionID is not "": the
	// directory's configuration generation (ConfigGeneration), and the session sessionID as FindSession finds it,
	// with its user. A session that FindSession would not find, or whose user is gone, leaves both nil.
	FindSignOnState(ctx context.Context, directoryID, sessionID string, now time.Time) (*SignOnState, error)
	// UpdateSession replaces AuthnInstant, LastSeenAt, ExpiresAt and MFA.
	UpdateSession(ctx context.Context, s *Session) error
	DeleteSession(ctx context.Context, id string) error
	// DeleteUserSessions deletes every session of a user; none is not an error.
	DeleteUserSessions(ctx context.Context, directoryID, userID string) error

	// CreateAPIToken stores t. FindAPITokenBySecretHash returns ENOTFOUND when the token is missing or expired at now.
	CreateAPIToken(ctx context.Context, t *APIToken) error
	FindAPITokenBySecretHash(ctx context.Context, secretHash string, now time.Time) (*APIToken, error)
	// FindAPITokens returns a user's tokens (every token of the directory when userID is ""), newest first.
	FindAPITokens(ctx context.Context, directoryID, userID string) ([]*APIToken, error)
	// TouchAPIToken sets the token's LastUsedAt.
	TouchAPIToken(ctx context.Context, id string, at time.Time) error
	DeleteAPIToken(ctx context.Context, directoryID, id string) error

	// CreateSignInRequest stores r. TakeSignInRequest returns and deletes it in one step, so it is used once;
	// ENOTFOUND when it is missing or expired at now. FindSignInRequest returns it without deleting it.
	CreateSignInRequest(ctx context.Context, r *SignInRequest) error
	FindSignInRequest(ctx context.Context, directoryID, id string, now time.Time) (*SignInRequest, error)
	TakeSignInRequest(ctx context.Context, directoryID, id string, now time.Time) (*SignInRequest, error)

	// UseOnce records key until expiresAt. ECONFLICT if the key was recorded before and has not expired at now; this
	// is the replay cache of AuthnRequest and assertion IDs.
	UseOnce(ctx context.Context, key string, now, expiresAt time.Time) error
	// IsUsed reports whether key was recorded by UseOnce and has not expired at now. It only reads: however the
	// calls of several nodes interleave, it never records a key.
	IsUsed(ctx context.Context, key string, now time.Time) (bool, error)

	// IncrementCounter adds one to the counter named key and returns its new value. A counter whose first increment
	// is older than window starts again at one. ResetCounter sets it to zero; a missing counter is not an error.
	IncrementCounter(ctx context.Context, key string, now time.Time, window time.Duration) (int, error)
	ResetCounter(ctx context.Context, key string) error

	// CreateSignInEvent and CreateAuditEvent append to the logs.
	CreateSignInEvent(ctx context.Context, e *SignInEvent) error
	// CreateSignInEventOnce is what a sign-on commits before its answer leaves: it appends e to the sign-in log and,
	// when key is not "", records key in the replay cache until expiresAt as UseOnce does, both in one transaction.
	// ECONFLICT, with nothing written, when the key was recorded before and has not expired at e.Time. The records of
	// concurrent callers may share one transaction and its commit (group commit); each call returns only once its own
	// writes are committed, or with the error that kept them from it.
	CreateSignInEventOnce(ctx context.Context, e *SignInEvent, key string, expiresAt time.Time) error
	// StartSignInEventOnce is CreateSignInEventOnce for a caller with work to do before it needs the outcome, such as
	// signing its answer: it hands the writes over and returns, and wait returns what CreateSignInEventOnce would
	// have. Until wait is called the store may hold the commit back to share it with more callers.
	StartSignInEventOnce(ctx context.Context, e *SignInEvent, key string, expiresAt time.Time) (wait func() error)
	// FindSignInEvents returns matching events newest first, and how many match in all.
	FindSignInEvents(ctx context.Context, directoryID string, f SignInFilter) ([]*SignInEvent, int, error)
	FindSignInEvent(ctx context.Context, directoryID, id string) (*SignInEvent, error)
	CreateAuditEvent(ctx context.Context, e *AuditEvent) error
	// FindAuditEvents returns matching events newest first, and how many match in all.
	FindAuditEvents(ctx context.Context, directoryID string, f AuditFilter) ([]*AuditEvent, int, error)

	// FindUserForUpdate and FindGroupForUpdate are FindUser and FindGroup that, inside InTx, also hold the object
	// against changes by other transactions until the transaction ends, so a read-modify-write loses no update.
	FindUserForUpdate(ctx context.Context, directoryID, id string) (*User, error)
	FindGroupForUpdate(ctx context.Context, directoryID, id string) (*Group, error)
	// QueryUsers returns the directory's users that q selects, and how many match in all (ignoring paging). A
	// filter on user name, external ID or ID uses an index.
	QueryUsers(ctx context.Context, directoryID string, q Query) ([]*User, int, error)
	// FindGroupsOfUsers returns, by user ID, the groups each of the users is a member of, ordered by name; users
	// without groups, and IDs of no user of the directory, have no entry.
	FindGroupsOfUsers(ctx context.Context, directoryID string, userIDs []string) (map[string][]*Group, error)
	// QueryGroups returns the directory's groups that q selects, and how many match in all (ignoring paging).
	QueryGroups(ctx context.Context, directoryID string, q Query) ([]*Group, int, error)

	// CreateSCIMToken stores t. ENOTFOUND if there is no such directory. FindSCIMTokenBySecretHash returns ENOTFOUND
	// when no token has that hash.
	CreateSCIMToken(ctx context.Context, t *SCIMToken) error
	FindSCIMTokenBySecretHash(ctx context.Context, secretHash string) (*SCIMToken, error)
	// FindSCIMTokens returns the directory's SCIM tokens, newest first.
	FindSCIMTokens(ctx context.Context, directoryID string) ([]*SCIMToken, error)
	// TouchSCIMToken sets the token's LastUsedAt.
	TouchSCIMToken(ctx context.Context, id string, at time.Time) error
	DeleteSCIMToken(ctx context.Context, directoryID, id string) error

	// DeleteExpired removes sessions, sign-in requests, API tokens, replay-cache keys and OpenID Connect grants (with
	// their tokens) that expired before now.
	DeleteExpired(ctx context.Context, now time.Time) error

	// SetNotificationEmails replaces the addresses e-mailed before an app's signing certificate expires, or, when
	// appID is "", the directory's default list for its own certificate and for apps without a list; an empty list
	// removes them. ENOTFOUND if the app or the directory does not exist.
	SetNotificationEmails(ctx context.Context, directoryID, appID string, emails []string) error
	// FindNotificationEmails returns those addresses in the order they were set; none is an empty list.
	FindNotificationEmails(ctx context.Context, directoryID, appID string) ([]string, error)
	// ClaimCertificateNotice records that the caller is sending n, claimed at n.ClaimedAt, so that no other caller
	// sends it. ECONFLICT when n was sent, or when another claim of it is younger than lease; ENOTFOUND when the
	// directory has no such certificate.
	ClaimCertificateNotice(ctx context.Context, n *CertificateNotice, lease time.Duration) error
	// FinishCertificateNotice records that a claimed notice was sent at n.SentAt or, when n.SentAt is zero, drops the
	// claim so that the notice is tried again. ENOTFOUND when n is not claimed and unsent.
	FinishCertificateNotice(ctx context.Context, n *CertificateNotice) error
	// FindCertificateNotices returns the directory's notices, sent or claimed, ordered by claim time.
	FindCertificateNotices(ctx context.Context, directoryID string) ([]*CertificateNotice, error)

	// CreatePasskey stores p. ENOTFOUND if its user is not in its directory, ECONFLICT if the directory has a passkey
	// with the same credential ID. FindPasskeyByCredentialID finds one by its credential ID within the directory.
	CreatePasskey(ctx context.Context, p *Passkey) error
	FindPasskey(ctx context.Context, directoryID, id string) (*Passkey, error)
	FindPasskeyByCredentialID(ctx context.Context, directoryID string, credentialID []byte) (*Passkey, error)
	// FindPasskeys returns a user's passkeys, oldest first; none is an empty list.
	FindPasskeys(ctx context.Context, directoryID, userID string) ([]*Passkey, error)
	// UpdatePasskey replaces Name.
	UpdatePasskey(ctx context.Context, p *Passkey) error
	// UsePasskey records an accepted sign-in with the passkey: it sets SignCount, BackupState and LastUsedAt, in
	// one step and only when the stored counter is below signCount or both are zero. ECONFLICT when the counter
	// is not (it went backwards or stood still: a cloned authenticator, or another node took that count first),
	// ENOTFOUND when there is no such passkey.
	UsePasskey(ctx context.Context, directoryID, id string, signCount uint32, backupState bool, at time.Time) error
	DeletePasskey(ctx context.Context, directoryID, id string) error
	// FindPasskeyPolicy returns the directory's passkey policy, the zero policy (with DirectoryID set) when it never
	// set one. ENOTFOUND if there is no such directory. SetPasskeyPolicy replaces it; ENOTFOUND likewise.
	FindPasskeyPolicy(ctx context.Context, directoryID string) (*PasskeyPolicy, error)
	SetPasskeyPolicy(ctx context.Context, p *PasskeyPolicy) error
	ProvisioningStore
	// OIDCStore keeps OpenID Connect client secrets, signing keys, grants and tokens.
	OIDCStore

	// Close releases the store's resources.
	Close() error
}

// ProvisioningStore is the part of the storage contract that automatic user provisioning uses: each app's
// settings and the engine's status, the durable queue of changes to push, the links between users and groups and
// their accounts at apps, and the provisioning log.
type ProvisioningStore interface {
	// SetProvisioning stores an app's provisioning settings, creating them (with an empty status) or replacing
	// every field but DirectoryID, AppID and CreatedAt. ENOTFOUND if there is no such app.
	SetProvisioning(ctx context.Context, p *Provisioning) error
	// FindProvisioning returns an app's settings; ENOTFOUND if they were never set.
	FindProvisioning(ctx context.Context, directoryID, appID string) (*Provisioning, error)
	// FindProvisionings returns the settings of the directory's apps (of every directory when directoryID is "")
	// whose mode is mode (any mode when mode is ""), ordered by app ID.
	FindProvisionings(ctx context.Context, directoryID, mode string) ([]*Provisioning, error)

	// FindProvisioningStatus returns an app's status; ENOTFOUND if its settings were never set.
	FindProvisioningStatus(ctx context.Context, directoryID, appID string) (*ProvisioningStatus, error)
	// FindProvisioningDue returns the status of every app with work due at now whose lease is free or owner's:
	// an automatic app with a cycle running, due or requested, a retry requested, or a job due (while in
	// quarantine, only a probe due, a retry requested or an on-demand job); and an app in any mode with an
	// on-demand job due.
	FindProvisioningDue(ctx context.Context, owner string, now time.Time) ([]*ProvisioningStatus, error)
	// ClaimProvisioning gives owner the lease of an app's provisioning until until, when the lease is free at now
	// or already owner's, and returns the status. ECONFLICT when another owner holds it; ENOTFOUND when there are
	// no settings.
	ClaimProvisioning(ctx context.Context, directoryID, appID, owner string, now, until time.Time) (*ProvisioningStatus, error)
	// ReleaseProvisioning frees owner's lease; a lease owner does not hold is left alone.
	ReleaseProvisioning(ctx context.Context, directoryID, appID, owner string) error
	// UpdateProvisioningStatus stores the cycles, the next cycle, the last success and the quarantine of st, when
	// st.LeaseOwner holds the lease. ECONFLICT when it does not (the lease was lost).
	UpdateProvisioningStatus(ctx context.Context, st *ProvisioningStatus) error
	// RequestProvisioning records an admin's request (RequestCycle or RequestRetry) made at at.
	// ConsumeProvisioningRequest clears it when it is still the one made at at. ENOTFOUND without settings.
	RequestProvisioning(ctx context.Context, directoryID, appID, request string, at time.Time) error
	ConsumeProvisioningRequest(ctx context.Context, directoryID, appID, request string, at time.Time) error

	// EnqueueProvisioningJobs stores the jobs; a job for an object that already waits replaces its reason,
	// RequestedAt, NotBefore and OnDemand and resets its attempts. ENOTFOUND if an app does not exist.
	EnqueueProvisioningJobs(ctx context.Context, jobs []*ProvisioningJob) error
	// FindProvisioningJobs returns up to limit of an app's jobs due at now (all of them, due or not, when now is
	// zero), the earliest first and users before groups.
	FindProvisioningJobs(ctx context.Context, directoryID, appID string, now time.Time, limit int) ([]*ProvisioningJob, error)
	// FinishProvisioningJob deletes the job unless it was requested again after j.RequestedAt; RetryProvisioningJob
	// stores its NotBefore, Attempts and LastError unless it was requested again. Neither is an error when the job
	// is gone.
	FinishProvisioningJob(ctx context.Context, j *ProvisioningJob) error
	RetryProvisioningJob(ctx context.Context, j *ProvisioningJob) error
	// ResetProvisioningJobs makes every job of the app that waits beyond now due at now.
	ResetProvisioningJobs(ctx context.Context, directoryID, appID string, now time.Time) error
	// DeleteProvisioningJobs deletes an app's jobs, but for on-demand ones.
	DeleteProvisioningJobs(ctx context.Context, directoryID, appID string) error
	// CountProvisioningJobs counts the jobs of an app (of every app of the directory when appID is "", of every
	// directory when directoryID is "").
	CountProvisioningJobs(ctx context.Context, directoryID, appID string) (int, error)

	// SaveProvisionedObject stores o, replacing the link of the same app, type and source. ENOTFOUND if the app
	// does not exist.
	SaveProvisionedObject(ctx context.Context, o *ProvisionedObject) error
	// FindProvisionedObjects returns, by source ID, the links of the given sources; sources without one have no
	// entry.
	FindProvisionedObjects(ctx context.Context, directoryID, appID, objectType string, sourceIDs []string) (map[string]*ProvisionedObject, error)
	// ListProvisionedObjects returns up to limit of an app's links of a type whose source IDs sort after after,
	// ordered by source ID.
	ListProvisionedObjects(ctx context.Context, directoryID, appID, objectType, after string, limit int) ([]*ProvisionedObject, error)
	// CountProvisionedObjects counts an app's links of a type, and of those the active ones.
	CountProvisionedObjects(ctx context.Context, directoryID, appID, objectType string) (total, active int, err error)
	// DeleteProvisionedObject deletes a link; none is not an error.
	DeleteProvisionedObject(ctx context.Context, directoryID, appID, objectType, sourceID string) error

	// FindScopeUsers returns up to limit of the users in an app's scope whose IDs sort after after, ordered by ID:
	// every user of the directory when all is set, otherwise those assigned to the app directly or through a group.
	FindScopeUsers(ctx context.Context, directoryID, appID string, all bool, after string, limit int) ([]*User, error)

	// CreateProvisioningEvent appends to the provisioning log. FindProvisioningEvents returns matching entries
	// newest first, and how many match in all.
	CreateProvisioningEvent(ctx context.Context, e *ProvisioningEvent) error
	FindProvisioningEvents(ctx context.Context, directoryID string, f ProvisioningFilter) ([]*ProvisioningEvent, int, error)
	FindProvisioningEvent(ctx context.Context, directoryID, id string) (*ProvisioningEvent, error)
}

// WriteContention is an optional capability of the Store an InTx callback is given, checked by type assertion:
// Contended reports whether a sign-on waits for the transaction to end. Bulk work that may be cut into several
// transactions (an import of users, the results of a provisioning cycle) checks it between writes and commits
// early, so that sign-ons keep their latency where the database has one writer (SQLite). A store whose transactions
// write side by side (PostgreSQL) need not implement it.
type WriteContention interface {
	Contended() bool
}
