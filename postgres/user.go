package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/internal/sqlstore"
)

const userColumns = `directory_id, id, user_name, first_name, last_name, display_name, mail, role, disabled,
	must_change_password, password_hash, password_changed_at, created_at, updated_at, mfa_enabled, mfa_secret,
	recovery_codes, source, external_id, department, employee_number, cost_center, organization, division, manager_id,
	scim_attributes`

// userColumnsOf is userColumns qualified with the table alias u.
const userColumnsOf = `u.directory_id, u.id, u.user_name, u.first_name, u.last_name, u.display_name, u.mail, u.role,
	u.disabled, u.must_change_password, u.password_hash, u.password_changed_at, u.created_at, u.updated_at,
	u.mfa_enabled, u.mfa_secret, u.recovery_codes, u.source, u.external_id, u.department, u.employee_number,
	u.cost_center, u.organization, u.division, u.manager_id, u.scim_attributes`

// userOrder orders users by user name: case-insensitively, then byte-wise, the same on every database collation.
const userOrder = `u.user_name_key COLLATE "C", u.user_name COLLATE "C", u.id`

// key returns s lower-cased, as the _key columns hold it for case-insensitive uniqueness, search and ordering: the
// same on every engine (sqlstore.Key).
func key(s string) string { return sqlstore.Key(s) }

// textArray returns list as a text[] parameter: an empty array, never NULL, for none.
func textArray(list []string) []string {
	if list == nil {
		return []string{}
	}
	return list
}

func scanUser(row scanner) (*gatehouse.User, error) {
	var u gatehouse.User
	if err := row.Scan(&u.DirectoryID, &u.ID, &u.UserName, &u.FirstName, &u.LastName, &u.DisplayName, &u.Mail,
		&u.Role, &u.Disabled, &u.MustChangePassword, &u.PasswordHash, &u.PasswordChangedAt, &u.CreatedAt,
		&u.UpdatedAt, &u.MFAEnabled, &u.MFASecret, &u.RecoveryCodes, &u.Source, &u.ExternalID, &u.Department,
		&u.EmployeeNumber, &u.CostCenter, &u.Organization, &u.Division, &u.ManagerID, &u.SCIMAttributes); err != nil {
		return nil, err
	}
	if len(u.RecoveryCodes) == 0 {
		u.RecoveryCodes = nil
	}
	u.PasswordChangedAt, u.CreatedAt, u.UpdatedAt = utc(u.PasswordChangedAt), utc(u.CreatedAt), utc(u.UpdatedAt)
	return &u, nil
}

// CreateUser stores u. ECONFLICT if the directory has a user with the same user name, ignoring case; ENOTFOUND if
// there is no such directory.
func (s *Store) CreateUser(ctx context.Context, u *gatehouse.User) error {
	_, err := s.db.Exec(ctx, `INSERT INTO users (`+userColumns+`, user_name_key, first_name_key, last_name_key,
		display_name_key, mail_key)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22,
			$23, $24, $25, $26, $27, $28, $29, $30, $31)`,
		u.DirectoryID, u.ID, u.UserName, u.FirstName, u.LastName, u.DisplayName, u.Mail, u.Role, u.Disabled,
		u.MustChangePassword, u.PasswordHash, u.PasswordChangedAt, u.CreatedAt, u.UpdatedAt, u.MFAEnabled, u.MFASecret,
		textArray(u.RecoveryCodes), u.Source, u.ExternalID, u.Department, u.EmployeeNumber, u.CostCenter,
		u.Organization, u.Division, u.ManagerID, u.SCIMAttributes,
		key(u.UserName), key(u.FirstName), key(u.LastName), key(u.DisplayName), key(u.Mail))
	return wrap(err, "create user")
}

// FindUser returns the user with the given ID.
func (s *Store) FindUser(ctx context.Context, directoryID, id string) (*gatehouse.User, error) {
	u, err := scanUser(s.db.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE directory_id = $1 AND id = $2`,
		directoryID, id))
	if err != nil {
		return nil, notFound(err, "find user", "The user does not exist.")
	}
	return u, nil
}

// FindUserByName finds a user by user name, ignoring case.
func (s *Store) FindUserByName(ctx context.Context, directoryID, userName string) (*gatehouse.User, error) {
	u, err := scanUser(s.db.QueryRow(ctx, `SELECT `+userColumns+` FROM users
		WHERE directory_id = $1 AND user_name_key = $2`, directoryID, key(userName)))
	if err != nil {
		return nil, notFound(err, "find user by name", "The user does not exist.")
	}
	return u, nil
}

// searchedFields are the key columns whose beginning a user search matches, each the second column of an index
// (directory_id, key COLLATE "C").
var searchedFields = []string{"user_name_key", "display_name_key", "first_name_key", "last_name_key", "mail_key"}

// findUsersQuery returns the FROM and WHERE of FindUsers for f, the expression that orders by user name, and the
// arguments from $1.
//
// A search is the union of one index range per field under the "C" collation (key >= query AND key <
// query+U+10FFFF, so the query is text, never a pattern), of the users beyond the page's edge, joined to the users
// it found. With a window, a search instead reads at most that many users (-1: all) in user-name order from the
// page's edge and keeps those whose fields begin with the query. Without a query the users are read in order from
// users_user_name_order, or users_role for a role, from the page's edge.
func findUsersQuery(directoryID string, f gatehouse.UserFilter, window int) (from, order string, args []any) {
	args = []any{directoryID}
	var edges []string // the conditions of the page's edge, on the column named "k"
	for _, e := range []struct{ name, op string }{{f.After, ">"}, {f.Before, "<"}} {
		if e.name != "" {
			args = append(args, key(e.name))
			edges = append(edges, fmt.Sprintf(` AND k COLLATE "C" %s $%d`, e.op, len(args)))
		}
	}
	edge := func(column string) string { return strings.ReplaceAll(strings.Join(edges, ""), " k ", " "+column+" ") }
	var role string
	if f.Role != "" {
		args = append(args, string(f.Role))
		role = fmt.Sprintf(` AND u.role = $%d`, len(args))
	}
	from, order = `users u WHERE u.directory_id = $1`+edge("u.user_name_key")+role, `u.user_name_key COLLATE "C"`
	if f.Query == "" {
		return from, order, args
	}
	q := key(f.Query)
	args = append(args, q, q+"\U0010FFFF")
	lo, hi := len(args)-1, len(args)
	if window != 0 {
		direction, limit := "", ""
		if f.Before != "" && f.After == "" {
			direction = " DESC"
		}
		if window > 0 {
			limit = fmt.Sprintf(" LIMIT %d", window)
		}
		match := make([]string, len(searchedFields))
		for i, c := range searchedFields {
			match[i] = fmt.Sprintf(`u.%s COLLATE "C" >= $%d AND u.%s COLLATE "C" < $%d`, c, lo, c, hi)
		}
		return fmt.Sprintf(`(SELECT * FROM %s ORDER BY %s%s%s) u WHERE (%s)`, from, order, direction, limit,
			strings.Join(match, ` OR `)), order, args
	}
	arms := make([]string, len(searchedFields))
	for i, c := range searchedFields {
		arms[i] = fmt.Sprintf(`SELECT id FROM users WHERE directory_id = $1 AND %s COLLATE "C" >= $%d
			AND %s COLLATE "C" < $%d`, c, lo, c, hi) + edge("user_name_key")
	}
	return `(` + strings.Join(arms, ` UNION `) + `) m JOIN users u ON u.directory_id = $1 AND u.id = m.id
		WHERE u.directory_id = $1` + role, order, args
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
				probes[i] = fmt.Sprintf(`(SELECT count(*) FROM (SELECT 1 FROM users WHERE directory_id = $1
				AND %s COLLATE "C" >= $2 AND %s COLLATE "C" < $3 LIMIT %d) p)`, c, c, gatehouse.UserCountLimit+1)
			}
			var most int
			if err := s.db.QueryRow(ctx, `SELECT greatest(`+strings.Join(probes, ", ")+`)`, directoryID, q,
				q+"\U0010FFFF").Scan(&most); err != nil {
				return 0, wrap(err, "find users")
			}
			return most, nil
		},
		Count: func(ctx context.Context, f gatehouse.UserFilter, window int) (int, error) {
			from, _, args := findUsersQuery(directoryID, f, window)
			var n int
			if err := s.db.QueryRow(ctx, fmt.Sprintf(`SELECT count(*) FROM (SELECT 1 FROM %s LIMIT %d) c`, from,
				gatehouse.UserCountLimit+1), args...).Scan(&n); err != nil {
				return 0, wrap(err, "find users")
			}
			return n, nil
		},
		Page: func(ctx context.Context, f gatehouse.UserFilter, limit, window int) ([]*gatehouse.User, error) {
			query, args := usersPage(directoryID, f, limit, window)
			return queryList(ctx, s.db, "find users", scanUser, query, args...)
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
	return fmt.Sprintf(`SELECT %s FROM %s ORDER BY %s LIMIT $%d`, userColumnsOf, from, order, len(args)), args
}

// UpdateUser replaces every stored field of u but ID, DirectoryID and CreatedAt.
func (s *Store) UpdateUser(ctx context.Context, u *gatehouse.User) error {
	return s.exec(ctx, "update user", "The user does not exist.", `UPDATE users SET user_name = $3,
		first_name = $4, last_name = $5, display_name = $6, mail = $7, role = $8, disabled = $9,
		must_change_password = $10, password_hash = $11, password_changed_at = $12, updated_at = $13,
		user_name_key = $14, first_name_key = $15, last_name_key = $16, display_name_key = $17, mail_key = $18,
		mfa_enabled = $19, mfa_secret = $20, recovery_codes = $21, source = $22, external_id = $23,
		department = $24, employee_number = $25, cost_center = $26, organization = $27, division = $28,
		manager_id = $29, scim_attributes = $30
		WHERE directory_id = $1 AND id = $2`,
		u.DirectoryID, u.ID, u.UserName, u.FirstName, u.LastName, u.DisplayName, u.Mail, u.Role, u.Disabled,
		u.MustChangePassword, u.PasswordHash, u.PasswordChangedAt, u.UpdatedAt,
		key(u.UserName), key(u.FirstName), key(u.LastName), key(u.DisplayName), key(u.Mail),
		u.MFAEnabled, u.MFASecret, textArray(u.RecoveryCodes), u.Source, u.ExternalID, u.Department, u.EmployeeNumber,
		u.CostCenter, u.Organization, u.Division, u.ManagerID, u.SCIMAttributes)
}

// HasUsers reports whether the directory has at least one user, from the first entry of the primary key's index.
func (s *Store) HasUsers(ctx context.Context, directoryID string) (bool, error) {
	var ok bool
	if err := s.db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE directory_id = $1)`, directoryID).Scan(&ok); err != nil {
		return false, wrap(err, "has users")
	}
	return ok, nil
}

// DeleteUser deletes the user and, by cascade, their sessions, API tokens, group memberships and assignments.
func (s *Store) DeleteUser(ctx context.Context, directoryID, id string) error {
	return s.exec(ctx, "delete user", "The user does not exist.",
		`DELETE FROM users WHERE directory_id = $1 AND id = $2`, directoryID, id)
}
