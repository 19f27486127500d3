package idp

import (
	"context"
	"crypto/x509"

	"github.com/gatehouse-idp/gatehouse"
)

// DirectoryMetadata returns the IdP metadata of a directory with the directory's certificates.
func (s *Service) DirectoryMetadata(ctx context.Context, dirID string) ([]byte, error) {
	if _, err := s.store.FindDirectory(ctx, dirID); err != nil {
		return nil, err
	}
	return s.metadata(ctx, dirID, "", false)
}

// SignedDirectoryMetadata returns DirectoryMetadata signed with the directory's active certificate.
func (s *Service) SignedDirectoryMetadata(ctx context.Context, dirID string) ([]byte, error) {
	if _, err := s.store.FindDirectory(ctx, dirID); err != nil {
		return nil, err
	}
	return s.metadata(ctx, dirID, "", true)
}

// AppMetadata returns the app federation metadata: the directory's IdP endpoints with the app's certificates: the
// active one first, a next one before a rollover, and the replaced one for RolloverGrace after it; signed with the
// app's active certificate when the app's SignMetadata is set.
func (s *Service) AppMetadata(ctx context.Context, dirID, appID string) ([]byte, error) {
	a, err := s.store.FindApp(ctx, dirID, appID)
	if err != nil {
		return nil, err
	}
	return s.metadata(ctx, dirID, appID, a.SAML.SignMetadata)
}

// metadata returns the metadata with the certificates of an app (or of the directory when appID is ""), signed with
// the active one when sign is set.
func (s *Service) metadata(ctx context.Context, dirID, appID string, sign bool) ([]byte, error) {
	cs, err := s.store.FindCertificates(ctx, dirID, appID)
	if err != nil {
		return nil, err
	}
	var published []*x509.Certificate
	for _, c := range cs {
		if _, published := certState(c, s.now()); !published {
			continue
		}
		x, err := x509.ParseCertificate(c.DER)
		if err != nil {
			return nil, gatehouse.Internal(err)
		}
		if c.Active { // the active certificate first
			published = append([]*x509.Certificate{x}, published...)
		} else {
			published = append(published, x)
		}
	}
	if sign {
		signer, err := s.signer(ctx, dirID, appID)
		if err != nil {
			return nil, err
		}
		md, err := s.identity(dirID).SignedMetadata(published, signer)
		if err != nil {
			return nil, gatehouse.Internal(err)
		}
		return md, nil
	}
	md, err := s.identity(dirID).Metadata(published)
	if err != nil {
		return nil, gatehouse.Internal(err)
	}
	return md, nil
}
