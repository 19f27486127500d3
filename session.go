package gatehouse

import "time"

// Session is a signed-in user's server-side session. The cookie carries a random token; the store keeps only its
// SHA-256 hash as ID, so a database leak does not yield usable sessions.
type Session struct {
	ID          string    `json:"-"`
	DirectoryID string    `json:"directoryId"`
	UserID      string    `json:"userId"`
	CreatedAt   time.Time `json:"createdAt"`
	// AuthnInstant is when the user last proved their password (ForceAuthn refreshes it).
	AuthnInstant time.Time `json:"authnInstant"`
	LastSeenAt   time.Time `json:"lastSeenAt"`
	// ExpiresAt is the absolute end of the session; the idle timeout is checked against LastSeenAt.
	ExpiresAt time.Time `json:"expiresAt"`
	// MFA reports whether the session is multi-factor: made with a password and a second factor (a code from an
	// authenticator app, a recovery code or a passkey), or with a passkey alone, whose authenticator verified its
	// user. SAML's multi-factor authentication context classes (such as https://refeds.org/profile/mfa) are met only
	// by such a session.
	MFA bool `json:"mfa"`
	// Methods are how the session was made, in the order they were used (see AuthMethods, which also reads sessions
	// from before Gatehouse recorded them).
	Methods []AuthMethod `json:"methods,omitempty"`
	// ClientAddr and UserAgent describe where the session was started.
	ClientAddr string `json:"clientAddr"`
	UserAgent  string `json:"userAgent"`
}

// APIToken is a bearer token for the REST API, acting as the user who owns it. The store keeps only SecretHash, the
// SHA-256 hash of the secret; Prefix is the first characters of the secret, shown so people can tell tokens apart.
type APIToken struct {
	ID          string     `json:"id"`
	SecretHash  string     `json:"-"`
	Prefix      string     `json:"prefix"`
	DirectoryID string     `json:"directoryId"`
	UserID      string     `json:"userId"`
	Name        string     `json:"name"`
	CreatedAt   time.Time  `json:"createdAt"`
	ExpiresAt   *time.Time `json:"expiresAt,omitempty"`
	LastUsedAt  *time.Time `json:"lastUsedAt,omitempty"`
}

// SignInRequest is a sign-in waiting for the user: a validated SAML AuthnRequest's answer parameters, or an
// accepted OpenID Connect authorization request, kept on the server (not in a cookie) while the user signs in, and
// consumed once.
type SignInRequest struct {
	ID          string `json:"id"`
	DirectoryID string `json:"directoryId"`
	AppID       string `json:"appId"`
	// RequestID is the AuthnRequest's ID (InResponseTo); empty for IdP-initiated sign-on.
	RequestID  string `json:"requestId"`
	ACSURL     string `json:"acsUrl"`
	RelayState string `json:"relayState"`
	ForceAuthn bool   `json:"forceAuthn"`
	// NameIDFormat is the format asked for by the request's NameIDPolicy, if any.
	NameIDFormat string `json:"nameIdFormat"`
	// AuthnContext is the authentication context class the assertion will state, chosen from the request's
	// RequestedAuthnContext when it was validated; empty when the request asked for none (a password sign-in then
	// states Password).
	AuthnContext string    `json:"authnContext"`
	CreatedAt    time.Time `json:"createdAt"`
	ExpiresAt    time.Time `json:"expiresAt"`
	// Protocol is ProtocolOIDC for an OpenID Connect authorization request, whose parameters OIDC holds; empty
	// for a SAML sign-in.
	Protocol string       `json:"protocol,omitempty"`
	OIDC     *OIDCRequest `json:"oidc,omitempty"`
}

// Sign-in results.
const (
	ResultSuccess = "success"
	ResultFailure = "failure"
)

// Protocols of sign-in log entries.
const (
	// ProtocolGatehouse marks a step of signing in to Gatehouse itself: a password, a verification code.
	ProtocolGatehouse = ""
	// ProtocolSAML marks a SAML sign-on to an app, answered or refused.
	ProtocolSAML = "saml"
)

// SignInEvent is one entry of the sign-in log: a password sign-in or a SAML sign-on attempt.
type SignInEvent struct {
	ID          string    `json:"id"`
	DirectoryID string    `json:"directoryId"`
	Time        time.Time `json:"time"`
	UserID      string    `json:"userId,omitempty"`
	UserName    string    `json:"userName"`
	AppID       string    `json:"appId,omitempty"`
	AppName     string    `json:"appName,omitempty"`
	Result      string    `json:"result"`
	// Code is the Gatehouse error code of a failure; Reason is its explanation.
	Code   string `json:"code,omitempty"`
	Reason string `json:"reason,omitempty"`
	// Protocol is what the attempt was: ProtocolGatehouse, ProtocolSAML or ProtocolOIDC.
	Protocol string `json:"protocol,omitempty"`
	// Hint says an admin how to fix a failure, naming the setting; Setting names that setting for a link to it
	// (one of the names package idp gives its settings), or is empty.
	Hint          string `json:"hint,omitempty"`
	Setting       string `json:"setting,omitempty"`
	CorrelationID string `json:"correlationId"`
	ClientAddr    string `json:"clientAddr"`
	// SessionID is the session (its store ID) a SAML sign-on was answered for; single logout reads which apps a
	// session signed in to from it. It is not shown: it is the key of a live session.
	SessionID string `json:"-"`
}

// SignInFilter selects sign-in events. Zero values match everything.
type SignInFilter struct {
	UserID    string
	AppID     string
	Result    string
	SessionID string
	Since     time.Time
	Offset    int
	Limit     int
}

// AuditEvent records one admin change: who did what to which object, with the object before and after as JSON.
type AuditEvent struct {
	ID            string    `json:"id"`
	DirectoryID   string    `json:"directoryId"`
	Time          time.Time `json:"time"`
	ActorID       string    `json:"actorId"`
	ActorName     string    `json:"actorName"`
	Action        string    `json:"action"`
	TargetType    string    `json:"targetType"`
	TargetID      string    `json:"targetId"`
	Before        string    `json:"before,omitempty"`
	After         string    `json:"after,omitempty"`
	CorrelationID string    `json:"correlationId"`
}

// AuditFilter selects audit events. Zero values match everything.
type AuditFilter struct {
	ActorID    string
	TargetType string
	TargetID   string
	Offset     int
	Limit      int
}

// SignOnState is what a sign-on starts from (Store.FindSignOnState): the configuration generation of the directory
// it signs on to, and the browser's session with its user, nil when it has none.
type SignOnState struct {
	Generation int64
	Session    *Session
	User       *User
}
