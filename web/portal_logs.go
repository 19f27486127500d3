package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"

	"github.com/gatehouse-idp/gatehouse"
)

// logPageSize is how many entries a page of a log shows.
const logPageSize = 50

// signInsPage is the sign-in log with its filters.
type signInsPage struct {
	Events            []*gatehouse.SignInEvent
	Pager             pager
	User, App, Result string
	Users             []*gatehouse.User
	Apps              []*gatehouse.App
}

func (s *Server) portalSignIns(w http.ResponseWriter, r *http.Request, v *portalView) error {
	q := r.URL.Query()
	f := gatehouse.SignInFilter{UserID: q.Get("user"), AppID: q.Get("app"), Result: q.Get("result"), Offset: offsetParam(r), Limit: logPageSize}
	if f.Result != "" && f.Result != gatehouse.ResultSuccess && f.Result != gatehouse.ResultFailure {
		f.Result = ""
	}
	es, total, err := s.Service.FindSignInEvents(r.Context(), v.Me, v.Dir.ID, f)
	if err != nil {
		return err
	}
	us, _, err := s.Service.FindUsers(r.Context(), v.Me, v.Dir.ID, gatehouse.UserFilter{Limit: 500})
	if err != nil {
		return err
	}
	apps, err := s.Service.FindApps(r.Context(), v.Me, v.Dir.ID, "")
	if err != nil {
		return err
	}
	v.Nav = "signins"
	s.show(w, r, v, "signins.html", signInsPage{Events: es, Pager: newPager(q, f.Offset, f.Limit, total),
		User: f.UserID, App: f.AppID, Result: f.Result, Users: us, Apps: apps})
	return nil
}

// signInView is a sign-in log entry with the link to the portal page of the setting its hint names.
type signInView struct {
	*gatehouse.SignInEvent
	// SettingURL is the portal page of the setting to change (an absolute URL in the API), or "".
	SettingURL string `json:"settingUrl,omitempty"`
}

// viewSignIn returns e with the link to its setting, prefixed with base ("" for a path).
func viewSignIn(e *gatehouse.SignInEvent, base string) signInView {
	v := signInView{SignInEvent: e}
	if u := settingURL(e.DirectoryID, e.Setting, e.AppID, e.UserID, e.Code); u != "" {
		v.SettingURL = base + u
	}
	return v
}

func (s *Server) portalSignIn(w http.ResponseWriter, r *http.Request, v *portalView) error {
	e, err := s.Service.FindSignInEvent(r.Context(), v.Me, v.Dir.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	v.Nav = "signins"
	s.show(w, r, v, "signin.html", viewSignIn(e, ""))
	return nil
}

// auditPage is the audit log with the chosen entry's details.
type auditPage struct {
	Events     []*gatehouse.AuditEvent
	Pager      pager
	TargetType string
	TargetID   string
	Types      []string
	// Selected is the entry whose details are shown, from the current page; Link is the start of the links that
	// select an entry: the page's query string and "event=".
	Selected *auditDetail
	Link     template.URL
}

// auditDetail is one audit entry with its before and after indented and the fields that changed.
type auditDetail struct {
	*gatehouse.AuditEvent
	BeforeJSON, AfterJSON string
	Changes               []fieldChange
}

// fieldChange is one top-level field that differs between before and after.
type fieldChange struct{ Field, Before, After string }

func (s *Server) portalAudit(w http.ResponseWriter, r *http.Request, v *portalView) error {
	q := r.URL.Query()
	p := auditPage{TargetType: q.Get("targetType"), TargetID: q.Get("targetId"), Types: []string{"user", "group", "app", "directory", "token"}}
	f := gatehouse.AuditFilter{TargetType: p.TargetType, TargetID: p.TargetID, Offset: offsetParam(r), Limit: logPageSize}
	es, total, err := s.Service.FindAuditEvents(r.Context(), v.Me, v.Dir.ID, f)
	if err != nil {
		return err
	}
	p.Events = es
	list := q
	if id := q.Get("event"); id != "" {
		list = cloneValues(q)
		list.Del("event")
		i := slices.IndexFunc(es, func(e *gatehouse.AuditEvent) bool { return e.ID == id })
		if i < 0 {
			return gatehouse.Errorf(gatehouse.ENOTFOUND, "That audit entry is not on this page of the log.")
		}
		p.Selected = detail(es[i])
	}
	p.Pager = newPager(list, f.Offset, f.Limit, total)
	p.Link = template.URL("?event=")
	if enc := url.Values(list).Encode(); enc != "" {
		p.Link = template.URL("?" + enc + "&event=")
	}
	v.Nav = "audit"
	s.show(w, r, v, "audit.html", p)
	return nil
}

func cloneValues(q map[string][]string) map[string][]string {
	c := make(map[string][]string, len(q))
	for k, v := range q {
		c[k] = slices.Clone(v)
	}
	return c
}

// detail indents an entry's JSON and lists its changed fields; JSON that does not parse is shown as it is.
func detail(e *gatehouse.AuditEvent) *auditDetail {
	d := &auditDetail{AuditEvent: e, BeforeJSON: indentJSON(e.Before), AfterJSON: indentJSON(e.After)}
	var before, after map[string]any
	_ = json.Unmarshal([]byte(e.Before), &before)
	_ = json.Unmarshal([]byte(e.After), &after)
	keys := map[string]bool{}
	for k := range before {
		keys[k] = true
	}
	for k := range after {
		keys[k] = true
	}
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range keys {
			if !yield(k) {
				return
			}
		}
	}) {
		if k == "updatedAt" {
			continue
		}
		b, a := compactJSON(before[k]), compactJSON(after[k])
		if b != a {
			d.Changes = append(d.Changes, fieldChange{Field: k, Before: b, After: a})
		}
	}
	return d
}

func indentJSON(s string) string {
	if s == "" {
		return ""
	}
	var b bytes.Buffer
	if err := json.Indent(&b, []byte(s), "", "  "); err != nil {
		return s
	}
	return b.String()
}

func compactJSON(v any) string {
	if v == nil {
		return ""
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
