package gatehouse

import (
	"net/url"
	"strings"
	"time"
)

// App is an enterprise application in a directory: a SAML service provider that users sign in to.
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
	Logo      []byte       `json:"-"`
	LogoType  string       `json:"logoType,omitempty"`
	SAML      SAMLSettings `json:"saml"`
	CreatedAt time.Time    `json:"createdAt"`
	UpdatedAt time.Time    `json:"updatedAt"`
}

// Validate returns EINVALID, naming the field, when the app cannot be stored.
func (a *App) Validate() error {
	if a.Name == "" || len(a.Name) > 256 || strings.ContainsAny(a.Name, "\x00\r\n") {
		return FieldErrorf("name", "An app name is 1 to 256 characters without control characters.")
	}
	if len(a.Notes) > 4096 {
		return FieldErrorf("notes", "Notes are at most 4096 characters.")
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

// Claim is one SAML attribute in the assertion. Its value comes from Source (one of Attributes) or, when Source
// is empty, is the constant Value.
type Claim struct {
	// Name is the full attribute name, namespace included (e.g. ClaimsNamespace+"givenname", or "email").
	Name string `json:"name"`
	// NameFormat is the attribute's NameFormat URI; empty means unspecified.
	NameFormat string `json:"nameFormat,omitempty"`
	Source     string `json:"source,omitempty"`
	Value      string `json:"value,omitempty"`
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
}

// DefaultSAMLSettings returns the settings of a new custom app: email NameID from the user name, the default claims,
// a signed assertion and SHA-256.
func DefaultSAMLSettings() SAMLSettings {
	return SAMLSettings{
		NameIDFormat:     NameIDEmail,
		NameIDSource:     AttrUserName,
		Claims:           DefaultClaims(),
		SigningOption:    SignAssertion,
		SigningAlgorithm: SHA256,
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
	for _, c := range s.Claims {
		switch {
		case c.Name == "" || len(c.Name) > 1024 || strings.ContainsAny(c.Name, "\x00\r\n\t <>&\"'"):
			return FieldErrorf("claims", "Claim name %q must be 1 to 1024 characters without spaces, markup or control characters.", c.Name)
		case names[c.Name]:
			return FieldErrorf("claims", "Claim %q is listed twice.", c.Name)
		case c.Source != "" && !oneOf(c.Source, Attributes):
			return FieldErrorf("claims", "Claim %q has unknown source %q; choose one of %s.", c.Name, c.Source, strings.Join(Attributes, ", "))
		case c.Source == "" && c.Value == "":
			return FieldErrorf("claims", "Claim %q needs a source attribute or a constant value.", c.Name)
		case len(c.Value) > 1024:
			return FieldErrorf("claims", "Claim %q: a constant value is at most 1024 characters.", c.Name)
		case c.NameFormat != "" && !oneOf(c.NameFormat, []string{NameFormatURI, NameFormatBasic, NameFormatUnspecified}):
			return FieldErrorf("claims", "Claim %q has unknown NameFormat %q.", c.Name, c.NameFormat)
		}
		names[c.Name] = true
	}
	if !oneOf(s.SigningOption, []string{SignAssertion, SignResponse, SignBoth}) {
		return FieldErrorf("signingOption", "Signing option %q is unknown; choose assertion, response or both.", s.SigningOption)
	}
	if !oneOf(s.SigningAlgorithm, []string{SHA256, SHA1}) {
		return FieldErrorf("signingAlgorithm", "Signing algorithm %q is unknown; choose sha256 or sha1.", s.SigningAlgorithm)
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
