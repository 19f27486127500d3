-- A user's TOTP enrolment: whether it is on, the secret sealed with the key-encryption key, and the SHA-256 hashes
-- (hex) of the unused recovery codes.
ALTER TABLE users
	ADD COLUMN mfa_enabled boolean NOT NULL DEFAULT false,
	ADD COLUMN mfa_secret bytea,
	ADD COLUMN recovery_codes text[] NOT NULL DEFAULT '{}';

-- The image a directory shows on its sign-in page, and its media type.
ALTER TABLE directories
	ADD COLUMN logo bytea,
	ADD COLUMN logo_type text NOT NULL DEFAULT '';

-- When a formerly active certificate was replaced; NULL for the active one and for one never active.
ALTER TABLE certificates ADD COLUMN deactivated_at timestamptz;
