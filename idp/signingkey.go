package idp

import (
	"context"
	"slices"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/certs"
)

// certificateForKeyType returns a new certificate with a key of keyType for the app when its active and next
// certificates have another key, and nil when one of them has that key already or keyType is unknown (the
// settings' validation names the allowed ones). It runs before the transaction that changes the setting, because
// making a key is slow.
func (s *Service) certificateForKeyType(ctx context.Context, dirID, appID, keyType string) (*gatehouse.Certificate, error) {
	if !slices.Contains(gatehouse.SigningKeyTypes, keyType) {
		return nil, nil
	}
	cs, err := s.store.FindCertificates(ctx, dirID, appID)
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		if st, _ := certState(c, s.now()); (st == CertActive || st == CertNext) && certs.DERKeyType(c.DER) == keyType {
			return nil, nil
		}
	}
	c, err := s.newCertificateOf(dirID, appID, "Gatehouse SSO Certificate", keyType)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// applySigningKeyType gives an app whose signing key type a changed a certificate of that type, in tx: none when
// its active or next certificate has that key already; otherwise fresh (from certificateForKeyType) becomes the
// active certificate if nobody is assigned to the app and nobody has signed in to it — no sign-on can break — and
// the next certificate otherwise, published beside the active one until an admin makes it active, as in a
// rollover. ECONFLICT when the app has a next certificate of another type.
func (s *Service) applySigningKeyType(ctx context.Context, tx gatehouse.Store, actor *gatehouse.User, a *gatehouse.App, fresh *gatehouse.Certificate) error {
	want := a.SAML.KeyType()
	cs, err := tx.FindCertificates(ctx, a.DirectoryID, a.ID)
	if err != nil {
		return err
	}
	var next *gatehouse.Certificate
	for _, c := range cs {
		st, _ := certState(c, s.now())
		if (st == CertActive || st == CertNext) && certs.DERKeyType(c.DER) == want {
			return nil
		}
		if st == CertNext {
			next = c
		}
	}
	if next != nil {
		return &gatehouse.Error{Code: gatehouse.ECONFLICT, Field: "signingKeyType", Message: gatehouse.Messagef(
			"The app already has a next certificate (%s, %s); make it active or delete it, then choose the key type again.",
			next.Thumbprint, KeyTypeLabel(certs.DERKeyType(next.DER)))}
	}
	if fresh == nil || certs.DERKeyType(fresh.DER) != want {
		return gatehouse.Errorf(gatehouse.ECONFLICT, "The app's certificates changed while the key type was being changed; choose it again.")
	}
	used, err := appInUse(ctx, tx, a)
	if err != nil {
		return err
	}
	c := *fresh
	c.Active = !used
	c.CreatedAt = s.now()
	if err := tx.CreateCertificate(ctx, &c); err != nil {
		return err
	}
	return s.audit(ctx, tx, actor, a.DirectoryID, "certificate.create", "certificate", c.ID, nil, &c)
}

// appInUse reports whether anyone is assigned to the app or has signed in to it (successfully or not).
func appInUse(ctx context.Context, tx gatehouse.Store, a *gatehouse.App) (bool, error) {
	as, err := tx.FindAssignments(ctx, a.DirectoryID, a.ID)
	if err != nil || len(as) > 0 {
		return len(as) > 0, err
	}
	es, _, err := tx.FindSignInEvents(ctx, a.DirectoryID, gatehouse.SignInFilter{AppID: a.ID, Limit: 1})
	return len(es) > 0, err
}

// KeyTypeLabel names a key type for people: "RSA 2048", "ECDSA P-256".
func KeyTypeLabel(keyType string) string {
	switch keyType {
	case gatehouse.KeyRSA2048:
		return "RSA 2048"
	case gatehouse.KeyECDSAP256:
		return "ECDSA P-256"
	}
	return keyType
}
