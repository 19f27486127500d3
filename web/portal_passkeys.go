package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/idp"
)

// passkeyPolicyPage is the portal's page of a directory's passkey policy.
type passkeyPolicyPage struct {
	Policy *gatehouse.PasskeyPolicy
	// AAGUIDs is the list as the form shows it, one per line.
	AAGUIDs   string
	CanManage bool
	// Unavailable says why passkeys cannot be used on this server, or is empty; RPID is their relying-party ID.
	Unavailable, RPID string
}

func (s *Server) portalPasskeyPolicy(w http.ResponseWriter, r *http.Request, v *portalView) error {
	p, err := s.Service.FindPasskeyPolicy(r.Context(), v.Me, v.Dir.ID)
	if err != nil {
		return err
	}
	return s.showPasskeyPolicy(w, r, v, policyJSON(p))
}

func (s *Server) showPasskeyPolicy(w http.ResponseWriter, r *http.Request, v *portalView, p *gatehouse.PasskeyPolicy) error {
	v.Nav = "settings"
	s.show(w, r, v, "passkeys.html", passkeyPolicyPage{Policy: p, AAGUIDs: strings.Join(p.AAGUIDs, "\n"),
		CanManage:   s.Service.Authorize(r.Context(), v.Me, v.Dir.ID, idp.ManageDirectory) == nil,
		Unavailable: s.Service.PasskeysUnavailable(), RPID: s.Service.PasskeyRPID()})
	return nil
}

func (s *Server) portalSavePasskeyPolicy(w http.ResponseWriter, r *http.Request, v *portalView) error {
	f := r.PostForm
	use, recovery := gatehouse.PasskeyUse(f.Get("passkeys")), gatehouse.RecoveryCodesAllowed
	if f.Get("recoveryCodes") != "on" {
		recovery = gatehouse.RecoveryCodesOff
	}
	require := f.Get("requirePhishingResistant") == "on"
	aaguids := strings.FieldsFunc(f.Get("aaguids"), func(r rune) bool { return r == '\n' || r == '\r' || r == ',' || r == ' ' })
	p, err := s.Service.UpdatePasskeyPolicy(r.Context(), v.Me, v.Dir.ID, idp.PasskeyPolicyPatch{
		Passkeys: &use, RequirePhishingResistant: &require, RecoveryCodes: &recovery, AAGUIDs: &aaguids})
	if err != nil {
		if !v.formError(err, "passkeys", "requirePhishingResistant", "recoveryCodes", "aaguids") {
			return err
		}
		return s.showPasskeyPolicy(w, r, v, &gatehouse.PasskeyPolicy{DirectoryID: v.Dir.ID, Passkeys: use,
			RequirePhishingResistant: require, RecoveryCodes: recovery, AAGUIDs: aaguids})
	}
	_ = p
	return s.done(w, r, v.Base+"/settings/passkeys", "Saved the passkey policy.")
}

func (s *Server) portalRemovePasskey(w http.ResponseWriter, r *http.Request, v *portalView) error {
	id := r.PathValue("id")
	if err := s.Service.DeleteUserPasskey(r.Context(), v.Me, v.Dir.ID, id, r.PathValue("passkeyId")); err != nil {
		return err
	}
	return s.done(w, r, v.Base+"/users/"+url.PathEscape(id), "The passkey is removed and the user's sessions have ended.")
}

func (s *Server) portalResetMFA(w http.ResponseWriter, r *http.Request, v *portalView) error {
	id := r.PathValue("id")
	if _, err := s.Service.ResetMFA(r.Context(), v.Me, v.Dir.ID, id); err != nil {
		return err
	}
	return s.done(w, r, v.Base+"/users/"+url.PathEscape(id),
		"Two-step verification is reset: the authenticator app, recovery codes and passkeys are removed, and the user's sessions have ended.")
}
