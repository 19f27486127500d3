package idp_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/idp"
	dsig "github.com/russellhaering/goxmldsig"
)

// metadataCerts returns the signing certificates an app's metadata publishes, in order.
func metadataCerts(t *testing.T, svc *idp.Service, app *gatehouse.App) []string {
	t.Helper()
	md, err := svc.AppMetadata(context.Background(), "default", app.ID)
	if err != nil {
		t.Fatal(err)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(md); err != nil {
		t.Fatal(err)
	}
	ed := doc.Root()
	if ed.SelectAttrValue("validUntil", "") == "" || ed.SelectAttrValue("cacheDuration", "") == "" {
		t.Errorf("metadata without validUntil or cacheDuration")
	}
	var out []string
	for _, c := range doc.FindElements("//KeyDescriptor[@use='signing']//X509Certificate") {
		out = append(out, c.Text())
	}
	return out
}

func b64(c *gatehouse.Certificate) string {
	x, _ := x509.ParseCertificate(c.DER)
	return (&spKey{Cert: x}).b64()
}

// signedBy reports whether the Response's assertion verifies with c.
func signedBy(t *testing.T, resp []byte, c *gatehouse.Certificate) bool {
	t.Helper()
	x, err := x509.ParseCertificate(c.DER)
	if err != nil {
		t.Fatal(err)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(resp); err != nil {
		t.Fatal(err)
	}
	v := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{x}})
	_, err = v.Validate(doc.FindElement("//Assertion"))
	return err == nil
}

func states(t *testing.T, svc *idp.Service, root *gatehouse.User, app *gatehouse.App) map[string]idp.CertificateInfo {
	t.Helper()
	list, err := svc.CertificateList(context.Background(), root, "default", app.ID)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]idp.CertificateInfo{}
	for _, c := range list {
		out[c.ID] = c
	}
	return out
}

// TestCertificateRollover creates a next certificate, publishes it beside the active one, switches signing to it,
// keeps the old one published for the grace period, and warns before certificates expire.
func TestCertificateRollover(t *testing.T) {
	now := time.Now().UTC()
	var logs bytes.Buffer
	svc, root := newSPService(t, func(c *idp.Config) {
		c.Now = func() time.Time { return now }
		c.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	})
	ctx := context.Background()
	app := plainApp(t, svc, root, "roll", nil)
	cs, err := svc.FindCertificates(ctx, root, "default", app.ID)
	if err != nil || len(cs) != 1 {
		t.Fatalf("certificates %v, %v", cs, err)
	}
	old := cs[0]

	next, err := svc.CreateNextCertificate(ctx, root, "default", app.ID)
	if err != nil {
		t.Fatal(err)
	}
	if next.Active || !next.DeactivatedAt.IsZero() {
		t.Fatalf("next certificate %+v", next)
	}
	if _, err := svc.CreateNextCertificate(ctx, root, "default", app.ID); gatehouse.ErrorCode(err) != gatehouse.ECONFLICT {
		t.Errorf("a second next certificate: %v, want conflict", err)
	}
	if got := metadataCerts(t, svc, app); len(got) != 2 || got[0] != b64(old) || got[1] != b64(next) {
		t.Errorf("metadata before the rollover publishes %d certificates, want the active then the next", len(got))
	}
	if st := states(t, svc, root, app); st[old.ID].State != idp.CertActive || st[next.ID].State != idp.CertNext || !st[next.ID].Published {
		t.Errorf("states %+v", st)
	}
	if resp := signInTo(t, svc, root, app); !signedBy(t, resp, old) {
		t.Error("before the rollover the active certificate does not sign")
	}

	if _, err := svc.ActivateCertificate(ctx, root, "default", app.ID, next.ID); err != nil {
		t.Fatal(err)
	}
	if resp := signInTo(t, svc, root, app); !signedBy(t, resp, next) || signedBy(t, resp, old) {
		t.Error("after the rollover the new certificate does not sign")
	}
	if got := metadataCerts(t, svc, app); len(got) != 2 || got[0] != b64(next) || got[1] != b64(old) {
		t.Errorf("metadata during the grace period publishes %d certificates, want the new then the old", len(got))
	}
	if st := states(t, svc, root, app); st[old.ID].State != idp.CertPrevious || !st[old.ID].Published {
		t.Errorf("the replaced certificate: %+v", st[old.ID])
	}
	now = now.Add(idp.RolloverGrace + time.Hour)
	if got := metadataCerts(t, svc, app); len(got) != 1 || got[0] != b64(next) {
		t.Errorf("metadata after the grace period publishes %d certificates, want the new one only", len(got))
	}
	if st := states(t, svc, root, app); st[old.ID].State != idp.CertRetired || st[old.ID].Published {
		t.Errorf("the replaced certificate after the grace period: %+v", st[old.ID])
	}
	if _, err := svc.ActivateCertificate(ctx, root, "default", app.ID, "nosuchcertificate"); gatehouse.ErrorCode(err) != gatehouse.ENOTFOUND {
		t.Errorf("activating an unknown certificate: %v", err)
	}

	// Expiry warnings: a certificate valid for 20 more days has reached the 30-day warning.
	// (It is made as if long ago, so that its default validity of three years ends in 20 days.)
	today := now
	now = now.Add(20*24*time.Hour - 3*365*24*time.Hour)
	short, err := svc.CreateNextCertificate(ctx, root, "default", app.ID)
	if err != nil {
		t.Fatal(err)
	}
	now = today
	if _, err := svc.ActivateCertificate(ctx, root, "default", app.ID, short.ID); err != nil {
		t.Fatal(err)
	}
	if st := states(t, svc, root, app); st[short.ID].ExpiryWarning != 30 || st[short.ID].DaysLeft < 19 || st[short.ID].DaysLeft > 20 {
		t.Errorf("a certificate with 20 days left: warning %d, days left %d", st[short.ID].ExpiryWarning, st[short.ID].DaysLeft)
	}
	if err := svc.CheckCertificateExpiry(ctx); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "signing certificate expires soon") || !strings.Contains(logs.String(), "warning_days=30") {
		t.Errorf("no expiry warning in the log:\n%s", logs.String())
	}
	// An expired certificate cannot be made active.
	now = now.Add(21 * 24 * time.Hour)
	if _, err := svc.ActivateCertificate(ctx, root, "default", app.ID, next.ID); err != nil {
		t.Errorf("re-activating the earlier certificate: %v", err)
	}
	if _, err := svc.ActivateCertificate(ctx, root, "default", app.ID, short.ID); gatehouse.ErrorCode(err) != gatehouse.EINVALID {
		t.Errorf("activating an expired certificate: %v, want invalid", err)
	}
}

// TestSignedMetadataOfApp signs an app's metadata when the app asks for it, and the directory's on request.
func TestSignedMetadataOfApp(t *testing.T) {
	svc, root := newSPService(t)
	ctx := context.Background()
	app := plainApp(t, svc, root, "signedmd", func(s *gatehouse.SAMLSettings) { s.SignMetadata = true })
	md, err := svc.AppMetadata(ctx, "default", app.ID)
	if err != nil {
		t.Fatal(err)
	}
	cs, _ := svc.FindCertificates(ctx, root, "default", app.ID)
	x, _ := x509.ParseCertificate(cs[0].DER)
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(md); err != nil {
		t.Fatal(err)
	}
	v := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{x}})
	if _, err := v.Validate(doc.Root()); err != nil {
		t.Errorf("the app's signed metadata: %v", err)
	}
	md, err = svc.SignedDirectoryMetadata(ctx, "default")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(md), "SignatureValue") {
		t.Error("the directory's signed metadata has no signature")
	}
}

// TestDirectoryCertificateRollover rolls the directory's own certificate over: the next one is published in the
// directory's metadata, then signs it.
func TestDirectoryCertificateRollover(t *testing.T) {
	svc, root := newSPService(t)
	ctx := context.Background()
	before, err := svc.CertificateList(ctx, root, "default", "")
	if err != nil || len(before) != 1 || before[0].State != idp.CertActive {
		t.Fatalf("directory certificates %+v, %v", before, err)
	}
	next, err := svc.CreateNextCertificate(ctx, root, "default", "")
	if err != nil {
		t.Fatal(err)
	}
	md, err := svc.DirectoryMetadata(ctx, "default")
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(md), "<ds:X509Certificate>"); n != 2 {
		t.Errorf("directory metadata publishes %d certificates, want 2", n)
	}
	if _, err := svc.ActivateCertificate(ctx, root, "default", "", next.ID); err != nil {
		t.Fatal(err)
	}
	md, err = svc.SignedDirectoryMetadata(ctx, "default")
	if err != nil {
		t.Fatal(err)
	}
	doc := etree.NewDocument()
	doc.ReadFromBytes(md)
	x, _ := x509.ParseCertificate(next.DER)
	v := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{x}})
	if _, err := v.Validate(doc.Root()); err != nil {
		t.Errorf("the directory metadata is not signed by the new certificate: %v", err)
	}
	if _, err := svc.ActivateCertificate(ctx, root, "default", "someapp", next.ID); gatehouse.ErrorCode(err) != gatehouse.ENOTFOUND {
		t.Errorf("activating a directory certificate as an app's: %v", err)
	}
}
