package idp

import (
	"context"
	"crypto/x509"
	"slices"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/saml"
)

// DirectoryMetadata returns the IdP metadata of a directory: the directory's certificates and, after them, those of
// every app in it (see directoryCertificates).
func (s *Service) DirectoryMetadata(ctx context.Context, dirID string) ([]byte, error) {
	if _, err := s.store.FindDirectory(ctx, dirID); err != nil {
		return nil, err
	}
	certs, err := s.directoryCertificates(ctx, dirID)
	if err != nil {
		return nil, err
	}
	return s.metadata(ctx, dirID, "", certs, s.identity(dirID), false)
}

// SignedDirectoryMetadata returns DirectoryMetadata signed with the directory's active certificate.
func (s *Service) SignedDirectoryMetadata(ctx context.Context, dirID string) ([]byte, error) {
	if _, err := s.store.FindDirectory(ctx, dirID); err != nil {
		return nil, err
	}
	certs, err := s.directoryCertificates(ctx, dirID)
	if err != nil {
		return nil, err
	}
	return s.metadata(ctx, dirID, "", certs, s.identity(dirID), true)
}

// directoryCertificates returns the certificates the directory's metadata publishes: the directory's own, then those
// of each app, by app name. Each app signs its responses with its own certificate, so an SP given the directory's
// metadata instead of its app's would otherwise trust a certificate that never signs anything it receives, and fail
// at the first sign-in. SPs that read only the first certificate of metadata need the app's metadata URL, which
// lists that app's certificates alone; it stays the one the portal and the API show for each app.
func (s *Service) directoryCertificates(ctx context.Context, dirID string) ([]*gatehouse.Certificate, error) {
	certs, err := s.store.FindCertificates(ctx, dirID, "")
	if err != nil {
		return nil, err
	}
	apps, err := s.store.FindApps(ctx, dirID, "")
	if err != nil {
		return nil, err
	}
	for _, a := range apps {
		cs, err := s.store.FindCertificates(ctx, dirID, a.ID)
		if err != nil {
			return nil, err
		}
		certs = append(certs, cs...)
	}
	return certs, nil
}

// AppMetadata returns the app federation metadata: the directory's IdP endpoints with the app's certificates: the
// active one first, a next one before a rollover, and the replaced one for RolloverGrace after it; signed with the
// app's active certificate when the app's SignMetadata is set; WantAuthnRequestsSigned when the app requires signed
// requests.
func (s *Service) AppMetadata(ctx context.Context, dirID, appID string) ([]byte, error) {
	a, err := s.store.FindApp(ctx, dirID, appID)
	if err != nil {
		return nil, err
	}
	certs, err := s.store.FindCertificates(ctx, dirID, appID)
	if err != nil {
		return nil, err
	}
	ip := s.identity(dirID)
	ip.WantAuthnRequestsSigned = a.SAML.RequireSignedRequests
	return s.metadata(ctx, dirID, appID, certs, ip, a.SAML.SignMetadata)
}

// metadata returns ip's metadata with the published certificates among cs, each owner's active one before its
// others, signed with the active certificate of the app appID (of the directory when appID is "") when sign is set.
func (s *Service) metadata(ctx context.Context, dirID, appID string, cs []*gatehouse.Certificate, ip *saml.IdentityProvider, sign bool) ([]byte, error) {
	var published []*x509.Certificate
	owner, ownerStart := "\x00", 0 // the owner of the certificates since published[ownerStart]
	for _, c := range cs {
		if _, published := certState(c, s.now()); !published {
			continue
		}
		x, err := x509.ParseCertificate(c.DER)
		if err != nil {
			return nil, gatehouse.Internal(err)
		}
		if c.AppID != owner {
			owner, ownerStart = c.AppID, len(published)
		}
		if c.Active { // the owner's active certificate first
			published = slices.Insert(published, ownerStart, x)
		} else {
			published = append(published, x)
		}
	}
	if sign {
		signer, err := s.signer(ctx, dirID, appID)
		if err != nil {
			return nil, err
		}
		md, err := ip.SignedMetadata(published, signer)
		if err != nil {
			return nil, gatehouse.Internal(err)
		}
		return md, nil
	}
	md, err := ip.Metadata(published)
	if err != nil {
		return nil, gatehouse.Internal(err)
	}
	return md, nil
}
