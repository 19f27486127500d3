package web

import (
	"net/http"

	"github.com/gatehouse-idp/gatehouse/idp"
)

// importMetadata serves POST .../apps/{id}/saml/metadata: {"metadata": "<xml>"} or {"url": "https://..."}. The
// body is bounded by decode's 1 MiB, so metadata over 1 MiB is refused with too_large (SECURITY-CASES 38). The
// answer is the app with what the import changed and what it suggests turning on.
func (s *Server) importMetadata(w http.ResponseWriter, r *http.Request) error {
	var in idp.MetadataInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	imp, err := s.Service.ImportMetadata(r.Context(), userFrom(r), r.PathValue("dir"), r.PathValue("id"), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, imp)
	return nil
}
