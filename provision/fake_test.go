package provision_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse/scim"
)

// fakeApp is an app's SCIM service at the HTTP edge of the tests: users and groups in memory, PATCH applied with
// package scim, and faults on request. Tests read it through its own API (get, users) or its request log.
type fakeApp struct {
	t   *testing.T
	srv *httptest.Server
	// token is the bearer token it accepts.
	token string

	mu       sync.Mutex
	users    map[string]map[string]any
	groups   map[string]map[string]any
	next     int
	requests []fakeRequest
	// patch is what its ServiceProviderConfig says of PATCH.
	patch bool
	// down makes it close every connection without answering; status makes it answer every SCIM request with
	// that status; throttle answers that many requests with 429 and Retry-After retryAfter.
	down       bool
	status     int
	throttle   int
	retryAfter int
	// uniqueUserName makes a second user with a taken userName a 409 (off: duplicates are kept, so a test sees
	// them).
	uniqueUserName bool
	// reject, when set, refuses a new user with a 400 and its message when it returns one.
	reject func(doc map[string]any) string
}

type fakeRequest struct {
	Method, Path, Query, Body string
	At                        time.Time
	Status                    int
}

func newFakeApp(t *testing.T) *fakeApp {
	t.Helper()
	f := &fakeApp{t: t, token: "secret-token-" + strconv.Itoa(int(time.Now().UnixNano()%1e6)), users: map[string]map[string]any{},
		groups: map[string]map[string]any{}, patch: true}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// URL returns the tenant URL.
func (f *fakeApp) URL() string { return f.srv.URL + "/scim/v2" }

func (f *fakeApp) set(fn func(f *fakeApp)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

// log returns the requests seen so far.
func (f *fakeApp) log() []fakeRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeRequest(nil), f.requests...)
}

// userByName returns the users whose userName is name, ignoring case.
func (f *fakeApp) userByName(name string) []map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []map[string]any
	for _, u := range f.users {
		if s, _ := u["userName"].(string); strings.EqualFold(s, name) {
			out = append(out, u)
		}
	}
	return out
}

// groupByName returns the group whose displayName is name, or nil.
func (f *fakeApp) groupByName(name string) map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, g := range f.groups {
		if s, _ := g["displayName"].(string); s == name {
			return g
		}
	}
	return nil
}

func (f *fakeApp) count() (users, groups int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.users), len(f.groups)
}

func (f *fakeApp) write(w http.ResponseWriter, r *http.Request, status int, body any) {
	w.Header().Set("Content-Type", "application/scim+json")
	w.WriteHeader(status)
	if body != nil {
		_ = json.NewEncoder(w).Encode(body)
	}
	f.requests[len(f.requests)-1].Status = status
}

func scimErr(status int, typ, detail string) map[string]any {
	return map[string]any{"schemas": []string{scim.ErrorSchema}, "status": strconv.Itoa(status), "scimType": typ, "detail": detail}
}

var eqFilter = regexp.MustCompile(`^(\w+) eq "((?:[^"\\]|\\.)*)"$`)

func (f *fakeApp) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, fakeRequest{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Body: string(body), At: time.Now()})
	if f.down {
		if hj, ok := w.(http.Hijacker); ok {
			if c, _, err := hj.Hijack(); err == nil {
				_ = c.(*net.TCPConn).SetLinger(0)
				c.Close()
				return
			}
		}
	}
	if f.throttle > 0 {
		f.throttle--
		w.Header().Set("Retry-After", strconv.Itoa(f.retryAfter))
		f.write(w, r, http.StatusTooManyRequests, scimErr(429, "", "Slow down."))
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+f.token {
		f.write(w, r, http.StatusUnauthorized, scimErr(401, "", "The bearer token is not valid."))
		return
	}
	if f.status != 0 {
		f.write(w, r, f.status, scimErr(f.status, "", "Forced failure."))
		return
	}
	path := strings.TrimPrefix(r.URL.Path, "/scim/v2")
	if path == "/ServiceProviderConfig" {
		f.write(w, r, 200, map[string]any{"schemas": []string{scim.SPConfigSchema}, "patch": map[string]any{"supported": f.patch}})
		return
	}
	var store map[string]map[string]any
	var rt *scim.ResourceType
	switch {
	case strings.HasPrefix(path, "/Users"):
		store, rt = f.users, scim.Users
	case strings.HasPrefix(path, "/Groups"):
		store, rt = f.groups, scim.Groups
	default:
		f.write(w, r, 404, scimErr(404, "", "No such endpoint."))
		return
	}
	id := strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(path, "/Users"), "/Groups"), "/")
	switch {
	case id == "" && r.Method == http.MethodGet:
		var list []any
		m := eqFilter.FindStringSubmatch(r.URL.Query().Get("filter"))
		for _, doc := range store {
			if m != nil {
				var want string
				_ = json.Unmarshal([]byte(`"`+m[2]+`"`), &want)
				if v, _ := doc[m[1]].(string); !strings.EqualFold(v, want) {
					continue
				}
			}
			list = append(list, doc)
		}
		f.write(w, r, 200, map[string]any{"schemas": []string{scim.ListSchema}, "totalResults": len(list), "Resources": list})
	case id == "" && r.Method == http.MethodPost:
		var doc map[string]any
		if err := json.Unmarshal(body, &doc); err != nil {
			f.write(w, r, 400, scimErr(400, "invalidSyntax", "Bad JSON."))
			return
		}
		if rt == scim.Users && f.reject != nil {
			if msg := f.reject(doc); msg != "" {
				f.write(w, r, 400, scimErr(400, "invalidValue", msg))
				return
			}
		}
		if rt == scim.Users && f.uniqueUserName {
			for _, u := range f.users {
				if strings.EqualFold(fmt.Sprint(u["userName"]), fmt.Sprint(doc["userName"])) {
					f.write(w, r, 409, scimErr(409, "uniqueness", "userName is taken."))
					return
				}
			}
		}
		f.next++
		doc["id"] = strconv.Itoa(f.next)
		store[doc["id"].(string)] = doc
		f.write(w, r, 201, doc)
	case r.Method == http.MethodGet:
		doc, ok := store[id]
		if !ok {
			f.write(w, r, 404, scimErr(404, "", "No such resource."))
			return
		}
		f.write(w, r, 200, doc)
	case r.Method == http.MethodPut:
		if _, ok := store[id]; !ok {
			f.write(w, r, 404, scimErr(404, "", "No such resource."))
			return
		}
		var doc map[string]any
		_ = json.Unmarshal(body, &doc)
		doc["id"] = id
		store[id] = doc
		f.write(w, r, 200, doc)
	case r.Method == http.MethodPatch:
		doc, ok := store[id]
		if !ok {
			f.write(w, r, 404, scimErr(404, "", "No such resource."))
			return
		}
		ops, err := scim.ParsePatch(body)
		if err == nil {
			doc, err = scim.Apply(rt, doc, ops)
		}
		if err != nil {
			f.write(w, r, 400, scimErr(400, "invalidValue", err.Error()))
			return
		}
		store[id] = doc
		f.write(w, r, 200, doc)
	case r.Method == http.MethodDelete:
		if _, ok := store[id]; !ok {
			f.write(w, r, 404, scimErr(404, "", "No such resource."))
			return
		}
		delete(store, id)
		f.write(w, r, 204, nil)
	default:
		f.write(w, r, 405, scimErr(405, "", "Method not allowed."))
	}
}
