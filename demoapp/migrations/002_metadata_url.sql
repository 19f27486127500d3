-- The IdP's federation metadata URL, when the settings were filled from it.
ALTER TABLE sso_settings ADD COLUMN metadata_url TEXT NOT NULL DEFAULT '';
