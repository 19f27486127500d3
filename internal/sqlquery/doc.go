// Package sqlquery turns a gatehouse.Filter into the WHERE clause of a parameterised SQL query, for both stores.
// Column names come only from the caller's fixed table of attributes; every value becomes a bind parameter, so no
// part of a filter ever becomes query text.
package sqlquery
