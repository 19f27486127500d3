package provision

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/gatehouse-idp/gatehouse/scim"
)

// target is an app's SCIM service as the engine uses it: resources of one type read, found, created, changed and
// deleted.
type target struct {
	c *Client
	// patch reports whether changes go out as PATCH (PUT otherwise); it is set before items are processed.
	patch bool

	// mu guards addr, the address of the last answer, for the log.
	mu   sync.Mutex
	addr string
}

// lastAddr returns the address of the last answer.
func (t *target) lastAddr() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.addr
}

// endpoint returns the resource type's endpoint: /Users or /Groups.
func endpoint(typ string) string {
	if typ == "group" {
		return "/Groups"
	}
	return "/Users"
}

// schemaOf returns the core schema of the resource type.
func schemaOf(typ string) string {
	if typ == "group" {
		return scim.GroupSchema
	}
	return scim.UserSchema
}

func (t *target) note(r *Response, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if r != nil && r.Addr != "" {
		t.addr = r.Addr
	}
	var he *HTTPError
	if errors.As(err, &he) && he.Addr != "" {
		t.addr = he.Addr
	}
}

// do sends a request and records where it went.
func (t *target) do(ctx context.Context, method, path string, q url.Values, body any) (*Response, error) {
	r, err := t.c.Do(ctx, method, path, q, body)
	t.note(r, err)
	return r, err
}

// decode decodes an answer into a resource.
func decode(r *Response, method, path string) (map[string]any, error) {
	var doc map[string]any
	if err := r.JSON(&doc); err != nil || doc == nil {
		return nil, &HTTPError{Method: method, Path: path, Status: r.Status, Body: clip(r.Body), Addr: r.Addr,
			Reason: "the answer is not the JSON SCIM resource expected"}
	}
	return doc, nil
}

// discover reads the app's ServiceProviderConfig and reports whether it supports PATCH. An app that does not
// serve it (404) is taken to support PATCH, as RFC 7644 requires of every service provider.
func (t *target) discover(ctx context.Context) (patch bool, err error) {
	r, err := t.do(ctx, http.MethodGet, "/ServiceProviderConfig", nil, nil)
	var he *HTTPError
	if errors.As(err, &he) && (he.Status == http.StatusNotFound || he.Status == http.StatusMethodNotAllowed) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	var spc struct {
		Patch struct {
			Supported any `json:"supported"`
		} `json:"patch"`
	}
	if err := r.JSON(&spc); err != nil {
		return true, nil // an unreadable configuration is no reason to stop; PATCH is the RFC's default
	}
	return text(spc.Patch.Supported) != "false", nil
}

// get reads the resource with the app's id; found is false when the app answers 404.
func (t *target) get(ctx context.Context, typ, id string) (doc map[string]any, found bool, err error) {
	path := endpoint(typ) + "/" + url.PathEscape(id)
	r, err := t.do(ctx, http.MethodGet, path, nil, nil)
	var he *HTTPError
	if errors.As(err, &he) && he.Status == http.StatusNotFound {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	doc, err = decode(r, http.MethodGet, path)
	return doc, err == nil, err
}

// find returns the resources the filter matches (at most a few: a match that finds more is ambiguous anyway).
func (t *target) find(ctx context.Context, typ, filter string) ([]map[string]any, error) {
	path := endpoint(typ)
	q := url.Values{"filter": {filter}, "startIndex": {"1"}, "count": {"5"}}
	r, err := t.do(ctx, http.MethodGet, path, q, nil)
	if err != nil {
		return nil, err
	}
	var list struct {
		Resources []map[string]any `json:"Resources"`
	}
	if err := r.JSON(&list); err != nil {
		return nil, &HTTPError{Method: http.MethodGet, Path: path, Status: r.Status, Body: clip(r.Body), Addr: r.Addr,
			Reason: "the answer is not a SCIM ListResponse"}
	}
	return list.Resources, nil
}

// id returns a resource's id.
func id(doc map[string]any) string {
	_, v := get(doc, "id")
	return text(v)
}

// create creates a resource and returns it as the app answered.
func (t *target) create(ctx context.Context, typ string, doc map[string]any) (map[string]any, error) {
	path := endpoint(typ)
	r, err := t.do(ctx, http.MethodPost, path, nil, doc)
	if err != nil {
		return nil, err
	}
	created, err := decode(r, http.MethodPost, path)
	if err != nil {
		return nil, err
	}
	if id(created) == "" {
		return nil, &HTTPError{Method: http.MethodPost, Path: path, Status: r.Status, Body: clip(r.Body), Addr: r.Addr,
			Reason: "the created resource has no id"}
	}
	return created, nil
}

// patchOps sends a PATCH with the operations.
func (t *target) patchOps(ctx context.Context, typ, id string, ops []any) error {
	path := endpoint(typ) + "/" + url.PathEscape(id)
	_, err := t.do(ctx, http.MethodPatch, path, nil, map[string]any{"schemas": []string{scim.PatchOpSchema}, "Operations": ops})
	return err
}

// put replaces a resource.
func (t *target) put(ctx context.Context, typ, id string, doc map[string]any) error {
	path := endpoint(typ) + "/" + url.PathEscape(id)
	_, err := t.do(ctx, http.MethodPut, path, nil, doc)
	return err
}

// remove deletes a resource; one that is gone already (404) is no error.
func (t *target) remove(ctx context.Context, typ, id string) error {
	path := endpoint(typ) + "/" + url.PathEscape(id)
	_, err := t.do(ctx, http.MethodDelete, path, nil, nil)
	var he *HTTPError
	if errors.As(err, &he) && he.Status == http.StatusNotFound {
		return nil
	}
	return err
}

// describe returns what went wrong with a request, for the log and on-demand's steps, with the HTTP status and
// body when the app answered.
func describeError(err error) (msg string, status int, body string) {
	var he *HTTPError
	if errors.As(err, &he) {
		return he.Error(), he.Status, he.Body
	}
	return err.Error(), 0, ""
}

// failure kinds of a request: does it say something about this account, or about the app?
const (
	// failItem: the app refused this account's request (400, 409, ...): retried a few times, then given up.
	failItem = iota + 1
	// failTarget: the app did not answer, timed out or failed (5xx): retried, and counted toward quarantine.
	failTarget
	// failAuth: the app refused the credentials (401, 403): quarantine at once.
	failAuth
	// failThrottle: the app asked to wait (429): retried after the wait, counted toward nothing.
	failThrottle
	// failConfig: the request was not sent (the address rule): quarantine at once.
	failConfig
)

// classify returns the failure kind of a request's error.
func classify(err error) int {
	var he *HTTPError
	var ae *AddressError
	var re *RedirectError
	switch {
	case errors.As(err, &ae), errors.As(err, &re):
		return failConfig
	case errors.As(err, &he):
		switch {
		case he.Status == http.StatusUnauthorized || he.Status == http.StatusForbidden:
			return failAuth
		case he.RetryAfter > 0:
			return failThrottle
		case he.Status >= 500 || he.Status == http.StatusRequestTimeout:
			return failTarget
		}
		return failItem
	}
	return failTarget
}

// quoteList returns the ids quoted and joined, for messages.
func quoteList(ids []string) string {
	q := make([]string, len(ids))
	for i, s := range ids {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}
