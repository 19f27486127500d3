-- A number per directory that changes in the same transaction as anything a sign-on reads of the directory's
-- configuration: the directory, its passkey policy, an app, a certificate, and the removal of an assignment or of
-- a group membership (an added one only grants access, which a sign-on that found none reads again). A server
-- keeps what it read of that configuration for as long as the number stays the same, and reads the number with
-- every sign-on, so a change made through any server of the database counts on every server at once. Sessions and
-- users are not covered: sign-ons read them each time.
--
-- No foreign key: the number outlives its directory, so a directory made again with the same ID goes on counting up.
-- The row is added without a conflict clause, since the conflict clause of the statement that fires a trigger
-- (such as an upsert's) would override the trigger's.
CREATE TABLE config_generations (
	directory_id TEXT PRIMARY KEY,
	generation   INTEGER NOT NULL
) STRICT;

CREATE TRIGGER directories_config_insert AFTER INSERT ON directories BEGIN
	INSERT INTO config_generations (directory_id, generation)
		SELECT NEW.id, 0 WHERE NOT EXISTS (SELECT 1 FROM config_generations WHERE directory_id = NEW.id);
	UPDATE config_generations SET generation = generation + 1 WHERE directory_id = NEW.id;
END;
CREATE TRIGGER directories_config_update AFTER UPDATE ON directories BEGIN
	INSERT INTO config_generations (directory_id, generation)
		SELECT NEW.id, 0 WHERE NOT EXISTS (SELECT 1 FROM config_generations WHERE directory_id = NEW.id);
	UPDATE config_generations SET generation = generation + 1 WHERE directory_id = NEW.id;
END;
CREATE TRIGGER directories_config_delete AFTER DELETE ON directories BEGIN
	INSERT INTO config_generations (directory_id, generation)
		SELECT OLD.id, 0 WHERE NOT EXISTS (SELECT 1 FROM config_generations WHERE directory_id = OLD.id);
	UPDATE config_generations SET generation = generation + 1 WHERE directory_id = OLD.id;
END;
CREATE TRIGGER passkey_policies_config_insert AFTER INSERT ON passkey_policies BEGIN
	INSERT INTO config_generations (directory_id, generation)
		SELECT NEW.directory_id, 0 WHERE NOT EXISTS (SELECT 1 FROM config_generations WHERE directory_id = NEW.directory_id);
	UPDATE config_generations SET generation = generation + 1 WHERE directory_id = NEW.directory_id;
END;
CREATE TRIGGER passkey_policies_config_update AFTER UPDATE ON passkey_policies BEGIN
	INSERT INTO config_generations (directory_id, generation)
		SELECT NEW.directory_id, 0 WHERE NOT EXISTS (SELECT 1 FROM config_generations WHERE directory_id = NEW.directory_id);
	UPDATE config_generations SET generation = generation + 1 WHERE directory_id = NEW.directory_id;
END;
CREATE TRIGGER passkey_policies_config_delete AFTER DELETE ON passkey_policies BEGIN
	INSERT INTO config_generations (directory_id, generation)
		SELECT OLD.directory_id, 0 WHERE NOT EXISTS (SELECT 1 FROM config_generations WHERE directory_id = OLD.directory_id);
	UPDATE config_generations SET generation = generation + 1 WHERE directory_id = OLD.directory_id;
END;
CREATE TRIGGER apps_config_insert AFTER INSERT ON apps BEGIN
	INSERT INTO config_generations (directory_id, generation)
		SELECT NEW.directory_id, 0 WHERE NOT EXISTS (SELECT 1 FROM config_generations WHERE directory_id = NEW.directory_id);
	UPDATE config_generations SET generation = generation + 1 WHERE directory_id = NEW.directory_id;
END;
CREATE TRIGGER apps_config_update AFTER UPDATE ON apps BEGIN
	INSERT INTO config_generations (directory_id, generation)
		SELECT NEW.directory_id, 0 WHERE NOT EXISTS (SELECT 1 FROM config_generations WHERE directory_id = NEW.directory_id);
	UPDATE config_generations SET generation = generation + 1 WHERE directory_id = NEW.directory_id;
END;
CREATE TRIGGER apps_config_delete AFTER DELETE ON apps BEGIN
	INSERT INTO config_generations (directory_id, generation)
		SELECT OLD.directory_id, 0 WHERE NOT EXISTS (SELECT 1 FROM config_generations WHERE directory_id = OLD.directory_id);
	UPDATE config_generations SET generation = generation + 1 WHERE directory_id = OLD.directory_id;
END;
CREATE TRIGGER certificates_config_insert AFTER INSERT ON certificates BEGIN
	INSERT INTO config_generations (directory_id, generation)
		SELECT NEW.directory_id, 0 WHERE NOT EXISTS (SELECT 1 FROM config_generations WHERE directory_id = NEW.directory_id);
	UPDATE config_generations SET generation = generation + 1 WHERE directory_id = NEW.directory_id;
END;
CREATE TRIGGER certificates_config_update AFTER UPDATE ON certificates BEGIN
	INSERT INTO config_generations (directory_id, generation)
		SELECT NEW.directory_id, 0 WHERE NOT EXISTS (SELECT 1 FROM config_generations WHERE directory_id = NEW.directory_id);
	UPDATE config_generations SET generation = generation + 1 WHERE directory_id = NEW.directory_id;
END;
CREATE TRIGGER certificates_config_delete AFTER DELETE ON certificates BEGIN
	INSERT INTO config_generations (directory_id, generation)
		SELECT OLD.directory_id, 0 WHERE NOT EXISTS (SELECT 1 FROM config_generations WHERE directory_id = OLD.directory_id);
	UPDATE config_generations SET generation = generation + 1 WHERE directory_id = OLD.directory_id;
END;
CREATE TRIGGER assignments_config_update AFTER UPDATE ON assignments BEGIN
	INSERT INTO config_generations (directory_id, generation)
		SELECT NEW.directory_id, 0 WHERE NOT EXISTS (SELECT 1 FROM config_generations WHERE directory_id = NEW.directory_id);
	UPDATE config_generations SET generation = generation + 1 WHERE directory_id = NEW.directory_id;
END;
CREATE TRIGGER assignments_config_delete AFTER DELETE ON assignments BEGIN
	INSERT INTO config_generations (directory_id, generation)
		SELECT OLD.directory_id, 0 WHERE NOT EXISTS (SELECT 1 FROM config_generations WHERE directory_id = OLD.directory_id);
	UPDATE config_generations SET generation = generation + 1 WHERE directory_id = OLD.directory_id;
END;
CREATE TRIGGER group_members_config_update AFTER UPDATE ON group_members BEGIN
	INSERT INTO config_generations (directory_id, generation)
		SELECT NEW.directory_id, 0 WHERE NOT EXISTS (SELECT 1 FROM config_generations WHERE directory_id = NEW.directory_id);
	UPDATE config_generations SET generation = generation + 1 WHERE directory_id = NEW.directory_id;
END;
CREATE TRIGGER group_members_config_delete AFTER DELETE ON group_members BEGIN
	INSERT INTO config_generations (directory_id, generation)
		SELECT OLD.directory_id, 0 WHERE NOT EXISTS (SELECT 1 FROM config_generations WHERE directory_id = OLD.directory_id);
	UPDATE config_generations SET generation = generation + 1 WHERE directory_id = OLD.directory_id;
END;
