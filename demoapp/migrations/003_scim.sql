-- Provisioning over SCIM 2.0 (Settings → Access security → SCIM), as Mixpanel's: the organization's claimed e-mail
-- domain (only users in it may be provisioned), the SHA-256 of the SCIM bearer token, and Teams.
CREATE TABLE scim_settings (
    id             INTEGER PRIMARY KEY CHECK (id = 1),
    claimed_domain TEXT    NOT NULL DEFAULT '',
    token_hash     TEXT    NOT NULL DEFAULT '',
    token_prefix   TEXT    NOT NULL DEFAULT '',
    token_created  INTEGER
);

-- Users have their SCIM id in users.id and teams in teams.id. A deactivated user is kept but cannot sign in; source
-- says how the user joined (owner, invite or scim).
ALTER TABLE users ADD COLUMN external_id TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN display_name TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN deactivated INTEGER NOT NULL DEFAULT 0 CHECK (deactivated IN (0, 1));
ALTER TABLE users ADD COLUMN source TEXT NOT NULL DEFAULT 'invite';

CREATE TABLE teams (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    external_id TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL
);

CREATE TABLE team_members (
    team_id INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user ON team_members (user_id);
