package idp

import (
	"context"
	"slices"
	"strings"

	"github.com/gatehouse-idp/gatehouse"
)

// SAMLPatch lists the SAML settings of an app to change; nil fields stay as they are, and slices replace the stored
// ones whole (a pointer to an empty slice clears them). Its JSON names are those of gatehouse.SAMLSettings.
//
// Besides whole lists, a patch can change one entry of a list, so that two admins who each change one claim or
// reply URL at the same time both keep their change: AddReplyURLs and RemoveReplyURLs, SetClaims and RemoveClaims.
// They apply after the whole lists, removals first.
type SAMLPatch struct {
	EntityID              *string            `json:"entityId,omitempty"`
	ReplyURLs             *[]string          `json:"replyUrls,omitempty"`
	SignOnURL             *string            `json:"signOnUrl,omitempty"`
	RelayState            *string            `json:"relayState,omitempty"`
	LogoutURL             *string            `json:"logoutUrl,omitempty"`
	NameIDFormat          *string            `json:"nameIdFormat,omitempty"`
	NameIDSource          *string            `json:"nameIdSource,omitempty"`
	Claims                *[]gatehouse.Claim `json:"claims,omitempty"`
	SigningOption         *string            `json:"signingOption,omitempty"`
	SigningAlgorithm      *string            `json:"signingAlgorithm,omitempty"`
	SigningKeyType        *string            `json:"signingKeyType,omitempty"`
	ACSIndexes            *[]int             `json:"acsIndexes,omitempty"`
	LogoutBinding         *string            `json:"logoutBinding,omitempty"`
	LogoutResponseURL     *string            `json:"logoutResponseUrl,omitempty"`
	SigningCertificates   *[]string          `json:"signingCertificates,omitempty"`
	EncryptionCertificate *string            `json:"encryptionCertificate,omitempty"`
	EncryptionMethods     *[]string          `json:"encryptionMethods,omitempty"`
	RequireSignedRequests *bool              `json:"requireSignedRequests,omitempty"`
	AllowSHA1Requests     *bool              `json:"allowSha1Requests,omitempty"`
	EncryptAssertions     *bool              `json:"encryptAssertions,omitempty"`
	SignMetadata          *bool              `json:"signMetadata,omitempty"`
	MetadataURL           *string            `json:"metadataUrl,omitempty"`
	// MetadataStatus is accepted so that settings read with GET can be sent back, and ignored: it is the server's
	// record of the last metadata refresh, not a setting.
	MetadataStatus *gatehouse.MetadataStatus `json:"metadataStatus,omitempty"`

	// AddReplyURLs are appended to the reply URLs unless already there; with ACS indexes from metadata, each gets
	// the next free index. RemoveReplyURLs are taken out with their indexes; each must be registered.
	AddReplyURLs    []string `json:"addReplyUrls,omitempty"`
	RemoveReplyURLs []string `json:"removeReplyUrls,omitempty"`
	// SetClaims each replace the claim named Replaces (the claim's own name when empty) where it stands, or are
	// appended when there is no claim of that name. RemoveClaims names claims to remove; each must exist.
	SetClaims    []ClaimSet `json:"setClaims,omitempty"`
	RemoveClaims []string   `json:"removeClaims,omitempty"`
}

// ClaimSet is a claim to add or change in a SAMLPatch.
type ClaimSet struct {
	gatehouse.Claim
	// Replaces names the claim this one replaces, when it renames a claim.
	Replaces string `json:"replaces,omitempty"`
	// New reports whether the claim is added: it is an error when the app has a claim of that name already.
	New bool `json:"new,omitempty"`
}

// Empty reports whether p changes nothing.
func (p *SAMLPatch) Empty() bool {
	q := *p
	q.MetadataStatus = nil
	return q.EntityID == nil && q.ReplyURLs == nil && q.SignOnURL == nil && q.RelayState == nil && q.LogoutURL == nil &&
		q.NameIDFormat == nil && q.NameIDSource == nil && q.Claims == nil && q.SigningOption == nil &&
		q.SigningAlgorithm == nil && q.SigningKeyType == nil && q.ACSIndexes == nil && q.LogoutBinding == nil && q.LogoutResponseURL == nil &&
		q.SigningCertificates == nil && q.EncryptionCertificate == nil && q.EncryptionMethods == nil &&
		q.RequireSignedRequests == nil && q.AllowSHA1Requests == nil && q.EncryptAssertions == nil &&
		q.SignMetadata == nil && q.MetadataURL == nil && len(q.AddReplyURLs) == 0 && len(q.RemoveReplyURLs) == 0 &&
		len(q.SetClaims) == 0 && len(q.RemoveClaims) == 0
}

// apply changes st as p says. Lists are copied, never shared with p. It returns EINVALID naming the field when an
// entry to remove or replace is not there.
func (p *SAMLPatch) apply(st *gatehouse.SAMLSettings) error {
	setIf(&st.EntityID, p.EntityID)
	setIf(&st.SignOnURL, p.SignOnURL)
	setIf(&st.RelayState, p.RelayState)
	setIf(&st.LogoutURL, p.LogoutURL)
	setIf(&st.NameIDFormat, p.NameIDFormat)
	setIf(&st.NameIDSource, p.NameIDSource)
	setIf(&st.SigningOption, p.SigningOption)
	setIf(&st.SigningAlgorithm, p.SigningAlgorithm)
	setIf(&st.SigningKeyType, p.SigningKeyType)
	setIf(&st.LogoutBinding, p.LogoutBinding)
	setIf(&st.LogoutResponseURL, p.LogoutResponseURL)
	setIf(&st.EncryptionCertificate, p.EncryptionCertificate)
	setIf(&st.RequireSignedRequests, p.RequireSignedRequests)
	setIf(&st.AllowSHA1Requests, p.AllowSHA1Requests)
	setIf(&st.EncryptAssertions, p.EncryptAssertions)
	setIf(&st.SignMetadata, p.SignMetadata)
	setIf(&st.MetadataURL, p.MetadataURL)
	st.ReplyURLs = cloneOr(st.ReplyURLs, p.ReplyURLs)
	st.ACSIndexes = cloneOr(st.ACSIndexes, p.ACSIndexes)
	st.Claims = cloneOr(st.Claims, p.Claims)
	st.SigningCertificates = cloneOr(st.SigningCertificates, p.SigningCertificates)
	st.EncryptionMethods = cloneOr(st.EncryptionMethods, p.EncryptionMethods)
	st.EntityID = strings.TrimSpace(st.EntityID)

	for _, u := range p.RemoveReplyURLs {
		i := slices.Index(st.ReplyURLs, u)
		if i < 0 {
			return gatehouse.FieldErrorf("removeReplyUrls", "%q is not a reply URL of the app.", clipValue(u, 200))
		}
		st.ReplyURLs = slices.Delete(st.ReplyURLs, i, i+1)
		if len(st.ACSIndexes) > i {
			st.ACSIndexes = slices.Delete(st.ACSIndexes, i, i+1)
		}
	}
	for _, u := range p.AddReplyURLs {
		if slices.Contains(st.ReplyURLs, u) {
			continue
		}
		if len(st.ACSIndexes) > 0 && len(st.ACSIndexes) == len(st.ReplyURLs) {
			st.ACSIndexes = append(st.ACSIndexes, slices.Max(st.ACSIndexes)+1)
		}
		st.ReplyURLs = append(st.ReplyURLs, u)
	}
	claims, err := patchClaims(st.Claims, p.SetClaims, p.RemoveClaims)
	if err != nil {
		return err
	}
	st.Claims = claims
	return nil
}

// patchClaims returns claims without the claims remove names and with the claims of set in place or appended; the
// claims given are not changed. EINVALID ("removeClaims", "claims") for a name that is not there, a new claim whose
// name is taken and a renamed claim that is gone.
func patchClaims(claims []gatehouse.Claim, set []ClaimSet, remove []string) ([]gatehouse.Claim, error) {
	if len(set) == 0 && len(remove) == 0 {
		return claims, nil
	}
	claims = slices.Clone(claims)
	for _, name := range remove {
		i := slices.IndexFunc(claims, func(c gatehouse.Claim) bool { return c.Name == name })
		if i < 0 {
			return nil, gatehouse.FieldErrorf("removeClaims", "The app has no claim named %q.", clipValue(name, 200))
		}
		claims = slices.Delete(claims, i, i+1)
	}
	for _, c := range set {
		name := c.Replaces
		if name == "" {
			name = c.Name
		}
		i := slices.IndexFunc(claims, func(x gatehouse.Claim) bool { return x.Name == name })
		switch {
		case i >= 0 && c.New:
			return nil, gatehouse.FieldErrorf("claims", "The app has a claim named %q already; change that one instead.", clipValue(c.Name, 200))
		case i >= 0:
			claims[i] = c.Claim
		case c.Replaces != "":
			return nil, gatehouse.FieldErrorf("claims", "The app has no claim named %q to change; it may have been removed meanwhile.", clipValue(c.Replaces, 200))
		default:
			claims = append(claims, c.Claim)
		}
	}
	return claims, nil
}

// cloneOr returns a copy of *p when p is set, and cur otherwise. A set but empty list stays empty, not nil.
func cloneOr[T any](cur []T, p *[]T) []T {
	if p == nil {
		return cur
	}
	return append(make([]T, 0, len(*p)), *p...)
}

// clipValue shortens s to at most n bytes for a message.
func clipValue(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}

// UpdateSAML changes the SAML settings of an app that p names, and no other: the app is read and written in one
// transaction that keeps others from changing it meanwhile, so two admins who change different settings at the
// same time both keep their change. A new signing key type gives the app a certificate of that type (see
// applySigningKeyType). Errors: EINVALID naming the field, ECONFLICT when another app has the Identifier or
// the app already has a next certificate of another key type, ENOTFOUND.
func (s *Service) UpdateSAML(ctx context.Context, actor *gatehouse.User, dirID, id string, p SAMLPatch) (*gatehouse.App, error) {
	var fresh *gatehouse.Certificate
	if p.SigningKeyType != nil {
		if err := s.Authorize(ctx, actor, dirID, ManageApps); err != nil {
			return nil, err
		}
		var err error
		if fresh, err = s.certificateForKeyType(ctx, dirID, id, *p.SigningKeyType); err != nil {
			return nil, err
		}
	}
	return s.changeAppTx(ctx, actor, dirID, id, "app.update", func(tx gatehouse.Store, a *gatehouse.App) error {
		if a.IsOIDC() {
			return gatehouse.FieldErrorf("protocol", "%s is an OpenID Connect app; it has no SAML settings.", a.Name)
		}
		if err := p.apply(&a.SAML); err != nil {
			return err
		}
		if p.SigningKeyType == nil {
			return nil
		}
		if err := a.SAML.Validate(); err != nil {
			return err
		}
		return s.applySigningKeyType(ctx, tx, actor, a, fresh)
	})
}

// changeApp reads an app for update, lets change change it, checks and stores the result and audits it as action,
// all in one transaction.
func (s *Service) changeApp(ctx context.Context, actor *gatehouse.User, dirID, id, action string, change func(a *gatehouse.App) error) (*gatehouse.App, error) {
	return s.changeAppTx(ctx, actor, dirID, id, action, func(_ gatehouse.Store, a *gatehouse.App) error { return change(a) })
}

// changeAppTx is changeApp for a change that also writes in the transaction.
func (s *Service) changeAppTx(ctx context.Context, actor *gatehouse.User, dirID, id, action string, change func(tx gatehouse.Store, a *gatehouse.App) error) (*gatehouse.App, error) {
	if err := s.Authorize(ctx, actor, dirID, ManageApps); err != nil {
		return nil, err
	}
	var out *gatehouse.App
	err := s.store.InTx(ctx, func(tx gatehouse.Store) error {
		a, err := tx.FindAppForUpdate(ctx, dirID, id)
		if err != nil {
			return err
		}
		before := *a
		if err := change(tx, a); err != nil {
			return err
		}
		a.Name = strings.TrimSpace(a.Name)
		a.SAML.EntityID = strings.TrimSpace(a.SAML.EntityID)
		if err := s.readSPCertificates(&before.SAML, &a.SAML); err != nil {
			return err
		}
		if err := a.Validate(); err != nil {
			return err
		}
		a.UpdatedAt = s.now()
		if err := tx.UpdateApp(ctx, a); err != nil {
			return entityConflict(err, a.SAML.EntityID)
		}
		out = a
		return s.audit(ctx, tx, actor, dirID, action, "app", id, before, a)
	})
	return out, err
}
