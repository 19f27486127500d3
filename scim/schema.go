package scim

import "strings"

// The schema URNs Gatehouse serves.
const (
	UserSchema       = "urn:ietf:params:scim:schemas:core:2.0:User"
	EnterpriseSchema = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	GroupSchema      = "urn:ietf:params:scim:schemas:core:2.0:Group"
	PatchOpSchema    = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	ListSchema       = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	SchemaSchema     = "urn:ietf:params:scim:schemas:core:2.0:Schema"
	ResourceTypeURN  = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
	SPConfigSchema   = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
)

// Attribute types.
const (
	typeString    = "string"
	typeBoolean   = "boolean"
	typeComplex   = "complex"
	typeReference = "reference"
	typeDateTime  = "dateTime"
)

// Mutability values.
const (
	readOnly  = "readOnly"
	readWrite = "readWrite"
	immutable = "immutable"
)

// Attribute is one attribute of a schema, as RFC 7643 section 7 describes it.
type Attribute struct {
	Name            string       `json:"name"`
	Type            string       `json:"type"`
	MultiValued     bool         `json:"multiValued"`
	Description     string       `json:"description"`
	Required        bool         `json:"required"`
	CaseExact       bool         `json:"caseExact"`
	Mutability      string       `json:"mutability"`
	Returned        string       `json:"returned"`
	Uniqueness      string       `json:"uniqueness"`
	CanonicalValues []string     `json:"canonicalValues,omitempty"`
	ReferenceTypes  []string     `json:"referenceTypes,omitempty"`
	SubAttributes   []*Attribute `json:"subAttributes,omitempty"`
}

// sub returns the sub-attribute named name, ignoring case, or nil.
func (a *Attribute) sub(name string) *Attribute { return find(a.SubAttributes, name) }

func find(list []*Attribute, name string) *Attribute {
	for _, a := range list {
		if strings.EqualFold(a.Name, name) {
			return a
		}
	}
	return nil
}

// Schema is a schema of RFC 7643: its URN, name and attributes.
type Schema struct {
	ID          string       `json:"id"`
	Name        string       `json:"name"`
	Description string       `json:"description"`
	Attributes  []*Attribute `json:"attributes"`
}

// attr returns a single-valued, read-write, not case-exact attribute of type typ, shaped by the options.
func attr(name, typ, desc string, opts ...func(*Attribute)) *Attribute {
	a := &Attribute{Name: name, Type: typ, Description: desc, Mutability: readWrite, Returned: "default",
		Uniqueness: "none"}
	for _, o := range opts {
		o(a)
	}
	return a
}

func multi(a *Attribute)     { a.MultiValued = true }
func required(a *Attribute)  { a.Required = true }
func caseExact(a *Attribute) { a.CaseExact = true }
func ro(a *Attribute)        { a.Mutability = readOnly }
func always(a *Attribute)    { a.Returned = "always" }
func unique(a *Attribute)    { a.Uniqueness = "server" }
func subs(list ...*Attribute) func(*Attribute) {
	return func(a *Attribute) { a.SubAttributes = list }
}
func canonical(values ...string) func(*Attribute) {
	return func(a *Attribute) { a.CanonicalValues = values }
}
func refs(types ...string) func(*Attribute) {
	return func(a *Attribute) { a.ReferenceTypes = types }
}

// plural returns the sub-attributes of a multi-valued attribute of RFC 7643 section 2.4 with the given types.
func plural(valueDesc string, types ...string) func(*Attribute) {
	return subs(
		attr("value", typeString, valueDesc),
		attr("display", typeString, "A human-readable name, primarily used for display purposes."),
		attr("type", typeString, "A label indicating the attribute's function.", canonical(types...)),
		attr("primary", typeBoolean, "Whether this is the primary value of the attribute."),
	)
}

var userSchema = &Schema{ID: UserSchema, Name: "User", Description: "User Account", Attributes: []*Attribute{
	attr("userName", typeString, "Unique identifier for the User, an e-mail-shaped user name, unique in the directory ignoring case and Unicode form.", required, unique),
	attr("name", typeComplex, "The components of the user's real name.", subs(
		attr("formatted", typeString, "The full name, formatted for display."),
		attr("familyName", typeString, "The family name of the User."),
		attr("givenName", typeString, "The given name of the User."),
		attr("middleName", typeString, "The middle name(s) of the User."),
		attr("honorificPrefix", typeString, "The honorific prefix(es) of the User."),
		attr("honorificSuffix", typeString, "The honorific suffix(es) of the User."),
	)),
	attr("displayName", typeString, "The name of the User, suitable for display to end-users."),
	attr("nickName", typeString, "The casual way to address the user."),
	attr("profileUrl", typeReference, "A fully qualified URL pointing to a page representing the User's online profile.", refs("external")),
	attr("title", typeString, "The user's title, such as \"Vice President\"."),
	attr("userType", typeString, "Used to identify the relationship between the organization and the user."),
	attr("preferredLanguage", typeString, "The User's preferred written or spoken language."),
	attr("locale", typeString, "The User's default location for localizing items such as currency and dates."),
	attr("timezone", typeString, "The User's time zone in the IANA Time Zone database format."),
	attr("active", typeBoolean, "The User's administrative status; false disables the user and ends their sessions."),
	attr("emails", typeComplex, "Email addresses for the user; the primary one is the user's mail.", multi, plural("Email address for the user.", "work", "home", "other")),
	attr("phoneNumbers", typeComplex, "Phone numbers for the User.", multi, plural("Phone number of the User.", "work", "home", "mobile", "fax", "pager", "other")),
	attr("ims", typeComplex, "Instant messaging addresses for the User.", multi, plural("Instant messaging address for the User.")),
	attr("photos", typeComplex, "URLs of photos of the User.", multi, plural("URL of a photo of the User.", "photo", "thumbnail")),
	attr("addresses", typeComplex, "A physical mailing address for this User.", multi, subs(
		attr("formatted", typeString, "The full mailing address, formatted for display."),
		attr("streetAddress", typeString, "The full street address component."),
		attr("locality", typeString, "The city or locality component."),
		attr("region", typeString, "The state or region component."),
		attr("postalCode", typeString, "The zip code or postal code component."),
		attr("country", typeString, "The country name component."),
		attr("type", typeString, "A label indicating the attribute's function.", canonical("work", "home", "other")),
		attr("primary", typeBoolean, "Whether this is the primary address."),
	)),
	attr("groups", typeComplex, "A list of groups to which the user belongs; change it through the Group resource.", multi, ro, subs(
		attr("value", typeString, "The identifier of the User's group.", ro),
		attr("$ref", typeReference, "The URI of the corresponding Group resource.", ro, refs("Group")),
		attr("display", typeString, "A human-readable name of the group.", ro),
		attr("type", typeString, "direct: Gatehouse has no nested groups.", ro, canonical("direct")),
	)),
}}

var enterpriseSchema = &Schema{ID: EnterpriseSchema, Name: "EnterpriseUser", Description: "Enterprise User", Attributes: []*Attribute{
	attr("employeeNumber", typeString, "Numeric or alphanumeric identifier assigned to a person.", caseExact),
	attr("costCenter", typeString, "Identifies the name of a cost center.", caseExact),
	attr("organization", typeString, "Identifies the name of an organization.", caseExact),
	attr("division", typeString, "Identifies the name of a division.", caseExact),
	attr("department", typeString, "Identifies the name of a department.", caseExact),
	attr("manager", typeComplex, "The User's manager.", subs(
		attr("value", typeString, "The id of the SCIM resource representing the User's manager.", caseExact),
		attr("$ref", typeReference, "The URI of the SCIM resource representing the User's manager.", ro, refs("User")),
		attr("displayName", typeString, "The displayName of the User's manager.", ro),
	)),
}}

var groupSchema = &Schema{ID: GroupSchema, Name: "Group", Description: "Group", Attributes: []*Attribute{
	attr("displayName", typeString, "A human-readable name for the Group, unique in the directory ignoring case.", required, unique),
	attr("members", typeComplex, "A list of members of the Group: users of the directory.", multi, subs(
		attr("value", typeString, "Identifier of the member of this Group.", immutableAttr, caseExact),
		attr("$ref", typeReference, "The URI of the corresponding member resource.", immutableAttr, refs("User")),
		attr("display", typeString, "The member's display name.", ro),
		attr("type", typeString, "The type of the member: Gatehouse groups hold users.", immutableAttr, canonical("User")),
	)),
}}

func immutableAttr(a *Attribute) { a.Mutability = immutable }

// common are the attributes every resource has (RFC 7643 section 3.1).
var common = []*Attribute{
	attr("id", typeString, "The service provider's unique identifier of the resource.", ro, always, caseExact, unique),
	attr("externalId", typeString, "The provisioning client's identifier of the resource.", caseExact),
	attr("meta", typeComplex, "Resource metadata.", ro, subs(
		attr("resourceType", typeString, "The name of the resource type.", ro, caseExact),
		attr("created", typeDateTime, "When the resource was added.", ro),
		attr("lastModified", typeDateTime, "When the resource was last changed.", ro),
		attr("location", typeReference, "The URI of the resource.", ro, refs("uri")),
		attr("version", typeString, "The version (ETag) of the resource.", ro, caseExact),
	)),
}

// ResourceType is a kind of resource the endpoint serves: its schema and extensions.
type ResourceType struct {
	Name       string
	Endpoint   string
	Schema     *Schema
	Extensions []*Schema
}

// Users and Groups are the resource types Gatehouse serves.
var (
	Users  = &ResourceType{Name: "User", Endpoint: "/Users", Schema: userSchema, Extensions: []*Schema{enterpriseSchema}}
	Groups = &ResourceType{Name: "Group", Endpoint: "/Groups", Schema: groupSchema}
)

// extension returns the extension schema with the URN urn, ignoring case, or nil.
func (rt *ResourceType) extension(urn string) *Schema {
	for _, s := range rt.Extensions {
		if strings.EqualFold(s.ID, urn) {
			return s
		}
	}
	return nil
}

// lookup finds the top-level attribute named name: a common one or one of the core schema (an empty urn or the
// core URN), or one of the extension urn. It returns the attribute and the schema it belongs to (nil for the
// common ones and the core schema's).
func (rt *ResourceType) lookup(urn, name string) (*Attribute, *Schema) {
	if urn == "" || strings.EqualFold(urn, rt.Schema.ID) {
		if a := find(common, name); a != nil {
			return a, nil
		}
		return find(rt.Schema.Attributes, name), nil
	}
	if ext := rt.extension(urn); ext != nil {
		return find(ext.Attributes, name), ext
	}
	return nil, nil
}

// splitURN splits an attribute name such as "urn:...:enterprise:2.0:User:department" into the schema URN and the
// name, when it starts with the URN of one of rt's schemas; otherwise the URN is "".
func (rt *ResourceType) splitURN(s string) (urn, rest string) {
	for _, sc := range append([]*Schema{rt.Schema}, rt.Extensions...) {
		if len(s) > len(sc.ID) && strings.EqualFold(s[:len(sc.ID)], sc.ID) && s[len(sc.ID)] == ':' {
			return sc.ID, s[len(sc.ID)+1:]
		}
	}
	return "", s
}
