-- Who is e-mailed before a signing certificate expires: an app's own list, or, where app_id is NULL, the
-- directory's default list. emails is a JSON array of addresses; a row with "[]" records an emptied list.
CREATE TABLE notification_emails (
	directory_id TEXT NOT NULL REFERENCES directories ON DELETE CASCADE,
	app_id       TEXT,
	emails       TEXT NOT NULL,
	FOREIGN KEY (directory_id, app_id) REFERENCES apps ON DELETE CASCADE
) STRICT;
CREATE UNIQUE INDEX notification_emails_owner ON notification_emails (directory_id, coalesce(app_id, ''));

-- Certificate expiry notices, one per certificate and threshold (days before expiry), so that the nodes together
-- send each once: a node claims the row before it sends the mail and sets sent_at after. A claim without sent_at
-- is taken over by another node only once it is older than the claim lease (the sender died or failed).
CREATE TABLE certificate_notices (
	directory_id   TEXT NOT NULL,
	certificate_id TEXT NOT NULL,
	days           INTEGER NOT NULL,
	claimed_at     INTEGER NOT NULL,
	sent_at        INTEGER,
	PRIMARY KEY (directory_id, certificate_id, days),
	FOREIGN KEY (directory_id, certificate_id) REFERENCES certificates ON DELETE CASCADE
) STRICT, WITHOUT ROWID;
