-- The initial schema. Objects of a directory are keyed by (directory_id, id) and refer to each other through
-- composite foreign keys, so a row can never point into another directory; deleting a directory, user, group or app
-- cascades to everything that belongs to it. Sessions and API tokens are found by ID alone, so their IDs are unique
-- across directories.
--
-- Times are INTEGER microseconds since the Unix epoch, UTC; booleans are 0 or 1. Columns ending in _key hold the
-- lower-cased text (Unicode lower case, computed by the Go code) that case-insensitive uniqueness, search and
-- ordering use.

CREATE TABLE directories (
	id          TEXT PRIMARY KEY,
	name        TEXT NOT NULL,
	domain      TEXT NOT NULL,
	require_mfa INTEGER NOT NULL,
	created_at  INTEGER NOT NULL,
	updated_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX directories_created_at ON directories (created_at, id);

CREATE TABLE users (
	directory_id         TEXT NOT NULL REFERENCES directories ON DELETE CASCADE,
	id                   TEXT NOT NULL,
	user_name            TEXT NOT NULL,
	user_name_key        TEXT NOT NULL,
	first_name           TEXT NOT NULL,
	first_name_key       TEXT NOT NULL,
	last_name            TEXT NOT NULL,
	last_name_key        TEXT NOT NULL,
	display_name         TEXT NOT NULL,
	display_name_key     TEXT NOT NULL,
	mail                 TEXT NOT NULL,
	mail_key             TEXT NOT NULL,
	role                 TEXT NOT NULL,
	disabled             INTEGER NOT NULL,
	must_change_password INTEGER NOT NULL,
	password_hash        TEXT NOT NULL,
	password_changed_at  INTEGER NOT NULL,
	created_at           INTEGER NOT NULL,
	updated_at           INTEGER NOT NULL,
	PRIMARY KEY (directory_id, id)
) STRICT;
CREATE UNIQUE INDEX users_user_name ON users (directory_id, user_name_key);

CREATE TABLE groups (
	directory_id TEXT NOT NULL REFERENCES directories ON DELETE CASCADE,
	id           TEXT NOT NULL,
	name         TEXT NOT NULL,
	name_key     TEXT NOT NULL,
	description  TEXT NOT NULL,
	created_at   INTEGER NOT NULL,
	updated_at   INTEGER NOT NULL,
	PRIMARY KEY (directory_id, id)
) STRICT;
CREATE UNIQUE INDEX groups_name ON groups (directory_id, name_key);

CREATE TABLE group_members (
	directory_id TEXT NOT NULL,
	group_id     TEXT NOT NULL,
	user_id      TEXT NOT NULL,
	PRIMARY KEY (directory_id, group_id, user_id),
	FOREIGN KEY (directory_id, group_id) REFERENCES groups ON DELETE CASCADE,
	FOREIGN KEY (directory_id, user_id) REFERENCES users ON DELETE CASCADE
) STRICT, WITHOUT ROWID;
CREATE INDEX group_members_user ON group_members (directory_id, user_id);

CREATE TABLE apps (
	directory_id        TEXT NOT NULL REFERENCES directories ON DELETE CASCADE,
	id                  TEXT NOT NULL,
	name                TEXT NOT NULL,
	name_key            TEXT NOT NULL,
	gallery_id          TEXT NOT NULL,
	enabled             INTEGER NOT NULL,
	assignment_required INTEGER NOT NULL,
	visible             INTEGER NOT NULL,
	notes               TEXT NOT NULL,
	logo                BLOB,
	logo_type           TEXT NOT NULL,
	-- saml is the SAMLSettings as JSON; entity_id is its Identifier, kept in its own column for the unique index and
	-- the lookup by Issuer.
	saml                TEXT NOT NULL,
	entity_id           TEXT NOT NULL,
	created_at          INTEGER NOT NULL,
	updated_at          INTEGER NOT NULL,
	PRIMARY KEY (directory_id, id)
) STRICT;
CREATE UNIQUE INDEX apps_entity_id ON apps (directory_id, entity_id) WHERE entity_id <> '';
CREATE INDEX apps_name ON apps (directory_id, name_key);

-- A certificate belongs to an app, or to its directory when app_id is NULL.
CREATE TABLE certificates (
	directory_id  TEXT NOT NULL REFERENCES directories ON DELETE CASCADE,
	id            TEXT NOT NULL,
	app_id        TEXT,
	der           BLOB,
	encrypted_key BLOB,
	thumbprint    TEXT NOT NULL,
	not_before    INTEGER NOT NULL,
	not_after     INTEGER NOT NULL,
	active        INTEGER NOT NULL,
	created_at    INTEGER NOT NULL,
	PRIMARY KEY (directory_id, id),
	FOREIGN KEY (directory_id, app_id) REFERENCES apps ON DELETE CASCADE
) STRICT;
CREATE INDEX certificates_owner ON certificates (directory_id, app_id, created_at);
-- An owner has at most one active certificate.
CREATE UNIQUE INDEX certificates_active ON certificates (directory_id, coalesce(app_id, '')) WHERE active = 1;

-- An assignment's principal is a user (user_id) or a group (group_id), each with its own foreign key.
CREATE TABLE assignments (
	directory_id   TEXT NOT NULL REFERENCES directories ON DELETE CASCADE,
	id             TEXT NOT NULL,
	app_id         TEXT NOT NULL,
	principal_type TEXT NOT NULL,
	user_id        TEXT,
	group_id       TEXT,
	created_at     INTEGER NOT NULL,
	PRIMARY KEY (directory_id, id),
	FOREIGN KEY (directory_id, app_id) REFERENCES apps ON DELETE CASCADE,
	FOREIGN KEY (directory_id, user_id) REFERENCES users ON DELETE CASCADE,
	FOREIGN KEY (directory_id, group_id) REFERENCES groups ON DELETE CASCADE,
	CHECK (principal_type = 'user' AND user_id IS NOT NULL AND group_id IS NULL
		OR principal_type = 'group' AND group_id IS NOT NULL AND user_id IS NULL)
) STRICT;
CREATE UNIQUE INDEX assignments_app_user ON assignments (directory_id, app_id, user_id);
CREATE UNIQUE INDEX assignments_app_group ON assignments (directory_id, app_id, group_id);
CREATE INDEX assignments_user ON assignments (directory_id, user_id) WHERE user_id IS NOT NULL;
CREATE INDEX assignments_group ON assignments (directory_id, group_id) WHERE group_id IS NOT NULL;

CREATE TABLE sessions (
	id            TEXT PRIMARY KEY,
	directory_id  TEXT NOT NULL,
	user_id       TEXT NOT NULL,
	created_at    INTEGER NOT NULL,
	authn_instant INTEGER NOT NULL,
	last_seen_at  INTEGER NOT NULL,
	expires_at    INTEGER NOT NULL,
	mfa           INTEGER NOT NULL,
	client_addr   TEXT NOT NULL,
	user_agent    TEXT NOT NULL,
	FOREIGN KEY (directory_id, user_id) REFERENCES users ON DELETE CASCADE
) STRICT;
CREATE INDEX sessions_user ON sessions (directory_id, user_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

CREATE TABLE api_tokens (
	id           TEXT PRIMARY KEY,
	secret_hash  TEXT NOT NULL UNIQUE,
	prefix       TEXT NOT NULL,
	directory_id TEXT NOT NULL,
	user_id      TEXT NOT NULL,
	name         TEXT NOT NULL,
	created_at   INTEGER NOT NULL,
	expires_at   INTEGER,
	last_used_at INTEGER,
	FOREIGN KEY (directory_id, user_id) REFERENCES users ON DELETE CASCADE
) STRICT;
CREATE INDEX api_tokens_user ON api_tokens (directory_id, user_id);
CREATE INDEX api_tokens_expires_at ON api_tokens (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE sign_in_requests (
	directory_id   TEXT NOT NULL,
	id             TEXT NOT NULL,
	app_id         TEXT NOT NULL,
	request_id     TEXT NOT NULL,
	acs_url        TEXT NOT NULL,
	relay_state    TEXT NOT NULL,
	force_authn    INTEGER NOT NULL,
	name_id_format TEXT NOT NULL,
	created_at     INTEGER NOT NULL,
	expires_at     INTEGER NOT NULL,
	PRIMARY KEY (directory_id, id),
	FOREIGN KEY (directory_id, app_id) REFERENCES apps ON DELETE CASCADE
) STRICT;
CREATE INDEX sign_in_requests_app ON sign_in_requests (directory_id, app_id);
CREATE INDEX sign_in_requests_expires_at ON sign_in_requests (expires_at);

-- The replay cache of AuthnRequest and assertion IDs.
CREATE TABLE replay (
	key        TEXT PRIMARY KEY,
	expires_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX replay_expires_at ON replay (expires_at);

-- Rate-limit and lockout counters: count increments since started_at.
CREATE TABLE counters (
	key        TEXT PRIMARY KEY,
	count      INTEGER NOT NULL,
	started_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- The logs keep user and app IDs and names without foreign keys: an entry outlives what it names.
CREATE TABLE sign_in_events (
	directory_id   TEXT NOT NULL REFERENCES directories ON DELETE CASCADE,
	id             TEXT NOT NULL,
	time           INTEGER NOT NULL,
	user_id        TEXT NOT NULL,
	user_name      TEXT NOT NULL,
	app_id         TEXT NOT NULL,
	app_name       TEXT NOT NULL,
	result         TEXT NOT NULL,
	code           TEXT NOT NULL,
	reason         TEXT NOT NULL,
	correlation_id TEXT NOT NULL,
	client_addr    TEXT NOT NULL,
	PRIMARY KEY (directory_id, id)
) STRICT;
CREATE INDEX sign_in_events_time ON sign_in_events (directory_id, time DESC, id DESC);

CREATE TABLE audit_events (
	directory_id   TEXT NOT NULL REFERENCES directories ON DELETE CASCADE,
	id             TEXT NOT NULL,
	time           INTEGER NOT NULL,
	actor_id       TEXT NOT NULL,
	actor_name     TEXT NOT NULL,
	action         TEXT NOT NULL,
	target_type    TEXT NOT NULL,
	target_id      TEXT NOT NULL,
	before         TEXT NOT NULL,
	after          TEXT NOT NULL,
	correlation_id TEXT NOT NULL,
	PRIMARY KEY (directory_id, id)
) STRICT;
CREATE INDEX audit_events_time ON audit_events (directory_id, time DESC, id DESC);
