package main

import (
	"crypto/subtle"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/gatehouse-idp/gatehouse/scim"
)

// refSCIM is the app a provisioning cycle writes to: a SCIM 2.0 service provider that keeps users and groups in
// memory, behind a bearer token, and answers as fast as it can, so that what the benchmark measures is Gatehouse's
// side of the cycle. Every tenant has its own accounts, at /t/NAME/scim/v2 for any NAME, so that each repetition
// provisions to an empty app. It serves what the provisioning engine uses: the ServiceProviderConfig, lists
// filtered by an attribute ("userName eq ..."), POST, GET, PUT, PATCH (applied with package scim) and DELETE, and
// GET /stats: the users of each tenant.
func refSCIM(args []string) error {
	fs := flag.NewFlagSet("ref-scim", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "address to listen on")
	token := fs.String("token", "", "the bearer `TOKEN` every request must carry (required)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *token == "" {
		return fmt.Errorf("-token is required")
	}
	s := &scimSink{token: *token, tenants: map[string]*scimTenant{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", healthz)
	mux.HandleFunc("GET /stats", s.stats)
	mux.HandleFunc("/t/{tenant}/scim/v2/{rest...}", s.serve)
	return serveRef(*addr, mux)
}

// scimSink is the state of ref-scim.
type scimSink struct {
	token string
	// mu guards tenants and everything in them.
	mu      sync.Mutex
	tenants map[string]*scimTenant
}

// scimTenant holds one tenant's resources by endpoint ("Users", "Groups") and ID, and the IDs of the users by
// userName in lower case, so that the lookup the engine makes before each creation costs no scan.
type scimTenant struct {
	resources map[string]map[string]map[string]any
	byName    map[string]string
	next      int
}

// index records the user d under its userName, and forgets old's.
func (t *scimTenant) index(old, d map[string]any) {
	if name, ok := old["userName"].(string); ok && t.byName[strings.ToLower(name)] == old["id"] {
		delete(t.byName, strings.ToLower(name))
	}
	if name, ok := d["userName"].(string); ok {
		t.byName[strings.ToLower(name)] = d["id"].(string)
	}
}

// sinkFilter is the one filter form the sink answers: an attribute equal to a string.
var sinkFilter = regexp.MustCompile(`^\s*([A-Za-z.:]+)\s+eq\s+("(?:[^"\\]|\\.)*")\s*$`)

func (s *scimSink) stats(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	out := map[string]int{}
	for name, t := range s.tenants {
		out[name] = len(t.resources["Users"])
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}

func (s *scimSink) serve(w http.ResponseWriter, r *http.Request) {
	write := func(status int, v any) {
		w.Header().Set("Content-Type", "application/scim+json")
		w.WriteHeader(status)
		if v != nil {
			_ = json.NewEncoder(w).Encode(v)
		}
	}
	fail := func(status int, detail string) {
		write(status, map[string]any{"schemas": []string{scim.ErrorSchema}, "status": strconv.Itoa(status), "detail": detail})
	}
	if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), []byte("Bearer "+s.token)) != 1 {
		fail(http.StatusUnauthorized, "The bearer token is not valid.")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, scim.MaxBodyBytes))
	if err != nil {
		fail(http.StatusBadRequest, "The body could not be read.")
		return
	}
	endpoint, id, _ := strings.Cut(r.PathValue("rest"), "/")
	if endpoint == "ServiceProviderConfig" && r.Method == http.MethodGet {
		write(http.StatusOK, scim.ServiceProviderConfig(""))
		return
	}
	rt := map[string]*scim.ResourceType{"Users": scim.Users, "Groups": scim.Groups}[endpoint]
	if rt == nil {
		fail(http.StatusNotFound, "No such endpoint.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenants[r.PathValue("tenant")]
	if t == nil {
		t = &scimTenant{resources: map[string]map[string]map[string]any{"Users": {}, "Groups": {}}, byName: map[string]string{}}
		s.tenants[r.PathValue("tenant")] = t
	}
	all := t.resources[endpoint]
	doc := all[id]
	if id != "" && doc == nil {
		fail(http.StatusNotFound, "No such resource.")
		return
	}
	switch {
	case id == "" && r.Method == http.MethodGet:
		list := []map[string]any{}
		f := r.URL.Query().Get("filter")
		m := sinkFilter.FindStringSubmatch(f)
		var want string
		if f != "" && (m == nil || json.Unmarshal([]byte(m[2]), &want) != nil) {
			fail(http.StatusBadRequest, "The sink answers filters of the form attribute eq \"value\" only.")
			return
		}
		switch {
		case m != nil && endpoint == "Users" && strings.EqualFold(m[1], "userName"):
			if d := all[t.byName[strings.ToLower(want)]]; d != nil {
				list = append(list, d)
			}
		default:
			for _, d := range all {
				if m == nil {
					list = append(list, d)
				} else if v, _ := d[m[1]].(string); strings.EqualFold(v, want) {
					list = append(list, d)
				}
			}
		}
		write(http.StatusOK, scim.ListResponse(list, len(list), 1))
	case id == "" && r.Method == http.MethodPost:
		d, err := scim.ParseResource(rt, body)
		if err != nil {
			fail(http.StatusBadRequest, err.Error())
			return
		}
		t.next++
		d["id"] = strconv.Itoa(t.next)
		all[d["id"].(string)] = d
		t.index(nil, d)
		write(http.StatusCreated, d)
	case r.Method == http.MethodGet:
		write(http.StatusOK, doc)
	case r.Method == http.MethodPut || r.Method == http.MethodPatch:
		var d map[string]any
		var err error
		if r.Method == http.MethodPut {
			d, err = scim.ParseResource(rt, body)
		} else if ops, perr := scim.ParsePatch(body); perr != nil {
			err = perr
		} else {
			d, err = scim.Apply(rt, doc, ops)
		}
		if err != nil {
			fail(http.StatusBadRequest, err.Error())
			return
		}
		d["id"] = id
		all[id] = d
		t.index(doc, d)
		write(http.StatusOK, d)
	case r.Method == http.MethodDelete:
		t.index(doc, nil)
		delete(all, id)
		write(http.StatusNoContent, nil)
	default:
		fail(http.StatusMethodNotAllowed, "The method is not allowed here.")
	}
}
