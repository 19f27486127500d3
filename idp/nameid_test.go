package idp_test

import (
	"context"
	"strings"
	"testing"

	"github.com/beevik/etree"
	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/saml"
)

// plainApp adds an app that anyone may use, with settings changed by f.
func plainApp(t *testing.T, svc *idp.Service, root *gatehouse.User, name string, f func(*gatehouse.SAMLSettings)) *gatehouse.App {
	t.Helper()
	ctx := context.Background()
	a, _, err := svc.AddApp(ctx, root, "default", idp.AppInput{GalleryID: "custom", Name: name})
	if err != nil {
		t.Fatal(err)
	}
	s := a.SAML
	s.EntityID, s.ReplyURLs = "https://"+name+".example.test/sp", []string{"https://" + name + ".example.test/acs"}
	if f != nil {
		f(&s)
	}
	off := false
	if a, err = svc.UpdateApp(ctx, root, "default", a.ID, idp.AppPatch{AssignmentRequired: &off, SAML: &s}); err != nil {
		t.Fatal(err)
	}
	return a
}

// session is a signed-in browser: its cookie token and its session.
type session struct {
	token string
	*gatehouse.Session
}

// newSession signs u in, with a second factor when mfa is set.
func newSession(t testing.TB, svc *idp.Service, u *gatehouse.User, mfa bool) session {
	t.Helper()
	token, sess, err := svc.CreateSession(context.Background(), u, mfa)
	if err != nil {
		t.Fatal(err)
	}
	return session{token, sess}
}

// spInitiated runs an SP-initiated sign-on (HTTP-POST binding) of the request with extra attributes and elements
// after Issuer for the browser of sess, and returns the parsed Response.
func spInitiated(t *testing.T, svc *idp.Service, app *gatehouse.App, sess session, attrs, elems string) *etree.Document {
	t.Helper()
	xml := strings.Replace(authnRequest(app.SAML.EntityID, attrs), "</samlp:AuthnRequest>", elems+"</samlp:AuthnRequest>", 1)
	a, err := send(svc, viaPost(xml), sess.token)
	if err != nil || a.Post == nil {
		t.Fatalf("SAMLPost = %+v, %v; want a Response", a, err)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(a.Post.Response); err != nil {
		t.Fatal(err)
	}
	return doc
}

func statusOf(doc *etree.Document) string {
	codes := doc.FindElements("//Status//StatusCode")
	var out []string
	for _, c := range codes {
		out = append(out, strings.TrimPrefix(c.SelectAttrValue("Value", ""), "urn:oasis:names:tc:SAML:2.0:status:"))
	}
	return strings.Join(out, "/")
}

// TestNameIDFormats checks each NameID format: persistent is stable and pairwise per app and never the e-mail,
// transient changes with the session, and a NameIDPolicy the app cannot give is answered with InvalidNameIDPolicy
// (SECURITY-CASES 21).
func TestNameIDFormats(t *testing.T) {
	svc, root := newSPService(t)
	a := plainApp(t, svc, root, "pa", nil)
	b := plainApp(t, svc, root, "pb", nil)
	s1, s2 := newSession(t, svc, root, false), newSession(t, svc, root, false)
	nameID := func(app *gatehouse.App, sess session, format string) (string, string) {
		doc := spInitiated(t, svc, app, sess, "", `<samlp:NameIDPolicy Format="`+format+`" AllowCreate="true"/>`)
		n := doc.FindElement("//NameID")
		if n == nil {
			t.Fatalf("no NameID for %s: status %s", format, statusOf(doc))
		}
		return n.Text(), n.SelectAttrValue("Format", "")
	}
	pa1, f := nameID(a, s1, gatehouse.NameIDPersistent)
	pa2, _ := nameID(a, s2, gatehouse.NameIDPersistent)
	pb1, _ := nameID(b, s1, gatehouse.NameIDPersistent)
	if f != gatehouse.NameIDPersistent || pa1 != pa2 || pa1 == pb1 || strings.Contains(pa1, "@") {
		t.Errorf("persistent: %q (format %q) then %q, other app %q; want stable, pairwise, not the e-mail", pa1, f, pa2, pb1)
	}
	ta1, f := nameID(a, s1, gatehouse.NameIDTransient)
	ta1again, _ := nameID(a, s1, gatehouse.NameIDTransient)
	ta2, _ := nameID(a, s2, gatehouse.NameIDTransient)
	tb1, _ := nameID(b, s1, gatehouse.NameIDTransient)
	if f != gatehouse.NameIDTransient || ta1 != ta1again || ta1 == ta2 || ta1 == tb1 || ta1 == pa1 {
		t.Errorf("transient: %q, %q in the same session, %q in another, %q at another app", ta1, ta1again, ta2, tb1)
	}
	if e, f := nameID(a, s1, gatehouse.NameIDEmail); e != root.UserName || f != gatehouse.NameIDEmail {
		t.Errorf("email: %q %q", e, f)
	}
	if e, f := nameID(a, s1, gatehouse.NameIDUnspecified); e != root.UserName || f != gatehouse.NameIDEmail {
		t.Errorf("unspecified asks for nothing in particular: %q %q, want the app's own format", e, f)
	}
	t.Run("SecurityCase21 InvalidNameIDPolicy", func(t *testing.T) {
		doc := spInitiated(t, svc, a, s1, "", `<samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName"/>`)
		if got := statusOf(doc); got != "Requester/InvalidNameIDPolicy" || doc.FindElement("//Assertion") != nil {
			t.Errorf("status %s, want Requester/InvalidNameIDPolicy without an assertion", got)
		}
	})
}

// TestAuthnRequestOptions checks RequestedAuthnContext (a second factor meets stronger classes), IsPassive without
// a session (SECURITY-CASES 19), and the AuthnInstant, SessionIndex and SessionNotOnOrAfter of the assertion.
func TestAuthnRequestOptions(t *testing.T) {
	svc, root := newSPService(t)
	a := plainApp(t, svc, root, "opts", nil)
	pw, mfa := newSession(t, svc, root, false), newSession(t, svc, root, true)
	rac := func(cmp string, refs ...string) string {
		s := `<samlp:RequestedAuthnContext Comparison="` + cmp + `">`
		for _, r := range refs {
			s += `<saml:AuthnContextClassRef>` + r + `</saml:AuthnContextClassRef>`
		}
		return s + `</samlp:RequestedAuthnContext>`
	}
	tests := []struct {
		name   string
		sess   session
		elems  string
		status string
		class  string
	}{
		{"nothing asked", pw, "", "Success", saml.AuthnContextPassword},
		{"exact TLS", pw, rac("exact", saml.AuthnContextPasswordProtectedTransport), "Success", saml.AuthnContextPasswordProtectedTransport},
		{"exact MFA after a password", pw, rac("exact", saml.AuthnContextMobileTwoFactor), "Requester/NoAuthnContext", ""},
		{"exact MFA after MFA", mfa, rac("exact", saml.AuthnContextMobileTwoFactor), "Success", saml.AuthnContextMobileTwoFactor},
		{"REFEDS MFA after MFA", mfa, rac("exact", saml.AuthnContextREFEDSMFA), "Success", saml.AuthnContextREFEDSMFA},
		{"minimum password after MFA", mfa, rac("minimum", saml.AuthnContextPassword), "Success", saml.AuthnContextPassword},
		{"better than TLS after MFA", mfa, rac("better", saml.AuthnContextPasswordProtectedTransport), "Success", saml.AuthnContextMobileTwoFactor},
		{"unknown class", pw, rac("exact", "urn:oasis:names:tc:SAML:2.0:ac:classes:Smartcard"), "Requester/NoAuthnContext", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := spInitiated(t, svc, a, tt.sess, "", tt.elems)
			if got := statusOf(doc); got != tt.status {
				t.Fatalf("status %s, want %s", got, tt.status)
			}
			if tt.class == "" {
				return
			}
			if got := doc.FindElement("//AuthnContextClassRef").Text(); got != tt.class {
				t.Errorf("AuthnContextClassRef %s, want %s", got, tt.class)
			}
			as := doc.FindElement("//AuthnStatement")
			if as.SelectAttrValue("SessionIndex", "") == "" || as.SelectAttrValue("SessionNotOnOrAfter", "") != tt.sess.ExpiresAt.UTC().Format("2006-01-02T15:04:05.000Z") {
				t.Errorf("SessionIndex %q SessionNotOnOrAfter %q, want the session's end %s", as.SelectAttrValue("SessionIndex", ""), as.SelectAttrValue("SessionNotOnOrAfter", ""), tt.sess.ExpiresAt)
			}
			if ai := as.SelectAttrValue("AuthnInstant", ""); ai != tt.sess.AuthnInstant.UTC().Format("2006-01-02T15:04:05.000Z") {
				t.Errorf("AuthnInstant %s, want the session's %s", ai, tt.sess.AuthnInstant)
			}
		})
	}
	t.Run("SecurityCase19 passive without a session", func(t *testing.T) {
		ans, err := send(svc, viaPost(authnRequest(a.SAML.EntityID, ` IsPassive="true"`)), "")
		if err != nil || ans.Post == nil {
			t.Fatalf("SAMLPost = %+v, %v; want a Response", ans, err)
		}
		post := ans.Post
		doc := etree.NewDocument()
		doc.ReadFromBytes(post.Response)
		if got := statusOf(doc); got != "Responder/NoPassive" || post.ACSURL != a.SAML.ReplyURLs[0] {
			t.Errorf("status %s to %s, want Responder/NoPassive to the registered reply URL", got, post.ACSURL)
		}
	})
}
