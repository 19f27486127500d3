package web

import (
	"mime"
	"net/http"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/idp"
)

func (s *Server) listApps(w http.ResponseWriter, r *http.Request) error {
	as, err := s.Service.FindApps(r.Context(), userFrom(r), r.PathValue("dir"), r.URL.Query().Get("q"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listOf(as, len(as)))
	return nil
}

// addedApp is the answer to adding an app: the app, the settings left for the admin to fill in, and those the
// admin may want to turn on (an encryption certificate in the SP's metadata).
type addedApp struct {
	*gatehouse.App
	MissingSettings []string          `json:"missingSettings,omitempty"`
	Suggestions     []idp.SettingNote `json:"suggestions,omitempty"`
}

func (s *Server) addApp(w http.ResponseWriter, r *http.Request) error {
	var in idp.AppInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	a, missing, err := s.Service.AddApp(r.Context(), userFrom(r), r.PathValue("dir"), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, addedApp{App: a, MissingSettings: missing, Suggestions: idp.Suggestions(a.SAML)})
	return nil
}

func (s *Server) getApp(w http.ResponseWriter, r *http.Request) error {
	a, err := s.Service.FindApp(r.Context(), userFrom(r), r.PathValue("dir"), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}

// appPropertiesPatch is the body of PATCH .../apps/{id}: the app's properties; SAML settings have their own route.
type appPropertiesPatch struct {
	Name               *string `json:"name"`
	Enabled            *bool   `json:"enabled"`
	AssignmentRequired *bool   `json:"assignmentRequired"`
	Visible            *bool   `json:"visible"`
	Notes              *string `json:"notes"`
}

func (s *Server) patchApp(w http.ResponseWriter, r *http.Request) error {
	var p appPropertiesPatch
	if err := decode(w, r, &p); err != nil {
		return err
	}
	a, err := s.Service.UpdateApp(r.Context(), userFrom(r), r.PathValue("dir"), r.PathValue("id"), idp.AppPatch{
		Name: p.Name, Enabled: p.Enabled, AssignmentRequired: p.AssignmentRequired, Visible: p.Visible, Notes: p.Notes,
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}

func (s *Server) deleteApp(w http.ResponseWriter, r *http.Request) error {
	if err := s.Service.DeleteApp(r.Context(), userFrom(r), r.PathValue("dir"), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) getSAML(w http.ResponseWriter, r *http.Request) error {
	a, err := s.Service.FindApp(r.Context(), userFrom(r), r.PathValue("dir"), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a.SAML)
	return nil
}

// patchSAML changes the SAML settings present in the body and no other; arrays are replaced whole, and addReplyUrls,
// removeReplyUrls, setClaims and removeClaims change one entry each.
func (s *Server) patchSAML(w http.ResponseWriter, r *http.Request) error {
	var p idp.SAMLPatch
	if err := decode(w, r, &p); err != nil {
		return err
	}
	a, err := s.Service.UpdateSAML(r.Context(), userFrom(r), r.PathValue("dir"), r.PathValue("id"), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a.SAML)
	return nil
}

func (s *Server) getSetup(w http.ResponseWriter, r *http.Request) error {
	st, err := s.Service.Setup(r.Context(), userFrom(r), r.PathValue("dir"), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

// listCertificates lists an app's certificates with their rollover state and expiry warning.
func (s *Server) listCertificates(w http.ResponseWriter, r *http.Request) error {
	cs, err := s.Service.CertificateList(r.Context(), userFrom(r), r.PathValue("dir"), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listOf(cs, len(cs)))
	return nil
}

// createCertificate creates the app's next certificate.
func (s *Server) createCertificate(w http.ResponseWriter, r *http.Request) error {
	c, err := s.Service.CreateNextCertificate(r.Context(), userFrom(r), r.PathValue("dir"), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, c)
	return nil
}

// activateCertificate makes a certificate the app's signing certificate.
func (s *Server) activateCertificate(w http.ResponseWriter, r *http.Request) error {
	c, err := s.Service.ActivateCertificate(r.Context(), userFrom(r), r.PathValue("dir"), r.PathValue("id"), r.PathValue("certId"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) downloadCertificate(w http.ResponseWriter, r *http.Request) error {
	format := r.URL.Query().Get("format")
	if format == "" {
		format = idp.FormatBase64
	}
	f, err := s.Service.CertificateFile(r.Context(), userFrom(r), r.PathValue("dir"), r.PathValue("id"), r.PathValue("certId"), format)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", f.ContentType)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": f.Name}))
	_, err = w.Write(f.Data)
	return err
}

func (s *Server) listAssignments(w http.ResponseWriter, r *http.Request) error {
	as, err := s.Service.FindAssignments(r.Context(), userFrom(r), r.PathValue("dir"), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listOf(as, len(as)))
	return nil
}

type assignRequest struct {
	PrincipalType string `json:"principalType"`
	PrincipalID   string `json:"principalId"`
}

func (s *Server) assign(w http.ResponseWriter, r *http.Request) error {
	var in assignRequest
	if err := decode(w, r, &in); err != nil {
		return err
	}
	a, err := s.Service.Assign(r.Context(), userFrom(r), r.PathValue("dir"), r.PathValue("id"), in.PrincipalType, in.PrincipalID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, a)
	return nil
}

func (s *Server) unassign(w http.ResponseWriter, r *http.Request) error {
	if err := s.Service.Unassign(r.Context(), userFrom(r), r.PathValue("dir"), r.PathValue("id"), r.PathValue("assignmentId")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) listSignIns(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := gatehouse.SignInFilter{UserID: q.Get("user"), AppID: q.Get("app"), Result: q.Get("result")}
	var err error
	if f.Offset, err = intParam(r, "offset"); err != nil {
		return err
	}
	if f.Limit, err = intParam(r, "limit"); err != nil {
		return err
	}
	es, total, err := s.Service.FindSignInEvents(r.Context(), userFrom(r), r.PathValue("dir"), f)
	if err != nil {
		return err
	}
	views := make([]signInView, len(es))
	for i, e := range es {
		views[i] = viewSignIn(e, s.Service.PublicURL())
	}
	writeJSON(w, http.StatusOK, listOf(views, total))
	return nil
}

func (s *Server) getSignIn(w http.ResponseWriter, r *http.Request) error {
	e, err := s.Service.FindSignInEvent(r.Context(), userFrom(r), r.PathValue("dir"), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewSignIn(e, s.Service.PublicURL()))
	return nil
}

func (s *Server) listAudit(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := gatehouse.AuditFilter{ActorID: q.Get("actor"), TargetType: q.Get("targetType"), TargetID: q.Get("targetId")}
	var err error
	if f.Offset, err = intParam(r, "offset"); err != nil {
		return err
	}
	if f.Limit, err = intParam(r, "limit"); err != nil {
		return err
	}
	es, total, err := s.Service.FindAuditEvents(r.Context(), userFrom(r), r.PathValue("dir"), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listOf(es, total))
	return nil
}

// listDirectoryCertificates lists the directory's own certificates (those of its IdP metadata).
func (s *Server) listDirectoryCertificates(w http.ResponseWriter, r *http.Request) error {
	cs, err := s.Service.CertificateList(r.Context(), userFrom(r), r.PathValue("dir"), "")
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listOf(cs, len(cs)))
	return nil
}

// createDirectoryCertificate creates the directory's next certificate.
func (s *Server) createDirectoryCertificate(w http.ResponseWriter, r *http.Request) error {
	c, err := s.Service.CreateNextCertificate(r.Context(), userFrom(r), r.PathValue("dir"), "")
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, c)
	return nil
}

// activateDirectoryCertificate makes a certificate the directory's signing certificate.
func (s *Server) activateDirectoryCertificate(w http.ResponseWriter, r *http.Request) error {
	c, err := s.Service.ActivateCertificate(r.Context(), userFrom(r), r.PathValue("dir"), "", r.PathValue("certId"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}
