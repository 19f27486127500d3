package idp

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/google/uuid"

	"github.com/gatehouse-idp/gatehouse"
)

// Gatehouse error codes of passkey sign-ins, as the sign-in log shows them.
const (
	// CodeBadPasskey: the passkey's answer was refused: a bad signature, user verification missing, another
	// relying-party ID or origin, a challenge used before or expired, or a passkey not registered here.
	CodeBadPasskey = "GH6005"
	// CodePasskeyCloned: the passkey's signature counter did not go up, a sign of a cloned authenticator.
	CodePasskeyCloned = "GH6006"
)

// passkeyChallengeTTL is how long a passkey challenge can be answered: a sign-in page waits this long for the
// browser's autofill.
const passkeyChallengeTTL = 10 * time.Minute

// Purposes of a passkey ceremony, bound into its state so that the state of one cannot finish another.
const (
	ceremonyRegister     = "register"
	ceremonySecondFactor = "second-factor"
	ceremonyPasswordless = "passwordless"
)

// relyingParty returns the WebAuthn relying party of Gatehouse at publicURL, with the relying-party ID rpID (the
// URL's host when empty). When passkeys cannot work at that URL and rpID is empty, it returns nil and the reason,
// for the start-up log and the pages. An rpID that does not fit the URL, or one given for a URL where passkeys
// cannot work, is an error that says what to change.
func relyingParty(publicURL, rpID string) (*webauthn.WebAuthn, string, error) {
	u, err := url.Parse(publicURL)
	if err != nil || u.Host == "" {
		return nil, "", fmt.Errorf("idp: the public URL %q is not an absolute URL", publicURL)
	}
	host := strings.ToLower(u.Hostname())
	explicit := rpID != ""
	unavailable := func(reason string) (*webauthn.WebAuthn, string, error) {
		if explicit {
			return nil, "", fmt.Errorf("idp: passkey relying-party ID %q: %s", rpID, reason)
		}
		return nil, reason, nil
	}
	if net.ParseIP(host) != nil {
		return unavailable(fmt.Sprintf("the public URL %s has the IP address %s as its host, and a WebAuthn relying-party ID "+
			"must be a domain name. Set --public-url to an https URL with a DNS name (or http://localhost:PORT on this machine, "+
			"which browsers also accept) to use passkeys", publicURL, host))
	}
	secure := u.Scheme == "https" || host == "localhost" || strings.HasSuffix(host, ".localhost")
	if !secure {
		return unavailable(fmt.Sprintf("the public URL %s is plain http on a host other than localhost, and browsers offer "+
			"passkeys only on https pages (and on http://localhost). Set --public-url to an https URL to use passkeys", publicURL))
	}
	if !explicit {
		rpID = host
	}
	rpID = strings.ToLower(strings.TrimSuffix(rpID, "."))
	if err := protocol.ValidateRPID(rpID); err != nil {
		return nil, "", fmt.Errorf("idp: passkey relying-party ID %q is not a domain name: %v", rpID, err)
	}
	if host != rpID && !strings.HasSuffix(host, "."+rpID) {
		return nil, "", fmt.Errorf("idp: passkey relying-party ID %q does not match the public URL %s: it must be the URL's "+
			"host %s or a domain that host is under (such as %s for https://login.%s)", rpID, publicURL, host, rpID, rpID)
	}
	origin := u.Scheme + "://" + u.Host
	wa, err := webauthn.New(&webauthn.Config{
		RPID: rpID, RPDisplayName: "Gatehouse", RPOrigins: []string{origin},
		AttestationPreference: protocol.PreferNoAttestation,
		AuthenticatorSelection: protocol.AuthenticatorSelection{
			ResidentKey: protocol.ResidentKeyRequirementPreferred, UserVerification: protocol.VerificationRequired,
		},
		Timeouts: webauthn.TimeoutsConfig{
			Login:        webauthn.TimeoutConfig{Timeout: 5 * time.Minute, TimeoutUVD: 5 * time.Minute},
			Registration: webauthn.TimeoutConfig{Timeout: 5 * time.Minute, TimeoutUVD: 5 * time.Minute},
		},
	})
	if err != nil {
		return nil, "", fmt.Errorf("idp: passkey relying party: %w", err)
	}
	return wa, "", nil
}

// PasskeysUnavailable returns why passkeys cannot be used at this server's public URL, or "" when they can.
func (s *Service) PasskeysUnavailable() string { return s.passkeysOff }

// PasskeyRPID returns the relying-party ID of passkeys, or "" when they are unavailable.
func (s *Service) PasskeyRPID() string {
	if s.webauthn == nil {
		return ""
	}
	return s.webauthn.Config.RPID
}

// passkeyUser is a user as the WebAuthn library sees one: the user handle is the user's ID, which is random and
// says nothing about the person.
type passkeyUser struct {
	u         *gatehouse.User
	dirName   string
	passkeys  []*gatehouse.Passkey
	credCache []webauthn.Credential
}

func (p *passkeyUser) WebAuthnID() []byte   { return []byte(p.u.ID) }
func (p *passkeyUser) WebAuthnName() string { return p.u.UserName }

// WebAuthnDisplayName names the directory too: one relying-party ID serves every directory, and the same person
// may have an account in several.
func (p *passkeyUser) WebAuthnDisplayName() string { return p.u.Name() + " (" + p.dirName + ")" }

func (p *passkeyUser) WebAuthnCredentials() []webauthn.Credential {
	if p.credCache == nil {
		for _, k := range p.passkeys {
			p.credCache = append(p.credCache, credentialOf(k))
		}
	}
	return p.credCache
}

// credentialOf returns the library's credential record of a stored passkey.
func credentialOf(k *gatehouse.Passkey) webauthn.Credential {
	c := webauthn.Credential{
		ID: k.CredentialID, PublicKey: k.PublicKey, AttestationType: k.AttestationType, AttestationFormat: k.AttestationFormat,
		Flags:         webauthn.CredentialFlags{UserPresent: true, UserVerified: true, BackupEligible: k.BackupEligible, BackupState: k.BackupState},
		Authenticator: webauthn.Authenticator{SignCount: k.SignCount},
	}
	if id, err := uuid.Parse(k.AAGUID); err == nil {
		c.Authenticator.AAGUID = id[:]
	}
	for _, t := range k.Transports {
		c.Transport = append(c.Transport, protocol.AuthenticatorTransport(t))
	}
	return c
}

// PasskeyChallenge is a passkey ceremony begun: the options for the browser's navigator.credentials call, and the
// state that goes back with its answer. The state is sealed and bound to the ceremony's purpose, directory and
// user or session; the challenge in it can be answered once, within 10 minutes.
type PasskeyChallenge struct {
	// Options is the JSON of the call's argument: {"publicKey": {...}} with binary values in base64url.
	Options json.RawMessage
	State   string
}

// ceremony is what a PasskeyChallenge's state carries.
type ceremony struct {
	Purpose string               `json:"purpose"`
	Session webauthn.SessionData `json:"session"`
	Expires time.Time            `json:"expires"`
}

func ceremonyAAD(purpose, dirID, bound string) string {
	return "passkey-ceremony:" + purpose + ":" + dirID + ":" + bound
}

// sealCeremony returns the challenge for options and the library's session data.
func (s *Service) sealCeremony(purpose, dirID, bound string, options any, sd *webauthn.SessionData) (*PasskeyChallenge, error) {
	opts, err := json.Marshal(options)
	if err != nil {
		return nil, gatehouse.Internal(fmt.Errorf("idp: passkey options: %w", err))
	}
	plain, err := json.Marshal(ceremony{Purpose: purpose, Session: *sd, Expires: s.now().Add(passkeyChallengeTTL)})
	if err != nil {
		return nil, gatehouse.Internal(fmt.Errorf("idp: passkey state: %w", err))
	}
	sealed, err := s.sealSecret(plain, ceremonyAAD(purpose, dirID, bound))
	if err != nil {
		return nil, err
	}
	return &PasskeyChallenge{Options: opts, State: base64.RawURLEncoding.EncodeToString(sealed)}, nil
}

// openCeremony returns the session data of a challenge's state, and uses its challenge up: a second answer to
// the same challenge, on any node, is refused (the store's use-once cache).
func (s *Service) openCeremony(ctx context.Context, purpose, dirID, bound, state string) (*webauthn.SessionData, error) {
	raw, err := base64.RawURLEncoding.DecodeString(state)
	if err != nil || state == "" || len(raw) > 16<<10 {
		return nil, errPasskey("the ceremony state is missing or malformed", msgPasskeyExpired)
	}
	plain, err := s.openSecret(raw, ceremonyAAD(purpose, dirID, bound))
	if err != nil {
		return nil, errPasskey("the ceremony state does not open for this purpose, directory and user", msgPasskeyExpired)
	}
	var c ceremony
	if err := json.Unmarshal(plain, &c); err != nil || c.Purpose != purpose {
		return nil, errPasskey("the ceremony state is not one of this purpose", msgPasskeyExpired)
	}
	now := s.now()
	if !now.Before(c.Expires) {
		return nil, errPasskey("the challenge expired at "+c.Expires.Format(time.RFC3339), msgPasskeyExpired)
	}
	err = s.store.UseOnce(ctx, "passkey-challenge:"+c.Session.Challenge, now, c.Expires)
	if gatehouse.ErrorCode(err) == gatehouse.ECONFLICT {
		return nil, errPasskey("the challenge was already answered once", msgPasskeyExpired)
	} else if err != nil {
		return nil, err
	}
	return &c.Session, nil
}

const (
	msgPasskeyExpired = "This passkey request has expired or was already used. Try again."
	msgPasskeyRefused = "The passkey could not be verified. Try again, or use another way to sign in."
	msgPasskeyCloned  = "This passkey cannot be used: its signature counter went backwards, which can mean it was copied. Use another passkey, or ask an admin."
)

// passkeyCause is the cause of a refused passkey, for the sign-in log.
type passkeyCause struct{ code, detail string }

func (c passkeyCause) Error() string { return c.detail }

// errPasskey is the answer to a refused passkey: msg for the person, detail for the sign-in log.
func errPasskey(detail, msg string) error {
	return &gatehouse.Error{Code: gatehouse.EUNAUTHORIZED, Field: "passkey", Message: msg, Err: passkeyCause{CodeBadPasskey, detail}}
}

func errPasskeyCloned(detail string) error {
	return &gatehouse.Error{Code: gatehouse.EUNAUTHORIZED, Field: "passkey", Message: msgPasskeyCloned, Err: passkeyCause{CodePasskeyCloned, detail}}
}

// libraryCause returns what the WebAuthn library said about a refused answer.
func libraryCause(err error) string {
	var pe *protocol.Error
	if errors.As(err, &pe) {
		s := pe.Details
		if pe.DevInfo != "" {
			s += ": " + pe.DevInfo
		}
		return s
	}
	return err.Error()
}

// passkeyPolicy returns a directory's passkey policy.
func (s *Service) passkeyPolicy(ctx context.Context, dirID string) (*gatehouse.PasskeyPolicy, error) {
	return s.cachedPasskeyPolicy(ctx, dirID)
}

// passkeysUsable reports whether passkeys can be used in a directory with policy p on this server.
func (s *Service) passkeysUsable(p *gatehouse.PasskeyPolicy) bool {
	return s.webauthn != nil && p.Use() != gatehouse.PasskeysOff
}

// errPasskeysOff says why a passkey cannot be used here.
func (s *Service) errPasskeysOff() error {
	if s.webauthn == nil {
		return gatehouse.Errorf(gatehouse.EFORBIDDEN, "Passkeys are not available on this server: %s.", s.passkeysOff)
	}
	return gatehouse.Errorf(gatehouse.EFORBIDDEN, "Passkeys are turned off in this directory.")
}

// newPasskeyUser returns u with their passkeys for the library.
func (s *Service) newPasskeyUser(ctx context.Context, u *gatehouse.User) (*passkeyUser, error) {
	d, err := s.store.FindDirectory(ctx, u.DirectoryID)
	if err != nil {
		return nil, err
	}
	keys, err := s.store.FindPasskeys(ctx, u.DirectoryID, u.ID)
	if err != nil {
		return nil, err
	}
	return &passkeyUser{u: u, dirName: d.Name, passkeys: keys}, nil
}

// BeginPasskeyRegistration starts adding a passkey for u: the options ask for a discoverable credential (preferred)
// with user verification (required), and exclude the authenticators u has registered already. EFORBIDDEN when
// passkeys cannot be used in u's directory.
func (s *Service) BeginPasskeyRegistration(ctx context.Context, u *gatehouse.User) (*PasskeyChallenge, error) {
	p, err := s.passkeyPolicy(ctx, u.DirectoryID)
	if err != nil {
		return nil, err
	}
	if !s.passkeysUsable(p) {
		return nil, s.errPasskeysOff()
	}
	pu, err := s.newPasskeyUser(ctx, u)
	if err != nil {
		return nil, err
	}
	creation, sd, err := s.webauthn.BeginRegistration(pu,
		webauthn.WithExclusions(webauthn.Credentials(pu.WebAuthnCredentials()).CredentialDescriptors()),
		webauthn.WithExtensions(webauthn.WithExtensionCredProps()))
	if err != nil {
		return nil, gatehouse.Internal(fmt.Errorf("idp: begin passkey registration: %w", err))
	}
	return s.sealCeremony(ceremonyRegister, u.DirectoryID, u.ID, creation, sd)
}

// FinishPasskeyRegistration checks the browser's answer to a registration challenge of u (response, the JSON of
// the PublicKeyCredential) and stores the passkey as name. The authenticator must have verified its user; when
// the directory lists AAGUIDs, it must be one of them. A user who had no recovery codes gets new ones with their
// first second factor when the directory allows them; they are returned, to be shown once. u is updated in place.
func (s *Service) FinishPasskeyRegistration(ctx context.Context, u *gatehouse.User, name, state string, response []byte) (*gatehouse.Passkey, []string, error) {
	p, err := s.passkeyPolicy(ctx, u.DirectoryID)
	if err != nil {
		return nil, nil, err
	}
	if !s.passkeysUsable(p) {
		return nil, nil, s.errPasskeysOff()
	}
	key := &gatehouse.Passkey{ID: s.newID(), DirectoryID: u.DirectoryID, UserID: u.ID, Name: strings.TrimSpace(name), CreatedAt: s.now()}
	key.CredentialID, key.PublicKey = []byte{0}, []byte{0} // checked with the name first, replaced below
	if err := key.Validate(); err != nil {
		return nil, nil, err
	}
	sd, err := s.openCeremony(ctx, ceremonyRegister, u.DirectoryID, u.ID, state)
	if err != nil {
		return nil, nil, err
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(response)
	if err != nil {
		return nil, nil, &gatehouse.Error{Code: gatehouse.EINVALID, Field: "passkey", Message: "The browser's answer could not be read as a new passkey.", Err: err}
	}
	pu, err := s.newPasskeyUser(ctx, u)
	if err != nil {
		return nil, nil, err
	}
	cred, err := s.webauthn.CreateCredential(pu, *sd, parsed)
	if err != nil {
		return nil, nil, &gatehouse.Error{Code: gatehouse.EINVALID, Field: "passkey",
			Message: "The new passkey was refused: " + libraryCause(err) + ".", Err: err}
	}
	aaguid := uuid.Nil
	if id, err := uuid.FromBytes(cred.Authenticator.AAGUID); err == nil {
		aaguid = id
	}
	if len(p.AAGUIDs) > 0 && !slices.Contains(p.AAGUIDs, aaguid.String()) {
		return nil, nil, &gatehouse.Error{Code: gatehouse.EFORBIDDEN, Field: "passkey",
			Message: "This kind of authenticator (AAGUID " + aaguid.String() + ") is not one your directory allows. Use one of the security keys or apps your admin approved."}
	}
	key.CredentialID, key.PublicKey, key.AAGUID, key.SignCount = cred.ID, cred.PublicKey, aaguid.String(), cred.Authenticator.SignCount
	key.AttestationType, key.AttestationFormat = cred.AttestationType, cred.AttestationFormat
	key.BackupEligible, key.BackupState = cred.Flags.BackupEligible, cred.Flags.BackupState
	for _, t := range cred.Transport {
		key.Transports = append(key.Transports, string(t))
	}
	if err := key.Validate(); err != nil {
		return nil, nil, err
	}
	var codes []string
	err = s.store.InTx(ctx, func(tx gatehouse.Store) error {
		fresh, err := tx.FindUserForUpdate(ctx, u.DirectoryID, u.ID)
		if err != nil {
			return err
		}
		if err := tx.CreatePasskey(ctx, key); err != nil {
			if gatehouse.ErrorCode(err) == gatehouse.ECONFLICT {
				return gatehouse.FieldErrorf("passkey", "This passkey is already registered.")
			}
			return err
		}
		if len(fresh.RecoveryCodes) == 0 && !fresh.MFAEnabled && p.RecoveryCodesAllowed() {
			var hashes []string
			if codes, hashes, err = s.newRecoveryCodes(); err != nil {
				return err
			}
			fresh.RecoveryCodes, fresh.UpdatedAt = hashes, s.now()
			if err := tx.UpdateUser(ctx, fresh); err != nil {
				return err
			}
		}
		*u = *fresh
		return s.audit(ctx, tx, u, u.DirectoryID, "user.passkey-add", "passkey", key.ID, nil, key)
	})
	if err != nil {
		return nil, nil, err
	}
	return key, codes, nil
}

// FindOwnPasskeys returns u's passkeys, oldest first.
func (s *Service) FindOwnPasskeys(ctx context.Context, u *gatehouse.User) ([]*gatehouse.Passkey, error) {
	return s.store.FindPasskeys(ctx, u.DirectoryID, u.ID)
}

// RemoveOwnPasskey deletes one of u's passkeys. It refuses (EFORBIDDEN) to remove the user's last way to sign in
// under the directory's policy, which only an admin can do (SECURITY-CASES 54): their last passkey when the
// directory requires a phishing-resistant sign-in, when they have no password, or when the directory requires a
// second factor and they have no other.
func (s *Service) RemoveOwnPasskey(ctx context.Context, u *gatehouse.User, id string) error {
	p, err := s.passkeyPolicy(ctx, u.DirectoryID)
	if err != nil {
		return err
	}
	d, err := s.store.FindDirectory(ctx, u.DirectoryID)
	if err != nil {
		return err
	}
	return s.store.InTx(ctx, func(tx gatehouse.Store) error {
		fresh, err := tx.FindUserForUpdate(ctx, u.DirectoryID, u.ID)
		if err != nil {
			return err
		}
		keys, err := tx.FindPasskeys(ctx, u.DirectoryID, u.ID)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(keys, func(k *gatehouse.Passkey) bool { return k.ID == id })
		if i < 0 {
			return gatehouse.Errorf(gatehouse.ENOTFOUND, "You have no passkey %s.", id)
		}
		if why := lastWay(fresh, d, p, len(keys)); why != "" {
			return gatehouse.Errorf(gatehouse.EFORBIDDEN, "This is your last passkey, and %s. Add another passkey first, or ask an admin to remove it.", why)
		}
		if err := tx.DeletePasskey(ctx, u.DirectoryID, id); err != nil {
			return err
		}
		*u = *fresh
		return s.audit(ctx, tx, u, u.DirectoryID, "user.passkey-remove", "passkey", id, keys[i], nil)
	})
}

// lastWay returns why removing one of n passkeys of u would take away the user's last way to complete a sign-in,
// or "" when it would not.
func lastWay(u *gatehouse.User, d *gatehouse.Directory, p *gatehouse.PasskeyPolicy, n int) string {
	switch {
	case n > 1:
		return ""
	case p.RequirePhishingResistant:
		return "your directory requires a passkey at every sign-in"
	case !u.HasPassword():
		return "you have no password to sign in with"
	case d.RequireMFA && !u.MFAEnabled:
		return "your directory requires a second factor and you have no authenticator app"
	}
	return ""
}

// FindUserPasskeys returns a user's passkeys, for an admin who manages users.
func (s *Service) FindUserPasskeys(ctx context.Context, actor *gatehouse.User, dirID, userID string) ([]*gatehouse.Passkey, error) {
	if err := s.Authorize(ctx, actor, dirID, ManageUsers); err != nil {
		return nil, err
	}
	if _, err := s.store.FindUser(ctx, dirID, userID); err != nil {
		return nil, err
	}
	return s.store.FindPasskeys(ctx, dirID, userID)
}

// DeleteUserPasskey removes a user's passkey for an admin (a lost or stolen device) and ends the user's sessions.
// It may remove the user's last way to sign in (SECURITY-CASES 54), which only an admin can: the audit log then
// records the action as user.passkey-remove-last. The user recovers at the next sign-in with their password (and
// a recovery code or authenticator app where they have one), and sets up a new passkey if the directory requires
// one.
func (s *Service) DeleteUserPasskey(ctx context.Context, actor *gatehouse.User, dirID, userID, id string) error {
	if err := s.Authorize(ctx, actor, dirID, ManageUsers); err != nil {
		return err
	}
	p, err := s.passkeyPolicy(ctx, dirID)
	if err != nil {
		return err
	}
	d, err := s.store.FindDirectory(ctx, dirID)
	if err != nil {
		return err
	}
	return s.store.InTx(ctx, func(tx gatehouse.Store) error {
		u, err := tx.FindUserForUpdate(ctx, dirID, userID)
		if err != nil {
			return err
		}
		if err := s.checkRoleChange(actor, u, u); err != nil {
			return err
		}
		keys, err := tx.FindPasskeys(ctx, dirID, userID)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(keys, func(k *gatehouse.Passkey) bool { return k.ID == id })
		if i < 0 {
			return gatehouse.Errorf(gatehouse.ENOTFOUND, "The user has no passkey %s.", id)
		}
		if err := tx.DeletePasskey(ctx, dirID, id); err != nil {
			return err
		}
		if err := tx.DeleteUserSessions(ctx, dirID, userID); err != nil {
			return err
		}
		action := "user.passkey-remove"
		if lastWay(u, d, p, len(keys)) != "" {
			action = "user.passkey-remove-last"
		}
		return s.audit(ctx, tx, actor, dirID, action, "passkey", id, keys[i], nil)
	})
}

// PasskeyPolicyPatch lists the policy fields to change; nil fields stay as they are.
type PasskeyPolicyPatch struct {
	Passkeys                 *gatehouse.PasskeyUse      `json:"passkeys"`
	RequirePhishingResistant *bool                      `json:"requirePhishingResistant"`
	RecoveryCodes            *gatehouse.RecoveryCodeUse `json:"recoveryCodes"`
	AAGUIDs                  *[]string                  `json:"aaguids"`
}

// FindPasskeyPolicy returns a directory's passkey policy, for its admins.
func (s *Service) FindPasskeyPolicy(ctx context.Context, actor *gatehouse.User, dirID string) (*gatehouse.PasskeyPolicy, error) {
	if err := s.Authorize(ctx, actor, dirID, ReadDirectory); err != nil {
		return nil, err
	}
	return s.passkeyPolicy(ctx, dirID)
}

// UpdatePasskeyPolicy changes a directory's passkey policy. Global admins of the directory may. Requiring a
// phishing-resistant sign-in on a server where passkeys cannot work is refused, since nobody could sign in.
func (s *Service) UpdatePasskeyPolicy(ctx context.Context, actor *gatehouse.User, dirID string, patch PasskeyPolicyPatch) (*gatehouse.PasskeyPolicy, error) {
	if err := s.Authorize(ctx, actor, dirID, ManageDirectory); err != nil {
		return nil, err
	}
	var out *gatehouse.PasskeyPolicy
	err := s.store.InTx(ctx, func(tx gatehouse.Store) error {
		p, err := tx.FindPasskeyPolicy(ctx, dirID)
		if err != nil {
			return err
		}
		before := *p
		setIf(&p.Passkeys, patch.Passkeys)
		setIf(&p.RequirePhishingResistant, patch.RequirePhishingResistant)
		setIf(&p.RecoveryCodes, patch.RecoveryCodes)
		if patch.AAGUIDs != nil {
			p.AAGUIDs = nil
			for _, a := range *patch.AAGUIDs {
				if a = strings.ToLower(strings.TrimSpace(a)); a != "" && !slices.Contains(p.AAGUIDs, a) {
					p.AAGUIDs = append(p.AAGUIDs, a)
				}
			}
		}
		if err := p.Validate(); err != nil {
			return err
		}
		if p.RequirePhishingResistant && s.webauthn == nil {
			return gatehouse.FieldErrorf("requirePhishingResistant", "Passkeys are not available on this server, so nobody could sign in: %s.", s.passkeysOff)
		}
		p.UpdatedAt = s.now()
		if err := tx.SetPasskeyPolicy(ctx, p); err != nil {
			return err
		}
		out = p
		return s.audit(ctx, tx, actor, dirID, "directory.passkey-policy", "directory", dirID, before, p)
	})
	return out, err
}

// CheckPasskeyPolicies returns an error naming the directories that require a phishing-resistant sign-in when
// passkeys cannot be used at this server's public URL: their users could not sign in. The server checks it at
// start-up.
func (s *Service) CheckPasskeyPolicies(ctx context.Context) error {
	if s.webauthn != nil {
		return nil
	}
	dirs, err := s.store.FindDirectories(ctx)
	if err != nil {
		return err
	}
	var strict []string
	for _, d := range dirs {
		p, err := s.passkeyPolicy(ctx, d.ID)
		if err != nil {
			return err
		}
		if p.RequirePhishingResistant {
			strict = append(strict, d.ID)
		}
	}
	if len(strict) > 0 {
		return fmt.Errorf("directory %s requires a passkey at every sign-in, and passkeys cannot work on this server: %s",
			strings.Join(strict, ", "), s.passkeysOff)
	}
	return nil
}

// BeginPasskeySignIn starts a sign-in with a passkey alone in directory dirID: a discoverable credential, no user
// name (the browser offers the passkeys it has, also in the user-name field's autofill). It returns nil when the
// directory does not allow it or passkeys cannot work on this server.
func (s *Service) BeginPasskeySignIn(ctx context.Context, dirID string) (*PasskeyChallenge, error) {
	p, err := s.passkeyPolicy(ctx, dirID)
	if err != nil {
		return nil, err
	}
	if !s.passkeysUsable(p) || p.Use() != gatehouse.PasskeysPasswordless {
		return nil, nil
	}
	assertion, sd, err := s.webauthn.BeginDiscoverableLogin()
	if err != nil {
		return nil, gatehouse.Internal(fmt.Errorf("idp: begin passkey sign-in: %w", err))
	}
	return s.sealCeremony(ceremonyPasswordless, dirID, "", assertion, sd)
}

// SignInWithPasskey checks the answer to a challenge of BeginPasskeySignIn and returns the passkey's user, whose
// session is then made with MethodPasskey alone. Refusals (SECURITY-CASES 52, 53) are EUNAUTHORIZED with a plain
// message, count towards the Lockout of the passkey's user (of the address when the passkey is unknown) and go
// into the sign-in log with their cause.
func (s *Service) SignInWithPasskey(ctx context.Context, dirID, state string, response []byte) (*gatehouse.User, error) {
	u, k, err := s.signInWithPasskey(ctx, dirID, state, response)
	e := &gatehouse.SignInEvent{Result: gatehouse.ResultSuccess}
	if u != nil {
		e.UserID, e.UserName = u.ID, u.UserName
	}
	if err != nil {
		e.Result = gatehouse.ResultFailure
		e.Code, e.Reason = signInFailure(err)
	} else {
		e.Reason = "Signed in with the passkey " + k.Name + ", without a password."
	}
	s.logSignIn(ctx, dirID, e)
	return u, err
}

func (s *Service) signInWithPasskey(ctx context.Context, dirID, state string, response []byte) (*gatehouse.User, *gatehouse.Passkey, error) {
	addr := RequestInfoFrom(ctx).ClientAddr
	p, err := s.passkeyPolicy(ctx, dirID)
	if err != nil {
		return nil, nil, err
	}
	if !s.passkeysUsable(p) || p.Use() != gatehouse.PasskeysPasswordless {
		return nil, nil, gatehouse.Errorf(gatehouse.EFORBIDDEN, "This directory does not allow signing in with a passkey alone. Sign in with your password.")
	}
	parsed, perr := protocol.ParseCredentialRequestResponseBytes(response)
	var k *gatehouse.Passkey
	var u *gatehouse.User
	if perr == nil {
		k, err = s.store.FindPasskeyByCredentialID(ctx, dirID, parsed.RawID)
		switch {
		case err == nil:
			u, err = s.store.FindUser(ctx, dirID, k.UserID)
			if err != nil {
				return nil, nil, err
			}
		case gatehouse.ErrorCode(err) != gatehouse.ENOTFOUND:
			return nil, nil, err
		}
	}
	if u == nil {
		// Nobody to count the failure for but the address.
		if err := s.addressFailure(ctx, dirID, addr); err != nil {
			return nil, nil, err
		}
		if perr != nil {
			return nil, nil, errPasskey("the answer could not be read: "+libraryCause(perr), msgPasskeyRefused)
		}
		return nil, nil, errPasskey("no passkey of this directory has the credential ID the answer names", msgPasskeyRefused)
	}
	err = s.checkPasskey(ctx, u, k, ceremonyPasswordless, "", state, parsed, addr)
	return u, k, err
}

// BeginPasskeySecondFactor starts the check of one of u's passkeys as the second step of the sign-in of session
// sess. It returns nil when u has no passkey that can be used.
func (s *Service) BeginPasskeySecondFactor(ctx context.Context, sess *gatehouse.Session, u *gatehouse.User) (*PasskeyChallenge, error) {
	p, err := s.passkeyPolicy(ctx, u.DirectoryID)
	if err != nil {
		return nil, err
	}
	if !s.passkeysUsable(p) {
		return nil, nil
	}
	pu, err := s.newPasskeyUser(ctx, u)
	if err != nil || len(pu.passkeys) == 0 {
		return nil, err
	}
	assertion, sd, err := s.webauthn.BeginLogin(pu)
	if err != nil {
		return nil, gatehouse.Internal(fmt.Errorf("idp: begin passkey check: %w", err))
	}
	return s.sealCeremony(ceremonySecondFactor, u.DirectoryID, sess.ID, assertion, sd)
}

// VerifyPasskey checks the answer to a challenge of BeginPasskeySecondFactor for the same session: the second
// step of a sign-in with a passkey. Refusals count towards the Lockout like wrong codes and go into the sign-in
// log with their cause.
func (s *Service) VerifyPasskey(ctx context.Context, sess *gatehouse.Session, u *gatehouse.User, state string, response []byte) error {
	k, err := s.verifyPasskey(ctx, sess, u, state, response)
	e := &gatehouse.SignInEvent{UserID: u.ID, UserName: u.UserName, Result: gatehouse.ResultSuccess}
	if err != nil {
		e.Result = gatehouse.ResultFailure
		e.Code, e.Reason = signInFailure(err)
	} else {
		e.Reason = "Passkey " + k.Name + " accepted."
	}
	s.logSignIn(ctx, u.DirectoryID, e)
	return err
}

func (s *Service) verifyPasskey(ctx context.Context, sess *gatehouse.Session, u *gatehouse.User, state string, response []byte) (*gatehouse.Passkey, error) {
	addr := RequestInfoFrom(ctx).ClientAddr
	p, err := s.passkeyPolicy(ctx, u.DirectoryID)
	if err != nil {
		return nil, err
	}
	if !s.passkeysUsable(p) {
		return nil, s.errPasskeysOff()
	}
	parsed, perr := protocol.ParseCredentialRequestResponseBytes(response)
	var k *gatehouse.Passkey
	if perr == nil {
		k, err = s.store.FindPasskeyByCredentialID(ctx, u.DirectoryID, parsed.RawID)
		if err != nil && gatehouse.ErrorCode(err) != gatehouse.ENOTFOUND {
			return nil, err
		}
		if k != nil && k.UserID != u.ID {
			k = nil
		}
	}
	if k == nil {
		n, err := s.checkAttempt(ctx, u.DirectoryID, u.UserName, addr)
		if err != nil {
			return nil, err
		}
		if err := s.recordFailure(ctx, u.DirectoryID, u.UserName, addr, n); err != nil {
			return nil, err
		}
		if perr != nil {
			return nil, errPasskey("the answer could not be read: "+libraryCause(perr), msgPasskeyRefused)
		}
		return nil, errPasskey("the answer names a passkey that is not one of the user's", msgPasskeyRefused)
	}
	return k, s.checkPasskey(ctx, u, k, ceremonySecondFactor, sess.ID, state, parsed, addr)
}

// checkPasskey verifies an assertion of u's passkey k for a ceremony of purpose bound to bound, under the Lockout
// of u's account, and records its use: the challenge is used up, the signature, relying-party ID, origin, user
// verification and user handle are checked by the library, and the counter must go up (a cloned authenticator
// otherwise, refused and logged).
func (s *Service) checkPasskey(ctx context.Context, u *gatehouse.User, k *gatehouse.Passkey, purpose, bound, state string,
	parsed *protocol.ParsedCredentialAssertionData, addr string) error {
	n, err := s.checkAttempt(ctx, u.DirectoryID, u.UserName, addr)
	if err != nil {
		return err
	}
	fail := func(err error) error {
		if ferr := s.recordFailure(ctx, u.DirectoryID, u.UserName, addr, n); ferr != nil {
			return ferr
		}
		return err
	}
	if u.Disabled {
		return fail(errPasskey("the user is disabled", msgPasskeyRefused))
	}
	sd, err := s.openCeremony(ctx, purpose, u.DirectoryID, bound, state)
	if gatehouse.ErrorCode(err) == gatehouse.EUNAUTHORIZED {
		return fail(err)
	} else if err != nil {
		return err
	}
	pu, err := s.newPasskeyUser(ctx, u)
	if err != nil {
		return err
	}
	var cred *webauthn.Credential
	if purpose == ceremonyPasswordless {
		_, cred, err = s.webauthn.ValidatePasskeyLogin(func(rawID, userHandle []byte) (webauthn.User, error) {
			if !bytes.Equal(rawID, k.CredentialID) {
				return nil, errors.New("the credential is not the one looked up")
			}
			return pu, nil
		}, *sd, parsed)
	} else {
		cred, err = s.webauthn.ValidateLogin(pu, *sd, parsed)
	}
	if err != nil {
		return fail(errPasskey("passkey "+k.Name+" refused: "+libraryCause(err), msgPasskeyRefused))
	}
	if cred.Authenticator.CloneWarning {
		s.logger.WarnContext(ctx, "possible cloned authenticator: a passkey's signature counter did not go up",
			"directory", u.DirectoryID, "user", u.UserName, "passkey", k.ID, "stored_count", k.SignCount,
			"received_count", parsed.Response.AuthenticatorData.Counter, "correlation_id", RequestInfoFrom(ctx).CorrelationID)
		return fail(errPasskeyCloned(fmt.Sprintf("possible cloned authenticator: passkey %s sent signature counter %d, and %d was already seen",
			k.Name, parsed.Response.AuthenticatorData.Counter, k.SignCount)))
	}
	err = s.store.UsePasskey(ctx, u.DirectoryID, k.ID, cred.Authenticator.SignCount, cred.Flags.BackupState, s.now())
	if gatehouse.ErrorCode(err) == gatehouse.ECONFLICT {
		// Another node took this count first: the same assertion twice, or a clone racing the original.
		s.logger.WarnContext(ctx, "possible cloned authenticator: a passkey's signature counter was taken by another sign-in",
			"directory", u.DirectoryID, "user", u.UserName, "passkey", k.ID, "received_count", cred.Authenticator.SignCount)
		return fail(errPasskeyCloned(fmt.Sprintf("possible cloned authenticator: passkey %s sent signature counter %d, which another sign-in used first",
			k.Name, cred.Authenticator.SignCount)))
	} else if err != nil {
		return err
	}
	return s.recordSuccess(ctx, u.DirectoryID, u.UserName, addr)
}

// addressFailure counts a failed attempt that names no account against the client address, whose lock then holds
// as for failed passwords; a locked address gets ERATELIMIT.
func (s *Service) addressFailure(ctx context.Context, dirID, addr string) error {
	c := s.lockCounters(dirID, "", addr)[2]
	locked, err := s.isLocked(ctx, "lock:"+c.key)
	if err != nil {
		return err
	}
	if locked {
		return s.errLockedOut(scopeAddr)
	}
	return s.recordFailure(ctx, dirID, "", addr, 1)
}

// SignInPasskeyPolicy returns a directory's passkey policy for the sign-in pages, which say what a user may do,
// and whether passkeys can be used there at all on this server.
func (s *Service) SignInPasskeyPolicy(ctx context.Context, dirID string) (p *gatehouse.PasskeyPolicy, usable bool, err error) {
	if p, err = s.passkeyPolicy(ctx, dirID); err != nil {
		return nil, false, err
	}
	return p, s.passkeysUsable(p), nil
}
