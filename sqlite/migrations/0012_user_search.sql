-- Searching and paging users by index. A search matches the beginning of a user's user name, display name, first
-- name, last name or mail (users_user_name serves the user name); each field gets an index of its own, holding the
-- user name key too so that a match is checked against the page's edge without reading the row. A list by role
-- reads users_role in user-name order from the page's edge, however rare the role.
CREATE INDEX users_display_name ON users (directory_id, display_name_key, user_name_key);
CREATE INDEX users_first_name ON users (directory_id, first_name_key, user_name_key);
CREATE INDEX users_last_name ON users (directory_id, last_name_key, user_name_key);
CREATE INDEX users_mail ON users (directory_id, mail_key, user_name_key);
CREATE INDEX users_role ON users (directory_id, role, user_name_key);
