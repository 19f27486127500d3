-- A counter is of no use once its window has passed (the next increment starts it again at one), so it records when
-- that is and DeleteExpired removes it: counters keyed by client address would otherwise pile up forever. Counters
-- from before this migration expire a day after they started, as on PostgreSQL. (SQLite adds a NOT NULL column only
-- with a default; IncrementCounter always sets it.)
ALTER TABLE counters ADD COLUMN expires_at INTEGER NOT NULL DEFAULT 0;
UPDATE counters SET expires_at = started_at + 86400000000;
CREATE INDEX counters_expires_at ON counters (expires_at);
