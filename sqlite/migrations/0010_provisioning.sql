-- Automatic user provisioning (outbound SCIM 2.0).
--
-- app_provisioning holds an app's settings (mode, tenant URL, the secret token sealed with the instance's
-- key-encryption key, and the rest as the JSON object settings) and the engine's status: the lease that lets one
-- node at a time run the app's provisioning (lease_owner until lease_until), the cycle running and the last one
-- (JSON, '' for none), the quarantine (JSON, '' when not in quarantine), and the requests an admin made that the
-- engine has not consumed yet.
CREATE TABLE app_provisioning (
	directory_id       TEXT NOT NULL,
	app_id             TEXT NOT NULL,
	mode               TEXT NOT NULL,
	tenant_url         TEXT NOT NULL,
	sealed_token       BLOB,
	token_set_at       INTEGER,
	settings           TEXT NOT NULL,
	created_at         INTEGER NOT NULL,
	updated_at         INTEGER NOT NULL,
	lease_owner        TEXT NOT NULL DEFAULT '',
	lease_until        INTEGER,
	cycle              TEXT NOT NULL DEFAULT '',
	last_cycle         TEXT NOT NULL DEFAULT '',
	last_success_at    INTEGER,
	next_cycle_at      INTEGER,
	quarantine         TEXT NOT NULL DEFAULT '',
	next_probe_at      INTEGER,
	cycle_requested_at INTEGER,
	retry_requested_at INTEGER,
	PRIMARY KEY (directory_id, app_id),
	FOREIGN KEY (directory_id, app_id) REFERENCES apps ON DELETE CASCADE
) STRICT, WITHOUT ROWID;
CREATE INDEX app_provisioning_mode ON app_provisioning (mode);

-- The durable queue of changes to push: one row per app and object, written in the transaction of the change. A
-- change to an object whose row waits updates the row. on_demand is the ID of a provision-on-demand request.
CREATE TABLE provisioning_jobs (
	directory_id TEXT NOT NULL,
	app_id       TEXT NOT NULL,
	object_type  TEXT NOT NULL,
	object_id    TEXT NOT NULL,
	reason       TEXT NOT NULL,
	on_demand    TEXT NOT NULL,
	requested_at INTEGER NOT NULL,
	not_before   INTEGER NOT NULL,
	attempts     INTEGER NOT NULL,
	last_error   TEXT NOT NULL,
	PRIMARY KEY (directory_id, app_id, object_type, object_id),
	FOREIGN KEY (directory_id, app_id) REFERENCES apps ON DELETE CASCADE
) STRICT, WITHOUT ROWID;
CREATE INDEX provisioning_jobs_due ON provisioning_jobs (directory_id, app_id, not_before);
CREATE INDEX provisioning_jobs_not_before ON provisioning_jobs (not_before);

-- The link of a user or group to its account at an app. It outlives the user or group (no foreign key to them), so
-- that the account of a deleted user is still found and removed.
CREATE TABLE provisioned_objects (
	directory_id TEXT NOT NULL,
	app_id       TEXT NOT NULL,
	object_type  TEXT NOT NULL,
	source_id    TEXT NOT NULL,
	source_name  TEXT NOT NULL,
	target_id    TEXT NOT NULL,
	active       INTEGER NOT NULL,
	created_at   INTEGER NOT NULL,
	updated_at   INTEGER NOT NULL,
	PRIMARY KEY (directory_id, app_id, object_type, source_id),
	FOREIGN KEY (directory_id, app_id) REFERENCES apps ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

-- The provisioning log. changes and steps are JSON arrays.
CREATE TABLE provisioning_events (
	directory_id    TEXT NOT NULL,
	id              TEXT NOT NULL,
	app_id          TEXT NOT NULL,
	app_name        TEXT NOT NULL,
	time            INTEGER NOT NULL,
	cycle_id        TEXT NOT NULL,
	trigger         TEXT NOT NULL,
	object_type     TEXT NOT NULL,
	source_id       TEXT NOT NULL,
	source_name     TEXT NOT NULL,
	source_name_key TEXT NOT NULL,
	target_id       TEXT NOT NULL,
	action          TEXT NOT NULL,
	result          TEXT NOT NULL,
	reason          TEXT NOT NULL,
	changes         TEXT NOT NULL,
	steps           TEXT NOT NULL,
	http_status     INTEGER NOT NULL,
	error_body      TEXT NOT NULL,
	target          TEXT NOT NULL,
	duration_ms     INTEGER NOT NULL,
	PRIMARY KEY (directory_id, id),
	FOREIGN KEY (directory_id, app_id) REFERENCES apps ON DELETE CASCADE
) STRICT;
CREATE INDEX provisioning_events_time ON provisioning_events (directory_id, time);
CREATE INDEX provisioning_events_app ON provisioning_events (directory_id, app_id, time);
CREATE INDEX provisioning_events_cycle ON provisioning_events (directory_id, cycle_id) WHERE cycle_id <> '';
