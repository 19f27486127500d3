package idp

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/certs"
	"github.com/gatehouse-idp/gatehouse/gallery"
	"github.com/gatehouse-idp/gatehouse/password"
	"github.com/gatehouse-idp/gatehouse/provision"
	"github.com/gatehouse-idp/gatehouse/saml"
)

// Config is what a Service is built from: its dependencies and its policy settings. The zero value of an optional
// field means its default.
type Config struct {
	// Store, Gallery, Hasher and Sealer are required.
	Store   gatehouse.Store
	Gallery *gallery.Gallery
	Hasher  *password.Hasher
	Sealer  *certs.Sealer
	// PublicURL is the externally visible base URL, e.g. "http://127.0.0.1:8080" (required; a trailing slash is
	// removed).
	PublicURL string
	// NameIDKey keys the pairwise persistent NameIDs; it must be the same on every node and stable over time, and
	// at least 16 bytes long.
	NameIDKey []byte
	// Logger receives the process log (discarded when nil).
	Logger *slog.Logger
	// Now is the clock (time.Now when nil) and Rand the randomness (crypto/rand when nil).
	Now  func() time.Time
	Rand io.Reader

	// CertValidity is the lifetime of generated signing certificates (3 years when zero).
	CertValidity time.Duration
	// SessionIdle and SessionMax are the idle and absolute session timeouts (1 hour and 12 hours when zero).
	SessionIdle, SessionMax time.Duration
	// SignInRequestTTL is how long a pending SAML sign-in waits for the user (15 minutes when zero).
	SignInRequestTTL time.Duration
	// AssertionLifetime bounds assertion validity after issue (5 minutes when zero).
	AssertionLifetime time.Duration
	// Limits bound what a SAML request may cost (saml.DefaultLimits when zero).
	Limits saml.Limits
	// Lockout is the password-guessing policy (DefaultLockout when zero).
	Lockout Lockout
	// PasskeyRPID is the relying-party ID of passkeys: the public URL's host when empty, or a domain that host is
	// under (contoso.com for https://login.contoso.com, so that passkeys keep working if the host changes within
	// it). New fails when it does not fit PublicURL. With it empty, a public URL where passkeys cannot work (an IP
	// address, plain http on another host than localhost) leaves them unavailable (PasskeysUnavailable says why).
	PasskeyRPID string
	// Provisioning is the engine that provisions users and groups to apps; nil when none runs in this process (the
	// changes are queued all the same, and any node's engine pushes them).
	Provisioning *provision.Engine
}

// Service is the Gatehouse application layer: every operation of the REST API, the portal, the sign-in pages and
// the SAML endpoints is one of its methods. Build it with New; its dependencies are its own.
type Service struct {
	store     gatehouse.Store
	gallery   *gallery.Gallery
	hasher    *password.Hasher
	sealer    *certs.Sealer
	publicURL string
	nameIDKey []byte
	logger    *slog.Logger
	clock     func() time.Time
	rand      io.Reader

	certValidity      time.Duration
	sessionIdle       time.Duration
	sessionMax        time.Duration
	signInRequestTTL  time.Duration
	assertionLifetime time.Duration
	limits            saml.Limits
	lockout           Lockout

	// config keeps what sign-ons read of directories' configuration (configcache.go).
	config *configCache

	// signers keeps the signers of app certificates by certificate ID.
	signers keyCache[*saml.Signer]

	// observer is told of sign-ins, for the metrics; nil when none was set.
	observer Observer

	// webauthn is the passkey relying party; nil when passkeys cannot work at the public URL, passkeysOff saying why.
	webauthn    *webauthn.WebAuthn
	passkeysOff string
	// provisioning is the engine told of queued changes; nil when none runs in this process.
	provisioning *provision.Engine
	// oidc is the OpenID Connect provider of every directory.
	oidc *oidcProvider
}

// New returns a Service built from c, with defaults for the optional settings. It fails when a required
// dependency is missing.
func New(c Config) (*Service, error) {
	switch {
	case c.Store == nil:
		return nil, fmt.Errorf("idp: Store is required")
	case c.Gallery == nil:
		return nil, fmt.Errorf("idp: Gallery is required")
	case c.Hasher == nil:
		return nil, fmt.Errorf("idp: Hasher is required")
	case c.Sealer == nil:
		return nil, fmt.Errorf("idp: Sealer is required")
	case c.PublicURL == "":
		return nil, fmt.Errorf("idp: PublicURL is required")
	case len(c.NameIDKey) < 16:
		return nil, fmt.Errorf("idp: NameIDKey of at least 16 bytes is required")
	}
	s := &Service{
		store: c.Store, gallery: c.Gallery, hasher: c.Hasher, sealer: c.Sealer,
		publicURL: strings.TrimRight(c.PublicURL, "/"), nameIDKey: c.NameIDKey,
		logger: c.Logger, clock: c.Now, rand: c.Rand,
		certValidity: c.CertValidity, sessionIdle: c.SessionIdle, sessionMax: c.SessionMax,
		signInRequestTTL: c.SignInRequestTTL, assertionLifetime: c.AssertionLifetime, limits: c.Limits, lockout: c.Lockout,
		provisioning: c.Provisioning, config: newConfigCache(),
	}
	if s.logger == nil {
		s.logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if s.clock == nil {
		s.clock = time.Now
	}
	if s.rand == nil {
		s.rand = rand.Reader
	}
	if s.certValidity == 0 {
		s.certValidity = 3 * 365 * 24 * time.Hour
	}
	if s.sessionIdle == 0 {
		s.sessionIdle = time.Hour
	}
	if s.sessionMax == 0 {
		s.sessionMax = 12 * time.Hour
	}
	if s.signInRequestTTL == 0 {
		s.signInRequestTTL = 15 * time.Minute
	}
	if s.assertionLifetime == 0 {
		s.assertionLifetime = 5 * time.Minute
	}
	if s.limits == (saml.Limits{}) {
		s.limits = saml.DefaultLimits
	}
	if s.lockout == (Lockout{}) {
		s.lockout = DefaultLockout
	}
	var err error
	if s.webauthn, s.passkeysOff, err = relyingParty(s.publicURL, c.PasskeyRPID); err != nil {
		return nil, err
	}
	if s.oidc, err = newOIDCProvider(s); err != nil {
		return nil, err
	}
	return s, nil
}

// PublicURL returns the externally visible base URL, without a trailing slash.
func (s *Service) PublicURL() string { return s.publicURL }

// SessionMax returns the absolute session timeout, which is also the session cookie's lifetime.
func (s *Service) SessionMax() time.Duration { return s.sessionMax }

// now returns the current time in UTC, truncated to microseconds so that it round-trips through every store.
func (s *Service) now() time.Time { return s.clock().UTC().Truncate(time.Microsecond) }

var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// newID returns a random object ID of 26 characters (128 bits) that satisfies gatehouse.ValidID.
func (s *Service) newID() string {
	b := make([]byte, 16)
	if _, err := io.ReadFull(s.rand, b); err != nil {
		panic(fmt.Sprintf("idp: read random: %v", err)) // the system's randomness failing is not recoverable
	}
	return idEncoding.EncodeToString(b)
}

// newSecret returns a random URL-safe secret of 256 bits.
func (s *Service) newSecret() string {
	b := make([]byte, 32)
	if _, err := io.ReadFull(s.rand, b); err != nil {
		panic(fmt.Sprintf("idp: read random: %v", err))
	}
	return idEncoding.EncodeToString(b)
}

// hashSecret returns the hex SHA-256 of a session or API token secret: what the store keeps.
func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// pairwiseID returns the stable persistent NameID of a user at an app.
func (s *Service) pairwiseID(dirID, appID, userID string) string {
	m := hmac.New(sha256.New, s.nameIDKey)
	fmt.Fprintf(m, "%s\x00%s\x00%s", dirID, appID, userID)
	return idEncoding.EncodeToString(m.Sum(nil))
}

// RequestInfo describes the HTTP request an operation serves; it goes into logs.
type RequestInfo struct {
	CorrelationID string
	ClientAddr    string
	UserAgent     string
}

type requestInfoKey struct{}

// WithRequestInfo returns a context that carries info for the logs written by the services.
func WithRequestInfo(ctx context.Context, info RequestInfo) context.Context {
	return context.WithValue(ctx, requestInfoKey{}, info)
}

// RequestInfoFrom returns the RequestInfo carried by ctx, or the zero value.
func RequestInfoFrom(ctx context.Context) RequestInfo {
	info, _ := ctx.Value(requestInfoKey{}).(RequestInfo)
	return info
}

// audit appends an audit event; before and after are marshalled to JSON (secret fields carry json:"-").
func (s *Service) audit(ctx context.Context, tx gatehouse.Store, actor *gatehouse.User, dirID, action, targetType, targetID string, before, after any) error {
	e := &gatehouse.AuditEvent{
		ID:            s.newID(),
		DirectoryID:   dirID,
		Time:          s.now(),
		Action:        action,
		TargetType:    targetType,
		TargetID:      targetID,
		Before:        marshal(before),
		After:         marshal(after),
		CorrelationID: RequestInfoFrom(ctx).CorrelationID,
	}
	if actor != nil {
		e.ActorID, e.ActorName = actor.ID, actor.UserName
	} else {
		e.ActorName = "system"
	}
	if actor != nil && actor.DirectoryID != dirID {
		e.ActorName = actor.UserName + " (" + actor.DirectoryID + ")"
	}
	return tx.CreateAuditEvent(ctx, e)
}

func marshal(v any) string {
	if v == nil {
		return ""
	}
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}

func logAttr(k, v string) slog.Attr { return slog.String(k, v) }

func levelOf(e *gatehouse.SignInEvent) slog.Level {
	if e.Result == gatehouse.ResultFailure {
		return slog.LevelWarn
	}
	return slog.LevelInfo
}
