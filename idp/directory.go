package idp

import (
	"context"
	"strings"

	"github.com/gatehouse-idp/gatehouse"
)

// Bootstrap prepares an empty database: it creates the default directory with its signing certificate and, when
// the default directory has no users, a global admin named adminUser. When adminPassword is empty a strong random
// one is generated and returned, to be shown once; it is not temporary, so the admin can create an API token
// without a browser. Bootstrap does nothing on a database that already has users, and reports whether it created
// the admin.
//
// Several nodes may start at once on one empty database: the one whose transaction loses gets ECONFLICT and tries
// again, finding what the winner created.
func (s *Service) Bootstrap(ctx context.Context, adminUser, adminPassword string) (created bool, generated string, err error) {
	// A database that was set up before, the case at every start but the first, needs no write: two reads of an
	// index entry each tell, however many users there are.
	if done, err := s.bootstrapped(ctx); err != nil || done {
		return false, "", err
	}
	for attempt := 1; ; attempt++ {
		created, generated, err = s.bootstrap(ctx, adminUser, adminPassword)
		if gatehouse.ErrorCode(err) != gatehouse.ECONFLICT || attempt == 3 {
			return created, generated, err
		}
	}
}

func (s *Service) bootstrap(ctx context.Context, adminUser, adminPassword string) (created bool, generated string, err error) {
	u := &gatehouse.User{
		DirectoryID: gatehouse.DefaultDirectoryID, UserName: adminUser, DisplayName: "Administrator",
		Role: gatehouse.RoleGlobalAdmin, Source: gatehouse.SourceSetup,
	}
	// The password is hashed before the transaction, as every hash is. Bootstrap comes here only for a database
	// without users, so the hash is wasted only when another node creates the admin first.
	if adminPassword == "" {
		generated, u.PasswordHash, err = s.newPassword(ctx)
	} else {
		u.PasswordHash, err = s.hasher.Hash(ctx, adminPassword)
	}
	if err != nil {
		return false, "", err
	}
	err = s.store.InTx(ctx, func(tx gatehouse.Store) error {
		if _, err := tx.FindDirectory(ctx, gatehouse.DefaultDirectoryID); gatehouse.ErrorCode(err) == gatehouse.ENOTFOUND {
			d := &gatehouse.Directory{ID: gatehouse.DefaultDirectoryID, Name: "Default Directory", Domain: domainOf(adminUser)}
			if err := s.createDirectory(ctx, tx, nil, d); err != nil {
				return err
			}
		} else if err != nil {
			return err
		}
		if has, err := tx.HasUsers(ctx, gatehouse.DefaultDirectoryID); err != nil || has {
			return err
		}
		if err := validateUser(u, ""); err != nil {
			return err
		}
		if err := s.insertUser(ctx, tx, nil, u); err != nil {
			return err
		}
		created = true
		return nil
	})
	if !created {
		generated = ""
	}
	return created, generated, err
}

// bootstrapped reports whether the default directory exists and has users, outside any transaction.
func (s *Service) bootstrapped(ctx context.Context) (bool, error) {
	_, err := s.store.FindDirectory(ctx, gatehouse.DefaultDirectoryID)
	switch {
	case gatehouse.ErrorCode(err) == gatehouse.ENOTFOUND:
		return false, nil
	case err != nil:
		return false, err
	}
	return s.store.HasUsers(ctx, gatehouse.DefaultDirectoryID)
}

func domainOf(userName string) string {
	if i := strings.LastIndexByte(userName, '@'); i >= 0 {
		return userName[i+1:]
	}
	return ""
}

// CreateDirectory creates a directory with its own signing certificate. Only instance admins may.
func (s *Service) CreateDirectory(ctx context.Context, actor *gatehouse.User, d *gatehouse.Directory) error {
	if !IsInstanceAdmin(actor) {
		return gatehouse.Errorf(gatehouse.EFORBIDDEN, "Only global admins of the default directory can create directories.")
	}
	return s.store.InTx(ctx, func(tx gatehouse.Store) error { return s.createDirectory(ctx, tx, actor, d) })
}

func (s *Service) createDirectory(ctx context.Context, tx gatehouse.Store, actor *gatehouse.User, d *gatehouse.Directory) error {
	d.ID = strings.ToLower(strings.TrimSpace(d.ID))
	d.CreatedAt, d.UpdatedAt = s.now(), s.now()
	if err := d.Validate(); err != nil {
		return err
	}
	if err := tx.CreateDirectory(ctx, d); err != nil {
		if gatehouse.ErrorCode(err) == gatehouse.ECONFLICT {
			return &gatehouse.Error{Code: gatehouse.ECONFLICT, Field: "id", Message: gatehouse.Messagef("A directory with ID %q already exists.", d.ID)}
		}
		return err
	}
	cert, err := s.newCertificate(d.ID, "", "Gatehouse "+d.Name)
	if err != nil {
		return err
	}
	if err := tx.CreateCertificate(ctx, cert); err != nil {
		return err
	}
	return s.audit(ctx, tx, actor, d.ID, "directory.create", "directory", d.ID, nil, d)
}

// FindDirectories returns the directories the actor may administer: every one for instance admins, their own for
// other admins.
func (s *Service) FindDirectories(ctx context.Context, actor *gatehouse.User) ([]*gatehouse.Directory, error) {
	if IsInstanceAdmin(actor) {
		return s.store.FindDirectories(ctx)
	}
	if err := s.Authorize(ctx, actor, actor.DirectoryID, ReadDirectory); err != nil {
		return nil, err
	}
	d, err := s.store.FindDirectory(ctx, actor.DirectoryID)
	if err != nil {
		return nil, err
	}
	return []*gatehouse.Directory{d}, nil
}

// FindDirectory returns a directory the actor may read.
func (s *Service) FindDirectory(ctx context.Context, actor *gatehouse.User, id string) (*gatehouse.Directory, error) {
	if err := s.Authorize(ctx, actor, id, ReadDirectory); err != nil {
		return nil, err
	}
	return s.store.FindDirectory(ctx, id)
}

// DirectoryPatch lists the directory fields to change; nil fields stay as they are.
type DirectoryPatch struct {
	Name       *string `json:"name"`
	Domain     *string `json:"domain"`
	RequireMFA *bool   `json:"requireMfa"`
}

// UpdateDirectory changes a directory's name, domain or MFA policy. Global admins of the directory may.
func (s *Service) UpdateDirectory(ctx context.Context, actor *gatehouse.User, id string, p DirectoryPatch) (*gatehouse.Directory, error) {
	if err := s.Authorize(ctx, actor, id, ManageDirectory); err != nil {
		return nil, err
	}
	var out *gatehouse.Directory
	err := s.store.InTx(ctx, func(tx gatehouse.Store) error {
		d, err := tx.FindDirectory(ctx, id)
		if err != nil {
			return err
		}
		before := *d
		setIf(&d.Name, p.Name)
		setIf(&d.Domain, p.Domain)
		setIf(&d.RequireMFA, p.RequireMFA)
		d.UpdatedAt = s.now()
		if err := d.Validate(); err != nil {
			return err
		}
		if err := tx.UpdateDirectory(ctx, d); err != nil {
			return err
		}
		out = d
		return s.audit(ctx, tx, actor, id, "directory.update", "directory", id, before, d)
	})
	return out, err
}

// DeleteDirectory deletes a directory and everything in it. The default directory cannot be deleted; only
// instance admins may delete the others.
func (s *Service) DeleteDirectory(ctx context.Context, actor *gatehouse.User, id string) error {
	if !IsInstanceAdmin(actor) {
		return gatehouse.Errorf(gatehouse.EFORBIDDEN, "Only global admins of the default directory can delete directories.")
	}
	if id == gatehouse.DefaultDirectoryID {
		return gatehouse.Errorf(gatehouse.EINVALID, "The default directory cannot be deleted.")
	}
	return s.store.InTx(ctx, func(tx gatehouse.Store) error {
		d, err := tx.FindDirectory(ctx, id)
		if err != nil {
			return err
		}
		if err := tx.DeleteDirectory(ctx, id); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, gatehouse.DefaultDirectoryID, "directory.delete", "directory", id, d, nil)
	})
}

// setIf sets *dst to *src when src is not nil.
func setIf[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}

// OwnDirectory returns the directory of a signed-in user, whatever their role.
func (s *Service) OwnDirectory(ctx context.Context, u *gatehouse.User) (*gatehouse.Directory, error) {
	return s.store.FindDirectory(ctx, u.DirectoryID)
}
