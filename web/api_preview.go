package web

import (
	"net/http"

	"github.com/gatehouse-idp/gatehouse"
)

// apiPreview answers GET .../apps/{id}/preview?user={userId}: the Response the user would receive at the app
// now, as idp.Preview, built by the same code as a real sign-in and sent nowhere.
func (s *Server) apiPreview(w http.ResponseWriter, r *http.Request) error {
	user := r.URL.Query().Get("user")
	if user == "" {
		return gatehouse.FieldErrorf("user", "Name the user to preview with ?user=<user ID>.")
	}
	p, err := s.Service.PreviewAssertion(r.Context(), userFrom(r), r.PathValue("dir"), r.PathValue("id"), user)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, p)
	return nil
}
