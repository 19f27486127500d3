package web

import (
	"net/http"

	"github.com/gatehouse-idp/gatehouse"
)

// notificationsBody is the body of PUT …/notifications.
type notificationsBody struct {
	Emails *[]string `json:"emails"`
}

// getNotifications shows who is e-mailed before the signing certificate of the app in the URL, or of the directory
// when the URL names no app, expires.
func (s *Server) getNotifications(w http.ResponseWriter, r *http.Request) error {
	n, err := s.Service.NotificationSettings(r.Context(), userFrom(r), r.PathValue("dir"), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, n)
	return nil
}

// putNotifications replaces that list.
func (s *Server) putNotifications(w http.ResponseWriter, r *http.Request) error {
	var b notificationsBody
	if err := decode(w, r, &b); err != nil {
		return err
	}
	if b.Emails == nil {
		return gatehouse.FieldErrorf("emails", "Send the list of addresses as \"emails\"; an empty list removes them.")
	}
	n, err := s.Service.SetNotificationEmails(r.Context(), userFrom(r), r.PathValue("dir"), r.PathValue("id"), *b.Emails)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, n)
	return nil
}
