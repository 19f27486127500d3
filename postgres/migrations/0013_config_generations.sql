-- A number per directory that changes in the same transaction as anything a sign-on reads of the directory's
-- configuration: the directory, its passkey policy, an app, a certificate, and the removal of an assignment or of
-- a group membership (an added one only grants access, which a sign-on that found none reads again). A server
-- keeps what it read of that configuration for as long as the number stays the same, and reads the number with
-- every sign-on, so a change made through any server of the database counts on every server at once. Sessions and
-- users are not covered: sign-ons read them each time.
--
-- No foreign key: the number outlives its directory, so a directory made again with the same ID goes on counting up.
-- The triggers are deferred to the commit, so a transaction holds the lock on its directory's number only while it
-- commits.
CREATE TABLE config_generations (
	directory_id text PRIMARY KEY,
	generation   bigint NOT NULL
);

CREATE FUNCTION bump_config_generation() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	dir text;
BEGIN
	IF TG_TABLE_NAME = 'directories' THEN
		dir := CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END;
	ELSE
		dir := CASE WHEN TG_OP = 'DELETE' THEN OLD.directory_id ELSE NEW.directory_id END;
	END IF;
	INSERT INTO config_generations (directory_id, generation) VALUES (dir, 1)
		ON CONFLICT (directory_id) DO UPDATE SET generation = config_generations.generation + 1;
	RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER directories_config AFTER INSERT OR UPDATE OR DELETE ON directories
	DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_config_generation();
CREATE CONSTRAINT TRIGGER passkey_policies_config AFTER INSERT OR UPDATE OR DELETE ON passkey_policies
	DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_config_generation();
CREATE CONSTRAINT TRIGGER apps_config AFTER INSERT OR UPDATE OR DELETE ON apps
	DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_config_generation();
CREATE CONSTRAINT TRIGGER certificates_config AFTER INSERT OR UPDATE OR DELETE ON certificates
	DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_config_generation();
CREATE CONSTRAINT TRIGGER assignments_config AFTER UPDATE OR DELETE ON assignments
	DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_config_generation();
CREATE CONSTRAINT TRIGGER group_members_config AFTER UPDATE OR DELETE ON group_members
	DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_config_generation();
