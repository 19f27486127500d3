-- A counter is of no use once its window has passed (the next increment starts it again at one), so it records when
-- that is and DeleteExpired removes it: counters keyed by client address would otherwise pile up forever.
ALTER TABLE counters ADD COLUMN expires_at timestamptz;
UPDATE counters SET expires_at = started_at + interval '1 day';
ALTER TABLE counters ALTER COLUMN expires_at SET NOT NULL;
CREATE INDEX counters_expires_at ON counters (expires_at);
