package gatehouse

import (
	"strings"
	"time"
)

// Passkey is a WebAuthn credential a user registered: a key pair whose private half stays in an authenticator (a
// phone, a laptop's platform authenticator, a security key, a password manager), proven at sign-in by a signature
// over a one-time challenge for Gatehouse's relying-party ID. The store keeps only the public key.
type Passkey struct {
	ID          string `json:"id"`
	DirectoryID string `json:"directoryId"`
	UserID      string `json:"userId"`
	// Name is the user's name for it, such as "Work laptop".
	Name string `json:"name"`
	// CredentialID is the authenticator's ID of the credential, unique in the directory.
	CredentialID []byte `json:"-"`
	// PublicKey is the COSE-encoded public key.
	PublicKey []byte `json:"-"`
	// AAGUID names the authenticator's model (a UUID, "00000000-0000-0000-0000-000000000000" when it does not say).
	AAGUID string `json:"aaguid"`
	// SignCount is the signature counter of the last accepted assertion; authenticators that keep no counter send 0.
	SignCount uint32 `json:"signCount"`
	// Transports are the ways the browser said it reaches the authenticator (internal, usb, nfc, ble, hybrid).
	Transports []string `json:"transports,omitempty"`
	// AttestationType and AttestationFormat are what the authenticator's attestation was ("none" for most).
	AttestationType   string `json:"attestationType"`
	AttestationFormat string `json:"attestationFormat"`
	// BackupEligible reports whether the passkey can be synced to other devices (a synced passkey), BackupState
	// whether it is.
	BackupEligible bool       `json:"backupEligible"`
	BackupState    bool       `json:"backupState"`
	CreatedAt      time.Time  `json:"createdAt"`
	LastUsedAt     *time.Time `json:"lastUsedAt,omitempty"`
}

// Validate returns EINVALID when the passkey cannot be stored.
func (p *Passkey) Validate() error {
	if err := checkText("name", p.Name); err != nil {
		return err
	}
	switch {
	case strings.TrimSpace(p.Name) == "" || len(p.Name) > 100 || strings.ContainsAny(p.Name, "\x00\r\n"):
		return FieldErrorf("name", "A passkey's name is 1 to 100 characters on one line, such as \"Work laptop\".")
	case len(p.CredentialID) == 0 || len(p.CredentialID) > 1023:
		return FieldErrorf("credential", "The passkey's credential ID is empty or longer than 1023 bytes.")
	case len(p.PublicKey) == 0 || len(p.PublicKey) > 4096:
		return FieldErrorf("credential", "The passkey's public key is empty or longer than 4096 bytes.")
	}
	return nil
}

// PasskeyUse says what passkeys may do in a directory.
type PasskeyUse string

// The uses of passkeys. The empty value is PasskeysPasswordless.
const (
	// PasskeysOff: users cannot register passkeys, and those registered are not offered or accepted.
	PasskeysOff PasskeyUse = "off"
	// PasskeysSecondFactor: a passkey is a second factor after the password.
	PasskeysSecondFactor PasskeyUse = "second-factor"
	// PasskeysPasswordless: a passkey is a second factor, and also signs in alone ("Sign in with a passkey"); the
	// default.
	PasskeysPasswordless PasskeyUse = "passwordless"
)

// RecoveryCodeUse says whether a directory's users get one-time recovery codes with their second factor.
type RecoveryCodeUse string

// The uses of recovery codes. The empty value is RecoveryCodesAllowed.
const (
	// RecoveryCodesAllowed: users get recovery codes when they set up their first second factor (an authenticator
	// app or a passkey), and one stands in for the second factor once; the default.
	RecoveryCodesAllowed RecoveryCodeUse = "allowed"
	// RecoveryCodesOff: none are given and those given before are refused; a user who loses their second factor
	// asks an admin to reset it.
	RecoveryCodesOff RecoveryCodeUse = "off"
)

// PasskeyPolicy is a directory's policy on passkeys and phishing resistance. Its zero value is the default:
// passkeys allowed (also without a password), recovery codes allowed, any authenticator, no requirement.
type PasskeyPolicy struct {
	DirectoryID string `json:"directoryId"`
	// Passkeys says what passkeys may do; see PasskeyUse.
	Passkeys PasskeyUse `json:"passkeys"`
	// RequirePhishingResistant reports whether every sign-in must use a passkey, as the second factor or alone: a
	// password with a code from an authenticator app (which a phishing page can relay) is then not enough.
	RequirePhishingResistant bool `json:"requirePhishingResistant"`
	// RecoveryCodes says whether users get recovery codes; see RecoveryCodeUse.
	RecoveryCodes RecoveryCodeUse `json:"recoveryCodes"`
	// AAGUIDs, when not empty, are the only authenticator models (by AAGUID, lower-case UUIDs) whose passkeys can
	// be registered. Authenticators state their AAGUID themselves (Gatehouse accepts attestation "none"), so the
	// list keeps people to approved models; it does not stop a forged authenticator.
	AAGUIDs   []string  `json:"aaguids"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// Use returns what passkeys may do, with the default filled in.
func (p *PasskeyPolicy) Use() PasskeyUse {
	if p.Passkeys == "" {
		return PasskeysPasswordless
	}
	return p.Passkeys
}

// RecoveryCodesAllowed reports whether users get and may use recovery codes.
func (p *PasskeyPolicy) RecoveryCodesAllowed() bool { return p.RecoveryCodes != RecoveryCodesOff }

// Validate returns EINVALID, naming the field, when the policy cannot be stored.
func (p *PasskeyPolicy) Validate() error {
	switch p.Passkeys {
	case "", PasskeysOff, PasskeysSecondFactor, PasskeysPasswordless:
	default:
		return FieldErrorf("passkeys", "passkeys is one of off, second-factor or passwordless, not %q.", p.Passkeys)
	}
	switch p.RecoveryCodes {
	case "", RecoveryCodesAllowed, RecoveryCodesOff:
	default:
		return FieldErrorf("recoveryCodes", "recoveryCodes is allowed or off, not %q.", p.RecoveryCodes)
	}
	if p.RequirePhishingResistant && p.Use() == PasskeysOff {
		return FieldErrorf("requirePhishingResistant", "A phishing-resistant sign-in is a passkey: turn passkeys on to require one.")
	}
	if len(p.AAGUIDs) > 100 {
		return FieldErrorf("aaguids", "At most 100 AAGUIDs can be listed.")
	}
	for _, a := range p.AAGUIDs {
		if !validUUID(a) {
			return FieldErrorf("aaguids", "%q is not an AAGUID: write it as a lower-case UUID such as ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4.", a)
		}
	}
	return nil
}

// validUUID reports whether s is a lower-case UUID in its 8-4-4-4-12 form.
func validUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
				return false
			}
		}
	}
	return true
}

// AuthMethod is one way a user proved who they are when a session was made.
type AuthMethod string

// The methods a session records, in the order they were used.
const (
	// MethodPassword: the user's password.
	MethodPassword AuthMethod = "password"
	// MethodTOTP: a code from an authenticator app.
	MethodTOTP AuthMethod = "totp"
	// MethodRecoveryCode: one of the user's one-time recovery codes, in place of the second factor.
	MethodRecoveryCode AuthMethod = "recovery-code"
	// MethodPasskey: a passkey whose authenticator verified its user (a PIN or a biometric), so it is two factors
	// by itself and phishing-resistant.
	MethodPasskey AuthMethod = "passkey"
)

// AMR returns the Authentication Method Reference value of RFC 8176 for m: "pwd", "otp" or "hwk" (a
// proof of possession of a key, with "user" verification implied by Gatehouse's requirement).
func (m AuthMethod) AMR() string {
	switch m {
	case MethodPassword:
		return "pwd"
	case MethodTOTP, MethodRecoveryCode:
		return "otp"
	case MethodPasskey:
		return "hwk"
	}
	return string(m)
}

// Has reports whether the session was made with method m.
func (s *Session) Has(m AuthMethod) bool {
	for _, x := range s.AuthMethods() {
		if x == m {
			return true
		}
	}
	return false
}

// AuthMethods returns how the session was made, in the order the methods were used. Sessions made before
// Gatehouse recorded it read as a password, with a code from an authenticator app when MFA is set.
func (s *Session) AuthMethods() []AuthMethod {
	if len(s.Methods) > 0 {
		return s.Methods
	}
	if s.MFA {
		return []AuthMethod{MethodPassword, MethodTOTP}
	}
	return []AuthMethod{MethodPassword}
}

// AMR returns the session's methods as RFC 8176 values, each once, with "mfa" added for a multi-factor session
// (OpenID Connect's amr claim).
func (s *Session) AMR() []string {
	var out []string
	for _, m := range s.AuthMethods() {
		v := m.AMR()
		found := false
		for _, o := range out {
			found = found || o == v
		}
		if !found {
			out = append(out, v)
		}
	}
	if s.MFA {
		out = append(out, "mfa")
	}
	return out
}

// PhishingResistant reports whether the session was made with a passkey, which a phishing page cannot relay: the
// browser binds its signature to Gatehouse's own origin.
func (s *Session) PhishingResistant() bool { return s.Has(MethodPasskey) }
