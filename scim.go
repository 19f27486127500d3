package gatehouse

import "time"

// SCIMToken is a bearer token of a directory's SCIM endpoint: it provisions users and groups into that one
// directory and is good for nothing else. The store keeps only SecretHash, the SHA-256 hash of the secret; Prefix is
// the first characters of the secret, shown so people can tell tokens apart.
type SCIMToken struct {
	ID          string `json:"id"`
	DirectoryID string `json:"directoryId"`
	// Name says who uses the token (for example "Entra ID"); the audit log shows every change under it.
	Name       string `json:"name"`
	SecretHash string `json:"-"`
	Prefix     string `json:"prefix"`
	// CreatedBy is the user name of the admin who created the token.
	CreatedBy  string     `json:"createdBy"`
	CreatedAt  time.Time  `json:"createdAt"`
	LastUsedAt *time.Time `json:"lastUsedAt,omitempty"`
}

// FilterOp is the operator of a Filter node.
type FilterOp string

// The filter operators: the logical ones combine nodes, the others compare an attribute with a value.
const (
	FilterAnd FilterOp = "and"
	FilterOr  FilterOp = "or"
	FilterNot FilterOp = "not"
	FilterEq  FilterOp = "eq"
	FilterNe  FilterOp = "ne"
	FilterCo  FilterOp = "co"
	FilterSw  FilterOp = "sw"
	FilterEw  FilterOp = "ew"
	FilterPr  FilterOp = "pr"
	FilterGt  FilterOp = "gt"
	FilterGe  FilterOp = "ge"
	FilterLt  FilterOp = "lt"
	FilterLe  FilterOp = "le"
)

// Filter is a condition on users or groups, a tree the store turns into a parameterised query: values never become
// query text, and Attr is one of the Query* attribute constants, each mapped to a column by the store.
type Filter struct {
	Op FilterOp
	// Left and Right are the operands of and/or; Left alone that of not.
	Left, Right *Filter
	// Attr and Value are the attribute and value of a comparison. Value is a string, a bool or a time.Time; pr has
	// none. Strings of attributes that ignore case are compared ignoring case.
	Attr  QueryAttr
	Value any
}

// QueryAttr is an attribute a Filter can compare or a query can sort by.
type QueryAttr string

// The attributes of users (U) and groups (G) that queries know. QueryMember compares a group's member user IDs (eq
// only); QueryActive is the opposite of User.Disabled.
const (
	QueryID             QueryAttr = "id"             // U, G; case-sensitive
	QueryExternalID     QueryAttr = "externalId"     // U, G; case-sensitive
	QueryCreated        QueryAttr = "created"        // U, G; a time
	QueryUpdated        QueryAttr = "updated"        // U, G; a time
	QueryUserName       QueryAttr = "userName"       // U
	QueryDisplayName    QueryAttr = "displayName"    // U, G (a group's name)
	QueryGivenName      QueryAttr = "givenName"      // U
	QueryFamilyName     QueryAttr = "familyName"     // U
	QueryMail           QueryAttr = "mail"           // U
	QueryActive         QueryAttr = "active"         // U; a bool
	QueryDepartment     QueryAttr = "department"     // U
	QueryEmployeeNumber QueryAttr = "employeeNumber" // U; case-sensitive
	QueryCostCenter     QueryAttr = "costCenter"     // U
	QueryOrganization   QueryAttr = "organization"   // U
	QueryDivision       QueryAttr = "division"       // U
	QueryManagerID      QueryAttr = "managerId"      // U; case-sensitive
	QueryMember         QueryAttr = "member"         // G; eq and pr only
)

// Query selects users or groups: those Filter matches (all when nil), ordered by SortBy (user or group name when
// empty, then ID), one page of Limit from Offset. A Limit of 0 means the store's default of 100, and no more than
// 1000 are returned.
type Query struct {
	Filter     *Filter
	SortBy     QueryAttr
	Descending bool
	Offset     int
	Limit      int
}
