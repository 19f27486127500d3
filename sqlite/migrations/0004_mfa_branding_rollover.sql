-- A user's TOTP enrolment: whether it is on, the secret sealed with the key-encryption key, and the SHA-256 hashes
-- (hex) of the unused recovery codes as a JSON array of strings.
ALTER TABLE users ADD COLUMN mfa_enabled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN mfa_secret BLOB;
ALTER TABLE users ADD COLUMN recovery_codes TEXT NOT NULL DEFAULT '[]';

-- The image a directory shows on its sign-in page, and its media type.
ALTER TABLE directories ADD COLUMN logo BLOB;
ALTER TABLE directories ADD COLUMN logo_type TEXT NOT NULL DEFAULT '';

-- When a formerly active certificate was replaced; NULL for the active one and for one never active.
ALTER TABLE certificates ADD COLUMN deactivated_at INTEGER;
