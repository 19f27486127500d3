package idp

import (
	"context"
	"fmt"

	"github.com/gatehouse-idp/gatehouse"
)

// Names of the readiness checks.
const (
	CheckDatabase = "database"
	CheckSchema   = "schema"
	CheckKey      = "key"
)

// ReadinessCheck is one check of Ready: its name and, when it failed, why. The cause is for the log, not for the
// load balancer that asks.
type ReadinessCheck struct {
	Name string
	Err  error
}

// Ready reports whether this node can serve sign-ins, check by check: the database answers, its schema is the one
// this code migrates it to, and the instance key opens the default directory's active signing key. ctx bounds the
// checks: one the deadline interrupts fails.
func (s *Service) Ready(ctx context.Context) []ReadinessCheck {
	out := []ReadinessCheck{{Name: CheckDatabase}, {Name: CheckSchema}, {Name: CheckKey}}
	if out[0].Err = s.CheckDatabase(ctx); out[0].Err == nil {
		if hc, ok := s.store.(gatehouse.HealthChecker); ok {
			out[1].Err = hc.CheckSchema(ctx)
		}
	}
	if out[0].Err != nil {
		out[1].Err = fmt.Errorf("not checked: the database does not answer")
		out[2].Err = out[1].Err
		return out
	}
	out[2].Err = s.checkKey(ctx)
	return out
}

// checkKey opens the private key of the default directory's active signing certificate with the instance key. A
// node started with another key than the one that sealed the keys cannot sign anything.
func (s *Service) checkKey(ctx context.Context) error {
	cs, err := s.store.FindCertificates(ctx, gatehouse.DefaultDirectoryID, "")
	if err != nil {
		return err
	}
	for _, c := range cs {
		if c.Active {
			if _, err := s.sealer.OpenSigner(c.EncryptedKey, c.ID); err != nil {
				return fmt.Errorf("the key does not open the signing key of certificate %s: %w", c.ID, err)
			}
			return nil
		}
	}
	return nil // no active certificate: nothing to open, and not this node's fault
}

// CheckDatabase returns an error unless the database answers a read: the default directory, which every
// database Gatehouse runs on has.
func (s *Service) CheckDatabase(ctx context.Context) error {
	_, err := s.store.FindDirectory(ctx, gatehouse.DefaultDirectoryID)
	return err
}
