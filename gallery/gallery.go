package gallery

import (
	"bytes"
	"cmp"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"regexp"
	"slices"
	"strings"

	"github.com/gatehouse-idp/gatehouse"
)

//go:embed apps/*.json
var embedded embed.FS

// appsDir is the directory of template files in the embedded file system.
const appsDir = "apps"

// maxFileSize caps a template file.
const maxFileSize = 64 << 10

// Parameter is a value the administrator gives when adding an app from a template, such as the organization ID
// that completes the app's sign-on URL. SAML settings refer to it as {Name}.
type Parameter struct {
	// Name is what placeholders refer to: lower-case letters, digits and underscores, starting with a letter.
	Name string `json:"name"`
	// Label is the form label shown to the administrator.
	Label string `json:"label"`
	// Example is a sample value shown as a hint; the template is checked with it at start-up.
	Example string `json:"example"`
	// Default is used when the administrator gives no value; empty means the value is needed.
	Default string `json:"default"`
}

// Template is an app of the gallery.
type Template struct {
	// ID is the template's file name without .json; apps record it as their GalleryID.
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Publisher   string   `json:"publisher"`
	Categories  []string `json:"categories"`
	// Parameters complete the placeholders in SAML.
	Parameters []Parameter `json:"parameters"`
	// SAML holds the app's settings; EntityID, ReplyURLs, SignOnURL, RelayState and LogoutURL may contain
	// {parameter} placeholders. Fields a file leaves out take the values of gatehouse.DefaultSAMLSettings.
	SAML gatehouse.SAMLSettings `json:"saml"`
	// RequiredClaims names the claims of SAML.Claims the app cannot do without, such as Mixpanel's email: the
	// portal warns when a user has no value for one, or when an app no longer sends it.
	RequiredClaims []string `json:"requiredClaims,omitempty"`
	// IdPInitiated reports whether the app supports IdP-initiated sign-on (from My Apps without a sign-on URL).
	IdPInitiated bool `json:"idpInitiated"`
	// Protocol is gatehouse.ProtocolOIDC for an OpenID Connect app, whose settings OIDC holds (its URLs may contain
	// placeholders; the fields a file leaves out take gatehouse.DefaultOIDCSettings' values), and whose SAML is
	// unused; empty for a SAML app.
	Protocol string                  `json:"protocol,omitempty"`
	OIDC     *gatehouse.OIDCSettings `json:"oidc,omitempty"`
	// Notes are setup hints for the administrator: what to enter where on the app's side.
	Notes string `json:"notes"`
	// SCIM says whether the app takes users over SCIM 2.0 and how; nil when the template says nothing of it.
	SCIM *SCIM `json:"scim,omitempty"`
}

// Gallery is the set of app templates. It is read-only after Load and safe for concurrent use.
type Gallery struct {
	// templates is ordered by name.
	templates []*Template
	byID      map[string]*Template
}

// Load reads and checks the embedded templates. An invalid template is an error naming its file and field.
func Load() (*Gallery, error) {
	sub, err := fs.Sub(embedded, appsDir)
	if err != nil {
		return nil, fmt.Errorf("gallery: %w", err)
	}
	return load(sub)
}

// MustLoad is Load that panics on error; the embedded templates are checked by the package's tests.
func MustLoad() *Gallery {
	g, err := Load()
	if err != nil {
		panic(err)
	}
	return g
}

// load reads and checks every *.json file at the root of fsys.
func load(fsys fs.FS) (*Gallery, error) {
	names, err := fs.Glob(fsys, "*.json")
	if err != nil {
		return nil, fmt.Errorf("gallery: %w", err)
	}
	if len(names) == 0 {
		return nil, errors.New("gallery: no templates found")
	}
	g := &Gallery{byID: map[string]*Template{}}
	for _, name := range names {
		t, err := loadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		if _, dup := g.byID[t.ID]; dup {
			return nil, fileError(name, "id", "the id %q is used by another template", t.ID)
		}
		g.byID[t.ID] = t
		g.templates = append(g.templates, t)
	}
	slices.SortFunc(g.templates, func(a, b *Template) int {
		return cmp.Or(cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), cmp.Compare(a.ID, b.ID))
	})
	return g, nil
}

func fileError(file, field, format string, args ...any) error {
	return fmt.Errorf("gallery: apps/%s: %s: %s", file, field, fmt.Sprintf(format, args...))
}

func loadFile(fsys fs.FS, name string) (*Template, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, fmt.Errorf("gallery: apps/%s: %w", name, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("gallery: apps/%s: %w", name, err)
	}
	if len(data) > maxFileSize {
		return nil, fileError(name, "file", "larger than %d bytes", maxFileSize)
	}
	t := &Template{SAML: gatehouse.DefaultSAMLSettings()}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(t); err != nil {
		return nil, fileError(name, "json", "%v", err)
	}
	if dec.More() {
		return nil, fileError(name, "json", "data after the template object")
	}
	if t.Protocol == gatehouse.ProtocolOIDC {
		t.SAML, t.OIDC = gatehouse.SAMLSettings{}, withOIDCDefaults(t.OIDC)
	}
	if err := t.check(strings.TrimSuffix(name, ".json")); err != nil {
		var fe *fieldError
		if errors.As(err, &fe) {
			return nil, fileError(name, fe.field, "%s", fe.msg)
		}
		return nil, fileError(name, "template", "%v", err)
	}
	return t, nil
}

// fieldError is a problem with one field of a template file.
type fieldError struct{ field, msg string }

func (e *fieldError) Error() string { return e.field + ": " + e.msg }

func errField(field, format string, args ...any) error {
	return &fieldError{field: field, msg: fmt.Sprintf(format, args...)}
}

var parameterName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)

// check validates a decoded template whose file is named id.json.
func (t *Template) check(id string) error {
	switch {
	case t.ID != id:
		return errField("id", "%q does not match the file name %s.json", t.ID, id)
	case !gatehouse.ValidID(t.ID):
		return errField("id", "%q is not 1 to 64 lower-case letters, digits or hyphens", t.ID)
	case strings.TrimSpace(t.Name) == "" || len(t.Name) > 256 || strings.ContainsAny(t.Name, "\x00\r\n"):
		return errField("name", "want 1 to 256 characters without control characters")
	case strings.TrimSpace(t.Description) == "" || len(t.Description) > 1024:
		return errField("description", "want 1 to 1024 characters")
	case strings.TrimSpace(t.Publisher) == "" || len(t.Publisher) > 256:
		return errField("publisher", "want 1 to 256 characters")
	case len(t.Categories) == 0:
		return errField("categories", "want at least one category")
	case len(t.Notes) > 4096:
		return errField("notes", "want at most 4096 characters")
	}
	for _, c := range t.Categories {
		if strings.TrimSpace(c) == "" || len(c) > 64 {
			return errField("categories", "%q is not 1 to 64 characters", c)
		}
	}
	declared := map[string]bool{}
	for i, p := range t.Parameters {
		field := fmt.Sprintf("parameters[%d]", i)
		switch {
		case !parameterName.MatchString(p.Name):
			return errField(field+".name", "%q is not a lower-case letter followed by up to 31 letters, digits or underscores", p.Name)
		case declared[p.Name]:
			return errField(field+".name", "%q is declared twice", p.Name)
		case strings.TrimSpace(p.Label) == "":
			return errField(field+".label", "parameter %q needs a label", p.Name)
		case p.Example == "" && p.Default == "":
			return errField(field+".example", "parameter %q needs an example or a default", p.Name)
		}
		for _, v := range []struct{ field, value string }{{"example", p.Example}, {"default", p.Default}} {
			if v.value == "" {
				continue
			}
			if err := checkValue(v.value); err != nil {
				return errField(field+"."+v.field, "%v", err)
			}
		}
		declared[p.Name] = true
	}
	if t.Protocol != "" || t.OIDC != nil {
		return t.checkOIDC(declared)
	}
	used := map[string]bool{}
	for _, f := range t.placeholderFields() {
		names, err := placeholders(f.value)
		if err != nil {
			return errField("saml."+f.field, "%v", err)
		}
		for _, n := range names {
			if !declared[n] {
				return errField("saml."+f.field, "placeholder {%s} is not a declared parameter", n)
			}
			used[n] = true
		}
	}
	if t.SCIM != nil {
		if err := t.SCIM.check(declared, used); err != nil {
			return err
		}
	}
	for i, c := range t.SAML.Claims {
		if strings.ContainsAny(c.Name+c.Value, "{}") {
			return errField(fmt.Sprintf("saml.claims[%d]", i), "placeholders are allowed only in entityId, replyUrls, signOnUrl, relayState and logoutUrl")
		}
	}
	for i, name := range t.RequiredClaims {
		field := fmt.Sprintf("requiredClaims[%d]", i)
		switch {
		case !slices.ContainsFunc(t.SAML.Claims, func(c gatehouse.Claim) bool { return c.Name == name }):
			return errField(field, "%q is not one of the template's claims", name)
		case slices.Index(t.RequiredClaims, name) != i:
			return errField(field, "%q is listed twice", name)
		}
	}
	for _, p := range t.Parameters {
		if !used[p.Name] {
			return errField("parameters", "parameter %q is not used by any setting", p.Name)
		}
	}
	// The settings must be valid with the examples, with only the defaults, and with the examples where there are
	// no defaults.
	for _, try := range []struct {
		label  string
		values func(Parameter) string
	}{
		{"examples", func(p Parameter) string { return cmp.Or(p.Example, p.Default) }},
		{"defaults", func(p Parameter) string { return p.Default }},
	} {
		values := map[string]string{}
		for _, p := range t.Parameters {
			values[p.Name] = try.values(p)
		}
		if _, _, err := t.Settings(values); err != nil {
			if f := gatehouse.ErrorField(err); f != "" {
				return errField("saml."+f, "with the parameters' %s: %s", try.label, gatehouse.ErrorMessage(err))
			}
			return fmt.Errorf("with the parameters' %s: %w", try.label, err)
		}
	}
	return nil
}

// Templates returns every template, ordered by name. The templates are copies the caller may change.
func (g *Gallery) Templates() []*Template {
	out := make([]*Template, len(g.templates))
	for i, t := range g.templates {
		out[i] = t.clone()
	}
	return out
}

// Find returns a copy of the template with the given ID, or ENOTFOUND.
func (g *Gallery) Find(id string) (*Template, error) {
	t, ok := g.byID[id]
	if !ok {
		return nil, gatehouse.Errorf(gatehouse.ENOTFOUND, "The gallery has no app %q.", id)
	}
	return t.clone(), nil
}

// Search returns copies of the templates whose name, publisher, description, categories or ID contain every word
// of q, case-insensitively, ordered by name. An empty q returns every template.
func (g *Gallery) Search(q string) []*Template {
	words := strings.Fields(strings.ToLower(q))
	out := []*Template{}
	for _, t := range g.templates {
		text := strings.ToLower(strings.Join(append([]string{t.ID, t.Name, t.Publisher, t.Description}, t.Categories...), "\n"))
		if !slices.ContainsFunc(words, func(w string) bool { return !strings.Contains(text, w) }) {
			out = append(out, t.clone())
		}
	}
	return out
}

// clone returns a deep copy of t.
func (t *Template) clone() *Template {
	c := *t
	c.Categories = slices.Clone(t.Categories)
	c.Parameters = slices.Clone(t.Parameters)
	c.SAML.ReplyURLs = slices.Clone(t.SAML.ReplyURLs)
	c.SAML.Claims = slices.Clone(t.SAML.Claims)
	if t.SCIM != nil {
		s := *t.SCIM
		s.UserMappings, s.GroupMappings = slices.Clone(s.UserMappings), slices.Clone(s.GroupMappings)
		s.Unverified = slices.Clone(s.Unverified)
		c.SCIM = &s
	}
	c.RequiredClaims = slices.Clone(t.RequiredClaims)
	if t.OIDC != nil {
		o := cloneOIDC(*t.OIDC)
		c.OIDC = &o
	}
	return &c
}

// WithDefault returns a copy of the gallery in which the parameter param of the template templateID defaults to
// value, such as the demo app's address when it runs elsewhere than its usual one. The value must complete the
// template's settings validly.
func (g *Gallery) WithDefault(templateID, param, value string) (*Gallery, error) {
	t, err := g.Find(templateID)
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(t.Parameters, func(p Parameter) bool { return p.Name == param })
	if i < 0 {
		return nil, gatehouse.Errorf(gatehouse.EINVALID, "%s has no parameter %q; %s.", t.Name, param, t.parameterList())
	}
	if _, _, err := t.Settings(map[string]string{param: value}); err != nil {
		return nil, err
	}
	t.Parameters[i].Default = value
	out := &Gallery{templates: make([]*Template, len(g.templates)), byID: make(map[string]*Template, len(g.byID))}
	for j, old := range g.templates {
		if old.ID == templateID {
			old = t
		}
		out.templates[j] = old
		out.byID[old.ID] = old
	}
	return out, nil
}
