package web

import (
	"net/http"
	"net/url"
	"time"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/idp"
)

func (s *Server) getProvisioning(w http.ResponseWriter, r *http.Request) error {
	v, err := s.Service.FindProvisioning(r.Context(), userFrom(r), r.PathValue("dir"), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// patchProvisioning changes the fields of the app's provisioning settings present in the body; token is
// write-only.
func (s *Server) patchProvisioning(w http.ResponseWriter, r *http.Request) error {
	var in idp.ProvisioningInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	v, err := s.Service.UpdateProvisioning(r.Context(), userFrom(r), r.PathValue("dir"), r.PathValue("id"), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// testProvisioning tests the connection to the app with the body's tenant URL and token, or the saved ones; a
// failure of the app is the answer's content (200), not an error of the request.
func (s *Server) testProvisioning(w http.ResponseWriter, r *http.Request) error {
	var in idp.TestConnectionInput
	if r.ContentLength != 0 {
		if err := decode(w, r, &in); err != nil {
			return err
		}
	}
	res, err := s.Service.TestProvisioningConnection(r.Context(), userFrom(r), r.PathValue("dir"), r.PathValue("id"), in)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, res)
	return nil
}

// onDemandRequest is the body of POST .../provisioning/on-demand.
type onDemandRequest struct {
	ObjectType string `json:"objectType"`
	ObjectID   string `json:"objectId"`
}

func (s *Server) provisionOnDemand(w http.ResponseWriter, r *http.Request) error {
	var in onDemandRequest
	if err := decode(w, r, &in); err != nil {
		return err
	}
	res, err := s.Service.ProvisionOnDemand(r.Context(), userFrom(r), r.PathValue("dir"), r.PathValue("id"), in.ObjectType, in.ObjectID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

func (s *Server) retryProvisioning(w http.ResponseWriter, r *http.Request) error {
	if err := s.Service.RetryProvisioning(r.Context(), userFrom(r), r.PathValue("dir"), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) restartProvisioning(w http.ResponseWriter, r *http.Request) error {
	if err := s.Service.RestartProvisioning(r.Context(), userFrom(r), r.PathValue("dir"), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// provisioningFilter reads the filters of a provisioning log request: app, object (a user or group ID, or part of
// its name), action, result, cycle, since and until (RFC 3339), offset and limit.
func provisioningFilter(q url.Values) (gatehouse.ProvisioningFilter, error) {
	f := gatehouse.ProvisioningFilter{AppID: q.Get("app"), Object: q.Get("object"), Action: q.Get("action"),
		Result: q.Get("result"), CycleID: q.Get("cycle")}
	for _, t := range []struct {
		name string
		v    *time.Time
	}{{"since", &f.Since}, {"until", &f.Until}} {
		if s := q.Get(t.name); s != "" {
			var err error
			if *t.v, err = time.Parse(time.RFC3339, s); err != nil {
				return f, gatehouse.FieldErrorf(t.name, "%s must be a time such as 2026-03-01T09:00:00Z.", t.name)
			}
		}
	}
	if len(f.Object) > 256 {
		return f, gatehouse.FieldErrorf("object", "The object filter is at most 256 characters.")
	}
	return f, nil
}

// listProvisioningLog lists the provisioning log of the directory, or of the app in the path.
func (s *Server) listProvisioningLog(w http.ResponseWriter, r *http.Request) error {
	f, err := provisioningFilter(r.URL.Query())
	if err != nil {
		return err
	}
	if id := r.PathValue("id"); id != "" {
		f.AppID = id
	}
	if f.Offset, err = intParam(r, "offset"); err != nil {
		return err
	}
	if f.Limit, err = intParam(r, "limit"); err != nil {
		return err
	}
	es, total, err := s.Service.FindProvisioningEvents(r.Context(), userFrom(r), r.PathValue("dir"), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listOf(es, total))
	return nil
}

func (s *Server) getProvisioningEvent(w http.ResponseWriter, r *http.Request) error {
	e, err := s.Service.FindProvisioningEvent(r.Context(), userFrom(r), r.PathValue("dir"), r.PathValue("eventId"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}
