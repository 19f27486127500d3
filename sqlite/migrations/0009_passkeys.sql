-- Passkeys (WebAuthn credentials): the public key of each, its counter and when it was last used. A credential ID
-- is unique within a directory, so a sign-in with it names one user.
CREATE TABLE passkeys (
	id                 TEXT NOT NULL,
	directory_id       TEXT NOT NULL,
	user_id            TEXT NOT NULL,
	name               TEXT NOT NULL,
	credential_id      BLOB NOT NULL,
	public_key         BLOB NOT NULL,
	aaguid             TEXT NOT NULL,
	sign_count         INTEGER NOT NULL,
	transports         TEXT NOT NULL,
	attestation_type   TEXT NOT NULL,
	attestation_format TEXT NOT NULL,
	backup_eligible    INTEGER NOT NULL,
	backup_state       INTEGER NOT NULL,
	created_at         INTEGER NOT NULL,
	last_used_at       INTEGER,
	FOREIGN KEY (directory_id, user_id) REFERENCES users ON DELETE CASCADE,
	PRIMARY KEY (directory_id, id)
) STRICT;
CREATE UNIQUE INDEX passkeys_credential ON passkeys (directory_id, credential_id);
CREATE INDEX passkeys_user ON passkeys (directory_id, user_id);

-- A directory's policy on passkeys; a directory without a row has the default policy.
CREATE TABLE passkey_policies (
	directory_id               TEXT PRIMARY KEY REFERENCES directories ON DELETE CASCADE,
	passkeys                   TEXT NOT NULL,
	require_phishing_resistant INTEGER NOT NULL,
	recovery_codes             TEXT NOT NULL,
	aaguids                    TEXT NOT NULL,
	updated_at                 INTEGER NOT NULL
) STRICT;

-- How each session was made (a JSON list such as ["password","passkey"]); empty for sessions made before, which
-- read as a password with a second factor when mfa is set.
ALTER TABLE sessions ADD COLUMN methods TEXT NOT NULL DEFAULT '[]';
