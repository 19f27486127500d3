package apiclient

import (
	"github.com/gatehouse-idp/gatehouse"
)

// PasswordChange is the body of ChangePassword. An empty Directory means the default directory.
type PasswordChange struct {
	Directory       string `json:"directory,omitempty"`
	UserName        string `json:"userName"`
	CurrentPassword string `json:"currentPassword"`
	NewPassword     string `json:"newPassword"`
}

// TokenInput is the body of CreateToken. An empty Directory means the default directory.
type TokenInput struct {
	Directory string `json:"directory,omitempty"`
	UserName  string `json:"userName"`
	Password  string `json:"password"`
	// Code is the verification or recovery code of an account with two-step verification.
	Code string `json:"code,omitempty"`
	// Name labels the token, such as "cli".
	Name string `json:"name,omitempty"`
}

// NewToken is what CreateToken returns: the secret, shown only once, and the stored token.
type NewToken struct {
	Token    string             `json:"token"`
	APIToken gatehouse.APIToken `json:"apiToken"`
}

// Me is the user a token acts as and their directory.
type Me struct {
	User      gatehouse.User      `json:"user"`
	Directory gatehouse.Directory `json:"directory"`
}

// DirectoryInput is the body of CreateDirectory.
type DirectoryInput struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Domain     string `json:"domain,omitempty"`
	RequireMFA bool   `json:"requireMfa,omitempty"`
}

// DirectoryPatch is the body of UpdateDirectory; nil fields are left as they are.
type DirectoryPatch struct {
	Name       *string `json:"name,omitempty"`
	Domain     *string `json:"domain,omitempty"`
	RequireMFA *bool   `json:"requireMfa,omitempty"`
}

// UserInput is the body of CreateUser.
type UserInput struct {
	UserName    string         `json:"userName"`
	FirstName   string         `json:"firstName,omitempty"`
	LastName    string         `json:"lastName,omitempty"`
	DisplayName string         `json:"displayName,omitempty"`
	Mail        string         `json:"mail,omitempty"`
	Role        gatehouse.Role `json:"role,omitempty"`
}

// UserPatch is the body of UpdateUser; nil fields are left as they are.
type UserPatch struct {
	UserName    *string         `json:"userName,omitempty"`
	FirstName   *string         `json:"firstName,omitempty"`
	LastName    *string         `json:"lastName,omitempty"`
	DisplayName *string         `json:"displayName,omitempty"`
	Mail        *string         `json:"mail,omitempty"`
	Role        *gatehouse.Role `json:"role,omitempty"`
	Disabled    *bool           `json:"disabled,omitempty"`
}

// UserQuery selects users in ListUsers; zero values match everything.
type UserQuery struct {
	// Query matches the beginning of the user name, display name, first or last name or mail, ignoring case.
	Query string
	Role  gatehouse.Role
	// Cursor is the Next of the page before; "" for the first page.
	Cursor string
	Limit  int
}

// UserList is one page of ListUserPage.
type UserList struct {
	Items []*gatehouse.User `json:"items"`
	// Total is how many users match, counted no further than 1,000; TotalCapped reports whether more match.
	Total       int  `json:"total"`
	TotalCapped bool `json:"totalCapped"`
	// Next is the cursor of the next page, "" when this page was not full.
	Next string `json:"next,omitempty"`
}

// UserWithPassword is a user with the temporary password the server generated for them.
type UserWithPassword struct {
	User              gatehouse.User `json:"user"`
	TemporaryPassword string         `json:"temporaryPassword"`
}

// GroupInput is the body of CreateGroup.
type GroupInput struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// GroupPatch is the body of UpdateGroup; nil fields are left as they are.
type GroupPatch struct {
	Name        *string `json:"name,omitempty"`
	Description *string `json:"description,omitempty"`
}

// GalleryParameter is a value asked for when an app is added from a template.
type GalleryParameter struct {
	Name    string `json:"name"`
	Label   string `json:"label"`
	Example string `json:"example"`
	Default string `json:"default"`
}

// GalleryTemplate is an app template of the gallery.
type GalleryTemplate struct {
	ID          string                 `json:"id"`
	Name        string                 `json:"name"`
	Description string                 `json:"description"`
	Publisher   string                 `json:"publisher"`
	Categories  []string               `json:"categories"`
	Parameters  []GalleryParameter     `json:"parameters"`
	SAML        gatehouse.SAMLSettings `json:"saml"`
	// IdPInitiated reports whether the app supports IdP-initiated sign-on.
	IdPInitiated bool   `json:"idpInitiated"`
	Notes        string `json:"notes"`
	// SCIM is what the vendor documents of the app's SCIM service; nil when the template says nothing.
	SCIM *ProvisioningTemplate `json:"scim,omitempty"`
	// Protocol is "oidc" for an OpenID Connect app, whose settings OIDC holds (SAML is then unused).
	Protocol string                  `json:"protocol,omitempty"`
	OIDC     *gatehouse.OIDCSettings `json:"oidc,omitempty"`
}

// AppInput is the body of AddApp: the gallery template, an optional name and the template's parameters.
type AppInput struct {
	GalleryID  string            `json:"galleryId"`
	Name       string            `json:"name,omitempty"`
	Parameters map[string]string `json:"parameters,omitempty"`
}

// AddedApp is the answer to AddApp: the app, and the settings left for the admin to fill in.
type AddedApp struct {
	gatehouse.App
	MissingSettings []string `json:"missingSettings,omitempty"`
}

// AppPatch is the body of UpdateApp; nil fields are left as they are.
type AppPatch struct {
	Name               *string `json:"name,omitempty"`
	Enabled            *bool   `json:"enabled,omitempty"`
	AssignmentRequired *bool   `json:"assignmentRequired,omitempty"`
	Visible            *bool   `json:"visible,omitempty"`
	Notes              *string `json:"notes,omitempty"`
}

// SAMLPatch is the body of PatchSAML; nil fields are left as they are and slices replace the stored ones whole
// (a pointer to an empty slice clears them).
type SAMLPatch struct {
	EntityID         *string            `json:"entityId,omitempty"`
	ReplyURLs        *[]string          `json:"replyUrls,omitempty"`
	SignOnURL        *string            `json:"signOnUrl,omitempty"`
	RelayState       *string            `json:"relayState,omitempty"`
	LogoutURL        *string            `json:"logoutUrl,omitempty"`
	NameIDFormat     *string            `json:"nameIdFormat,omitempty"`
	NameIDSource     *string            `json:"nameIdSource,omitempty"`
	Claims           *[]gatehouse.Claim `json:"claims,omitempty"`
	SigningOption    *string            `json:"signingOption,omitempty"`
	SigningAlgorithm *string            `json:"signingAlgorithm,omitempty"`
	// SigningKeyType is the key of the app's new signing certificates: gatehouse.KeyRSA2048 or
	// gatehouse.KeyECDSAP256. Changing it makes a certificate of that type: active at once for an app nobody uses
	// yet, otherwise the next certificate, which signs once activated.
	SigningKeyType *string `json:"signingKeyType,omitempty"`
	// LogoutBinding is the binding of the app's logout URL (the SAML binding URI).
	LogoutBinding *string `json:"logoutBinding,omitempty"`
	// SigningCertificates are the PEM certificates the app signs its requests with; EncryptionCertificate the PEM
	// certificate assertions are encrypted for.
	SigningCertificates   *[]string `json:"signingCertificates,omitempty"`
	EncryptionCertificate *string   `json:"encryptionCertificate,omitempty"`
	RequireSignedRequests *bool     `json:"requireSignedRequests,omitempty"`
	AllowSHA1Requests     *bool     `json:"allowSha1Requests,omitempty"`
	EncryptAssertions     *bool     `json:"encryptAssertions,omitempty"`
	SignMetadata          *bool     `json:"signMetadata,omitempty"`
	// AddReplyURLs and RemoveReplyURLs add and remove single reply URLs, SetClaims and RemoveClaims single claims,
	// on the server, so that another admin's change to another entry stands. They apply after the whole lists.
	AddReplyURLs    []string   `json:"addReplyUrls,omitempty"`
	RemoveReplyURLs []string   `json:"removeReplyUrls,omitempty"`
	SetClaims       []ClaimSet `json:"setClaims,omitempty"`
	RemoveClaims    []string   `json:"removeClaims,omitempty"`
}

// ClaimSet is a claim to add or change in a SAMLPatch: it replaces the claim named Replaces (its own name when
// empty) where it stands, or is added at the end. With New set, a claim of that name must not exist yet.
type ClaimSet struct {
	gatehouse.Claim
	Replaces string `json:"replaces,omitempty"`
	New      bool   `json:"new,omitempty"`
}

// Setup holds the values to enter in an app to set up single sign-on with Gatehouse.
type Setup struct {
	LoginURL      string                 `json:"loginUrl"`
	Identifier    string                 `json:"identifier"`
	LogoutURL     string                 `json:"logoutUrl"`
	MetadataURL   string                 `json:"metadataUrl"`
	UserAccessURL string                 `json:"userAccessUrl"`
	Certificate   *gatehouse.Certificate `json:"certificate,omitempty"`
	// OIDC is what an OpenID Connect app is configured with instead; nil for a SAML app.
	OIDC *OIDCSetup `json:"oidc,omitempty"`
}

// CertificateInfo is an app's signing certificate as ListCertificates returns it: with its rollover state (active,
// next, previous or retired), whether metadata publishes it, its expiry warning (60, 30 or 7 days before NotAfter,
// -1 once expired), the whole days left and its key type ("rsa-2048", "ecdsa-p256"), which decides the signature
// method while it is active.
type CertificateInfo struct {
	gatehouse.Certificate
	State         string `json:"state"`
	Published     bool   `json:"published"`
	ExpiryWarning int    `json:"expiryWarning"`
	DaysLeft      int    `json:"daysLeft"`
	KeyType       string `json:"keyType"`
}

// Certificate download formats.
const (
	FormatBase64   = "base64"
	FormatRaw      = "raw"
	FormatPEM      = "pem"
	FormatMetadata = "metadata"
)

// AssignmentInput is the body of CreateAssignment.
type AssignmentInput struct {
	PrincipalType string `json:"principalType"`
	PrincipalID   string `json:"principalId"`
}

// SignInQuery selects sign-in events in ListSignIns; zero values match everything.
type SignInQuery struct {
	UserID string
	AppID  string
	Result string
	Offset int
	Limit  int
}

// AuditQuery selects audit events in ListAudit; zero values match everything.
type AuditQuery struct {
	ActorID    string
	TargetType string
	TargetID   string
	Offset     int
	Limit      int
}

// ImportedMetadata is the answer to ImportMetadata: the app with its new settings, what the metadata changed
// setting by setting, and what the admin may want to turn on (encryption, when the SP publishes a certificate).
type ImportedMetadata struct {
	gatehouse.App
	Changes     []SettingNote `json:"changes"`
	Suggestions []SettingNote `json:"suggestions,omitempty"`
}

// SettingNote is a sentence about one SAML setting, named by its JSON name.
type SettingNote struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// MetadataInput is the body of ImportMetadata: the SP's metadata XML, or a URL the server fetches and refreshes.
type MetadataInput struct {
	Metadata string `json:"metadata,omitempty"`
	URL      string `json:"url,omitempty"`
}

// Preview is the assertion a user would receive at an app now, built by the same code as a real sign-in.
type Preview struct {
	AppID            string           `json:"appId"`
	UserID           string           `json:"userId"`
	UserName         string           `json:"userName"`
	Issuer           string           `json:"issuer"`
	Audience         string           `json:"audience"`
	Destination      string           `json:"destination"`
	NameID           string           `json:"nameId"`
	NameIDFormat     string           `json:"nameIdFormat"`
	Claims           []PreviewClaim   `json:"claims"`
	NotBefore        string           `json:"notBefore"`
	NotOnOrAfter     string           `json:"notOnOrAfter"`
	AuthnContext     string           `json:"authnContext"`
	SigningOption    string           `json:"signingOption"`
	SigningAlgorithm string           `json:"signingAlgorithm"`
	Problems         []PreviewProblem `json:"problems"`
	// XML is the signed Response exactly as it would be posted.
	XML string `json:"xml"`
}

// PreviewClaim is one attribute of a previewed assertion.
type PreviewClaim struct {
	Name       string   `json:"name"`
	NameFormat string   `json:"nameFormat,omitempty"`
	Values     []string `json:"values"`
}

// PreviewProblem is a reason a real sign-in would fail now, with its Gatehouse code.
type PreviewProblem struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// PasskeyPolicyPatch is the body of UpdatePasskeyPolicy; nil fields are left as they are.
type PasskeyPolicyPatch struct {
	Passkeys                 *gatehouse.PasskeyUse      `json:"passkeys,omitempty"`
	RequirePhishingResistant *bool                      `json:"requirePhishingResistant,omitempty"`
	RecoveryCodes            *gatehouse.RecoveryCodeUse `json:"recoveryCodes,omitempty"`
	AAGUIDs                  *[]string                  `json:"aaguids,omitempty"`
}

// ImportResult is what ImportUsers returns: how many users were created, how many rows were refused, and the first
// 1,000 refused rows.
type ImportResult struct {
	Created int           `json:"created"`
	Failed  int           `json:"failed"`
	Errors  []ImportError `json:"errors"`
}

// ImportError is a refused row of an import: the line it starts on (the CSV header is line 1), its user name when
// it could be read, and the error.
type ImportError struct {
	Line     int    `json:"line"`
	UserName string `json:"userName,omitempty"`
	Code     string `json:"code"`
	Field    string `json:"field,omitempty"`
	Message  string `json:"message"`
}
