// Package apiclient is a small typed client of Gatehouse's REST API v1 (described in web/openapi.yaml): one method
// per route, returning the domain types of package gatehouse, and an *Error carrying the server's error code,
// message, field and correlation ID when the server answers with an error.
package apiclient
