-- SCIM provisioning. Where each user came from (portal, api, cli, scim, setup; empty for users from before this
-- migration), the provisioning client's external ID of users and groups, the enterprise user extension's attributes
-- (manager_id is the manager's user ID), and the other SCIM attributes of a user as a JSON object ('' for none).
ALTER TABLE users ADD COLUMN source TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN external_id TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN department TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN employee_number TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN cost_center TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN organization TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN division TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN manager_id TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN scim_attributes TEXT NOT NULL DEFAULT '';
CREATE INDEX users_external_id ON users (directory_id, external_id);

ALTER TABLE groups ADD COLUMN external_id TEXT NOT NULL DEFAULT '';
CREATE INDEX groups_external_id ON groups (directory_id, external_id);

-- The bearer tokens of a directory's SCIM endpoint; only the SHA-256 hash of the secret is kept.
CREATE TABLE scim_tokens (
	id           TEXT PRIMARY KEY,
	directory_id TEXT NOT NULL REFERENCES directories ON DELETE CASCADE,
	name         TEXT NOT NULL,
	secret_hash  TEXT NOT NULL UNIQUE,
	prefix       TEXT NOT NULL,
	created_by   TEXT NOT NULL,
	created_at   INTEGER NOT NULL,
	last_used_at INTEGER
) STRICT;
CREATE INDEX scim_tokens_directory ON scim_tokens (directory_id, created_at);
