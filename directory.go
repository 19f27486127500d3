package gatehouse

import "time"

// DefaultDirectoryID is the ID of the directory created on first start. Global admins of the default directory
// administer every directory of the instance; admins of any other directory administer only their own.
const DefaultDirectoryID = "default"

// Directory is a tenant: it has its own users, groups, apps, IdP entity ID, endpoints and signing keys, and nothing
// crosses from one directory to another.
type Directory struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Domain is the directory's initial domain, used to suggest user names such as "b.simon@<domain>".
	Domain string `json:"domain"`
	// RequireMFA reports whether every user of the directory must sign in with a second factor.
	RequireMFA bool `json:"requireMfa"`
	// Logo is an image (PNG, JPEG or SVG as LogoType) shown on the directory's sign-in page; empty means none.
	Logo      []byte    `json:"-"`
	LogoType  string    `json:"logoType,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// Validate returns EINVALID when the directory cannot be stored.
func (d *Directory) Validate() error {
	if err := checkText("name", d.Name); err != nil {
		return err
	}
	switch {
	case !ValidID(d.ID):
		return FieldErrorf("id", "A directory ID is 1 to 64 lower-case letters, digits or hyphens.")
	case d.Name == "" || len(d.Name) > 200:
		return FieldErrorf("name", "A directory name is 1 to 200 characters.")
	case len(d.Domain) > 253:
		return FieldErrorf("domain", "A domain is at most 253 characters.")
	}
	return nil
}

// ValidID reports whether id is usable as an object ID: 1 to 64 characters from a-z, 0-9 and '-'.
func ValidID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}
