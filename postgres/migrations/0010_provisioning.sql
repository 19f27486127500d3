-- Automatic user provisioning (outbound SCIM 2.0).
--
-- app_provisioning holds an app's settings (mode, tenant URL, the secret token sealed with the instance's
-- key-encryption key, and the rest as the JSON object settings) and the engine's status: the lease that lets one
-- node at a time run the app's provisioning (lease_owner until lease_until), the cycle running and the last one
-- (JSON, '' for none), the quarantine (JSON, '' when not in quarantine), and the requests an admin made that the
-- engine has not consumed yet.
CREATE TABLE app_provisioning (
	directory_id       text NOT NULL,
	app_id             text NOT NULL,
	mode               text NOT NULL,
	tenant_url         text NOT NULL,
	sealed_token       bytea,
	token_set_at       timestamptz,
	settings           text NOT NULL,
	created_at         timestamptz NOT NULL,
	updated_at         timestamptz NOT NULL,
	lease_owner        text NOT NULL DEFAULT '',
	lease_until        timestamptz,
	cycle              text NOT NULL DEFAULT '',
	last_cycle         text NOT NULL DEFAULT '',
	last_success_at    timestamptz,
	next_cycle_at      timestamptz,
	quarantine         text NOT NULL DEFAULT '',
	next_probe_at      timestamptz,
	cycle_requested_at timestamptz,
	retry_requested_at timestamptz,
	PRIMARY KEY (directory_id, app_id),
	FOREIGN KEY (directory_id, app_id) REFERENCES apps ON DELETE CASCADE
);
CREATE INDEX app_provisioning_mode ON app_provisioning (mode);

-- The durable queue of changes to push: one row per app and object, written in the transaction of the change. A
-- change to an object whose row waits updates the row. on_demand is the ID of a provision-on-demand request.
CREATE TABLE provisioning_jobs (
	directory_id text NOT NULL,
	app_id       text NOT NULL,
	object_type  text NOT NULL,
	object_id    text NOT NULL,
	reason       text NOT NULL,
	on_demand    text NOT NULL,
	requested_at timestamptz NOT NULL,
	not_before   timestamptz NOT NULL,
	attempts     integer NOT NULL,
	last_error   text NOT NULL,
	PRIMARY KEY (directory_id, app_id, object_type, object_id),
	FOREIGN KEY (directory_id, app_id) REFERENCES apps ON DELETE CASCADE
);
CREATE INDEX provisioning_jobs_due ON provisioning_jobs (directory_id, app_id, not_before);
CREATE INDEX provisioning_jobs_not_before ON provisioning_jobs (not_before);

-- The link of a user or group to its account at an app. It outlives the user or group (no foreign key to them), so
-- that the account of a deleted user is still found and removed.
CREATE TABLE provisioned_objects (
	directory_id text NOT NULL,
	app_id       text NOT NULL,
	object_type  text NOT NULL,
	source_id    text NOT NULL,
	source_name  text NOT NULL,
	target_id    text NOT NULL,
	active       boolean NOT NULL,
	created_at   timestamptz NOT NULL,
	updated_at   timestamptz NOT NULL,
	PRIMARY KEY (directory_id, app_id, object_type, source_id),
	FOREIGN KEY (directory_id, app_id) REFERENCES apps ON DELETE CASCADE
);

-- The provisioning log. changes and steps are JSON arrays.
CREATE TABLE provisioning_events (
	directory_id text NOT NULL,
	id           text NOT NULL,
	app_id       text NOT NULL,
	app_name     text NOT NULL,
	time         timestamptz NOT NULL,
	cycle_id     text NOT NULL,
	trigger      text NOT NULL,
	object_type  text NOT NULL,
	source_id    text NOT NULL,
	source_name  text NOT NULL,
	target_id    text NOT NULL,
	action       text NOT NULL,
	result       text NOT NULL,
	reason       text NOT NULL,
	changes      text NOT NULL,
	steps        text NOT NULL,
	http_status  integer NOT NULL,
	error_body   text NOT NULL,
	target       text NOT NULL,
	duration_ms  bigint NOT NULL,
	PRIMARY KEY (directory_id, id),
	FOREIGN KEY (directory_id, app_id) REFERENCES apps ON DELETE CASCADE
);
CREATE INDEX provisioning_events_time ON provisioning_events (directory_id, time);
CREATE INDEX provisioning_events_app ON provisioning_events (directory_id, app_id, time);
CREATE INDEX provisioning_events_cycle ON provisioning_events (directory_id, cycle_id) WHERE cycle_id <> '';
