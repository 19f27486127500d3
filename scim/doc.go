// Package scim is the SCIM 2.0 protocol (RFC 7643 and RFC 7644) of Gatehouse's provisioning endpoint: the User,
// enterprise User and Group schemas, resources built from directory users and groups and read back from requests,
// PATCH operations applied to a resource, filters turned into store queries, attribute selection, list responses,
// the discovery documents and the SCIM error. It has no HTTP routing and no database.
//
// It accepts the known shapes of real clients where they differ from the RFCs: capitalised PATCH op values,
// booleans sent as strings, member removal by a value array, a replace without a path carrying dotted attribute
// names, a replace on a typed multi-valued attribute that does not exist yet, and the filter
// emails[type eq "work"].value eq "x".
package scim
