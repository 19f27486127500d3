package gatehouse

import (
	"encoding/base64"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
)

// App is an enterprise application in a directory: a SAML service provider or an OpenID Connect relying party
// that users sign in to.
type App struct {
	ID          string `json:"id"`
	DirectoryID string `json:"directoryId"`
	Name        string `json:"name"`
	// GalleryID names the gallery template the app was added from ("custom" for a custom SAML app).
	GalleryID string `json:"galleryId"`
	// Enabled reports whether users can sign in to the app.
	Enabled bool `json:"enabled"`
	// AssignmentRequired reports whether only assigned users (directly or through a group) get an assertion.
	AssignmentRequired bool `json:"assignmentRequired"`
	// Visible reports whether assigned users see the app in My Apps.
	Visible bool   `json:"visible"`
	Notes   string `json:"notes"`
	// Logo is an uploaded image (PNG, JPEG or SVG as LogoType); empty means an initials tile.
	Logo     []byte `json:"-"`
	LogoType string `json:"logoType,omitempty"`
	// Protocol is ProtocolSAML or ProtocolOIDC; an empty Protocol is SAML.
	Protocol string `json:"protocol,omitempty"`
	// SAML holds a SAML app's settings; it is empty for an OpenID Connect app.
	SAML SAMLSettings `json:"saml"`
	// OIDC holds an OpenID Connect app's settings; nil for a SAML app.
	OIDC      *OIDCSettings `json:"oidc,omitempty"`
	CreatedAt time.Time     `json:"createdAt"`
	UpdatedAt time.Time     `json:"updatedAt"`
}

// IsOIDC reports whether the app is an OpenID Connect app.
func (a *App) IsOIDC() bool { return a.Protocol == ProtocolOIDC }

// Validate returns EINVALID, naming the field, when the app cannot be stored.
func (a *App) Validate() error {
	if err := checkText("name", a.Name); err != nil {
		return err
	}
	if err := checkText("notes", a.Notes); err != nil {
		return err
	}
	if a.Name == "" || len(a.Name) > 256 || strings.ContainsAny(a.Name, "\x00\r\n") {
		return FieldErrorf("name", "An app name is 1 to 256 characters without control characters.")
	}
	if len(a.Notes) > 4096 {
		return FieldErrorf("notes", "Notes are at most 4096 characters.")
	}
	if a.IsOIDC() {
		if a.OIDC == nil {
			return FieldErrorf("oidc", "An OpenID Connect app needs its OpenID Connect settings.")
		}
		return a.OIDC.Validate()
	}
	if a.OIDC != nil || a.Protocol != "" && a.Protocol != ProtocolSAML {
		return FieldErrorf("protocol", "Protocol %q is unknown, or does not match the settings; choose saml or oidc.", a.Protocol)
	}
	return a.SAML.Validate()
}

// Signing options: which part of the SAML Response carries a signature.
const (
	SignAssertion = "assertion"
	SignResponse  = "response"
	SignBoth      = "both"
)

// Signing algorithms.
const (
	SHA256 = "sha256"
	SHA1   = "sha1"
)

// NameID formats.
const (
	NameIDEmail       = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
	NameIDPersistent  = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
	NameIDTransient   = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
	NameIDUnspecified = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
)

// NameIDFormats lists the NameID formats an app may choose.
var NameIDFormats = []string{NameIDEmail, NameIDPersistent, NameIDTransient, NameIDUnspecified}

// User attributes that claims and the NameID can be taken from.
const (
	AttrUserName    = "user.userprincipalname"
	AttrMail        = "user.mail"
	AttrGivenName   = "user.givenname"
	AttrSurname     = "user.surname"
	AttrDisplayName = "user.displayname"
	AttrObjectID    = "user.objectid"
)

// Attributes lists every source attribute.
var Attributes = []string{AttrUserName, AttrMail, AttrGivenName, AttrSurname, AttrDisplayName, AttrObjectID}

// ClaimsNamespace is the namespace of the default claims.
const ClaimsNamespace = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/"

// Attribute NameFormats.
const (
	NameFormatURI         = "urn:oasis:names:tc:SAML:2.0:attrname-format:uri"
	NameFormatBasic       = "urn:oasis:names:tc:SAML:2.0:attrname-format:basic"
	NameFormatUnspecified = "urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified"
)

// Claim is one SAML attribute in the assertion. Its values come from Source (one of Attributes), from the user's
// groups (Groups), or are the constants Value and Values; Transform then applies to each value, and a claim left
// without a value takes FallbackSource or FallbackValue ("if empty").
type Claim struct {
	// Name is the full attribute name, namespace included (e.g. ClaimsNamespace+"givenname", or "email").
	Name string `json:"name"`
	// NameFormat is the attribute's NameFormat URI; empty means unspecified.
	NameFormat string `json:"nameFormat,omitempty"`
	Source     string `json:"source,omitempty"`
	Value      string `json:"value,omitempty"`
	// Values are further constant values of a multi-valued claim.
	Values []string `json:"values,omitempty"`
	// Groups, when set, makes this a group claim with one value per group name: ClaimGroupsAll for every group of
	// the user, ClaimGroupsAssigned for only the groups assigned to the app.
	Groups string `json:"groups,omitempty"`
	// Transform is one of ClaimTransforms; empty leaves values as they are.
	Transform string `json:"transform,omitempty"`
	// JoinSource or JoinValue is appended, after Separator, to each value by the "join" transform.
	JoinSource string `json:"joinSource,omitempty"`
	JoinValue  string `json:"joinValue,omitempty"`
	Separator  string `json:"separator,omitempty"`
	// Pattern (an RE2 regular expression of at most MaxClaimPattern bytes) and Replacement ($1 names a group) are
	// the "regexReplace" transform's arguments.
	Pattern     string `json:"pattern,omitempty"`
	Replacement string `json:"replacement,omitempty"`
	// FallbackSource or FallbackValue is the claim's value when it would otherwise have none.
	FallbackSource string `json:"fallbackSource,omitempty"`
	FallbackValue  string `json:"fallbackValue,omitempty"`
}

// Group claim choices.
const (
	ClaimGroupsAll      = "all"
	ClaimGroupsAssigned = "assigned"
)

// Claim transforms.
const (
	TransformJoin         = "join"
	TransformLower        = "lower"
	TransformUpper        = "upper"
	TransformMailPrefix   = "mailPrefix"
	TransformRegexReplace = "regexReplace"
)

// ClaimTransforms lists the transforms a claim may apply.
var ClaimTransforms = []string{TransformJoin, TransformLower, TransformUpper, TransformMailPrefix, TransformRegexReplace}

// Limits on claims.
const (
	MaxClaimValues  = 32
	MaxClaimPattern = 256
)

// validate returns EINVALID, naming the claims field, when the claim cannot be stored.
func (c *Claim) validate() error {
	hasValue := c.Value != "" || len(c.Values) > 0
	switch {
	case c.Name == "" || len(c.Name) > 1024 || strings.ContainsAny(c.Name, "\x00\r\n\t <>&\"'"):
		return FieldErrorf("claims", "Claim name %q must be 1 to 1024 characters without spaces, markup or control characters.", c.Name)
	case c.Source != "" && !oneOf(c.Source, Attributes):
		return FieldErrorf("claims", "Claim %q has unknown source %q; choose one of %s.", c.Name, c.Source, strings.Join(Attributes, ", "))
	case c.Groups != "" && !oneOf(c.Groups, []string{ClaimGroupsAll, ClaimGroupsAssigned}):
		return FieldErrorf("claims", "Claim %q: groups must be %q or %q.", c.Name, ClaimGroupsAll, ClaimGroupsAssigned)
	case c.Groups != "" && (c.Source != "" || hasValue):
		return FieldErrorf("claims", "Claim %q is a group claim; it cannot also have a source attribute or constant values.", c.Name)
	case c.Source == "" && c.Groups == "" && !hasValue:
		return FieldErrorf("claims", "Claim %q needs a source attribute, groups or a constant value.", c.Name)
	case len(c.Values) > MaxClaimValues:
		return FieldErrorf("claims", "Claim %q has more than %d constant values.", c.Name, MaxClaimValues)
	case c.NameFormat != "" && !oneOf(c.NameFormat, []string{NameFormatURI, NameFormatBasic, NameFormatUnspecified}):
		return FieldErrorf("claims", "Claim %q has unknown NameFormat %q.", c.Name, c.NameFormat)
	case c.Transform != "" && !oneOf(c.Transform, ClaimTransforms):
		return FieldErrorf("claims", "Claim %q has unknown transform %q; choose one of %s.", c.Name, c.Transform, strings.Join(ClaimTransforms, ", "))
	case c.JoinSource != "" && !oneOf(c.JoinSource, Attributes):
		return FieldErrorf("claims", "Claim %q has unknown join source %q; choose one of %s.", c.Name, c.JoinSource, strings.Join(Attributes, ", "))
	case c.FallbackSource != "" && !oneOf(c.FallbackSource, Attributes):
		return FieldErrorf("claims", "Claim %q has unknown fallback source %q; choose one of %s.", c.Name, c.FallbackSource, strings.Join(Attributes, ", "))
	case c.Transform == TransformJoin && c.JoinSource == "" && c.JoinValue == "":
		return FieldErrorf("claims", "Claim %q: the join transform needs a join source or a join value.", c.Name)
	case c.Transform != TransformJoin && (c.JoinSource != "" || c.JoinValue != "" || c.Separator != ""):
		return FieldErrorf("claims", "Claim %q: a join source, join value or separator needs the join transform.", c.Name)
	case c.Transform == TransformRegexReplace && c.Pattern == "":
		return FieldErrorf("claims", "Claim %q: the regexReplace transform needs a pattern.", c.Name)
	case c.Transform != TransformRegexReplace && (c.Pattern != "" || c.Replacement != ""):
		return FieldErrorf("claims", "Claim %q: a pattern or replacement needs the regexReplace transform.", c.Name)
	case len(c.Pattern) > MaxClaimPattern:
		return FieldErrorf("claims", "Claim %q: the pattern is longer than %d bytes.", c.Name, MaxClaimPattern)
	}
	if c.Pattern != "" {
		if _, err := regexp.Compile(c.Pattern); err != nil {
			return FieldErrorf("claims", "Claim %q: the pattern is not a valid regular expression: %v.", c.Name, err)
		}
	}
	for _, v := range append([]string{c.Value, c.JoinValue, c.Separator, c.Replacement, c.FallbackValue}, c.Values...) {
		if len(v) > 1024 || strings.ContainsRune(v, 0) {
			return FieldErrorf("claims", "Claim %q: a constant value is at most 1024 characters without NUL.", c.Name)
		}
	}
	return nil
}

// DefaultClaims returns the default claim set: given name, surname, e-mail address and name.
func DefaultClaims() []Claim {
	return []Claim{
		{Name: ClaimsNamespace + "givenname", Source: AttrGivenName},
		{Name: ClaimsNamespace + "surname", Source: AttrSurname},
		{Name: ClaimsNamespace + "emailaddress", Source: AttrMail},
		{Name: ClaimsNamespace + "name", Source: AttrUserName},
	}
}

// SAMLSettings is an app's basic SAML configuration, its claims and signing choices.
type SAMLSettings struct {
	// EntityID is the app's Identifier: the Audience of assertions and the Issuer of its AuthnRequests.
	EntityID string `json:"entityId"`
	// ReplyURLs are the registered assertion consumer service URLs; the first is the default.
	ReplyURLs []string `json:"replyUrls"`
	// SignOnURL, when set, makes My Apps and Test start SP-initiated sign-on there.
	SignOnURL string `json:"signOnUrl"`
	// RelayState is the default landing page sent after IdP-initiated sign-on.
	RelayState string `json:"relayState"`
	LogoutURL  string `json:"logoutUrl"`
	// NameIDFormat is one of NameIDFormats; NameIDSource is one of Attributes.
	NameIDFormat string  `json:"nameIdFormat"`
	NameIDSource string  `json:"nameIdSource"`
	Claims       []Claim `json:"claims"`
	// SigningOption is SignAssertion, SignResponse or SignBoth.
	SigningOption string `json:"signingOption"`
	// SigningAlgorithm is SHA256 or SHA1.
	SigningAlgorithm string `json:"signingAlgorithm"`
	// SigningKeyType is the key type of the app's new signing certificates: KeyRSA2048 (the default, also when
	// empty) or KeyECDSAP256. Responses are signed with the method of the active certificate's key, so changing it
	// takes effect when a certificate of that type is made active.
	SigningKeyType string `json:"signingKeyType,omitempty"`

	// ACSIndexes, when set, holds the AssertionConsumerService index of each reply URL (from the SP's metadata);
	// otherwise reply URL i answers index i.
	ACSIndexes []int `json:"acsIndexes,omitempty"`
	// LogoutBinding is the binding of LogoutURL: BindingHTTPRedirect (the default when empty) or BindingHTTPPost.
	// LogoutResponseURL, when set, receives LogoutResponses instead of LogoutURL.
	LogoutBinding     string `json:"logoutBinding,omitempty"`
	LogoutResponseURL string `json:"logoutResponseUrl,omitempty"`
	// SigningCertificates are the SP's certificates (base64 DER) that verify its signed requests; only these are
	// trusted, never a certificate sent inside a message.
	SigningCertificates []string `json:"signingCertificates,omitempty"`
	// EncryptionCertificate is the SP's certificate (base64 DER) that assertions are encrypted for.
	EncryptionCertificate string `json:"encryptionCertificate,omitempty"`
	// EncryptionMethods are the data encryption algorithms the SP's metadata lists, in its order of preference.
	EncryptionMethods []string `json:"encryptionMethods,omitempty"`
	// RequireSignedRequests reports whether unsigned AuthnRequests and LogoutRequests are refused.
	RequireSignedRequests bool `json:"requireSignedRequests"`
	// AllowSHA1Requests reports whether requests signed with RSA-SHA1 are accepted.
	AllowSHA1Requests bool `json:"allowSha1Requests"`
	// EncryptAssertions reports whether assertions are encrypted for EncryptionCertificate.
	EncryptAssertions bool `json:"encryptAssertions"`
	// SignMetadata reports whether the app's federation metadata carries a signature by its active certificate.
	SignMetadata bool `json:"signMetadata,omitempty"`
	// MetadataURL is where the SP publishes its metadata; when set, the settings it describes are refreshed from
	// it periodically, and MetadataStatus records how that went.
	MetadataURL    string          `json:"metadataUrl,omitempty"`
	MetadataStatus *MetadataStatus `json:"metadataStatus,omitempty"`
}

// MetadataStatus is the outcome of fetching an app's SP metadata.
type MetadataStatus struct {
	// LastAttemptAt and LastSuccessAt are when the metadata was last fetched, and last fetched and applied.
	LastAttemptAt time.Time `json:"lastAttemptAt,omitzero"`
	LastSuccessAt time.Time `json:"lastSuccessAt,omitzero"`
	// LastError says why the last attempt failed; empty after a success.
	LastError string `json:"lastError,omitempty"`
}

// SAML bindings an SP's logout endpoint may use.
const (
	BindingHTTPRedirect = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
	BindingHTTPPost     = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
)

// Key types of an app's signing certificates (SAMLSettings.SigningKeyType). RSA-2048 signs with RSA-SHA256 (or
// RSA-SHA1), which every SAML service provider accepts; ECDSA P-256 signs with ECDSA-SHA256, which is faster but
// accepted by fewer service providers.
const (
	KeyRSA2048   = "rsa-2048"
	KeyECDSAP256 = "ecdsa-p256"
)

// SigningKeyTypes lists the key types an app's signing certificates can have.
var SigningKeyTypes = []string{KeyRSA2048, KeyECDSAP256}

// KeyType returns the key type of the app's new signing certificates: SigningKeyType, or KeyRSA2048 when empty.
func (s *SAMLSettings) KeyType() string {
	if s.SigningKeyType == "" {
		return KeyRSA2048
	}
	return s.SigningKeyType
}

// Limits on SP certificates.
const (
	MaxSPCertificates = 8
	MaxCertificateLen = 64 << 10
)

// DefaultSAMLSettings returns the settings of a new custom app: email NameID from the user name, the default claims,
// the Response and the Assertion both signed, and SHA-256. Both are signed because it works with every SP: some
// (@node-saml/node-saml, passport-saml) refuse a Response whose envelope is not signed, and an encrypted assertion in
// an unsigned envelope lets a careless SP accept a Response whose decryption failed. Gallery apps keep the option their
// vendor documents.
func DefaultSAMLSettings() SAMLSettings {
	return SAMLSettings{
		NameIDFormat:     NameIDEmail,
		NameIDSource:     AttrUserName,
		Claims:           DefaultClaims(),
		SigningOption:    SignBoth,
		SigningAlgorithm: SHA256,
		SigningKeyType:   KeyRSA2048,
	}
}

// Limits on SAML settings.
const (
	MaxReplyURLs = 32
	MaxClaims    = 64
	MaxURLLength = 2048
)

// Validate returns EINVALID, naming the field, when the settings cannot be stored. An empty EntityID or no reply
// URLs are allowed: a newly added app is configured afterwards, and sign-in to it fails with a clear error until then.
func (s *SAMLSettings) Validate() error {
	if len(s.EntityID) > 1024 || strings.ContainsAny(s.EntityID, "\x00\r\n\t ") {
		return FieldErrorf("entityId", "The Identifier is at most 1024 characters without spaces or control characters.")
	}
	if len(s.ReplyURLs) > MaxReplyURLs {
		return FieldErrorf("replyUrls", "At most %d reply URLs are allowed.", MaxReplyURLs)
	}
	seen := map[string]bool{}
	for _, u := range s.ReplyURLs {
		if err := validHTTPURL("replyUrls", "Reply URL", u); err != nil {
			return err
		}
		if seen[u] {
			return FieldErrorf("replyUrls", "Reply URL %q is listed twice.", u)
		}
		seen[u] = true
	}
	for _, f := range []struct{ field, label, v string }{
		{"signOnUrl", "Sign-on URL", s.SignOnURL}, {"logoutUrl", "Logout URL", s.LogoutURL},
	} {
		if f.v != "" {
			if err := validHTTPURL(f.field, f.label, f.v); err != nil {
				return err
			}
		}
	}
	if len(s.RelayState) > MaxURLLength || strings.ContainsAny(s.RelayState, "\x00\r\n") {
		return FieldErrorf("relayState", "The relay state is at most %d characters without control characters.", MaxURLLength)
	}
	if !oneOf(s.NameIDFormat, NameIDFormats) {
		return FieldErrorf("nameIdFormat", "NameID format %q is unknown; choose one of %s.", s.NameIDFormat, strings.Join(NameIDFormats, ", "))
	}
	if !oneOf(s.NameIDSource, Attributes) {
		return FieldErrorf("nameIdSource", "NameID source %q is unknown; choose one of %s.", s.NameIDSource, strings.Join(Attributes, ", "))
	}
	if len(s.Claims) > MaxClaims {
		return FieldErrorf("claims", "At most %d claims are allowed.", MaxClaims)
	}
	names := map[string]bool{}
	for i := range s.Claims {
		c := &s.Claims[i]
		if err := c.validate(); err != nil {
			return err
		}
		if names[c.Name] {
			return FieldErrorf("claims", "Claim %q is listed twice.", c.Name)
		}
		names[c.Name] = true
	}
	if !oneOf(s.SigningOption, []string{SignAssertion, SignResponse, SignBoth}) {
		return FieldErrorf("signingOption", "Signing option %q is unknown; choose assertion, response or both.", s.SigningOption)
	}
	if !oneOf(s.SigningAlgorithm, []string{SHA256, SHA1}) {
		return FieldErrorf("signingAlgorithm", "Signing algorithm %q is unknown; choose sha256 or sha1.", s.SigningAlgorithm)
	}
	if s.SigningKeyType != "" && !oneOf(s.SigningKeyType, SigningKeyTypes) {
		return FieldErrorf("signingKeyType", "Signing key type %q is unknown; choose %s.", s.SigningKeyType, strings.Join(SigningKeyTypes, " or "))
	}
	if s.SigningKeyType == KeyECDSAP256 && s.SigningAlgorithm == SHA1 {
		return FieldErrorf("signingKeyType", "An ECDSA P-256 key signs with SHA-256 only; choose the sha256 signing algorithm, or the rsa-2048 key for SHA-1.")
	}
	if len(s.ACSIndexes) > 0 {
		if len(s.ACSIndexes) != len(s.ReplyURLs) {
			return FieldErrorf("acsIndexes", "There must be one ACS index per reply URL.")
		}
		idx := map[int]bool{}
		for _, i := range s.ACSIndexes {
			if i < 0 || i > 65535 || idx[i] {
				return FieldErrorf("acsIndexes", "ACS indexes must be distinct numbers from 0 to 65535.")
			}
			idx[i] = true
		}
	}
	if s.LogoutBinding != "" && !oneOf(s.LogoutBinding, []string{BindingHTTPRedirect, BindingHTTPPost}) {
		return FieldErrorf("logoutBinding", "Logout binding %q is unknown; choose %s or %s.", s.LogoutBinding, BindingHTTPRedirect, BindingHTTPPost)
	}
	if s.LogoutResponseURL != "" {
		if err := validHTTPURL("logoutResponseUrl", "Logout response URL", s.LogoutResponseURL); err != nil {
			return err
		}
	}
	if s.MetadataURL != "" {
		if err := validHTTPURL("metadataUrl", "Metadata URL", s.MetadataURL); err != nil {
			return err
		}
	}
	if len(s.SigningCertificates) > MaxSPCertificates {
		return FieldErrorf("signingCertificates", "At most %d SP signing certificates are allowed.", MaxSPCertificates)
	}
	for i, c := range append(slices.Clip(s.SigningCertificates), s.EncryptionCertificate) {
		field := "signingCertificates"
		if i == len(s.SigningCertificates) {
			field = "encryptionCertificate"
		}
		if len(c) > MaxCertificateLen {
			return FieldErrorf(field, "An SP certificate is over 64 KiB.")
		}
		if _, err := base64.StdEncoding.DecodeString(c); err != nil {
			return FieldErrorf(field, "An SP certificate is not base64 DER.")
		}
	}
	if s.RequireSignedRequests && len(s.SigningCertificates) == 0 {
		return FieldErrorf("requireSignedRequests", "Signed requests can be required only once the SP's signing certificate is registered.")
	}
	if s.EncryptAssertions && s.EncryptionCertificate == "" {
		return FieldErrorf("encryptAssertions", "Assertions can be encrypted only once the SP's encryption certificate is registered.")
	}
	if len(s.EncryptionMethods) > 16 {
		return FieldErrorf("encryptionMethods", "At most 16 encryption methods are allowed.")
	}
	for _, m := range s.EncryptionMethods {
		if len(m) > 256 || strings.ContainsAny(m, " \x00\r\n\t<>\"'") {
			return FieldErrorf("encryptionMethods", "Encryption method %q is not an algorithm URI.", m)
		}
	}
	if st := s.MetadataStatus; st != nil && len(st.LastError) > 2048 {
		return FieldErrorf("metadataStatus", "The metadata status error is at most 2048 characters.")
	}
	return nil
}

func validHTTPURL(field, label, s string) error {
	if len(s) > MaxURLLength {
		return FieldErrorf(field, "%s is longer than %d characters.", label, MaxURLLength)
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || strings.ContainsAny(s, " \x00\r\n\t") {
		return FieldErrorf(field, "%s %q must be an absolute http or https URL.", label, s)
	}
	return nil
}

func oneOf(s string, set []string) bool {
	for _, x := range set {
		if s == x {
			return true
		}
	}
	return false
}

// Certificate is a signing certificate with its private key, owned by an app or (when AppID is empty) by a
// directory. The key is stored encrypted and never leaves the server.
type Certificate struct {
	ID          string `json:"id"`
	DirectoryID string `json:"directoryId"`
	AppID       string `json:"appId,omitempty"`
	// DER is the X.509 certificate.
	DER []byte `json:"-"`
	// EncryptedKey is the PKCS#8 private key sealed with the instance's key-encryption key.
	EncryptedKey []byte `json:"-"`
	// Thumbprint is the upper-case hex SHA-1 of DER, as shown by the seed system.
	Thumbprint string    `json:"thumbprint"`
	NotBefore  time.Time `json:"notBefore"`
	NotAfter   time.Time `json:"notAfter"`
	// Active reports whether the certificate signs; an owner has at most one active certificate. An inactive
	// certificate with a zero DeactivatedAt is a next certificate, published beside the active one before rollover.
	Active bool `json:"active"`
	// DeactivatedAt is when a formerly active certificate was replaced; it stays published for a grace period.
	DeactivatedAt time.Time `json:"deactivatedAt,omitzero"`
	CreatedAt     time.Time `json:"createdAt"`
}

// Principal types of an assignment.
const (
	PrincipalUser  = "user"
	PrincipalGroup = "group"
)

// Assignment gives a user, or every member of a group, access to an app.
type Assignment struct {
	ID            string    `json:"id"`
	DirectoryID   string    `json:"directoryId"`
	AppID         string    `json:"appId"`
	PrincipalType string    `json:"principalType"`
	PrincipalID   string    `json:"principalId"`
	CreatedAt     time.Time `json:"createdAt"`
}
