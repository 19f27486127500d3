package idp

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/gatehouse-idp/gatehouse"
)

// NotificationSettings say who is e-mailed before a signing certificate expires, as Entra ID's "Notification email
// addresses" do.
type NotificationSettings struct {
	// Emails is the app's own list (the directory's default list, for the directory).
	Emails []string `json:"emails"`
	// Recipients are who the notices go to: Emails, or the directory's default list for an app without its own.
	Recipients []string `json:"recipients"`
}

// NotificationSettings returns who is e-mailed before the signing certificate of an app (of the directory itself
// when appID is "") expires. Any admin of the directory may read them.
func (s *Service) NotificationSettings(ctx context.Context, actor *gatehouse.User, dirID, appID string) (*NotificationSettings, error) {
	if err := s.Authorize(ctx, actor, dirID, ReadDirectory); err != nil {
		return nil, err
	}
	if err := certificateOwner(ctx, s.store, dirID, appID); err != nil {
		return nil, err
	}
	return s.notificationSettings(ctx, s.store, dirID, appID)
}

func (s *Service) notificationSettings(ctx context.Context, st gatehouse.Store, dirID, appID string) (*NotificationSettings, error) {
	own, err := st.FindNotificationEmails(ctx, dirID, appID)
	if err != nil {
		return nil, err
	}
	n := &NotificationSettings{Emails: own, Recipients: own}
	if len(own) == 0 && appID != "" {
		if n.Recipients, err = st.FindNotificationEmails(ctx, dirID, ""); err != nil {
			return nil, err
		}
	}
	return n, nil
}

// SetNotificationEmails replaces who is e-mailed before an app's signing certificate expires (up to
// gatehouse.MaxNotificationEmails addresses; none lets the directory's default list apply), or, when appID is "",
// the directory's default list. App admins may change an app's list, global admins the directory's. The change is
// audit-logged. EINVALID (field "emails") for a list that is too long or holds something that is not an address.
func (s *Service) SetNotificationEmails(ctx context.Context, actor *gatehouse.User, dirID, appID string, emails []string) (*NotificationSettings, error) {
	perm, targetType, targetID := ManageApps, "app", appID
	if appID == "" {
		perm, targetType, targetID = ManageDirectory, "directory", dirID
	}
	if err := s.Authorize(ctx, actor, dirID, perm); err != nil {
		return nil, err
	}
	emails, err := gatehouse.NormalizeNotificationEmails(emails)
	if err != nil {
		return nil, err
	}
	var out *NotificationSettings
	err = s.store.InTx(ctx, func(tx gatehouse.Store) error {
		if err := certificateOwner(ctx, tx, dirID, appID); err != nil {
			return err
		}
		before, err := tx.FindNotificationEmails(ctx, dirID, appID)
		if err != nil {
			return err
		}
		if err := tx.SetNotificationEmails(ctx, dirID, appID, emails); err != nil {
			return err
		}
		if out, err = s.notificationSettings(ctx, tx, dirID, appID); err != nil {
			return err
		}
		type list struct {
			NotificationEmails []string `json:"notificationEmails"`
		}
		return s.audit(ctx, tx, actor, dirID, targetType+".notifications.update", targetType, targetID,
			list{before}, list{emails})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// NoticeClaimLease is how long a node's claim on a certificate notice keeps other nodes from sending it. A node
// that dies between claiming and sending loses the notice for this long; the mail server's time-out must be much
// shorter.
const NoticeClaimLease = 15 * time.Minute

// SendCertificateNotices e-mails the expiry notices that are due, as Entra ID does: for every active signing
// certificate, of every directory and app, that expires within 60, 30 or 7 days, the notice of the nearest of those
// thresholds goes to the app's notification list, or the directory's default list when the app has none (the
// directory's own certificate uses the default list). Each notice is sent once, even with several nodes running
// this at once: a node claims it in the store before it sends it. A notice that fails to send is tried again at the
// next run. Certificates that have expired and owners without recipients get no mail. It returns how many notices
// it sent, and the errors of those it could not send.
func (s *Service) SendCertificateNotices(ctx context.Context, m gatehouse.Mailer) (int, error) {
	dirs, err := s.store.FindDirectories(ctx)
	if err != nil {
		return 0, err
	}
	now := s.now()
	sent := 0
	var errs []error
	for _, d := range dirs {
		cs, err := s.store.FindExpiringCertificates(ctx, d.ID, now.Add(time.Duration(ExpiryWarningDays[0])*24*time.Hour))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, c := range cs {
			ok, err := s.sendCertificateNotice(ctx, m, d, c, now)
			if err != nil {
				errs = append(errs, fmt.Errorf("directory %s, certificate %s: %w", d.ID, c.ID, err))
			}
			if ok {
				sent++
			}
		}
	}
	return sent, errors.Join(errs...)
}

// sendCertificateNotice sends the notice due for c, if one is due, it has recipients and no node has sent or is
// sending it, and reports whether it sent it.
func (s *Service) sendCertificateNotice(ctx context.Context, m gatehouse.Mailer, d *gatehouse.Directory, c *gatehouse.Certificate, now time.Time) (bool, error) {
	days := expiryWarning(c.NotAfter, now)
	if days <= 0 {
		return false, nil
	}
	ns, err := s.notificationSettings(ctx, s.store, d.ID, c.AppID)
	if err != nil {
		return false, err
	}
	if len(ns.Recipients) == 0 {
		s.logger.DebugContext(ctx, "no one to notify of a certificate expiry", "directory", d.ID, "app", c.AppID, "certificate", c.ID)
		return false, nil
	}
	var app *gatehouse.App
	if c.AppID != "" {
		if app, err = s.store.FindApp(ctx, d.ID, c.AppID); err != nil {
			return false, err
		}
	}
	next, err := s.nextCertificate(ctx, d.ID, c.AppID, now)
	if err != nil {
		return false, err
	}
	n := &gatehouse.CertificateNotice{DirectoryID: d.ID, CertificateID: c.ID, Days: days, ClaimedAt: now}
	if err := s.store.ClaimCertificateNotice(ctx, n, NoticeClaimLease); gatehouse.ErrorCode(err) == gatehouse.ECONFLICT {
		return false, nil // sent already, or another node is sending it
	} else if err != nil {
		return false, err
	}
	mail := s.certificateNotice(d, app, c, next, ns.Recipients, now)
	if err := m.Send(ctx, mail); err != nil {
		if rerr := s.store.FinishCertificateNotice(context.WithoutCancel(ctx), n); rerr != nil {
			err = errors.Join(err, rerr)
		}
		s.logger.WarnContext(ctx, "certificate expiry notice not sent; it is tried again at the next run", "directory", d.ID,
			"app", c.AppID, "certificate", c.ID, "days", days, "err", err)
		return false, err
	}
	n.SentAt = s.now()
	if err := s.store.FinishCertificateNotice(context.WithoutCancel(ctx), n); err != nil {
		// The mail went; the claim stays and keeps other nodes from sending it again for its lease.
		return true, err
	}
	s.logger.InfoContext(ctx, "certificate expiry notice sent", "directory", d.ID, "app", c.AppID, "certificate", c.ID,
		"days", days, "to", strings.Join(ns.Recipients, ","))
	type notice struct {
		Days       int       `json:"days"`
		Thumbprint string    `json:"thumbprint"`
		NotAfter   time.Time `json:"notAfter"`
		Recipients []string  `json:"recipients"`
		Subject    string    `json:"subject"`
	}
	err = s.audit(ctx, s.store, nil, d.ID, "certificate.expiry_notice", "certificate", c.ID, nil,
		notice{days, c.Thumbprint, c.NotAfter, ns.Recipients, mail.Subject})
	return true, err
}

// nextCertificate returns the owner's next certificate (created, published, never active), or nil.
func (s *Service) nextCertificate(ctx context.Context, dirID, appID string, now time.Time) (*gatehouse.Certificate, error) {
	cs, err := s.store.FindCertificates(ctx, dirID, appID)
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		if st, published := certState(c, now); st == CertNext && published {
			return c, nil
		}
	}
	return nil, nil
}

// certificateNotice writes the notice for certificate c of app (nil for the directory's own certificate) in
// directory d: what expires when, what happens then, and how to roll it over without an outage.
func (s *Service) certificateNotice(d *gatehouse.Directory, app *gatehouse.App, c, next *gatehouse.Certificate, to []string, now time.Time) *gatehouse.Mail {
	days := max(0, int(c.NotAfter.Sub(now).Hours()/24))
	expires := c.NotAfter.UTC().Format("2006-01-02 15:04 UTC")
	dir := fmt.Sprintf("%s (%s)", d.Name, d.ID)
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	if app == nil {
		subject := fmt.Sprintf("Action required: the signing certificate of directory %s expires in %d days, on %s",
			d.Name, days, c.NotAfter.UTC().Format("2006-01-02"))
		line("The signing certificate of the Gatehouse directory %s expires in %d days.", dir, days)
		line("")
		line("  Directory:   %s", dir)
		line("  Certificate: %s (the directory's own, in its federation metadata)", c.ID)
		line("  Thumbprint:  %s", c.Thumbprint)
		line("  Expires:     %s", expires)
		line("")
		line("Apps that trust the directory's federation metadata rather than their own app's lose their sign-in when it")
		line("expires. To roll it over without an outage:")
		if next != nil {
			line("  1. The next certificate exists already (thumbprint %s, ID %s).", next.Thumbprint, next.ID)
		} else {
			line("  1. Create the next certificate: POST %s/api/v1/directories/%s/certificates", s.publicURL, url.PathEscape(d.ID))
		}
		line("  2. Give it to those apps: the directory's federation metadata publishes it beside the active one:")
		_, _, md := s.Endpoints(d.ID)
		line("     %s", md)
		line("  3. Once they trust it, make it active:")
		line("     POST %s/api/v1/directories/%s/certificates/{certId}/activate", s.publicURL, url.PathEscape(d.ID))
		line("     The replaced certificate stays in the metadata for 30 days.")
		s.noticeFooter(&b, "the directory's default notification list")
		return &gatehouse.Mail{To: to, Subject: subject, Text: b.String()}
	}
	subject := fmt.Sprintf("Action required: the SAML signing certificate of %s expires in %d days, on %s",
		app.Name, days, c.NotAfter.UTC().Format("2006-01-02"))
	ssoPage := fmt.Sprintf("%s/admin/d/%s/apps/%s/sso", s.publicURL, url.PathEscape(d.ID), url.PathEscape(app.ID))
	line("The SAML signing certificate that Gatehouse signs %s's sign-ins with expires in %d days.", app.Name, days)
	line("")
	line("  App:         %s (ID %s)", app.Name, app.ID)
	line("  Directory:   %s", dir)
	line("  Thumbprint:  %s", c.Thumbprint)
	line("  Expires:     %s", expires)
	line("")
	line("When it expires, %s refuses Gatehouse's sign-ins and its users cannot sign in.", app.Name)
	line("To roll it over without an outage:")
	if next != nil {
		line("  1. The next certificate exists already (thumbprint %s, ID %s).", next.Thumbprint, next.ID)
	} else {
		line("  1. Create the next certificate: on the app's Single sign-on page, SAML signing certificate, New certificate,")
		line("     or: gatehouse app cert new %s --directory %s", app.ID, d.ID)
	}
	line("  2. Give it to %s: download it there (Certificate (Base64) or Federation Metadata XML) and add it to the", app.Name)
	line("     app's SAML settings. An app that reads its App Federation Metadata URL picks it up by itself:")
	line("     %s", s.AppMetadataURL(d.ID, app.ID))
	line("  3. Once %s trusts it, make it active: Make active on the same page,", app.Name)
	line("     or: gatehouse app cert activate %s CERT-ID --directory %s", app.ID, d.ID)
	line("     The replaced certificate stays in the metadata for 30 days.")
	line("")
	line("Single sign-on page: %s", ssoPage)
	s.noticeFooter(&b, "the notification list of "+app.Name+" (or the directory's default list)")
	return &gatehouse.Mail{To: to, Subject: subject, Text: b.String()}
}

// noticeFooter says why the recipient gets the notice and when the next one comes.
func (s *Service) noticeFooter(b *strings.Builder, list string) {
	fmt.Fprintf(b, "\nYou receive this because your address is on %s in Gatehouse (%s).\n", list, s.publicURL)
	fmt.Fprintf(b, "Gatehouse sends this notice 60, 30 and 7 days before a signing certificate expires.\n")
}
