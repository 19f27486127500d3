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

// portalSaveDirectoryNotifications saves the directory's default list of addresses e-mailed before a signing
// certificate expires, from its form on the settings page.
func (s *Server) portalSaveDirectoryNotifications(w http.ResponseWriter, r *http.Request, v *portalView) error {
	text := r.PostForm.Get("emails")
	if _, err := s.Service.SetNotificationEmails(r.Context(), v.Me, v.Dir.ID, "", splitEmails(text)); err == nil {
		s.notify(w, r, notice{Section: "notifications", Message: "Saved the notification addresses."})
		return redirect(w, r, v.Base+"/settings#notifications")
	} else if !v.formError(err, "emails") {
		return err
	}
	p := directorySettings{Name: v.Dir.Name, Domain: v.Dir.Domain, RequireMFA: v.Dir.RequireMFA, NotifyForm: text}
	return s.showSettings(w, r, v, p)
}
