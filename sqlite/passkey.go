package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/gatehouse-idp/gatehouse"
)

const passkeyColumns = `id, directory_id, user_id, name, credential_id, public_key, aaguid, sign_count, transports,
	attestation_type, attestation_format, backup_eligible, backup_state, created_at, last_used_at`

func scanPasskey(row scanner) (*gatehouse.Passkey, error) {
	var p gatehouse.Passkey
	var count int64
	if err := row.Scan(&p.ID, &p.DirectoryID, &p.UserID, &p.Name, &p.CredentialID, &p.PublicKey, &p.AAGUID, &count,
		stringsAt{&p.Transports}, &p.AttestationType, &p.AttestationFormat, &p.BackupEligible, &p.BackupState,
		timeAt{&p.CreatedAt}, optTimeAt{&p.LastUsedAt}); err != nil {
		return nil, err
	}
	p.SignCount = uint32(count)
	return &p, nil
}

// CreatePasskey stores p. ENOTFOUND if its user is not in its directory, ECONFLICT if the directory has a passkey
// with the same credential ID.
func (s *Store) CreatePasskey(ctx context.Context, p *gatehouse.Passkey) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO passkeys (`+passkeyColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.ID, p.DirectoryID, p.UserID, p.Name, p.CredentialID, p.PublicKey, p.AAGUID, int64(p.SignCount),
		jsonStrings(p.Transports), p.AttestationType, p.AttestationFormat, p.BackupEligible, p.BackupState,
		micros(p.CreatedAt), microsPtr(p.LastUsedAt))
	return wrap(err, "create passkey", msgs{
		conflict: "This passkey is already registered in the directory.",
		missing:  "The user does not exist in the directory.",
	})
}

// FindPasskey finds a passkey of the directory by ID.
func (s *Store) FindPasskey(ctx context.Context, directoryID, id string) (*gatehouse.Passkey, error) {
	p, err := scanPasskey(s.queryRow(ctx, `SELECT `+passkeyColumns+` FROM passkeys WHERE directory_id = ? AND id = ?`,
		directoryID, id))
	if err != nil {
		return nil, notFound(err, "find passkey", "The passkey does not exist.")
	}
	return p, nil
}

// FindPasskeyByCredentialID finds a passkey of the directory by its credential ID.
func (s *Store) FindPasskeyByCredentialID(ctx context.Context, directoryID string, credentialID []byte) (*gatehouse.Passkey, error) {
	p, err := scanPasskey(s.queryRow(ctx, `SELECT `+passkeyColumns+` FROM passkeys
		WHERE directory_id = ? AND credential_id = ?`, directoryID, credentialID))
	if err != nil {
		return nil, notFound(err, "find passkey", "No passkey of the directory has this credential ID.")
	}
	return p, nil
}

// FindPasskeys returns a user's passkeys, oldest first.
func (s *Store) FindPasskeys(ctx context.Context, directoryID, userID string) ([]*gatehouse.Passkey, error) {
	return queryList(ctx, s.r, "find passkeys", scanPasskey, `SELECT `+passkeyColumns+` FROM passkeys
		WHERE directory_id = ? AND user_id = ? ORDER BY created_at, id`, directoryID, userID)
}

// UpdatePasskey replaces Name.
func (s *Store) UpdatePasskey(ctx context.Context, p *gatehouse.Passkey) error {
	return s.exec(ctx, "update passkey", "The passkey does not exist.",
		`UPDATE passkeys SET name = ? WHERE directory_id = ? AND id = ?`, p.Name, p.DirectoryID, p.ID)
}

// UsePasskey records an accepted sign-in when the stored counter is below signCount or both are zero; ECONFLICT
// when it is not, ENOTFOUND when there is no such passkey.
func (s *Store) UsePasskey(ctx context.Context, directoryID, id string, signCount uint32, backupState bool, at time.Time) error {
	return s.InTx(ctx, func(tx gatehouse.Store) error {
		t := tx.(*Store)
		res, err := t.w.ExecContext(ctx, `UPDATE passkeys SET sign_count = ?3, backup_state = ?4, last_used_at = ?5
			WHERE directory_id = ?1 AND id = ?2 AND (sign_count < ?3 OR (sign_count = 0 AND ?3 = 0))`,
			directoryID, id, int64(signCount), backupState, micros(at))
		if err != nil {
			return internal(err, "use passkey")
		}
		if n, err := res.RowsAffected(); err != nil {
			return internal(err, "use passkey")
		} else if n == 1 {
			return nil
		}
		if _, err := t.FindPasskey(ctx, directoryID, id); err != nil {
			return err
		}
		return gatehouse.Errorf(gatehouse.ECONFLICT, "The passkey's signature counter did not go up.")
	})
}

// DeletePasskey deletes the passkey.
func (s *Store) DeletePasskey(ctx context.Context, directoryID, id string) error {
	return s.exec(ctx, "delete passkey", "The passkey does not exist.",
		`DELETE FROM passkeys WHERE directory_id = ? AND id = ?`, directoryID, id)
}

// FindPasskeyPolicy returns the directory's passkey policy, the zero policy when it never set one.
func (s *Store) FindPasskeyPolicy(ctx context.Context, directoryID string) (*gatehouse.PasskeyPolicy, error) {
	p := gatehouse.PasskeyPolicy{DirectoryID: directoryID}
	var updated *time.Time
	err := s.queryRow(ctx, `SELECT p.passkeys, p.require_phishing_resistant, p.recovery_codes, p.aaguids, p.updated_at
		FROM directories d LEFT JOIN passkey_policies p ON p.directory_id = d.id WHERE d.id = ?`, directoryID).
		Scan(optText{(*string)(&p.Passkeys)}, nullBool{&p.RequirePhishingResistant}, optText{(*string)(&p.RecoveryCodes)},
			nullStrings{&p.AAGUIDs}, optTimeAt{&updated})
	if err != nil {
		return nil, notFound(err, "find passkey policy", "The directory does not exist.")
	}
	if updated != nil {
		p.UpdatedAt = *updated
	}
	return &p, nil
}

// SetPasskeyPolicy replaces the directory's passkey policy.
func (s *Store) SetPasskeyPolicy(ctx context.Context, p *gatehouse.PasskeyPolicy) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO passkey_policies (directory_id, passkeys, require_phishing_resistant,
			recovery_codes, aaguids, updated_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (directory_id) DO UPDATE SET passkeys = excluded.passkeys,
			require_phishing_resistant = excluded.require_phishing_resistant, recovery_codes = excluded.recovery_codes,
			aaguids = excluded.aaguids, updated_at = excluded.updated_at`,
		p.DirectoryID, string(p.Passkeys), p.RequirePhishingResistant, string(p.RecoveryCodes), jsonStrings(p.AAGUIDs),
		micros(p.UpdatedAt))
	return wrap(err, "set passkey policy", msgs{missing: "The directory does not exist."})
}

// optText, nullBool and nullStrings read a column of an outer join that may be NULL, leaving the zero value.
type optText struct{ s *string }

// Scan implements sql.Scanner.
func (d optText) Scan(v any) error {
	switch v := v.(type) {
	case nil:
	case string:
		*d.s = v
	case []byte:
		*d.s = string(v)
	default:
		return fmt.Errorf("a text is stored as %T", v)
	}
	return nil
}

type nullBool struct{ b *bool }

// Scan implements sql.Scanner.
func (d nullBool) Scan(v any) error {
	switch v := v.(type) {
	case nil:
	case int64:
		*d.b = v != 0
	default:
		return fmt.Errorf("a boolean is stored as %T", v)
	}
	return nil
}

type nullStrings struct{ list *[]string }

// Scan implements sql.Scanner.
func (d nullStrings) Scan(v any) error {
	if v == nil {
		return nil
	}
	return stringsAt(d).Scan(v)
}

// jsonMethods returns a session's methods as stored: a JSON list of strings.
func jsonMethods(ms []gatehouse.AuthMethod) string {
	list := make([]string, len(ms))
	for i, m := range ms {
		list[i] = string(m)
	}
	return jsonStrings(list)
}

// methodsAt is a sql.Scanner that reads a session's stored methods into *ms, nil when there are none.
type methodsAt struct{ ms *[]gatehouse.AuthMethod }

// Scan implements sql.Scanner.
func (d methodsAt) Scan(v any) error {
	var list []string
	if err := (stringsAt{&list}).Scan(v); err != nil {
		return err
	}
	*d.ms = nil
	for _, m := range list {
		*d.ms = append(*d.ms, gatehouse.AuthMethod(m))
	}
	return nil
}
