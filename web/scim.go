package web

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/scim"
)

// scimLimiter is a rate limiter per SCIM token. Its memory is bounded: past maxTokens tokens, it starts afresh.
type scimLimiter struct {
	rate  rate.Limit
	burst int
	// mu guards limiters.
	mu       sync.Mutex
	limiters map[string]*rate.Limiter
}

const maxTokens = 10_000

// allow takes one request from the token's budget and reports whether there was one, and if not, how long until
// there is.
func (l *scimLimiter) allow(tokenID string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	lim, ok := l.limiters[tokenID]
	if !ok {
		if l.limiters == nil || len(l.limiters) >= maxTokens {
			l.limiters = map[string]*rate.Limiter{}
		}
		lim = rate.NewLimiter(l.rate, l.burst)
		l.limiters[tokenID] = lim
	}
	l.mu.Unlock()
	r := lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// scimFunc is a SCIM handler: it gets the request's token and returns its error.
type scimFunc func(w http.ResponseWriter, r *http.Request, t *gatehouse.SCIMToken) error

// scimAPI authenticates a SCIM request with the directory's SCIM token, applies the token's rate limit and the body
// limit, and renders the handler's error in the SCIM error schema.
func (s *Server) scimAPI(h scimFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := s.serveSCIM(w, r, h); err != nil {
			s.scimError(w, r, err)
		}
	})
}

func (s *Server) serveSCIM(w http.ResponseWriter, r *http.Request, h scimFunc) error {
	secret, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return gatehouse.Errorf(gatehouse.EUNAUTHORIZED, "Send the directory's SCIM token as \"Authorization: Bearer <token>\".")
	}
	t, err := s.Service.SCIMToken(r.Context(), r.PathValue("dir"), strings.TrimSpace(secret))
	if err != nil {
		return err
	}
	if s.SCIMRateLimit > 0 {
		if ok, wait := s.scimLimits.allow(t.ID, time.Now()); !ok {
			w.Header().Set("Retry-After", strconv.Itoa(int(wait/time.Second)+1))
			return &scim.Error{Status: http.StatusTooManyRequests, Detail: "Too many requests with this SCIM token; slow down and retry after the time in Retry-After."}
		}
	}
	if ct := r.Header.Get("Content-Type"); r.ContentLength != 0 && ct != "" {
		mt, _, _ := strings.Cut(ct, ";")
		if mt = strings.TrimSpace(strings.ToLower(mt)); mt != "application/scim+json" && mt != "application/json" {
			return &scim.Error{Status: http.StatusUnsupportedMediaType, Detail: "Send the body as application/scim+json."}
		}
	}
	r.Body = http.MaxBytesReader(w, r.Body, scim.MaxBodyBytes)
	return h(w, r, t)
}

// scimBody reads the request body.
func scimBody(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, &scim.Error{Status: http.StatusRequestEntityTooLarge, Detail: "The request body is larger than " + strconv.Itoa(scim.MaxBodyBytes) + " bytes."}
		}
		return nil, scim.InvalidSyntax("The request body could not be read.")
	}
	return b, nil
}

// writeSCIM writes a SCIM resource or message with its ETag, when it has a version.
func writeSCIM(w http.ResponseWriter, status int, doc map[string]any) {
	if m, ok := doc["meta"].(map[string]any); ok {
		if v, ok := m["version"].(string); ok {
			w.Header().Set("ETag", v)
		}
		if loc, ok := m["location"].(string); ok && status == http.StatusCreated {
			w.Header().Set("Location", loc)
		}
	}
	w.Header().Set("Content-Type", "application/scim+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(doc)
}

// scimError writes err in the SCIM error schema: a scim.Error as it is, an application error through the status
// table (a taken value is uniqueness), anything else as an internal error with the correlation ID.
func (s *Server) scimError(w http.ResponseWriter, r *http.Request, err error) {
	var se *scim.Error
	if !errors.As(err, &se) {
		code := gatehouse.ErrorCode(err)
		se = &scim.Error{Status: statusOf(code), Detail: gatehouse.ErrorMessage(err), Err: err}
		switch code {
		case gatehouse.ECONFLICT:
			se.Type = scim.TypeUniqueness
		case gatehouse.EINVALID:
			se.Type = scim.TypeInvalidValue
		case gatehouse.EUNAUTHORIZED:
			w.Header().Set("WWW-Authenticate", `Bearer realm="gatehouse-scim"`)
		case gatehouse.EINTERNAL:
			se.Detail = "Internal error. Correlation ID: " + correlationID(r)
		}
	}
	s.logError(r, se.Status, err)
	writeSCIM(w, se.Status, se.Body())
}

func (s *Server) scimList(rt *scim.ResourceType) scimFunc {
	return func(w http.ResponseWriter, r *http.Request, t *gatehouse.SCIMToken) error {
		p, err := scim.ParseListParams(rt, r.URL.Query())
		if err != nil {
			return err
		}
		var doc map[string]any
		if rt == scim.Users {
			doc, err = s.Service.SCIMListUsers(r.Context(), t, p)
		} else {
			doc, err = s.Service.SCIMListGroups(r.Context(), t, p)
		}
		if err != nil {
			return err
		}
		writeSCIM(w, http.StatusOK, doc)
		return nil
	}
}

func (s *Server) scimGet(rt *scim.ResourceType) scimFunc {
	return func(w http.ResponseWriter, r *http.Request, t *gatehouse.SCIMToken) error {
		q := r.URL.Query()
		p, err := scim.ParseProjection(rt, q.Get("attributes"), q.Get("excludedAttributes"))
		if err != nil {
			return err
		}
		var doc map[string]any
		if rt == scim.Users {
			doc, err = s.Service.SCIMGetUser(r.Context(), t, r.PathValue("id"), p)
		} else {
			doc, err = s.Service.SCIMGetGroup(r.Context(), t, r.PathValue("id"), p)
		}
		if err != nil {
			return err
		}
		writeSCIM(w, http.StatusOK, doc)
		return nil
	}
}

func (s *Server) scimCreate(rt *scim.ResourceType) scimFunc {
	return func(w http.ResponseWriter, r *http.Request, t *gatehouse.SCIMToken) error {
		body, err := scimBody(r)
		if err != nil {
			return err
		}
		var doc map[string]any
		if rt == scim.Users {
			doc, err = s.Service.SCIMCreateUser(r.Context(), t, body)
		} else {
			doc, err = s.Service.SCIMCreateGroup(r.Context(), t, body)
		}
		if err != nil {
			return err
		}
		writeSCIM(w, http.StatusCreated, doc)
		return nil
	}
}

func (s *Server) scimReplace(rt *scim.ResourceType) scimFunc {
	return func(w http.ResponseWriter, r *http.Request, t *gatehouse.SCIMToken) error {
		body, err := scimBody(r)
		if err != nil {
			return err
		}
		id, ifMatch := r.PathValue("id"), r.Header.Get("If-Match")
		var doc map[string]any
		if rt == scim.Users {
			doc, err = s.Service.SCIMReplaceUser(r.Context(), t, id, ifMatch, body)
		} else {
			doc, err = s.Service.SCIMReplaceGroup(r.Context(), t, id, ifMatch, body)
		}
		if err != nil {
			return err
		}
		writeSCIM(w, http.StatusOK, doc)
		return nil
	}
}

// scimPatch applies a PATCH. A user's answer is the changed resource; a group's is 204 without a body, as clients
// that manage large groups expect, unless the request asks for attributes.
func (s *Server) scimPatch(rt *scim.ResourceType) scimFunc {
	return func(w http.ResponseWriter, r *http.Request, t *gatehouse.SCIMToken) error {
		body, err := scimBody(r)
		if err != nil {
			return err
		}
		q := r.URL.Query()
		p, err := scim.ParseProjection(rt, q.Get("attributes"), q.Get("excludedAttributes"))
		if err != nil {
			return err
		}
		id, ifMatch := r.PathValue("id"), r.Header.Get("If-Match")
		var doc map[string]any
		if rt == scim.Users {
			doc, err = s.Service.SCIMPatchUser(r.Context(), t, id, ifMatch, body)
		} else {
			doc, err = s.Service.SCIMPatchGroup(r.Context(), t, id, ifMatch, body)
		}
		if err != nil {
			return err
		}
		if rt == scim.Groups && q.Get("attributes") == "" {
			if m, ok := doc["meta"].(map[string]any); ok {
				w.Header().Set("ETag", m["version"].(string))
			}
			w.WriteHeader(http.StatusNoContent)
			return nil
		}
		writeSCIM(w, http.StatusOK, p.Apply(doc))
		return nil
	}
}

func (s *Server) scimDelete(rt *scim.ResourceType) scimFunc {
	return func(w http.ResponseWriter, r *http.Request, t *gatehouse.SCIMToken) error {
		id, ifMatch := r.PathValue("id"), r.Header.Get("If-Match")
		var err error
		if rt == scim.Users {
			err = s.Service.SCIMDeleteUser(r.Context(), t, id, ifMatch)
		} else {
			err = s.Service.SCIMDeleteGroup(r.Context(), t, id, ifMatch)
		}
		if err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}

func (s *Server) scimServiceProviderConfig(w http.ResponseWriter, r *http.Request, t *gatehouse.SCIMToken) error {
	writeSCIM(w, http.StatusOK, scim.ServiceProviderConfig(s.Service.SCIMBaseURL(t.DirectoryID)))
	return nil
}

func (s *Server) scimResourceTypes(w http.ResponseWriter, r *http.Request, t *gatehouse.SCIMToken) error {
	base := s.Service.SCIMBaseURL(t.DirectoryID)
	var docs []map[string]any
	for _, rt := range scim.ResourceTypes {
		if name := r.PathValue("name"); name == "" || strings.EqualFold(name, rt.Name) {
			docs = append(docs, scim.ResourceTypeDoc(rt, base))
		}
	}
	return writeDiscovery(w, r.PathValue("name"), docs, "resource type")
}

func (s *Server) scimSchemas(w http.ResponseWriter, r *http.Request, t *gatehouse.SCIMToken) error {
	base := s.Service.SCIMBaseURL(t.DirectoryID)
	var docs []map[string]any
	for _, sc := range scim.Schemas {
		if id := r.PathValue("id"); id == "" || strings.EqualFold(id, sc.ID) {
			docs = append(docs, scim.SchemaDoc(sc, base))
		}
	}
	return writeDiscovery(w, r.PathValue("id"), docs, "schema")
}

// writeDiscovery writes the one document asked for by name, or the list of all when name is "".
func writeDiscovery(w http.ResponseWriter, name string, docs []map[string]any, what string) error {
	if name == "" {
		writeSCIM(w, http.StatusOK, scim.ListResponse(docs, len(docs), 1))
		return nil
	}
	if len(docs) == 0 {
		return &scim.Error{Status: http.StatusNotFound, Detail: "There is no " + what + " " + strconv.Quote(name) + "."}
	}
	writeSCIM(w, http.StatusOK, docs[0])
	return nil
}

func (s *Server) scimNotFound(w http.ResponseWriter, r *http.Request, t *gatehouse.SCIMToken) error {
	return &scim.Error{Status: http.StatusNotFound, Detail: "There is no SCIM endpoint " + r.Method + " " + r.URL.Path + "; see /ServiceProviderConfig."}
}
