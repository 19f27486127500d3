-- Passkeys (WebAuthn credentials): the public key of each, its counter and when it was last used. A credential ID
-- is unique within a directory, so a sign-in with it names one user.
CREATE TABLE passkeys (
	id                 text NOT NULL,
	directory_id       text NOT NULL,
	user_id            text NOT NULL,
	name               text NOT NULL,
	credential_id      bytea NOT NULL,
	public_key         bytea NOT NULL,
	aaguid             text NOT NULL,
	sign_count         bigint NOT NULL,
	transports         text[] NOT NULL,
	attestation_type   text NOT NULL,
	attestation_format text NOT NULL,
	backup_eligible    boolean NOT NULL,
	backup_state       boolean NOT NULL,
	created_at         timestamptz NOT NULL,
	last_used_at       timestamptz,
	FOREIGN KEY (directory_id, user_id) REFERENCES users ON DELETE CASCADE,
	PRIMARY KEY (directory_id, id)
);
CREATE UNIQUE INDEX passkeys_credential ON passkeys (directory_id, credential_id);
CREATE INDEX passkeys_user ON passkeys (directory_id, user_id);

-- A directory's policy on passkeys; a directory without a row has the default policy.
CREATE TABLE passkey_policies (
	directory_id               text PRIMARY KEY REFERENCES directories ON DELETE CASCADE,
	passkeys                   text NOT NULL,
	require_phishing_resistant boolean NOT NULL,
	recovery_codes             text NOT NULL,
	aaguids                    text[] NOT NULL,
	updated_at                 timestamptz NOT NULL
);

-- How each session was made, such as {password,passkey}; empty for sessions made before, which read as a password
-- with a second factor when mfa is set.
ALTER TABLE sessions ADD COLUMN methods text[] NOT NULL DEFAULT '{}';
