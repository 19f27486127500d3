package gatehouse

import (
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"
)

// Role is what a user may do in their directory.
type Role string

// The roles. GlobalAdmin may do everything in the directory (and, in the default directory, in every directory);
// AppAdmin manages apps, their SAML settings, certificates and assignments; UserAdmin manages users, groups and
// passwords; User may only sign in and use My Apps.
const (
	RoleUser        Role = "user"
	RoleGlobalAdmin Role = "global-admin"
	RoleAppAdmin    Role = "app-admin"
	RoleUserAdmin   Role = "user-admin"
)

// Roles lists every role, least privileged first.
var Roles = []Role{RoleUser, RoleUserAdmin, RoleAppAdmin, RoleGlobalAdmin}

// Valid reports whether r is one of the defined roles.
func (r Role) Valid() bool {
	for _, x := range Roles {
		if r == x {
			return true
		}
	}
	return false
}

// IsAdmin reports whether r is any admin role.
func (r Role) IsAdmin() bool { return r.Valid() && r != RoleUser }

// CanManageUsers reports whether r may create, change and delete users and groups.
func (r Role) CanManageUsers() bool { return r == RoleGlobalAdmin || r == RoleUserAdmin }

// CanManageApps reports whether r may create, change and delete apps, their certificates and assignments.
func (r Role) CanManageApps() bool { return r == RoleGlobalAdmin || r == RoleAppAdmin }

// User is a person in a directory.
type User struct {
	ID          string `json:"id"`
	DirectoryID string `json:"directoryId"`
	// UserName is the user principal name, an e-mail-shaped name unique within the directory (case-insensitively).
	UserName    string `json:"userName"`
	FirstName   string `json:"firstName"`
	LastName    string `json:"lastName"`
	DisplayName string `json:"displayName"`
	Mail        string `json:"mail"`
	Role        Role   `json:"role"`
	// Disabled reports whether sign-in is blocked for the user.
	Disabled bool `json:"disabled"`
	// MustChangePassword reports whether the password is temporary and must be changed at the next sign-in.
	MustChangePassword bool `json:"mustChangePassword"`
	// PasswordHash is the encoded argon2id hash; it never leaves the server.
	PasswordHash      string    `json:"-"`
	PasswordChangedAt time.Time `json:"passwordChangedAt"`
	// MFAEnabled reports whether the user has enrolled a TOTP authenticator and must use it at sign-in.
	MFAEnabled bool `json:"mfaEnabled"`
	// MFASecret is the TOTP secret sealed with the instance's key-encryption key; it never leaves the server.
	MFASecret []byte `json:"-"`
	// RecoveryCodes are the SHA-256 hashes (hex) of the unused one-time recovery codes.
	RecoveryCodes []string `json:"-"`
	// Source says where the user came from (portal, api, cli, scim or setup); empty for users created before
	// Gatehouse recorded it.
	Source UserSource `json:"source,omitempty"`
	// ExternalID is the provisioning client's own identifier of the user (SCIM externalId).
	ExternalID string `json:"externalId,omitempty"`
	// The attributes of the SCIM enterprise user extension; ManagerID is the ID of the user's manager.
	Department     string `json:"department,omitempty"`
	EmployeeNumber string `json:"employeeNumber,omitempty"`
	CostCenter     string `json:"costCenter,omitempty"`
	Organization   string `json:"organization,omitempty"`
	Division       string `json:"division,omitempty"`
	ManagerID      string `json:"managerId,omitempty"`
	// SCIMAttributes holds, as a JSON object, the SCIM core attributes a provisioning client set that have no field
	// of their own (title, phone numbers, addresses, further e-mails, ...); empty for none.
	SCIMAttributes string    `json:"-"`
	CreatedAt      time.Time `json:"createdAt"`
	UpdatedAt      time.Time `json:"updatedAt"`
}

// UserSource says how a user got into the directory.
type UserSource string

// The sources of users.
const (
	SourcePortal UserSource = "portal"
	SourceAPI    UserSource = "api"
	SourceCLI    UserSource = "cli"
	SourceSCIM   UserSource = "scim"
	// SourceImport is a user created by a bulk import (a CSV or JSON lines file, through the API or the CLI).
	SourceImport UserSource = "import"
	// SourceSetup is the first admin, created when the server starts on an empty database.
	SourceSetup UserSource = "setup"
)

// HasPassword reports whether the user has a password; a user provisioned over SCIM has none until an admin sets a
// temporary one.
func (u *User) HasPassword() bool { return u.PasswordHash != "" }

// Name returns the display name, or the user name when there is no display name.
func (u *User) Name() string {
	if u.DisplayName != "" {
		return u.DisplayName
	}
	return u.UserName
}

// Validate returns EINVALID, naming the field, when the user cannot be stored.
func (u *User) Validate() error {
	// Which names may be given to a user is the username package's rule, applied where users are created and renamed;
	// here only what every stored name satisfies is checked.
	if u.UserName == "" || len(u.UserName) > 254 {
		return FieldErrorf("userName", "A user name is 1 to 254 characters, such as b.simon@contoso.com.")
	}
	for _, f := range []struct{ name, v string }{
		{"userName", u.UserName}, {"firstName", u.FirstName}, {"lastName", u.LastName}, {"displayName", u.DisplayName}, {"mail", u.Mail},
	} {
		if err := checkText(f.name, f.v); err != nil {
			return err
		}
	}
	for _, f := range []struct{ name, v string }{
		{"firstName", u.FirstName}, {"lastName", u.LastName}, {"displayName", u.DisplayName},
		{"externalId", u.ExternalID}, {"department", u.Department}, {"employeeNumber", u.EmployeeNumber},
		{"costCenter", u.CostCenter}, {"organization", u.Organization}, {"division", u.Division},
		{"managerId", u.ManagerID},
	} {
		if len(f.v) > 256 {
			return FieldErrorf(f.name, "%s is at most 256 characters.", f.name)
		}
		if strings.ContainsAny(f.v, "\x00\r\n") {
			return FieldErrorf(f.name, "%s may not contain control characters.", f.name)
		}
	}
	if u.DisplayName == "" {
		return FieldErrorf("displayName", "Enter a display name.")
	}
	if u.Mail != "" {
		if a, err := mail.ParseAddress(u.Mail); err != nil || a.Address != u.Mail || len(u.Mail) > 254 {
			return FieldErrorf("mail", "%q is not an e-mail address such as b.simon@contoso.com.", u.Mail)
		}
	}
	if !u.Role.Valid() {
		return FieldErrorf("role", "Role %q is unknown; choose one of user, user-admin, app-admin, global-admin.", u.Role)
	}
	return nil
}

// UserFilter selects users in FindUsers, and one page of them in user-name order. Zero values match everything.
//
// Pages are found by key, not by position: After and Before name the user at the edge of the page the caller has,
// so that a page deep in a directory of a million users costs what the first page costs. A caller that wants to
// know whether there is a further page asks for one user more than it shows.
type UserFilter struct {
	// Query matches the beginning of the user name, display name, first or last name or mail, ignoring case: "ann"
	// finds Anna and ann@contoso.com but not Joanna. It is text, never a pattern: % and _ match themselves.
	Query string
	Role  Role
	// After, when set, selects only users whose user name sorts after it (ignoring case): the next page after a
	// page whose last user has this user name.
	After string
	// Before, when set, selects only users whose user name sorts before it, and of those the last Limit: the page
	// before a page whose first user has this user name. The page is still in user-name order.
	Before string
	// Limit caps the result; 0 means the store's default of 100, and no more than 1000 are returned.
	Limit int
}

// UserCountLimit is as far as FindUsers counts the users that match a filter. Counting every user of a large
// directory on every page would read them all; a count above UserCountLimit means "more than UserCountLimit".
const UserCountLimit = 1000

// Group is a named set of users in a directory.
type Group struct {
	ID          string `json:"id"`
	DirectoryID string `json:"directoryId"`
	Name        string `json:"name"`
	Description string `json:"description"`
	// ExternalID is the provisioning client's own identifier of the group (SCIM externalId).
	ExternalID string    `json:"externalId,omitempty"`
	CreatedAt  time.Time `json:"createdAt"`
	UpdatedAt  time.Time `json:"updatedAt"`
}

// Validate returns EINVALID when the group cannot be stored.
func (g *Group) Validate() error {
	if err := checkText("name", g.Name); err != nil {
		return err
	}
	if err := checkText("description", g.Description); err != nil {
		return err
	}
	if g.Name == "" || len(g.Name) > 256 || strings.ContainsAny(g.Name, "\x00\r\n") {
		return FieldErrorf("name", "A group name is 1 to 256 characters without control characters.")
	}
	if len(g.ExternalID) > 256 || strings.ContainsAny(g.ExternalID, "\x00\r\n") {
		return FieldErrorf("externalId", "An external ID is at most 256 characters without control characters.")
	}
	if len(g.Description) > 1024 {
		return FieldErrorf("description", "A description is at most 1024 characters.")
	}
	return nil
}

// checkText returns EINVALID naming field when v is not UTF-8 text. A form or an API body can carry bytes that are
// not characters; stored, they would show as something nobody typed.
func checkText(field, v string) error {
	if !utf8.ValidString(v) {
		return FieldErrorf(field, "%s is not valid UTF-8 text: it holds bytes that are not UTF-8 characters.", field)
	}
	return nil
}
