package idp_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/certs"
	"github.com/gatehouse-idp/gatehouse/gallery"
	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/internal/pgtest"
	"github.com/gatehouse-idp/gatehouse/internal/smtpsink"
	"github.com/gatehouse-idp/gatehouse/password"
	"github.com/gatehouse-idp/gatehouse/postgres"
	"github.com/gatehouse-idp/gatehouse/smtp"
	"github.com/gatehouse-idp/gatehouse/sqlite"
)

// noticeClock is a settable time shared by the services of a test.
type noticeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *noticeClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *noticeClock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

// noticeNode returns a Gatehouse node on store with the instance key kek and the clock c, bootstrapped.
func noticeNode(t *testing.T, store gatehouse.Store, kek []byte, c *noticeClock) *idp.Service {
	t.Helper()
	sealer, err := certs.NewSealer(kek)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := idp.New(idp.Config{Store: store, Gallery: gallery.MustLoad(), Hasher: password.NewHasher(spTestHash, 1), Sealer: sealer,
		PublicURL: "https://login.contoso.com", NameIDKey: kek, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.Bootstrap(context.Background(), "admin@contoso.com", "correct horse battery staple"); err != nil {
		t.Fatal(err)
	}
	return svc
}

func newKEK(t *testing.T) []byte {
	t.Helper()
	kek := make([]byte, 32)
	if _, err := rand.Read(kek); err != nil {
		t.Fatal(err)
	}
	return kek
}

// sinkMailer returns a mailer that sends to sink.
func sinkMailer(t *testing.T, sink *smtpsink.Sink) *smtp.Sender {
	t.Helper()
	m, err := smtp.New(smtp.Config{Host: sink.Host, Port: sink.Port, TLS: smtp.TLSNone, From: "Gatehouse <gatehouse@contoso.com>"})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// addApp adds a custom app whose first signing certificate is valid for validity from now.
func addApp(t *testing.T, svc *idp.Service, root *gatehouse.User, dirID, name string, validity time.Duration) (*gatehouse.App, *gatehouse.Certificate) {
	t.Helper()
	ctx := context.Background()
	svc.SetCertValidity(validity)
	defer svc.SetCertValidity(3 * 365 * 24 * time.Hour)
	a, _, err := svc.AddApp(ctx, root, dirID, idp.AppInput{GalleryID: "custom", Name: name})
	if err != nil {
		t.Fatal(err)
	}
	cs, err := svc.CertificateList(ctx, root, dirID, a.ID)
	if err != nil || len(cs) != 1 {
		t.Fatalf("certificates of %s: %v, %v", name, cs, err)
	}
	return a, cs[0].Certificate
}

// notice is what a test expects of one mail: the app's name (or the directory's ID for its own certificate), the
// days left it names and its recipients.
type notice struct {
	Owner string
	Days  int
	To    []string
}

// received returns the messages after the first skip as notices, reading the owner and the days from the subject.
func received(t *testing.T, ms []*smtpsink.Message, names map[string]string) []notice {
	t.Helper()
	var out []notice
	for _, m := range ms {
		var days int
		subject := m.Subject()
		owner := ""
		for name := range names {
			if strings.Contains(subject, " of "+name+" expires") || strings.Contains(subject, "directory "+name+" expires") {
				owner = name
			}
		}
		if _, err := fmt.Sscanf(subject[strings.Index(subject, "expires in ")+len("expires in "):], "%d days", &days); err != nil {
			t.Fatalf("subject %q: %v", subject, err)
		}
		out = append(out, notice{owner, days, m.RcptTos})
	}
	return out
}

// TestCertificateNotices moves a clock through the life of two apps' certificates and sends what is due at each
// step to a real SMTP server: each app's list (or the directory's default list) gets one mail at 60, 30 and 7 days
// before expiry, nothing is sent twice, nothing after expiry, and nothing to owners without recipients.
func TestCertificateNotices(t *testing.T) {
	sink := smtpsink.Start(t, smtpsink.Options{})
	mailer := sinkMailer(t, sink)
	store, err := sqlite.Open(filepath.Join(t.TempDir(), "gatehouse.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ctx := context.Background()
	t0 := time.Date(2027, 1, 10, 9, 0, 0, 0, time.UTC)
	c := &noticeClock{t: t0}
	svc := noticeNode(t, store, newKEK(t), c)
	root, err := store.FindUserByName(ctx, "default", "admin@contoso.com")
	if err != nil {
		t.Fatal(err)
	}
	wiki, wikiCert := addApp(t, svc, root, "default", "Wiki", 90*24*time.Hour)
	hr, _ := addApp(t, svc, root, "default", "HR Portal", 100*24*time.Hour)
	if _, err := svc.SetNotificationEmails(ctx, root, "default", wiki.ID, []string{"wiki-ops@contoso.com", " sec@contoso.com ", "SEC@contoso.com"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SetNotificationEmails(ctx, root, "default", "", []string{"it@contoso.com"}); err != nil {
		t.Fatal(err)
	}
	// A second directory whose app's certificate expires as Wiki's does, with no one to tell.
	if err := svc.CreateDirectory(ctx, root, &gatehouse.Directory{ID: "fabrikam", Name: "Fabrikam"}); err != nil {
		t.Fatal(err)
	}
	addApp(t, svc, root, "fabrikam", "CRM", 90*24*time.Hour)

	names := map[string]string{"Wiki": wiki.ID, "HR Portal": hr.ID}
	wikiTo, itTo := []string{"wiki-ops@contoso.com", "sec@contoso.com"}, []string{"it@contoso.com"}
	seen := 0
	for _, step := range []struct {
		day  int
		want []notice
	}{
		{29, nil}, // Wiki has 61 days left
		{31, []notice{{"Wiki", 59, wikiTo}}},
		{31, nil},
		{32, nil},
		{41, []notice{{"HR Portal", 59, itTo}}},
		{61, []notice{{"Wiki", 29, wikiTo}}},
		{84, []notice{{"Wiki", 6, wikiTo}, {"HR Portal", 16, itTo}}},
		{84, nil},
		{95, []notice{{"HR Portal", 5, itTo}}}, // Wiki has expired
		{99, nil},
		{101, nil}, // both have expired
	} {
		c.Set(t0.AddDate(0, 0, step.day))
		n, err := svc.SendCertificateNotices(ctx, mailer)
		if err != nil {
			t.Fatalf("day %d: %v", step.day, err)
		}
		ms := sink.Messages(t)
		got := received(t, ms[seen:], names)
		slices.SortFunc(got, func(a, b notice) int { return strings.Compare(a.Owner, b.Owner) })
		want := slices.Clone(step.want)
		slices.SortFunc(want, func(a, b notice) int { return strings.Compare(a.Owner, b.Owner) })
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("day %d: mails mismatch (-want +got):\n%s", step.day, d)
		}
		if n != len(step.want) {
			t.Errorf("day %d: SendCertificateNotices says %d sent, want %d", step.day, n, len(step.want))
		}
		seen = len(ms)
	}

	// The first mail names the app, the directory, the certificate and its expiry, and says how to roll it over.
	first := sink.Messages(t)[0]
	if want := "Action required: the SAML signing certificate of Wiki expires in 59 days, on " + wikiCert.NotAfter.Format("2006-01-02"); first.Subject() != want {
		t.Errorf("subject %q, want %q", first.Subject(), want)
	}
	for _, want := range []string{
		"App:         Wiki (ID " + wiki.ID + ")",
		"Directory:   Default Directory (default)",
		"Thumbprint:  " + wikiCert.Thumbprint,
		"Expires:     " + wikiCert.NotAfter.Format("2006-01-02 15:04 UTC"),
		"Create the next certificate",
		"gatehouse app cert new " + wiki.ID + " --directory default",
		"Give it to Wiki",
		"https://login.contoso.com/d/default/federationmetadata/2007-06/federationmetadata.xml?appid=" + wiki.ID,
		"make it active",
		"gatehouse app cert activate " + wiki.ID + " CERT-ID --directory default",
		"Single sign-on page: https://login.contoso.com/admin/d/default/apps/" + wiki.ID + "/sso",
	} {
		if !strings.Contains(first.Body, want) {
			t.Errorf("the mail lacks %q:\n%s", want, first.Body)
		}
	}
	if !strings.Contains(first.Header.Get("From"), "gatehouse@contoso.com") {
		t.Errorf("From %q", first.Header.Get("From"))
	}

	// Every mail sent is in the directory's audit log, by the system, with its recipients.
	events, _, err := store.FindAuditEvents(ctx, "default", gatehouse.AuditFilter{TargetType: "certificate", Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var logged int
	for _, e := range events {
		if e.Action == "certificate.expiry_notice" {
			logged++
			if e.ActorName != "system" || !strings.Contains(e.After, "@contoso.com") {
				t.Errorf("audit event %+v", e)
			}
		}
	}
	if logged != 6 {
		t.Errorf("%d certificate.expiry_notice events in the audit log, want 6", logged)
	}
}

// TestCertificateNoticeNextCertificate checks that a notice for an app whose next certificate exists already says
// so, rather than asking for a new one.
func TestCertificateNoticeNextCertificate(t *testing.T) {
	sink := smtpsink.Start(t, smtpsink.Options{})
	store, err := sqlite.Open(filepath.Join(t.TempDir(), "gatehouse.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ctx := context.Background()
	t0 := time.Date(2027, 1, 10, 9, 0, 0, 0, time.UTC)
	c := &noticeClock{t: t0}
	svc := noticeNode(t, store, newKEK(t), c)
	root, _ := store.FindUserByName(ctx, "default", "admin@contoso.com")
	wiki, _ := addApp(t, svc, root, "default", "Wiki", 20*24*time.Hour)
	next, err := svc.CreateNextCertificate(ctx, root, "default", wiki.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SetNotificationEmails(ctx, root, "default", wiki.ID, []string{"wiki-ops@contoso.com"}); err != nil {
		t.Fatal(err)
	}
	if n, err := svc.SendCertificateNotices(ctx, sinkMailer(t, sink)); err != nil || n != 1 {
		t.Fatalf("SendCertificateNotices = %d, %v; want 1 sent", n, err)
	}
	m := sink.Messages(t)[0]
	if want := "The next certificate exists already (thumbprint " + next.Thumbprint + ", ID " + next.ID + ")"; !strings.Contains(m.Body, want) {
		t.Errorf("the mail lacks %q:\n%s", want, m.Body)
	}
	if !strings.Contains(m.Subject(), "expires in 20 days") {
		t.Errorf("subject %q", m.Subject())
	}
}

// TestCertificateNoticeRetried fails to send a notice (the mail server is down): the claim is dropped, so the next
// run, with the server back, sends it.
func TestCertificateNoticeRetried(t *testing.T) {
	store, err := sqlite.Open(filepath.Join(t.TempDir(), "gatehouse.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ctx := context.Background()
	c := &noticeClock{t: time.Date(2027, 1, 10, 9, 0, 0, 0, time.UTC)}
	svc := noticeNode(t, store, newKEK(t), c)
	root, _ := store.FindUserByName(ctx, "default", "admin@contoso.com")
	wiki, _ := addApp(t, svc, root, "default", "Wiki", 20*24*time.Hour)
	if _, err := svc.SetNotificationEmails(ctx, root, "default", wiki.ID, []string{"wiki-ops@contoso.com"}); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close() // nothing listens there now
	down, err := smtp.New(smtp.Config{Host: "127.0.0.1", Port: port, TLS: smtp.TLSNone, From: "gatehouse@contoso.com", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := svc.SendCertificateNotices(ctx, down); err == nil || n != 0 {
		t.Fatalf("with the mail server down: %d sent, error %v; want 0 and an error", n, err)
	}
	if ns, err := store.FindCertificateNotices(ctx, "default"); err != nil || len(ns) != 0 {
		t.Fatalf("notices after the failure: %v, %v; want the claim dropped", ns, err)
	}
	sink := smtpsink.Start(t, smtpsink.Options{})
	if n, err := svc.SendCertificateNotices(ctx, sinkMailer(t, sink)); err != nil || n != 1 {
		t.Fatalf("with the mail server back: %d sent, %v; want 1", n, err)
	}
	if ms := sink.Messages(t); len(ms) != 1 || !strings.Contains(ms[0].Subject(), "Wiki") {
		t.Errorf("received %d mails", len(ms))
	}
}

// TestCertificateNoticesTwoNodes runs the notice job on two nodes of one PostgreSQL database at once, each with its
// own connection to the mail server: each notice is mailed once, and running both again sends nothing new.
func TestCertificateNoticesTwoNodes(t *testing.T) {
	sink := smtpsink.Start(t, smtpsink.Options{})
	url := pgtest.URL(t)
	ctx := context.Background()
	kek := newKEK(t)
	c := &noticeClock{t: time.Date(2027, 1, 10, 9, 0, 0, 0, time.UTC)}
	var nodes []*idp.Service
	var first gatehouse.Store
	for range 2 {
		store, err := postgres.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { store.Close() })
		nodes = append(nodes, noticeNode(t, store, kek, c))
		if first == nil {
			first = store
		}
	}
	root, err := first.FindUserByName(ctx, "default", "admin@contoso.com")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		a, _ := addApp(t, nodes[0], root, "default", fmt.Sprintf("App %d", i), 40*24*time.Hour)
		if _, err := nodes[0].SetNotificationEmails(ctx, root, "default", a.ID, []string{fmt.Sprintf("app%d@contoso.com", i)}); err != nil {
			t.Fatal(err)
		}
	}
	run := func() int {
		var wg sync.WaitGroup
		sent := make([]int, len(nodes))
		errs := make([]error, len(nodes))
		for i, n := range nodes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sent[i], errs[i] = n.SendCertificateNotices(ctx, sinkMailer(t, sink))
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		return sent[0] + sent[1]
	}
	if n := run(); n != 3 {
		t.Errorf("the nodes sent %d notices, want 3", n)
	}
	if ms := sink.Messages(t); len(ms) != 3 {
		t.Errorf("the mail server received %d mails, want 3", len(ms))
	}
	if n := run(); n != 0 {
		t.Errorf("the second run sent %d notices, want none", n)
	}
	var to []string
	for _, m := range sink.Messages(t) {
		to = append(to, m.RcptTos...)
	}
	slices.Sort(to)
	if d := cmp.Diff([]string{"app0@contoso.com", "app1@contoso.com", "app2@contoso.com"}, to); d != "" {
		t.Errorf("recipients mismatch (-want +got):\n%s", d)
	}
}

// TestNotificationSettings checks who may read and change the notification lists, what is refused, and that every
// change is in the audit log.
func TestNotificationSettings(t *testing.T) {
	var store gatehouse.Store
	svc, root := newSPService(t, func(c *idp.Config) { store = c.Store })
	ctx := context.Background()
	app, _, err := svc.AddApp(ctx, root, "default", idp.AppInput{GalleryID: "custom", Name: "Wiki"})
	if err != nil {
		t.Fatal(err)
	}
	appAdmin, pw, err := svc.CreateUser(ctx, root, "default", idp.UserInput{UserName: "apps@contoso.com", FirstName: "A", LastName: "A", Role: gatehouse.RoleAppAdmin})
	if err != nil || pw == "" {
		t.Fatal(err)
	}
	appAdmin.MustChangePassword = false

	if _, err := svc.SetNotificationEmails(ctx, root, "default", "", []string{"it@contoso.com"}); err != nil {
		t.Fatal(err)
	}
	n, err := svc.NotificationSettings(ctx, appAdmin, "default", app.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(&idp.NotificationSettings{Emails: []string{}, Recipients: []string{"it@contoso.com"}}, n); d != "" {
		t.Errorf("an app without a list (-want +got):\n%s", d)
	}
	if n, err = svc.SetNotificationEmails(ctx, appAdmin, "default", app.ID, []string{"wiki@contoso.com"}); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(&idp.NotificationSettings{Emails: []string{"wiki@contoso.com"}, Recipients: []string{"wiki@contoso.com"}}, n); d != "" {
		t.Errorf("an app with a list (-want +got):\n%s", d)
	}

	for _, tc := range []struct {
		name   string
		actor  *gatehouse.User
		appID  string
		emails []string
		code   string
	}{
		{"SixAddresses", root, app.ID, []string{"a@x.com", "b@x.com", "c@x.com", "d@x.com", "e@x.com", "f@x.com"}, gatehouse.EINVALID},
		{"DisplayName", root, app.ID, []string{"Ops <ops@contoso.com>"}, gatehouse.EINVALID},
		{"NoAt", root, app.ID, []string{"ops"}, gatehouse.EINVALID},
		{"HeaderInjection", root, app.ID, []string{"ops@contoso.com\r\nBcc: all@contoso.com"}, gatehouse.EINVALID},
		{"TooLong", root, app.ID, []string{strings.Repeat("a", 250) + "@x.com"}, gatehouse.EINVALID},
		{"AppAdminOnTheDirectory", appAdmin, "", []string{"x@contoso.com"}, gatehouse.EFORBIDDEN},
		{"UnknownApp", root, "nosuchapp", []string{"x@contoso.com"}, gatehouse.ENOTFOUND},
		{"FiveAddressesAndRepeats", root, app.ID, []string{"a@x.com", "b@x.com", "A@x.com", "c@x.com", "", "d@x.com", "e@x.com"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := svc.SetNotificationEmails(ctx, tc.actor, "default", tc.appID, tc.emails)
			if got := gatehouse.ErrorCode(err); got != tc.code {
				t.Errorf("error %v (code %q), want code %q", err, got, tc.code)
			}
			if tc.code == gatehouse.EINVALID && gatehouse.ErrorField(err) != "emails" {
				t.Errorf("error names field %q, want emails", gatehouse.ErrorField(err))
			}
		})
	}
	n, err = svc.NotificationSettings(ctx, root, "default", app.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"a@x.com", "b@x.com", "c@x.com", "d@x.com", "e@x.com"}, n.Emails); d != "" {
		t.Errorf("stored list (-want +got):\n%s", d)
	}

	events, _, err := store.FindAuditEvents(ctx, "default", gatehouse.AuditFilter{TargetType: "app", TargetID: app.ID, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var changes []string
	for _, e := range events {
		if e.Action == "app.notifications.update" {
			changes = append(changes, e.ActorName+": "+e.Before+" -> "+e.After)
		}
	}
	want := []string{
		`admin@contoso.com: {"notificationEmails":["wiki@contoso.com"]} -> {"notificationEmails":["a@x.com","b@x.com","c@x.com","d@x.com","e@x.com"]}`,
		`apps@contoso.com: {"notificationEmails":[]} -> {"notificationEmails":["wiki@contoso.com"]}`,
	}
	if d := cmp.Diff(want, changes); d != "" {
		t.Errorf("audit log (newest first) mismatch (-want +got):\n%s", d)
	}
}
