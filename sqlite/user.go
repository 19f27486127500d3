package sqlite

import (
	"context"
	"fmt"
	"strings"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/internal/sqlstore"
)

const userColumns = `u.directory_id, u.id, u.user_name, u.first_name, u.last_name, u.display_name, u.mail, u.role,
	u.disabled, u.must_change_password, u.password_hash, u.password_changed_at, u.mfa_enabled, u.mfa_secret,
	u.recovery_codes, u.created_at, u.updated_at, u.source, u.external_id, u.department, u.employee_number,
	u.cost_center, u.organization, u.division, u.manager_id, u.scim_attributes`

// userOrder orders users by user name: case-insensitively, then byte-wise.
const userOrder = `u.user_name_key, u.user_name, u.id`

func scanUser(row scanner) (*gatehouse.User, error) {
	var u gatehouse.User
	if err := row.Scan(&u.DirectoryID, &u.ID, &u.UserName, &u.FirstName, &u.LastName, &u.DisplayName, &u.Mail,
		&u.Role, &u.Disabled, &u.MustChangePassword, &u.PasswordHash, timeAt{&u.PasswordChangedAt}, &u.MFAEnabled,
		&u.MFASecret, stringsAt{&u.RecoveryCodes}, timeAt{&u.CreatedAt}, timeAt{&u.UpdatedAt}, &u.Source,
		&u.ExternalID, &u.Department, &u.EmployeeNumber, &u.CostCenter, &u.Organization, &u.Division, &u.ManagerID,
		&u.SCIMAttributes); err != nil {
		return nil, err
	}
	return &u, nil
}

// key returns s lower-cased, as the _key columns hold it for case-insensitive uniqueness, search and ordering: the
// same on every engine (sqlstore.Key).
func key(s string) string { return sqlstore.Key(s) }

var userConflict = msgs{
	conflict: "A user with this user name (or ID) already exists in the directory.",
	missing:  "The directory does not exist.",
}

// CreateUser stores u. ECONFLICT if the directory has a user with the same user name, ignoring case; ENOTFOUND if
// there is no such directory.
func (s *Store) CreateUser(ctx context.Context, u *gatehouse.User) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO users (directory_id, id, user_name, user_name_key, first_name,
		first_name_key, last_name, last_name_key, display_name, display_name_key, mail, mail_key, role, disabled,
		must_change_password, password_hash, password_changed_at, mfa_enabled, mfa_secret, recovery_codes, created_at,
		updated_at, source, external_id, department, employee_number, cost_center, organization, division, manager_id,
		scim_attributes)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.DirectoryID, u.ID, u.UserName, key(u.UserName), u.FirstName, key(u.FirstName), u.LastName, key(u.LastName),
		u.DisplayName, key(u.DisplayName), u.Mail, key(u.Mail), string(u.Role), u.Disabled, u.MustChangePassword,
		u.PasswordHash, micros(u.PasswordChangedAt), u.MFAEnabled, u.MFASecret, jsonStrings(u.RecoveryCodes),
		micros(u.CreatedAt), micros(u.UpdatedAt), string(u.Source), u.ExternalID, u.Department, u.EmployeeNumber,
		u.CostCenter, u.Organization, u.Division, u.ManagerID, u.SCIMAttributes)
	return wrap(err, "create user", userConflict)
}

// FindUser returns the user with the given ID.
func (s *Store) FindUser(ctx context.Context, directoryID, id string) (*gatehouse.User, error) {
	u, err := scanUser(s.queryRow(ctx, `SELECT `+userColumns+` FROM users u
		WHERE u.directory_id = ? AND u.id = ?`, directoryID, id))
	if err != nil {
		return nil, notFound(err, "find user", "The user does not exist.")
	}
	return u, nil
}

// FindUserByName finds a user by user name, ignoring case.
func (s *Store) FindUserByName(ctx context.Context, directoryID, userName string) (*gatehouse.User, error) {
	u, err := scanUser(s.queryRow(ctx, `SELECT `+userColumns+` FROM users u
		WHERE u.directory_id = ? AND u.user_name_key = ?`, directoryID, key(userName)))
	if err != nil {
		return nil, notFound(err, "find user by name", "The user does not exist.")
	}
	return u, nil
}

// searchedFields are the key columns whose beginning a user search matches, each the second column of an index
// (directory_id, key, user_name_key).
var searchedFields = []string{"user_name_key", "display_name_key", "first_name_key", "last_name_key", "mail_key"}

// findUsersQuery returns the FROM and WHERE of FindUsers for f, the column that holds the user name key to order
// by, and the arguments from ?1.
//
// A search is the union of one index range per field (key >= query AND key < query+U+10FFFF, so the query is text,
// never a pattern), each yielding the user name key (held in every field's index) and the rowid of the users it
// found beyond the page's edge, merged in user-name order and then joined by rowid to the users. SQLite has no
// statistics to tell that a field's range is narrower than the rest of the directory: "+" keeps it from reading
// the user name index from the page's edge for each field, and CROSS JOIN from walking it for the order. With a
// window, a search instead reads at most that many users (-1: all) in user-name order from the page's edge and
// keeps those whose fields begin with the query. Without a query the users are read in order from users_user_name, or users_role for
// a role, from the page's edge.
func findUsersQuery(directoryID string, f gatehouse.UserFilter, window int) (from, order string, args []any) {
	args = []any{directoryID}
	var edges []string // the conditions of the page's edge, on the column named "k"
	for _, e := range []struct{ name, op string }{{f.After, ">"}, {f.Before, "<"}} {
		if e.name != "" {
			args = append(args, key(e.name))
			edges = append(edges, fmt.Sprintf(` AND k %s ?%d`, e.op, len(args)))
		}
	}
	edge := func(column string) string { return strings.ReplaceAll(strings.Join(edges, ""), " k ", " "+column+" ") }
	var role string
	if f.Role != "" {
		args = append(args, string(f.Role))
		role = fmt.Sprintf(` AND u.role = ?%d`, len(args))
	}
	from, order = `users u WHERE u.directory_id = ?1`+edge("u.user_name_key")+role, `u.user_name_key`
	if f.Query == "" {
		return from, order, args
	}
	q := key(f.Query)
	args = append(args, q, q+"\U0010FFFF")
	lo, hi := len(args)-1, len(args)
	if window != 0 {
		direction := ""
		if f.Before != "" && f.After == "" {
			direction = " DESC"
		}
		match := make([]string, len(searchedFields))
		for i, c := range searchedFields {
			match[i] = fmt.Sprintf(`w.%s >= ?%d AND w.%s < ?%d`, c, lo, c, hi)
		}
		// The walk reads only the keys; the page's users are read whole.
		return fmt.Sprintf(`(SELECT u.rowid AS r, u.%s FROM %s ORDER BY u.user_name_key%s LIMIT %d) w
			CROSS JOIN users u ON u.rowid = w.r WHERE (%s)`, strings.Join(searchedFields, ", u."), from, direction,
			window, strings.Join(match, ` OR `)), `w.user_name_key`, args
	}
	arms := make([]string, len(searchedFields))
	for i, c := range searchedFields {
		arms[i] = fmt.Sprintf(`SELECT user_name_key AS k, rowid AS r FROM users WHERE directory_id = ?1 AND %s >= ?%d
			AND %s < ?%d`, c, lo, c, hi) + edge("+user_name_key")
	}
	return `(` + strings.Join(arms, ` UNION `) + ` ORDER BY 1) m CROSS JOIN users u ON u.rowid = m.r
		WHERE u.directory_id = ?1` + role, `m.k`, args
}

// FindUsers returns one page of the users that match f ordered by user name, and how many match f, counted no
// further than gatehouse.UserCountLimit+1, by sqlstore.FindUsers with this engine's queries.
func (s *Store) FindUsers(ctx context.Context, directoryID string, f gatehouse.UserFilter) ([]*gatehouse.User, int, error) {
	_, limit := page(0, f.Limit)
	return sqlstore.FindUsers(ctx, f, limit, sqlstore.UserQueries[*gatehouse.User]{
		MostBeginning: func(ctx context.Context, query string) (int, error) {
			q := key(query)
			probes := make([]string, len(searchedFields))
			for i, c := range searchedFields {
				probes[i] = fmt.Sprintf(`(SELECT count(*) FROM (SELECT 1 FROM users WHERE directory_id = ?1 AND %s >= ?2
				AND %s < ?3 LIMIT %d))`, c, c, gatehouse.UserCountLimit+1)
			}
			var most int
			if err := s.r.QueryRowContext(ctx, `SELECT max(`+strings.Join(probes, ", ")+`)`, directoryID, q,
				q+"\U0010FFFF").Scan(&most); err != nil {
				return 0, internal(err, "find users")
			}
			return most, nil
		},
		Count: func(ctx context.Context, f gatehouse.UserFilter, window int) (int, error) {
			from, _, args := findUsersQuery(directoryID, f, window)
			var n int
			if err := s.r.QueryRowContext(ctx, fmt.Sprintf(`SELECT count(*) FROM (SELECT 1 FROM %s LIMIT %d)`, from,
				gatehouse.UserCountLimit+1), args...).Scan(&n); err != nil {
				return 0, internal(err, "find users")
			}
			return n, nil
		},
		Page: func(ctx context.Context, f gatehouse.UserFilter, limit, window int) ([]*gatehouse.User, error) {
			query, args := usersPage(directoryID, f, limit, window)
			return queryList(ctx, s.r, "find users", scanUser, query, args...)
		},
	})
}

// usersPage returns the query of one page of FindUsers, and its arguments: the first limit users after f.After in
// user-name order, or the last ones before f.Before, read backwards (sqlstore.FindUsers turns them round). A search with a
// window reads users in user-name order (see findUsersQuery).
func usersPage(directoryID string, f gatehouse.UserFilter, limit, window int) (string, []any) {
	from, order, args := findUsersQuery(directoryID, f, window)
	if f.Before != "" && f.After == "" {
		order += ` DESC`
	}
	args = append(args, limit)
	return fmt.Sprintf(`SELECT %s FROM %s ORDER BY %s LIMIT ?%d`, userColumns, from, order, len(args)), args
}

// UpdateUser replaces every stored field of u but ID, DirectoryID and CreatedAt. ECONFLICT as in CreateUser.
func (s *Store) UpdateUser(ctx context.Context, u *gatehouse.User) error {
	res, err := s.w.ExecContext(ctx, `UPDATE users SET user_name = ?3, user_name_key = ?4, first_name = ?5,
		first_name_key = ?6, last_name = ?7, last_name_key = ?8, display_name = ?9, display_name_key = ?10, mail = ?11,
		mail_key = ?12, role = ?13, disabled = ?14, must_change_password = ?15, password_hash = ?16,
		password_changed_at = ?17, updated_at = ?18, mfa_enabled = ?19, mfa_secret = ?20, recovery_codes = ?21,
		source = ?22, external_id = ?23, department = ?24, employee_number = ?25, cost_center = ?26,
		organization = ?27, division = ?28, manager_id = ?29, scim_attributes = ?30
		WHERE directory_id = ?1 AND id = ?2`,
		u.DirectoryID, u.ID, u.UserName, key(u.UserName), u.FirstName, key(u.FirstName), u.LastName, key(u.LastName),
		u.DisplayName, key(u.DisplayName), u.Mail, key(u.Mail), string(u.Role), u.Disabled, u.MustChangePassword,
		u.PasswordHash, micros(u.PasswordChangedAt), micros(u.UpdatedAt), u.MFAEnabled, u.MFASecret,
		jsonStrings(u.RecoveryCodes), string(u.Source), u.ExternalID, u.Department, u.EmployeeNumber, u.CostCenter,
		u.Organization, u.Division, u.ManagerID, u.SCIMAttributes)
	return changed(res, wrap(err, "update user", userConflict), "update user", "The user does not exist.")
}

// HasUsers reports whether the directory has at least one user, from the first entry of the primary key's index.
func (s *Store) HasUsers(ctx context.Context, directoryID string) (bool, error) {
	var ok bool
	if err := s.queryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE directory_id = ?)`, directoryID).Scan(&ok); err != nil {
		return false, internal(err, "has users")
	}
	return ok, nil
}

// DeleteUser deletes the user and, by cascade, their sessions, API tokens, group memberships and assignments.
func (s *Store) DeleteUser(ctx context.Context, directoryID, id string) error {
	return s.exec(ctx, "delete user", "The user does not exist.",
		`DELETE FROM users WHERE directory_id = ? AND id = ?`, directoryID, id)
}
