-- OpenID Connect. An app is a SAML app or an OpenID Connect app (protocol); an OpenID Connect app's settings are
-- the oidc column's JSON, and its client ID is kept in a column of its own for the unique index and the lookup.
ALTER TABLE apps ADD COLUMN protocol TEXT NOT NULL DEFAULT '';
ALTER TABLE apps ADD COLUMN oidc TEXT NOT NULL DEFAULT '';
ALTER TABLE apps ADD COLUMN client_id TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX apps_client_id ON apps (directory_id, client_id) WHERE client_id <> '';

-- A pending OpenID Connect sign-in keeps its authorization request as JSON.
ALTER TABLE sign_in_requests ADD COLUMN protocol TEXT NOT NULL DEFAULT '';
ALTER TABLE sign_in_requests ADD COLUMN oidc TEXT NOT NULL DEFAULT '';

-- An app's client secrets; only the SHA-256 hash of each secret is kept.
CREATE TABLE client_secrets (
	directory_id TEXT NOT NULL,
	id           TEXT NOT NULL,
	app_id       TEXT NOT NULL,
	secret_hash  TEXT NOT NULL,
	hint         TEXT NOT NULL,
	created_at   INTEGER NOT NULL,
	expires_at   INTEGER,
	PRIMARY KEY (directory_id, id),
	FOREIGN KEY (directory_id, app_id) REFERENCES apps ON DELETE CASCADE
) STRICT;
CREATE INDEX client_secrets_app ON client_secrets (directory_id, app_id, created_at);

-- A directory's keys that sign OpenID Connect tokens, the private key sealed; one active key per algorithm.
CREATE TABLE oidc_keys (
	directory_id   TEXT NOT NULL REFERENCES directories ON DELETE CASCADE,
	id             TEXT NOT NULL,
	algorithm      TEXT NOT NULL,
	public_key     BLOB NOT NULL,
	encrypted_key  BLOB NOT NULL,
	active         INTEGER NOT NULL,
	deactivated_at INTEGER,
	created_at     INTEGER NOT NULL,
	PRIMARY KEY (directory_id, id)
) STRICT;
CREATE UNIQUE INDEX oidc_keys_active ON oidc_keys (directory_id, algorithm) WHERE active = 1;

-- A grant is one authorization of an app, by a user (user_id) or, for client credentials, by the app itself; the
-- request column is its OIDCRequest as JSON. Its tokens belong to it and go with it.
CREATE TABLE oidc_grants (
	directory_id    TEXT NOT NULL,
	id              TEXT NOT NULL,
	app_id          TEXT NOT NULL,
	user_id         TEXT,
	session_id      TEXT NOT NULL,
	code_hash       TEXT UNIQUE,
	code_expires_at INTEGER,
	code_used_at    INTEGER,
	request         TEXT NOT NULL,
	created_at      INTEGER NOT NULL,
	expires_at      INTEGER NOT NULL,
	revoked_at      INTEGER,
	PRIMARY KEY (directory_id, id),
	FOREIGN KEY (directory_id, app_id) REFERENCES apps ON DELETE CASCADE,
	FOREIGN KEY (directory_id, user_id) REFERENCES users ON DELETE CASCADE
) STRICT;
CREATE INDEX oidc_grants_session ON oidc_grants (directory_id, session_id);
CREATE INDEX oidc_grants_app_user ON oidc_grants (directory_id, app_id, user_id);
CREATE INDEX oidc_grants_user ON oidc_grants (directory_id, user_id);
CREATE INDEX oidc_grants_expires_at ON oidc_grants (expires_at);

CREATE TABLE oidc_tokens (
	directory_id TEXT NOT NULL,
	id           TEXT NOT NULL,
	grant_id     TEXT NOT NULL,
	kind         TEXT NOT NULL,
	secret_hash  TEXT UNIQUE,
	scopes       TEXT NOT NULL,
	created_at   INTEGER NOT NULL,
	expires_at   INTEGER NOT NULL,
	used_at      INTEGER,
	revoked_at   INTEGER,
	PRIMARY KEY (directory_id, id),
	FOREIGN KEY (directory_id, grant_id) REFERENCES oidc_grants ON DELETE CASCADE
) STRICT;
CREATE INDEX oidc_tokens_grant ON oidc_tokens (directory_id, grant_id);
CREATE INDEX oidc_tokens_expires_at ON oidc_tokens (expires_at);
