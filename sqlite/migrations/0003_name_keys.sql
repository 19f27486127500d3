-- Case-insensitive names are compared through key columns holding the lower-cased text, computed by the Go code, on
-- every engine. On SQLite, 0001_init created these columns (users' user_name_key, first_name_key, last_name_key,
-- display_name_key and mail_key, groups' and apps' name_key) with the tables, so this migration has nothing to do
-- here; it keeps the number that PostgreSQL's migration of the same name has.
SELECT 1;
