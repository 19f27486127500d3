-- SCIM provisioning. Where each user came from (portal, api, cli, scim, setup; empty for users from before this
-- migration), the provisioning client's external ID of users and groups, the enterprise user extension's attributes
-- (manager_id is the manager's user ID), and the other SCIM attributes of a user as a JSON object ('' for none).
ALTER TABLE users
	ADD COLUMN source text NOT NULL DEFAULT '',
	ADD COLUMN external_id text NOT NULL DEFAULT '',
	ADD COLUMN department text NOT NULL DEFAULT '',
	ADD COLUMN employee_number text NOT NULL DEFAULT '',
	ADD COLUMN cost_center text NOT NULL DEFAULT '',
	ADD COLUMN organization text NOT NULL DEFAULT '',
	ADD COLUMN division text NOT NULL DEFAULT '',
	ADD COLUMN manager_id text NOT NULL DEFAULT '',
	ADD COLUMN scim_attributes text NOT NULL DEFAULT '';
CREATE INDEX users_external_id ON users (directory_id, external_id);

ALTER TABLE groups ADD COLUMN external_id text NOT NULL DEFAULT '';
CREATE INDEX groups_external_id ON groups (directory_id, external_id);

-- The bearer tokens of a directory's SCIM endpoint; only the SHA-256 hash of the secret is kept.
CREATE TABLE scim_tokens (
	id           text PRIMARY KEY,
	directory_id text NOT NULL REFERENCES directories ON DELETE CASCADE,
	name         text NOT NULL,
	secret_hash  text NOT NULL UNIQUE,
	prefix       text NOT NULL,
	created_by   text NOT NULL,
	created_at   timestamptz NOT NULL,
	last_used_at timestamptz
);
CREATE INDEX scim_tokens_directory ON scim_tokens (directory_id, created_at);
