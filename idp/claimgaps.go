package idp

import (
	"context"
	"slices"

	"github.com/gatehouse-idp/gatehouse"
)

// ClaimGap is a claim an app would leave out of a user's assertion: its source attribute is empty for the user and
// no fallback fills it in, or the app's gallery template requires the claim and the app no longer sends it. A
// sign-in still succeeds without it (claims without a value are left out, as in the seed system), but an app that
// needs the claim (Mixpanel's email) refuses the user; a NameID without a value fails the sign-in itself.
type ClaimGap struct {
	AppID   string `json:"appId"`
	AppName string `json:"appName"`
	// Claim is the claim's name; for the NameID it is "NameID".
	Claim string `json:"claim"`
	// Source is the user attribute the claim's value comes from (user.mail); "" when the app does not send a claim
	// its template requires.
	Source string `json:"source,omitempty"`
	// NameID reports whether the gap is the assertion's subject: the sign-in fails.
	NameID bool `json:"nameId,omitempty"`
	// Required reports whether the app cannot do without the claim: its gallery template requires it, or it is
	// the NameID.
	Required bool `json:"required"`
}

// claimGaps returns the claims app leaves out for u, NameID first, then in the app's order of claims, then the
// required claims the app does not send at all. Only claims read from a user attribute can lack a value; constants
// and group claims (a user in no group) are not gaps.
func (s *Service) claimGaps(ctx context.Context, app *gatehouse.App, u *gatehouse.User) ([]ClaimGap, error) {
	var required []string
	if t, err := s.gallery.Find(app.GalleryID); err == nil {
		required = t.RequiredClaims
	}
	var gaps []ClaimGap
	st := app.SAML
	if st.NameIDFormat != gatehouse.NameIDPersistent && st.NameIDFormat != gatehouse.NameIDTransient &&
		s.nameID(app, st.NameIDFormat, &gatehouse.Session{}, u) == "" {
		gaps = append(gaps, ClaimGap{AppID: app.ID, AppName: app.Name, Claim: "NameID", Source: st.NameIDSource, NameID: true, Required: true})
	}
	attrs, err := s.Claims(ctx, app, u)
	if err != nil {
		return nil, err
	}
	sent := map[string]bool{}
	for _, a := range attrs {
		sent[a.Name] = true
	}
	configured := map[string]bool{}
	for _, c := range st.Claims {
		configured[c.Name] = true
		if c.Source == "" || c.Groups != "" || sent[c.Name] {
			continue
		}
		gaps = append(gaps, ClaimGap{AppID: app.ID, AppName: app.Name, Claim: c.Name, Source: c.Source, Required: slices.Contains(required, c.Name)})
	}
	for _, name := range required {
		if !configured[name] {
			gaps = append(gaps, ClaimGap{AppID: app.ID, AppName: app.Name, Claim: name, Required: true})
		}
	}
	return gaps, nil
}

// maxGapUsers bounds how many users one ClaimGaps call looks at.
const maxGapUsers = 500

// ClaimGaps returns, for each of the users given (at most 500), the claims the app would leave out of their
// assertions (see ClaimGap); users without gaps are not in the map, and IDs of users not in the directory are
// ignored. Any admin of the directory may ask. ENOTFOUND when the app is not in the directory.
func (s *Service) ClaimGaps(ctx context.Context, actor *gatehouse.User, dirID, appID string, userIDs []string) (map[string][]ClaimGap, error) {
	if err := s.Authorize(ctx, actor, dirID, ReadDirectory); err != nil {
		return nil, err
	}
	app, err := s.store.FindApp(ctx, dirID, appID)
	if err != nil {
		return nil, err
	}
	out := map[string][]ClaimGap{}
	for _, id := range userIDs[:min(len(userIDs), maxGapUsers)] {
		u, err := s.store.FindUser(ctx, dirID, id)
		if gatehouse.ErrorCode(err) == gatehouse.ENOTFOUND {
			continue
		} else if err != nil {
			return nil, err
		}
		gaps, err := s.claimGaps(ctx, app, u)
		if err != nil {
			return nil, err
		}
		if len(gaps) > 0 {
			out[u.ID] = gaps
		}
	}
	return out, nil
}

// UserClaimGaps returns the claims that the apps assigned to the user (directly or through a group)
// would leave out of the user's assertions, app by app in the order of FindUserApps. Any admin of the directory
// may ask. ENOTFOUND when the user is not in the directory.
func (s *Service) UserClaimGaps(ctx context.Context, actor *gatehouse.User, dirID, userID string) ([]ClaimGap, error) {
	if err := s.Authorize(ctx, actor, dirID, ReadDirectory); err != nil {
		return nil, err
	}
	u, err := s.store.FindUser(ctx, dirID, userID)
	if err != nil {
		return nil, err
	}
	apps, err := s.store.FindUserApps(ctx, dirID, userID)
	if err != nil {
		return nil, err
	}
	var out []ClaimGap
	for _, a := range apps {
		gaps, err := s.claimGaps(ctx, a, u)
		if err != nil {
			return nil, err
		}
		out = append(out, gaps...)
	}
	return out, nil
}
