package storecopy

import (
	"context"
	"fmt"
	"time"

	"github.com/gatehouse-idp/gatehouse"
)

// pageSize is how many users or log entries are read at once.
const pageSize = 1000

// Copy copies every directory of src, with everything in it, to dst in one transaction of dst. The source is read
// in one transaction of src. It fails, changing nothing, when dst already holds one of the objects (ECONFLICT).
func Copy(ctx context.Context, dst, src gatehouse.Store) error {
	return src.InTx(ctx, func(src gatehouse.Store) error {
		return dst.InTx(ctx, func(dst gatehouse.Store) error {
			dirs, err := src.FindDirectories(ctx)
			if err != nil {
				return fmt.Errorf("storecopy: read directories: %w", err)
			}
			for _, d := range dirs {
				if err := copyDirectory(ctx, dst, src, d); err != nil {
					return fmt.Errorf("storecopy: directory %s: %w", d.ID, err)
				}
			}
			return nil
		})
	})
}

// copyDirectory copies the directory d and everything in it, referenced objects before those that refer to them.
func copyDirectory(ctx context.Context, dst, src gatehouse.Store, d *gatehouse.Directory) error {
	if err := dst.CreateDirectory(ctx, d); err != nil {
		return fmt.Errorf("create directory: %w", err)
	}
	if err := copyUsers(ctx, dst, src, d.ID); err != nil {
		return err
	}
	if err := copyPasskeyPolicy(ctx, dst, src, d.ID); err != nil {
		return err
	}
	if err := copyGroups(ctx, dst, src, d.ID); err != nil {
		return err
	}
	if err := copyApps(ctx, dst, src, d.ID); err != nil {
		return err
	}
	certs, err := src.FindCertificates(ctx, d.ID, "")
	if err != nil {
		return fmt.Errorf("read directory certificates: %w", err)
	}
	if err := createCertificates(ctx, dst, certs); err != nil {
		return err
	}
	if err := copyNotifications(ctx, dst, src, d.ID); err != nil {
		return err
	}
	tokens, err := src.FindAPITokens(ctx, d.ID, "")
	if err != nil {
		return fmt.Errorf("read API tokens: %w", err)
	}
	for _, t := range tokens {
		if err := dst.CreateAPIToken(ctx, t); err != nil {
			return fmt.Errorf("create API token %s: %w", t.ID, err)
		}
	}
	scimTokens, err := src.FindSCIMTokens(ctx, d.ID)
	if err != nil {
		return fmt.Errorf("read SCIM tokens: %w", err)
	}
	for _, t := range scimTokens {
		if err := dst.CreateSCIMToken(ctx, t); err != nil {
			return fmt.Errorf("create SCIM token %s: %w", t.ID, err)
		}
	}
	if err := copyProvisioning(ctx, dst, src, d.ID); err != nil {
		return err
	}
	if err := copySessions(ctx, dst, src, d.ID); err != nil {
		return err
	}
	if err := copyOIDC(ctx, dst, src, d.ID); err != nil {
		return err
	}
	if err := copySignInEvents(ctx, dst, src, d.ID); err != nil {
		return err
	}
	return copyAuditEvents(ctx, dst, src, d.ID)
}

func copyUsers(ctx context.Context, dst, src gatehouse.Store, directoryID string) error {
	// Each page starts after the last user of the one before, so a large directory is read once, by index.
	for after := ""; ; {
		users, _, err := src.FindUsers(ctx, directoryID, gatehouse.UserFilter{After: after, Limit: pageSize})
		if err != nil {
			return fmt.Errorf("read users: %w", err)
		}
		for _, u := range users {
			if err := dst.CreateUser(ctx, u); err != nil {
				return fmt.Errorf("create user %s: %w", u.ID, err)
			}
			if err := copyPasskeys(ctx, dst, src, u); err != nil {
				return err
			}
		}
		if len(users) < pageSize {
			return nil
		}
		after = users[len(users)-1].UserName
	}
}

func copyGroups(ctx context.Context, dst, src gatehouse.Store, directoryID string) error {
	groups, err := src.FindGroups(ctx, directoryID, "")
	if err != nil {
		return fmt.Errorf("read groups: %w", err)
	}
	for _, g := range groups {
		if err := dst.CreateGroup(ctx, g); err != nil {
			return fmt.Errorf("create group %s: %w", g.ID, err)
		}
		members, err := src.FindGroupMembers(ctx, directoryID, g.ID)
		if err != nil {
			return fmt.Errorf("read members of group %s: %w", g.ID, err)
		}
		for _, u := range members {
			if err := dst.AddGroupMember(ctx, directoryID, g.ID, u.ID); err != nil {
				return fmt.Errorf("add user %s to group %s: %w", u.ID, g.ID, err)
			}
		}
	}
	return nil
}

func copyApps(ctx context.Context, dst, src gatehouse.Store, directoryID string) error {
	apps, err := src.FindApps(ctx, directoryID, "")
	if err != nil {
		return fmt.Errorf("read apps: %w", err)
	}
	for _, a := range apps {
		if err := dst.CreateApp(ctx, a, nil); err != nil {
			return fmt.Errorf("create app %s: %w", a.ID, err)
		}
		certs, err := src.FindCertificates(ctx, directoryID, a.ID)
		if err != nil {
			return fmt.Errorf("read certificates of app %s: %w", a.ID, err)
		}
		if err := createCertificates(ctx, dst, certs); err != nil {
			return err
		}
		secrets, err := src.FindClientSecrets(ctx, directoryID, a.ID)
		if err != nil {
			return fmt.Errorf("read client secrets of app %s: %w", a.ID, err)
		}
		for _, c := range secrets {
			if err := dst.CreateClientSecret(ctx, c); err != nil {
				return fmt.Errorf("create client secret %s: %w", c.ID, err)
			}
		}
		assignments, err := src.FindAssignments(ctx, directoryID, a.ID)
		if err != nil {
			return fmt.Errorf("read assignments of app %s: %w", a.ID, err)
		}
		for _, x := range assignments {
			if err := dst.CreateAssignment(ctx, x); err != nil {
				return fmt.Errorf("create assignment %s: %w", x.ID, err)
			}
		}
	}
	return nil
}

// createCertificates creates certs, one owner's, oldest first. The owner has at most one active certificate, and
// creating an inactive one leaves it alone, so the active one stays active.
func createCertificates(ctx context.Context, dst gatehouse.Store, certs []*gatehouse.Certificate) error {
	for i := len(certs) - 1; i >= 0; i-- {
		if err := dst.CreateCertificate(ctx, certs[i]); err != nil {
			return fmt.Errorf("create certificate %s: %w", certs[i].ID, err)
		}
	}
	return nil
}

// copyOIDC copies the directory's OpenID Connect signing keys, oldest first so that the active ones stay active, and
// its live grants with their tokens, so that apps stay signed in and their tokens keep working.
func copyOIDC(ctx context.Context, dst, src gatehouse.Store, directoryID string) error {
	keys, err := src.FindOIDCKeys(ctx, directoryID)
	if err != nil {
		return fmt.Errorf("read signing keys: %w", err)
	}
	for i := len(keys) - 1; i >= 0; i-- {
		if err := dst.CreateOIDCKey(ctx, keys[i]); err != nil {
			return fmt.Errorf("create signing key %s: %w", keys[i].ID, err)
		}
	}
	grants, err := src.FindOIDCGrants(ctx, directoryID, gatehouse.OIDCGrantFilter{Live: true, Now: time.Now()})
	if err != nil {
		return fmt.Errorf("read grants: %w", err)
	}
	for _, g := range grants {
		if err := dst.CreateOIDCGrant(ctx, g); err != nil {
			return fmt.Errorf("create grant %s: %w", g.ID, err)
		}
		tokens, err := src.FindOIDCTokens(ctx, directoryID, g.ID)
		if err != nil {
			return fmt.Errorf("read the tokens of grant %s: %w", g.ID, err)
		}
		for _, t := range tokens {
			if err := dst.CreateOIDCToken(ctx, t); err != nil {
				return fmt.Errorf("create token %s: %w", t.ID, err)
			}
		}
	}
	return nil
}

// SessionFinder is a store that lists a directory's sessions, as both Gatehouse stores do beside the Store contract.
type SessionFinder interface {
	// FindSessions returns a directory's sessions that have not expired at now.
	FindSessions(ctx context.Context, directoryID string, now time.Time) ([]*gatehouse.Session, error)
}

// copySessions copies the directory's live sessions when src can list them, so that people stay signed in.
func copySessions(ctx context.Context, dst, src gatehouse.Store, directoryID string) error {
	sf, ok := src.(SessionFinder)
	if !ok {
		return nil
	}
	sessions, err := sf.FindSessions(ctx, directoryID, time.Now())
	if err != nil {
		return fmt.Errorf("read sessions: %w", err)
	}
	for _, sess := range sessions {
		if err := dst.CreateSession(ctx, sess); err != nil {
			return fmt.Errorf("create a session of user %s: %w", sess.UserID, err)
		}
	}
	return nil
}

func copySignInEvents(ctx context.Context, dst, src gatehouse.Store, directoryID string) error {
	for offset := 0; ; {
		events, total, err := src.FindSignInEvents(ctx, directoryID, gatehouse.SignInFilter{Offset: offset, Limit: pageSize})
		if err != nil {
			return fmt.Errorf("read sign-in events: %w", err)
		}
		for _, e := range events {
			if err := dst.CreateSignInEvent(ctx, e); err != nil {
				return fmt.Errorf("create sign-in event %s: %w", e.ID, err)
			}
		}
		offset += len(events)
		if len(events) == 0 || offset >= total {
			return nil
		}
	}
}

func copyAuditEvents(ctx context.Context, dst, src gatehouse.Store, directoryID string) error {
	for offset := 0; ; {
		events, total, err := src.FindAuditEvents(ctx, directoryID, gatehouse.AuditFilter{Offset: offset, Limit: pageSize})
		if err != nil {
			return fmt.Errorf("read audit events: %w", err)
		}
		for _, e := range events {
			if err := dst.CreateAuditEvent(ctx, e); err != nil {
				return fmt.Errorf("create audit event %s: %w", e.ID, err)
			}
		}
		offset += len(events)
		if len(events) == 0 || offset >= total {
			return nil
		}
	}
}

// copyNotifications copies who is e-mailed before the directory's and its apps' certificates expire, and the notices
// sent (or being sent), so that the new store does not send them again.
func copyNotifications(ctx context.Context, dst, src gatehouse.Store, directoryID string) error {
	apps, err := src.FindApps(ctx, directoryID, "")
	if err != nil {
		return fmt.Errorf("read apps: %w", err)
	}
	owners := []string{""}
	for _, a := range apps {
		owners = append(owners, a.ID)
	}
	for _, owner := range owners {
		emails, err := src.FindNotificationEmails(ctx, directoryID, owner)
		if err != nil {
			return fmt.Errorf("read notification e-mails of %q: %w", owner, err)
		}
		if len(emails) == 0 {
			continue
		}
		if err := dst.SetNotificationEmails(ctx, directoryID, owner, emails); err != nil {
			return fmt.Errorf("set notification e-mails of %q: %w", owner, err)
		}
	}
	notices, err := src.FindCertificateNotices(ctx, directoryID)
	if err != nil {
		return fmt.Errorf("read certificate notices: %w", err)
	}
	for _, n := range notices {
		if err := dst.ClaimCertificateNotice(ctx, n, 0); err != nil {
			return fmt.Errorf("copy the %d-day notice of certificate %s: %w", n.Days, n.CertificateID, err)
		}
		if !n.SentAt.IsZero() {
			if err := dst.FinishCertificateNotice(ctx, n); err != nil {
				return fmt.Errorf("copy the %d-day notice of certificate %s: %w", n.Days, n.CertificateID, err)
			}
		}
	}
	return nil
}

// copyPasskeys copies a user's passkeys.
func copyPasskeys(ctx context.Context, dst, src gatehouse.Store, u *gatehouse.User) error {
	keys, err := src.FindPasskeys(ctx, u.DirectoryID, u.ID)
	if err != nil {
		return fmt.Errorf("read passkeys of user %s: %w", u.ID, err)
	}
	for _, p := range keys {
		if err := dst.CreatePasskey(ctx, p); err != nil {
			return fmt.Errorf("create passkey %s: %w", p.ID, err)
		}
	}
	return nil
}

// copyPasskeyPolicy copies the directory's passkey policy when it set one.
func copyPasskeyPolicy(ctx context.Context, dst, src gatehouse.Store, directoryID string) error {
	p, err := src.FindPasskeyPolicy(ctx, directoryID)
	if err != nil {
		return fmt.Errorf("read passkey policy: %w", err)
	}
	if p.UpdatedAt.IsZero() {
		return nil
	}
	if err := dst.SetPasskeyPolicy(ctx, p); err != nil {
		return fmt.Errorf("set passkey policy: %w", err)
	}
	return nil
}

// copyProvisioning copies the apps' provisioning settings (with their sealed tokens), the links to the apps'
// accounts, the queued changes and the provisioning log. The engine's status is not copied: a provisioning that is
// on gets a full cycle requested, which finds every account through the links and pushes what changed.
func copyProvisioning(ctx context.Context, dst, src gatehouse.Store, directoryID string) error {
	ps, err := src.FindProvisionings(ctx, directoryID, "")
	if err != nil {
		return fmt.Errorf("read provisioning settings: %w", err)
	}
	for _, p := range ps {
		if err := dst.SetProvisioning(ctx, p); err != nil {
			return fmt.Errorf("set provisioning of app %s: %w", p.AppID, err)
		}
		if p.Mode == gatehouse.ProvisioningAutomatic {
			if err := dst.RequestProvisioning(ctx, directoryID, p.AppID, gatehouse.RequestCycle, p.UpdatedAt); err != nil {
				return fmt.Errorf("request a provisioning cycle of app %s: %w", p.AppID, err)
			}
		}
		for _, typ := range []string{gatehouse.ObjectUser, gatehouse.ObjectGroup} {
			for after := ""; ; {
				links, err := src.ListProvisionedObjects(ctx, directoryID, p.AppID, typ, after, pageSize)
				if err != nil {
					return fmt.Errorf("read provisioned %ss of app %s: %w", typ, p.AppID, err)
				}
				for _, o := range links {
					if err := dst.SaveProvisionedObject(ctx, o); err != nil {
						return fmt.Errorf("save provisioned %s %s of app %s: %w", typ, o.SourceID, p.AppID, err)
					}
				}
				if len(links) < pageSize {
					break
				}
				after = links[len(links)-1].SourceID
			}
		}
		jobs, err := src.FindProvisioningJobs(ctx, directoryID, p.AppID, time.Time{}, 1<<30)
		if err != nil {
			return fmt.Errorf("read provisioning jobs of app %s: %w", p.AppID, err)
		}
		if err := dst.EnqueueProvisioningJobs(ctx, jobs); err != nil {
			return fmt.Errorf("enqueue provisioning jobs of app %s: %w", p.AppID, err)
		}
		for _, j := range jobs {
			if j.Attempts > 0 {
				if err := dst.RetryProvisioningJob(ctx, j); err != nil {
					return fmt.Errorf("copy the attempts of a provisioning job of app %s: %w", p.AppID, err)
				}
			}
		}
	}
	for offset := 0; ; {
		events, total, err := src.FindProvisioningEvents(ctx, directoryID, gatehouse.ProvisioningFilter{Offset: offset, Limit: pageSize})
		if err != nil {
			return fmt.Errorf("read provisioning events: %w", err)
		}
		for _, e := range events {
			if err := dst.CreateProvisioningEvent(ctx, e); err != nil {
				return fmt.Errorf("create provisioning event %s: %w", e.ID, err)
			}
		}
		offset += len(events)
		if len(events) == 0 || offset >= total {
			return nil
		}
	}
}
