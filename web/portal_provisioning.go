package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/provision"
)

// provisioningPage is an app's Provisioning page.
type provisioningPage struct {
	appBase
	View *idp.ProvisioningView
	// Form holds the settings as the form shows them (what the admin typed, after an error).
	Form provisioningForm
	// UserMappings and GroupMappings are the mapping tables with an empty row to add one.
	UserMappings, GroupMappings []gatehouse.AttributeMapping
	UserSources, GroupSources   []string
	Functions                   []string
	// Test is the result of Test connection; OnDemand that of provision on demand.
	Test     *provision.TestResult
	OnDemand *idp.OnDemandResult
	// OnDemandType and OnDemandName are what the on-demand form asked for.
	OnDemandType, OnDemandName string
	// Log is the app's latest provisioning log entries.
	Log []*gatehouse.ProvisioningEvent
}

// provisioningForm is the settings form of the Provisioning page.
type provisioningForm struct {
	Mode, TenantURL, Scope, MatchAttribute, LeaveAction, DeleteAction, UpdateMethod string
	Groups                                                                          bool
}

func formOf(p *gatehouse.Provisioning) provisioningForm {
	return provisioningForm{Mode: p.Mode, TenantURL: p.TenantURL, Scope: p.Scope, MatchAttribute: p.MatchAttribute,
		LeaveAction: p.LeaveAction, DeleteAction: p.DeleteAction, UpdateMethod: p.UpdateMethod, Groups: p.Groups}
}

// showProvisioning renders the Provisioning page of a; page carries what the request adds (a form after an error,
// a test's or on demand's result).
func (s *Server) showProvisioning(w http.ResponseWriter, r *http.Request, v *portalView, a *gatehouse.App, page provisioningPage) error {
	view, err := s.Service.FindProvisioning(r.Context(), v.Me, v.Dir.ID, a.ID)
	if err != nil {
		return err
	}
	page.appBase, page.View = appBase{Base: v.Base, App: a, Tab: "provisioning"}, view
	if page.Form == (provisioningForm{}) {
		page.Form = formOf(view.Settings)
	}
	if page.UserMappings == nil {
		page.UserMappings = view.Settings.UserMappings
	}
	if page.GroupMappings == nil {
		page.GroupMappings = view.Settings.GroupMappings
	}
	empty := gatehouse.AttributeMapping{Kind: gatehouse.MappingDirect, Apply: gatehouse.ApplyAlways}
	page.UserMappings = append(page.UserMappings[:len(page.UserMappings):len(page.UserMappings)], empty)
	page.GroupMappings = append(page.GroupMappings[:len(page.GroupMappings):len(page.GroupMappings)], empty)
	page.UserSources, page.GroupSources = gatehouse.ProvisioningUserSources, gatehouse.ProvisioningGroupSources
	page.Functions = provision.Functions()
	if page.Log, _, err = s.Service.FindProvisioningEvents(r.Context(), v.Me, v.Dir.ID, gatehouse.ProvisioningFilter{AppID: a.ID, Limit: 10}); err != nil {
		return err
	}
	v.Nav = "apps"
	s.show(w, r, v, "app_provisioning.html", page)
	return nil
}

func (s *Server) portalProvisioning(w http.ResponseWriter, r *http.Request, v *portalView) error {
	a, err := s.findApp(r, v)
	if err != nil {
		return err
	}
	return s.showProvisioning(w, r, v, a, provisioningPage{})
}

// settingsInput reads the settings form.
func settingsInput(f url.Values) (idp.ProvisioningInput, provisioningForm) {
	form := provisioningForm{Mode: f.Get("mode"), TenantURL: strings.TrimSpace(f.Get("tenantUrl")), Scope: f.Get("scope"),
		MatchAttribute: strings.TrimSpace(f.Get("matchAttribute")), LeaveAction: f.Get("leaveAction"),
		DeleteAction: f.Get("deleteAction"), UpdateMethod: f.Get("updateMethod"), Groups: f.Get("groups") == "on"}
	in := idp.ProvisioningInput{Mode: &form.Mode, TenantURL: &form.TenantURL, Scope: &form.Scope,
		MatchAttribute: &form.MatchAttribute, LeaveAction: &form.LeaveAction, DeleteAction: &form.DeleteAction,
		UpdateMethod: &form.UpdateMethod, Groups: &form.Groups}
	if tok := f.Get("token"); strings.TrimSpace(tok) != "" {
		in.Token = &tok
	}
	return in, form
}

func (s *Server) portalSaveProvisioning(w http.ResponseWriter, r *http.Request, v *portalView) error {
	a, err := s.findApp(r, v)
	if err != nil {
		return err
	}
	in, form := settingsInput(r.PostForm)
	if _, err := s.Service.UpdateProvisioning(r.Context(), v.Me, v.Dir.ID, a.ID, in); err != nil {
		if !v.formError(err, "mode", "tenantUrl", "token", "scope", "matchAttribute", "leaveAction", "deleteAction", "updateMethod") {
			return err
		}
		return s.showProvisioning(w, r, v, a, provisioningPage{Form: form})
	}
	s.notify(w, r, notice{Message: "The provisioning settings of " + a.Name + " were saved."})
	return redirect(w, r, v.appURL(a, "provisioning"))
}

// portalTestProvisioning tests the connection with the tenant URL and token of the form (the saved ones for
// those left empty) and shows the result; nothing is saved.
func (s *Server) portalTestProvisioning(w http.ResponseWriter, r *http.Request, v *portalView) error {
	a, err := s.findApp(r, v)
	if err != nil {
		return err
	}
	_, form := settingsInput(r.PostForm)
	res, err := s.Service.TestProvisioningConnection(r.Context(), v.Me, v.Dir.ID, a.ID,
		idp.TestConnectionInput{TenantURL: form.TenantURL, Token: r.PostForm.Get("token")})
	if err != nil {
		// What is missing or wrong in the form is the test's result, where the admin looks for it.
		if c := gatehouse.ErrorCode(err); c != gatehouse.EINVALID {
			return err
		}
		res = &provision.TestResult{Message: gatehouse.ErrorMessage(err), Steps: []gatehouse.ProvisioningStep{
			{Name: "connection", Result: gatehouse.ResultFailure, Detail: gatehouse.ErrorMessage(err)}}}
		v.status = http.StatusBadRequest
	}
	return s.showProvisioning(w, r, v, a, provisioningPage{Form: form, Test: res})
}

// mappingsOf reads the rows of a mapping table: row i has the fields target.i, kind.i, source.i, value.i,
// apply.i, default.i and remove.i; rows without a target, and those marked for removal, are left out.
func mappingsOf(f url.Values) []gatehouse.AttributeMapping {
	n, _ := strconv.Atoi(f.Get("rows"))
	out := []gatehouse.AttributeMapping{}
	for i := range min(n, gatehouse.MaxMappings+1) {
		get := func(name string) string { return strings.TrimSpace(f.Get(name + "." + strconv.Itoa(i))) }
		if get("target") == "" || get("remove") == "on" {
			continue
		}
		m := gatehouse.AttributeMapping{Target: get("target"), Kind: get("kind"), Apply: get("apply"), Default: get("default")}
		switch m.Kind {
		case gatehouse.MappingDirect:
			m.Source = get("source")
		case gatehouse.MappingConstant:
			m.Value = get("value")
		case gatehouse.MappingExpression:
			m.Expression = get("value")
		}
		out = append(out, m)
	}
	return out
}

func (s *Server) portalSaveMappings(w http.ResponseWriter, r *http.Request, v *portalView) error {
	a, err := s.findApp(r, v)
	if err != nil {
		return err
	}
	list := mappingsOf(r.PostForm)
	var in idp.ProvisioningInput
	page := provisioningPage{}
	field := "userMappings"
	if r.PostForm.Get("set") == "group" {
		in.GroupMappings, page.GroupMappings, field = &list, list, "groupMappings"
	} else {
		in.UserMappings, page.UserMappings = &list, list
	}
	if _, err := s.Service.UpdateProvisioning(r.Context(), v.Me, v.Dir.ID, a.ID, in); err != nil {
		if !v.formError(err, field, "matchAttribute") {
			return err
		}
		return s.showProvisioning(w, r, v, a, page)
	}
	s.notify(w, r, notice{Message: "The " + strings.TrimSuffix(field, "Mappings") + " attribute mappings of " + a.Name + " were saved."})
	return redirect(w, r, v.appURL(a, "provisioning")+"#"+strings.TrimSuffix(field, "Mappings")+"-mappings")
}

func (s *Server) portalProvisionOnDemand(w http.ResponseWriter, r *http.Request, v *portalView) error {
	a, err := s.findApp(r, v)
	if err != nil {
		return err
	}
	typ, name := r.PostForm.Get("type"), strings.TrimSpace(r.PostForm.Get("name"))
	page := provisioningPage{OnDemandType: typ, OnDemandName: name}
	var id string
	if typ == gatehouse.ObjectGroup {
		var g *gatehouse.Group
		if g, err = s.findOneGroup(r, v, name); err == nil {
			id = g.ID
		}
	} else {
		typ, page.OnDemandType = gatehouse.ObjectUser, gatehouse.ObjectUser
		var u *gatehouse.User
		if u, err = s.findOneUser(r, v, name); err == nil {
			id = u.ID
		}
	}
	if err == nil {
		page.OnDemand, err = s.Service.ProvisionOnDemand(r.Context(), v.Me, v.Dir.ID, a.ID, typ, id)
	}
	if err != nil {
		if !v.formError(err, "user", "objectId") {
			return err
		}
		if f := gatehouse.ErrorField(err); f == "user" || f == "objectId" {
			v.Errors["onDemand"] = gatehouse.ErrorMessage(err)
			delete(v.Errors, f)
		}
	}
	return s.showProvisioning(w, r, v, a, page)
}

func (s *Server) portalRetryProvisioning(w http.ResponseWriter, r *http.Request, v *portalView) error {
	a, err := s.findApp(r, v)
	if err != nil {
		return err
	}
	if err := s.Service.RetryProvisioning(r.Context(), v.Me, v.Dir.ID, a.ID); err != nil {
		if !v.formError(err) {
			return err
		}
		return s.showProvisioning(w, r, v, a, provisioningPage{})
	}
	s.notify(w, r, notice{Message: "Provisioning of " + a.Name + " is tried again now."})
	return redirect(w, r, v.appURL(a, "provisioning"))
}

func (s *Server) portalRestartProvisioning(w http.ResponseWriter, r *http.Request, v *portalView) error {
	a, err := s.findApp(r, v)
	if err != nil {
		return err
	}
	if err := s.Service.RestartProvisioning(r.Context(), v.Me, v.Dir.ID, a.ID); err != nil {
		if !v.formError(err) {
			return err
		}
		return s.showProvisioning(w, r, v, a, provisioningPage{})
	}
	s.notify(w, r, notice{Message: "A full provisioning cycle of " + a.Name + " starts now."})
	return redirect(w, r, v.appURL(a, "provisioning"))
}

// provisioningLogPage is the provisioning log with its filters.
type provisioningLogPage struct {
	Events []*gatehouse.ProvisioningEvent
	Pager  pager
	Apps   []*gatehouse.App
	// The filters as the form shows them; Since and Until are dates (YYYY-MM-DD, UTC).
	App, Object, Action, Result, Since, Until string
	Actions, Results                          []string
}

// dateParam reads a date (YYYY-MM-DD) of the log's filters as the start of that day in UTC; a bad one is ignored
// and shown empty.
func dateParam(q url.Values, name string) (time.Time, string) {
	d, err := time.Parse("2006-01-02", q.Get(name))
	if err != nil {
		return time.Time{}, ""
	}
	return d, q.Get(name)
}

func (s *Server) portalProvisioningLog(w http.ResponseWriter, r *http.Request, v *portalView) error {
	q := r.URL.Query()
	p := provisioningLogPage{App: q.Get("app"), Object: strings.TrimSpace(q.Get("object")), Action: q.Get("action"),
		Result:  q.Get("result"),
		Actions: []string{gatehouse.ActionCreate, gatehouse.ActionUpdate, gatehouse.ActionDisable, gatehouse.ActionDelete, gatehouse.ActionSkip},
		Results: []string{gatehouse.ResultSuccess, gatehouse.ResultFailure, gatehouse.ResultSkipped}}
	f := gatehouse.ProvisioningFilter{AppID: p.App, Object: p.Object, Action: p.Action, Result: p.Result,
		CycleID: q.Get("cycle"), Offset: offsetParam(r), Limit: logPageSize}
	f.Since, p.Since = dateParam(q, "since")
	if until, shown := dateParam(q, "until"); shown != "" {
		f.Until, p.Until = until.Add(24*time.Hour), shown // the whole day
	}
	var total int
	var err error
	if p.Events, total, err = s.provisioningEvents(r, v, f); err != nil {
		return err
	}
	if p.Apps, err = s.Service.FindApps(r.Context(), v.Me, v.Dir.ID, ""); err != nil {
		return err
	}
	p.Pager = newPager(q, f.Offset, logPageSize, total)
	v.Nav = "provisioning"
	s.show(w, r, v, "provisioning.html", p)
	return nil
}

// provisioningEvents returns a page of the log and the total.
func (s *Server) provisioningEvents(r *http.Request, v *portalView, f gatehouse.ProvisioningFilter) ([]*gatehouse.ProvisioningEvent, int, error) {
	if len(f.Object) > 256 {
		f.Object = f.Object[:256]
	}
	es, total, err := s.Service.FindProvisioningEvents(r.Context(), v.Me, v.Dir.ID, f)
	if gatehouse.ErrorCode(err) == gatehouse.ENOTFOUND && f.AppID != "" {
		return nil, 0, gatehouse.Errorf(gatehouse.ENOTFOUND, "The directory has no app %s.", f.AppID)
	}
	return es, total, err
}

func (s *Server) portalProvisioningEvent(w http.ResponseWriter, r *http.Request, v *portalView) error {
	e, err := s.Service.FindProvisioningEvent(r.Context(), v.Me, v.Dir.ID, r.PathValue("eventId"))
	if err != nil {
		return err
	}
	v.Nav = "provisioning"
	s.show(w, r, v, "provisioning_event.html", e)
	return nil
}
