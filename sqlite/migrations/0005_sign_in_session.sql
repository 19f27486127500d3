-- The session a SAML sign-on was answered for, so that single logout signs a session out of exactly its own apps;
-- empty for password sign-ins and for entries from before this migration.
ALTER TABLE sign_in_events ADD COLUMN session_id TEXT NOT NULL DEFAULT '';
CREATE INDEX sign_in_events_session ON sign_in_events (directory_id, session_id) WHERE session_id != '';
