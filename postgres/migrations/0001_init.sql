-- The initial schema. Objects of a directory are keyed by (directory_id, id) and refer to each other through
-- composite foreign keys, so a row can never point into another directory; deleting a directory, user, group or app
-- cascades to everything that belongs to it. Sessions and API tokens are found by ID alone, so their IDs are unique
-- across directories.

CREATE TABLE directories (
	id          text PRIMARY KEY,
	name        text NOT NULL,
	domain      text NOT NULL,
	require_mfa boolean NOT NULL,
	created_at  timestamptz NOT NULL,
	updated_at  timestamptz NOT NULL
);
CREATE INDEX directories_created_at ON directories (created_at, id);

CREATE TABLE users (
	directory_id         text NOT NULL REFERENCES directories ON DELETE CASCADE,
	id                   text NOT NULL,
	user_name            text NOT NULL,
	first_name           text NOT NULL,
	last_name            text NOT NULL,
	display_name         text NOT NULL,
	mail                 text NOT NULL,
	role                 text NOT NULL,
	disabled             boolean NOT NULL,
	must_change_password boolean NOT NULL,
	password_hash        text NOT NULL,
	password_changed_at  timestamptz NOT NULL,
	created_at           timestamptz NOT NULL,
	updated_at           timestamptz NOT NULL,
	PRIMARY KEY (directory_id, id)
);
CREATE UNIQUE INDEX users_user_name ON users (directory_id, lower(user_name));

CREATE TABLE groups (
	directory_id text NOT NULL REFERENCES directories ON DELETE CASCADE,
	id           text NOT NULL,
	name         text NOT NULL,
	description  text NOT NULL,
	created_at   timestamptz NOT NULL,
	updated_at   timestamptz NOT NULL,
	PRIMARY KEY (directory_id, id)
);
CREATE UNIQUE INDEX groups_name ON groups (directory_id, lower(name));

CREATE TABLE group_members (
	directory_id text NOT NULL,
	group_id     text NOT NULL,
	user_id      text NOT NULL,
	PRIMARY KEY (directory_id, group_id, user_id),
	FOREIGN KEY (directory_id, group_id) REFERENCES groups ON DELETE CASCADE,
	FOREIGN KEY (directory_id, user_id) REFERENCES users ON DELETE CASCADE
);
CREATE INDEX group_members_user ON group_members (directory_id, user_id);

CREATE TABLE apps (
	directory_id        text NOT NULL REFERENCES directories ON DELETE CASCADE,
	id                  text NOT NULL,
	name                text NOT NULL,
	gallery_id          text NOT NULL,
	enabled             boolean NOT NULL,
	assignment_required boolean NOT NULL,
	visible             boolean NOT NULL,
	notes               text NOT NULL,
	logo                bytea,
	logo_type           text NOT NULL,
	saml                jsonb NOT NULL,
	-- entity_id is saml's Identifier, kept in its own column for the unique index and the lookup by Issuer.
	entity_id           text NOT NULL,
	created_at          timestamptz NOT NULL,
	updated_at          timestamptz NOT NULL,
	PRIMARY KEY (directory_id, id)
);
CREATE UNIQUE INDEX apps_entity_id ON apps (directory_id, entity_id) WHERE entity_id <> '';

-- A certificate belongs to an app, or to its directory when app_id is NULL.
CREATE TABLE certificates (
	directory_id  text NOT NULL REFERENCES directories ON DELETE CASCADE,
	id            text NOT NULL,
	app_id        text,
	der           bytea,
	encrypted_key bytea,
	thumbprint    text NOT NULL,
	not_before    timestamptz NOT NULL,
	not_after     timestamptz NOT NULL,
	active        boolean NOT NULL,
	created_at    timestamptz NOT NULL,
	PRIMARY KEY (directory_id, id),
	FOREIGN KEY (directory_id, app_id) REFERENCES apps ON DELETE CASCADE
);
CREATE INDEX certificates_owner ON certificates (directory_id, app_id, created_at);
-- An owner has at most one active certificate.
CREATE UNIQUE INDEX certificates_active ON certificates (directory_id, coalesce(app_id, '')) WHERE active;

-- An assignment's principal is a user (user_id) or a group (group_id), each with its own foreign key.
CREATE TABLE assignments (
	directory_id   text NOT NULL REFERENCES directories ON DELETE CASCADE,
	id             text NOT NULL,
	app_id         text NOT NULL,
	principal_type text NOT NULL,
	user_id        text,
	group_id       text,
	created_at     timestamptz NOT NULL,
	PRIMARY KEY (directory_id, id),
	FOREIGN KEY (directory_id, app_id) REFERENCES apps ON DELETE CASCADE,
	FOREIGN KEY (directory_id, user_id) REFERENCES users ON DELETE CASCADE,
	FOREIGN KEY (directory_id, group_id) REFERENCES groups ON DELETE CASCADE,
	CHECK (principal_type = 'user' AND user_id IS NOT NULL AND group_id IS NULL
		OR principal_type = 'group' AND group_id IS NOT NULL AND user_id IS NULL)
);
CREATE UNIQUE INDEX assignments_app_user ON assignments (directory_id, app_id, user_id);
CREATE UNIQUE INDEX assignments_app_group ON assignments (directory_id, app_id, group_id);
CREATE INDEX assignments_user ON assignments (directory_id, user_id) WHERE user_id IS NOT NULL;
CREATE INDEX assignments_group ON assignments (directory_id, group_id) WHERE group_id IS NOT NULL;

CREATE TABLE sessions (
	id            text PRIMARY KEY,
	directory_id  text NOT NULL,
	user_id       text NOT NULL,
	created_at    timestamptz NOT NULL,
	authn_instant timestamptz NOT NULL,
	last_seen_at  timestamptz NOT NULL,
	expires_at    timestamptz NOT NULL,
	mfa           boolean NOT NULL,
	client_addr   text NOT NULL,
	user_agent    text NOT NULL,
	FOREIGN KEY (directory_id, user_id) REFERENCES users ON DELETE CASCADE
);
CREATE INDEX sessions_user ON sessions (directory_id, user_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

CREATE TABLE api_tokens (
	id           text PRIMARY KEY,
	secret_hash  text NOT NULL UNIQUE,
	prefix       text NOT NULL,
	directory_id text NOT NULL,
	user_id      text NOT NULL,
	name         text NOT NULL,
	created_at   timestamptz NOT NULL,
	expires_at   timestamptz,
	last_used_at timestamptz,
	FOREIGN KEY (directory_id, user_id) REFERENCES users ON DELETE CASCADE
);
CREATE INDEX api_tokens_user ON api_tokens (directory_id, user_id);
CREATE INDEX api_tokens_expires_at ON api_tokens (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE sign_in_requests (
	directory_id   text NOT NULL,
	id             text NOT NULL,
	app_id         text NOT NULL,
	request_id     text NOT NULL,
	acs_url        text NOT NULL,
	relay_state    text NOT NULL,
	force_authn    boolean NOT NULL,
	name_id_format text NOT NULL,
	created_at     timestamptz NOT NULL,
	expires_at     timestamptz NOT NULL,
	PRIMARY KEY (directory_id, id),
	FOREIGN KEY (directory_id, app_id) REFERENCES apps ON DELETE CASCADE
);
CREATE INDEX sign_in_requests_app ON sign_in_requests (directory_id, app_id);
CREATE INDEX sign_in_requests_expires_at ON sign_in_requests (expires_at);

-- The replay cache of AuthnRequest and assertion IDs, shared by every node.
CREATE TABLE replay (
	key        text PRIMARY KEY,
	expires_at timestamptz NOT NULL
);
CREATE INDEX replay_expires_at ON replay (expires_at);

-- Rate-limit and lockout counters: count increments since started_at.
CREATE TABLE counters (
	key        text PRIMARY KEY,
	count      integer NOT NULL,
	started_at timestamptz NOT NULL
);

-- The logs keep user and app IDs and names without foreign keys: an entry outlives what it names.
CREATE TABLE sign_in_events (
	directory_id   text NOT NULL REFERENCES directories ON DELETE CASCADE,
	id             text NOT NULL,
	time           timestamptz NOT NULL,
	user_id        text NOT NULL,
	user_name      text NOT NULL,
	app_id         text NOT NULL,
	app_name       text NOT NULL,
	result         text NOT NULL,
	code           text NOT NULL,
	reason         text NOT NULL,
	correlation_id text NOT NULL,
	client_addr    text NOT NULL,
	PRIMARY KEY (directory_id, id)
);
CREATE INDEX sign_in_events_time ON sign_in_events (directory_id, time DESC, id DESC);

CREATE TABLE audit_events (
	directory_id   text NOT NULL REFERENCES directories ON DELETE CASCADE,
	id             text NOT NULL,
	time           timestamptz NOT NULL,
	actor_id       text NOT NULL,
	actor_name     text NOT NULL,
	action         text NOT NULL,
	target_type    text NOT NULL,
	target_id      text NOT NULL,
	before         text NOT NULL,
	after          text NOT NULL,
	correlation_id text NOT NULL,
	PRIMARY KEY (directory_id, id)
);
CREATE INDEX audit_events_time ON audit_events (directory_id, time DESC, id DESC);
