-- Case-insensitive names are compared through key columns holding the lower-cased text, computed by the Go code
-- (Unicode lower case) as on SQLite, rather than through lower(), which follows the database's locale: uniqueness,
-- search and order are then the same on every database and engine, and a copy from SQLite never conflicts. Rows
-- that exist already get lower()'s keys.
ALTER TABLE users
	ADD COLUMN user_name_key text,
	ADD COLUMN first_name_key text,
	ADD COLUMN last_name_key text,
	ADD COLUMN display_name_key text,
	ADD COLUMN mail_key text;
UPDATE users SET user_name_key = lower(user_name), first_name_key = lower(first_name),
	last_name_key = lower(last_name), display_name_key = lower(display_name), mail_key = lower(mail);
ALTER TABLE users
	ALTER COLUMN user_name_key SET NOT NULL,
	ALTER COLUMN first_name_key SET NOT NULL,
	ALTER COLUMN last_name_key SET NOT NULL,
	ALTER COLUMN display_name_key SET NOT NULL,
	ALTER COLUMN mail_key SET NOT NULL;
DROP INDEX users_user_name;
CREATE UNIQUE INDEX users_user_name ON users (directory_id, user_name_key);

ALTER TABLE groups ADD COLUMN name_key text;
UPDATE groups SET name_key = lower(name);
ALTER TABLE groups ALTER COLUMN name_key SET NOT NULL;
DROP INDEX groups_name;
CREATE UNIQUE INDEX groups_name ON groups (directory_id, name_key);

ALTER TABLE apps ADD COLUMN name_key text;
UPDATE apps SET name_key = lower(name);
ALTER TABLE apps ALTER COLUMN name_key SET NOT NULL;
