package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/gatehouse-idp/gatehouse"
)

const signInRequestColumns = `directory_id, id, app_id, request_id, acs_url, relay_state, force_authn,
	name_id_format, authn_context, created_at, expires_at, protocol, oidc`

func scanSignInRequest(row scanner) (*gatehouse.SignInRequest, error) {
	var r gatehouse.SignInRequest
	var oidc []byte
	if err := row.Scan(&r.DirectoryID, &r.ID, &r.AppID, &r.RequestID, &r.ACSURL, &r.RelayState, &r.ForceAuthn,
		&r.NameIDFormat, &r.AuthnContext, &r.CreatedAt, &r.ExpiresAt, &r.Protocol, &oidc); err != nil {
		return nil, err
	}
	if oidc != nil {
		r.OIDC = new(gatehouse.OIDCRequest)
		if err := json.Unmarshal(oidc, r.OIDC); err != nil {
			return nil, fmt.Errorf("decode the OpenID Connect request of sign-in request %s: %w", r.ID, err)
		}
	}
	r.CreatedAt, r.ExpiresAt = utc(r.CreatedAt), utc(r.ExpiresAt)
	return &r, nil
}

// CreateSignInRequest stores r. ENOTFOUND if its app is not in its directory.
func (s *Store) CreateSignInRequest(ctx context.Context, r *gatehouse.SignInRequest) error {
	oidc, err := jsonOrNull(r.OIDC)
	if err != nil {
		return gatehouse.Internal(fmt.Errorf("postgres: encode the OpenID Connect request of sign-in request %s: %w", r.ID, err))
	}
	_, err = s.db.Exec(ctx, `INSERT INTO sign_in_requests (`+signInRequestColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		r.DirectoryID, r.ID, r.AppID, r.RequestID, r.ACSURL, r.RelayState, r.ForceAuthn, r.NameIDFormat, r.AuthnContext,
		r.CreatedAt, r.ExpiresAt, r.Protocol, oidc)
	return wrap(err, "create sign-in request")
}

// FindSignInRequest returns the request without deleting it. ENOTFOUND when it is missing or expired at now.
func (s *Store) FindSignInRequest(ctx context.Context, directoryID, id string, now time.Time) (*gatehouse.SignInRequest, error) {
	r, err := scanSignInRequest(s.db.QueryRow(ctx, `SELECT `+signInRequestColumns+` FROM sign_in_requests
		WHERE directory_id = $1 AND id = $2 AND expires_at > $3`, directoryID, id, now))
	if err != nil {
		return nil, notFound(err, "find sign-in request", "The sign-in request does not exist or has expired.")
	}
	return r, nil
}

// TakeSignInRequest returns and deletes the request in one statement, so that of several concurrent takers on any
// number of nodes exactly one gets it. ENOTFOUND when it is missing or expired at now.
func (s *Store) TakeSignInRequest(ctx context.Context, directoryID, id string, now time.Time) (*gatehouse.SignInRequest, error) {
	r, err := scanSignInRequest(s.db.QueryRow(ctx, `DELETE FROM sign_in_requests
		WHERE directory_id = $1 AND id = $2 AND expires_at > $3 RETURNING `+signInRequestColumns, directoryID, id, now))
	if err != nil {
		return nil, notFound(err, "take sign-in request", "The sign-in request does not exist or has expired.")
	}
	return r, nil
}
