-- Searching and paging users by index. A search matches the beginning of a user's user name, display name, first
-- name, last name or mail, as a range of the lower-cased key under the "C" collation (byte order, the same on every
-- database collation, as the user list is ordered); each field gets an index of its own in that collation. A list
-- reads users_user_name_order, and a list by role users_role, in user-name order from the page's edge.
CREATE INDEX users_user_name_order ON users (directory_id, user_name_key COLLATE "C");
CREATE INDEX users_display_name ON users (directory_id, display_name_key COLLATE "C");
CREATE INDEX users_first_name ON users (directory_id, first_name_key COLLATE "C");
CREATE INDEX users_last_name ON users (directory_id, last_name_key COLLATE "C");
CREATE INDEX users_mail ON users (directory_id, mail_key COLLATE "C");
CREATE INDEX users_role ON users (directory_id, role, user_name_key COLLATE "C");
