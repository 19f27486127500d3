package web

import (
	"net/http"
	"strings"

	"github.com/gatehouse-idp/gatehouse/idp"
)

// splitEmails reads the addresses of a notification form field: separated by commas, semicolons, spaces or lines.
func splitEmails(text string) []string {
	return strings.FieldsFunc(text, func(r rune) bool {
		return r == ',' || r == ';' || r == ' ' || r == '\t' || r == '\r' || r == '\n'
	})
}

// notifyForm is the text of a notification addresses field: the stored list, one address after another.
func notifyForm(n *idp.NotificationSettings) string {
	if n == nil {
		return ""
	}
	return strings.Join(n.Emails, ", ")
}

// portalSaveAppNotifications saves who is e-mailed before the app's signing certificate expires, from the form in
// the SSO page's certificate card.
func (s *Server) portalSaveAppNotifications(w http.ResponseWriter, r *http.Request, v *portalView) error {
	a, err := s.findApp(r, v)
	if err != nil {
		return err
	}
	text := r.PostForm.Get("emails")
	if _, err := s.Service.SetNotificationEmails(r.Context(), v.Me, v.Dir.ID, a.ID, splitEmails(text)); err == nil {
		return redirect(w, r, v.appURL(a, "sso")+"?saved=notifications#notifications")
	} else if !v.formError(err, "emails") {
		return err
	}
	p, err := s.ssoPage(r, v, a)
	if err != nil {
		return err
	}
	p.NotifyForm = text
	v.Nav = "apps"
	s.show(w, r, v, "app_sso.html", p)
	return nil
}

// portalSaveDirectoryNotifications saves the directory's default list of addresses e-mailed before a signing
// certificate expires, from its form on the settings page.
func (s *Server) portalSaveDirectoryNotifications(w http.ResponseWriter, r *http.Request, v *portalView) error {
	text := r.PostForm.Get("emails")
	if _, err := s.Service.SetNotificationEmails(r.Context(), v.Me, v.Dir.ID, "", splitEmails(text)); err == nil {
		return redirect(w, r, v.Base+"/settings?saved=notifications#notifications")
	} else if !v.formError(err, "emails") {
		return err
	}
	p := directorySettings{Name: v.Dir.Name, Domain: v.Dir.Domain, RequireMFA: v.Dir.RequireMFA, NotifyForm: text}
	return s.showSettings(w, r, v, p)
}
