package web

import (
	"net/http"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/idp"
)

// The REST API of OpenID Connect apps (their settings and client secrets) and of a directory's OpenID Connect
// signing keys.

// getOIDC shows an OpenID Connect app's settings.
func (s *Server) getOIDC(w http.ResponseWriter, r *http.Request) error {
	a, err := s.Service.FindApp(r.Context(), userFrom(r), r.PathValue("dir"), r.PathValue("id"))
	if err != nil {
		return err
	}
	if a.OIDC == nil {
		return errNotOIDC(a.Name)
	}
	writeJSON(w, http.StatusOK, a.OIDC)
	return nil
}

// patchOIDC changes the fields of an OpenID Connect app's settings present in the body; arrays are replaced whole.
func (s *Server) patchOIDC(w http.ResponseWriter, r *http.Request) error {
	var p idp.OIDCPatch
	if err := decode(w, r, &p); err != nil {
		return err
	}
	a, err := s.Service.UpdateOIDC(r.Context(), userFrom(r), r.PathValue("dir"), r.PathValue("id"), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a.OIDC)
	return nil
}

// listClientSecrets lists an app's client secrets, without the secrets.
func (s *Server) listClientSecrets(w http.ResponseWriter, r *http.Request) error {
	list, err := s.Service.ClientSecrets(r.Context(), userFrom(r), r.PathValue("dir"), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listOf(list, len(list)))
	return nil
}

// createdClientSecret is a new client secret with its value, shown this once.
type createdClientSecret struct {
	Secret       string `json:"secret"`
	ClientSecret any    `json:"clientSecret"`
}

// createClientSecret makes a client secret, rotating the others with an overlap when asked.
func (s *Server) createClientSecret(w http.ResponseWriter, r *http.Request) error {
	var in idp.NewClientSecret
	if err := decode(w, r, &in); err != nil {
		return err
	}
	secret, c, err := s.Service.CreateClientSecret(r.Context(), userFrom(r), r.PathValue("dir"), r.PathValue("id"), in)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, createdClientSecret{Secret: secret, ClientSecret: c})
	return nil
}

// deleteClientSecret deletes a client secret.
func (s *Server) deleteClientSecret(w http.ResponseWriter, r *http.Request) error {
	if err := s.Service.DeleteClientSecret(r.Context(), userFrom(r), r.PathValue("dir"), r.PathValue("id"), r.PathValue("secretId")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// listOIDCKeys lists the directory's OpenID Connect signing keys with their rollover state.
func (s *Server) listOIDCKeys(w http.ResponseWriter, r *http.Request) error {
	list, err := s.Service.OIDCKeyList(r.Context(), userFrom(r), r.PathValue("dir"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listOf(list, len(list)))
	return nil
}

// newOIDCKey is the body of POST .../oidc/keys.
type newOIDCKey struct {
	Algorithm string `json:"algorithm"`
}

// createOIDCKey creates the directory's next signing key for an algorithm.
func (s *Server) createOIDCKey(w http.ResponseWriter, r *http.Request) error {
	var in newOIDCKey
	if err := decode(w, r, &in); err != nil {
		return err
	}
	k, err := s.Service.CreateNextOIDCKey(r.Context(), userFrom(r), r.PathValue("dir"), in.Algorithm)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, k)
	return nil
}

// activateOIDCKey makes a key the one that signs for its algorithm.
func (s *Server) activateOIDCKey(w http.ResponseWriter, r *http.Request) error {
	k, err := s.Service.ActivateOIDCKey(r.Context(), userFrom(r), r.PathValue("dir"), r.PathValue("keyId"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, k)
	return nil
}

// errNotOIDC answers a request for the OpenID Connect settings of a SAML app.
func errNotOIDC(name string) error {
	return gatehouse.FieldErrorf("protocol", "%s is a SAML app; it has no OpenID Connect settings.", name)
}
