package postgres

import (
	"context"
	"time"

	"github.com/gatehouse-idp/gatehouse"
)

func init() {
	for k, v := range map[string]string{
		"passkeys_pkey":                      "A passkey with this ID already exists.",
		"passkeys_credential":                "This passkey is already registered in the directory.",
		"passkeys_directory_id_user_id_fkey": "The user does not exist in the directory.",
		"passkey_policies_pkey":              "The directory already has a passkey policy.",
		"passkey_policies_directory_id_fkey": "The directory does not exist.",
	} {
		constraintMessages[k] = v
	}
}

const passkeyColumns = `id, directory_id, user_id, name, credential_id, public_key, aaguid, sign_count, transports,
	attestation_type, attestation_format, backup_eligible, backup_state, created_at, last_used_at`

func scanPasskey(row scanner) (*gatehouse.Passkey, error) {
	var p gatehouse.Passkey
	var count int64
	if err := row.Scan(&p.ID, &p.DirectoryID, &p.UserID, &p.Name, &p.CredentialID, &p.PublicKey, &p.AAGUID, &count,
		&p.Transports, &p.AttestationType, &p.AttestationFormat, &p.BackupEligible, &p.BackupState, &p.CreatedAt,
		&p.LastUsedAt); err != nil {
		return nil, err
	}
	p.SignCount, p.CreatedAt, p.LastUsedAt = uint32(count), utc(p.CreatedAt), utcPtr(p.LastUsedAt)
	if len(p.Transports) == 0 {
		p.Transports = nil
	}
	return &p, nil
}

// CreatePasskey stores p. ENOTFOUND if its user is not in its directory, ECONFLICT if the directory has a passkey
// with the same credential ID.
func (s *Store) CreatePasskey(ctx context.Context, p *gatehouse.Passkey) error {
	transports := p.Transports
	if transports == nil {
		transports = []string{}
	}
	_, err := s.db.Exec(ctx, `INSERT INTO passkeys (`+passkeyColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
		p.ID, p.DirectoryID, p.UserID, p.Name, p.CredentialID, p.PublicKey, p.AAGUID, int64(p.SignCount), transports,
		p.AttestationType, p.AttestationFormat, p.BackupEligible, p.BackupState, p.CreatedAt, p.LastUsedAt)
	return wrap(err, "create passkey")
}

// FindPasskey finds a passkey of the directory by ID.
func (s *Store) FindPasskey(ctx context.Context, directoryID, id string) (*gatehouse.Passkey, error) {
	p, err := scanPasskey(s.db.QueryRow(ctx, `SELECT `+passkeyColumns+` FROM passkeys WHERE directory_id = $1 AND id = $2`,
		directoryID, id))
	if err != nil {
		return nil, notFound(err, "find passkey", "The passkey does not exist.")
	}
	return p, nil
}

// FindPasskeyByCredentialID finds a passkey of the directory by its credential ID.
func (s *Store) FindPasskeyByCredentialID(ctx context.Context, directoryID string, credentialID []byte) (*gatehouse.Passkey, error) {
	if credentialID == nil {
		credentialID = []byte{}
	}
	p, err := scanPasskey(s.db.QueryRow(ctx, `SELECT `+passkeyColumns+` FROM passkeys
		WHERE directory_id = $1 AND credential_id = $2`, directoryID, credentialID))
	if err != nil {
		return nil, notFound(err, "find passkey", "No passkey of the directory has this credential ID.")
	}
	return p, nil
}

// FindPasskeys returns a user's passkeys, oldest first.
func (s *Store) FindPasskeys(ctx context.Context, directoryID, userID string) ([]*gatehouse.Passkey, error) {
	return queryList(ctx, s.db, "find passkeys", scanPasskey, `SELECT `+passkeyColumns+` FROM passkeys
		WHERE directory_id = $1 AND user_id = $2 ORDER BY created_at, id`, directoryID, userID)
}

// UpdatePasskey replaces Name.
func (s *Store) UpdatePasskey(ctx context.Context, p *gatehouse.Passkey) error {
	return s.exec(ctx, "update passkey", "The passkey does not exist.",
		`UPDATE passkeys SET name = $3 WHERE directory_id = $1 AND id = $2`, p.DirectoryID, p.ID, p.Name)
}

// UsePasskey records an accepted sign-in when the stored counter is below signCount or both are zero; ECONFLICT
// when it is not, ENOTFOUND when there is no such passkey.
func (s *Store) UsePasskey(ctx context.Context, directoryID, id string, signCount uint32, backupState bool, at time.Time) error {
	tag, err := s.db.Exec(ctx, `UPDATE passkeys SET sign_count = $3, backup_state = $4, last_used_at = $5
		WHERE directory_id = $1 AND id = $2 AND (sign_count < $3 OR (sign_count = 0 AND $3 = 0))`,
		directoryID, id, int64(signCount), backupState, at)
	if err != nil {
		return wrap(err, "use passkey")
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	if _, err := s.FindPasskey(ctx, directoryID, id); err != nil {
		return err
	}
	return gatehouse.Errorf(gatehouse.ECONFLICT, "The passkey's signature counter did not go up.")
}

// DeletePasskey deletes the passkey.
func (s *Store) DeletePasskey(ctx context.Context, directoryID, id string) error {
	return s.exec(ctx, "delete passkey", "The passkey does not exist.",
		`DELETE FROM passkeys WHERE directory_id = $1 AND id = $2`, directoryID, id)
}

// FindPasskeyPolicy returns the directory's passkey policy, the zero policy when it never set one.
func (s *Store) FindPasskeyPolicy(ctx context.Context, directoryID string) (*gatehouse.PasskeyPolicy, error) {
	p := gatehouse.PasskeyPolicy{DirectoryID: directoryID}
	var passkeys, recovery *string
	var require *bool
	var aaguids []string
	var updated *time.Time
	err := s.db.QueryRow(ctx, `SELECT p.passkeys, p.require_phishing_resistant, p.recovery_codes, p.aaguids, p.updated_at
		FROM directories d LEFT JOIN passkey_policies p ON p.directory_id = d.id WHERE d.id = $1`, directoryID).
		Scan(&passkeys, &require, &recovery, &aaguids, &updated)
	if err != nil {
		return nil, notFound(err, "find passkey policy", "The directory does not exist.")
	}
	if passkeys != nil {
		p.Passkeys, p.RequirePhishingResistant, p.RecoveryCodes = gatehouse.PasskeyUse(*passkeys), *require, gatehouse.RecoveryCodeUse(*recovery)
		p.UpdatedAt = utc(*updated)
	}
	if len(aaguids) > 0 {
		p.AAGUIDs = aaguids
	}
	return &p, nil
}

// SetPasskeyPolicy replaces the directory's passkey policy.
func (s *Store) SetPasskeyPolicy(ctx context.Context, p *gatehouse.PasskeyPolicy) error {
	aaguids := p.AAGUIDs
	if aaguids == nil {
		aaguids = []string{}
	}
	_, err := s.db.Exec(ctx, `INSERT INTO passkey_policies (directory_id, passkeys, require_phishing_resistant,
			recovery_codes, aaguids, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (directory_id) DO UPDATE SET passkeys = excluded.passkeys,
			require_phishing_resistant = excluded.require_phishing_resistant, recovery_codes = excluded.recovery_codes,
			aaguids = excluded.aaguids, updated_at = excluded.updated_at`,
		p.DirectoryID, string(p.Passkeys), p.RequirePhishingResistant, string(p.RecoveryCodes), aaguids, p.UpdatedAt)
	return wrap(err, "set passkey policy")
}

// sessionMethods returns a session's methods as stored: a text array.
func sessionMethods(ms []gatehouse.AuthMethod) []string {
	list := make([]string, len(ms))
	for i, m := range ms {
		list[i] = string(m)
	}
	return list
}
