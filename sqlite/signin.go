package sqlite

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
	var oidc string
	if err := row.Scan(&r.DirectoryID, &r.ID, &r.AppID, &r.RequestID, &r.ACSURL, &r.RelayState, &r.ForceAuthn,
		&r.NameIDFormat, &r.AuthnContext, timeAt{&r.CreatedAt}, timeAt{&r.ExpiresAt}, &r.Protocol, &oidc); err != nil {
		return nil, err
	}
	if oidc != "" {
		r.OIDC = new(gatehouse.OIDCRequest)
		if err := json.Unmarshal([]byte(oidc), r.OIDC); err != nil {
			return nil, fmt.Errorf("decode the OpenID Connect request of sign-in request %s: %w", r.ID, err)
		}
	}
	return &r, nil
}

// CreateSignInRequest stores r. ENOTFOUND if its app is not in its directory.
func (s *Store) CreateSignInRequest(ctx context.Context, r *gatehouse.SignInRequest) error {
	oidc, err := jsonOrEmpty(r.OIDC)
	if err != nil {
		return gatehouse.Internal(fmt.Errorf("sqlite: encode the OpenID Connect request of sign-in request %s: %w", r.ID, err))
	}
	_, err = s.w.ExecContext(ctx, `INSERT INTO sign_in_requests (`+signInRequestColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.DirectoryID, r.ID, r.AppID, r.RequestID, r.ACSURL, r.RelayState, r.ForceAuthn, r.NameIDFormat, r.AuthnContext,
		micros(r.CreatedAt), micros(r.ExpiresAt), r.Protocol, oidc)
	return wrap(err, "create sign-in request", msgs{
		conflict: "A sign-in request with this ID already exists.",
		missing:  "The app does not exist in the directory.",
	})
}

// FindSignInRequest returns the request without deleting it. ENOTFOUND when it is missing or expired at now.
func (s *Store) FindSignInRequest(ctx context.Context, directoryID, id string, now time.Time) (*gatehouse.SignInRequest, error) {
	r, err := scanSignInRequest(s.queryRow(ctx, `SELECT `+signInRequestColumns+` FROM sign_in_requests
		WHERE directory_id = ? AND id = ? AND expires_at > ?`, directoryID, id, micros(now)))
	if err != nil {
		return nil, notFound(err, "find sign-in request", "The sign-in request does not exist or has expired.")
	}
	return r, nil
}

// TakeSignInRequest returns and deletes the request in one statement, so that of several concurrent takers exactly
// one gets it. ENOTFOUND when it is missing or expired at now.
func (s *Store) TakeSignInRequest(ctx context.Context, directoryID, id string, now time.Time) (*gatehouse.SignInRequest, error) {
	r, err := scanSignInRequest(s.w.QueryRowContext(ctx, `DELETE FROM sign_in_requests
		WHERE directory_id = ? AND id = ? AND expires_at > ? RETURNING `+signInRequestColumns,
		directoryID, id, micros(now)))
	if err != nil {
		return nil, notFound(err, "take sign-in request", "The sign-in request does not exist or has expired.")
	}
	return r, nil
}
