package idp_test

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/saml"
)

// sloApp adds an app from metadata whose logout endpoint uses binding, signing with k when k is set; anyone may use it.
func sloApp(t *testing.T, svc *idp.Service, root *gatehouse.User, name, binding string, k *spKey) *gatehouse.App {
	t.Helper()
	ctx := context.Background()
	base := "https://" + name + ".example.test"
	md := spMetadata(base+"/sp", base, k, nil, "")
	switch binding {
	case "":
		md = strings.Replace(md, `<md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="`+base+`/slo"/>`, "", 1)
	case saml.BindingHTTPPost:
		md = strings.Replace(md, "bindings:HTTP-Redirect", "bindings:HTTP-POST", 1)
	}
	a, _, err := svc.AddApp(ctx, root, "default", idp.AppInput{GalleryID: "custom", Name: name, Metadata: md})
	if err != nil {
		t.Fatal(err)
	}
	off := false
	if a, err = svc.UpdateApp(ctx, root, "default", a.ID, idp.AppPatch{AssignmentRequired: &off}); err != nil {
		t.Fatal(err)
	}
	return a
}

// subject returns the NameID, its format and the SessionIndex of a Response.
func subject(t *testing.T, resp []byte) (nameID, format, sessionIndex string) {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(resp); err != nil {
		t.Fatal(err)
	}
	n := doc.FindElement("//NameID")
	as := doc.FindElement("//AuthnStatement")
	if n == nil || as == nil {
		t.Fatalf("no NameID or AuthnStatement in %s", resp)
	}
	return n.Text(), n.SelectAttrValue("Format", ""), as.SelectAttrValue("SessionIndex", "")
}

var logoutSeq int

// logoutRequest returns a LogoutRequest from issuer.
func logoutRequest(issuer, nameID, format, sessionIndex string) string {
	logoutSeq++
	si := ""
	if sessionIndex != "" {
		si = "<samlp:SessionIndex>" + sessionIndex + "</samlp:SessionIndex>"
	}
	return fmt.Sprintf(`<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_lo%d_%d" Version="2.0" IssueInstant="%s" Destination="http://127.0.0.1:8080/d/default/saml2"><saml:Issuer>%s</saml:Issuer><saml:NameID Format="%s">%s</saml:NameID>%s</samlp:LogoutRequest>`,
		logoutSeq, time.Now().UnixNano(), time.Now().UTC().Format(time.RFC3339), issuer, format, nameID, si)
}

func decodeAny(t *testing.T, rawQuery string) *saml.Message {
	t.Helper()
	m, err := saml.DecodeRedirectAny(rawQuery, saml.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// checkIdPRedirect checks that a Redirect-binding URL from the IdP goes to dest and is signed by the app's key.
func checkIdPRedirect(t *testing.T, u, dest string, cert *x509.Certificate) *saml.Message {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Scheme + "://" + p.Host + p.Path; got != dest {
		t.Errorf("sent to %s, want %s", got, dest)
	}
	m := decodeAny(t, p.RawQuery)
	if err := saml.VerifyRedirect(m, []*x509.Certificate{cert}, false); err != nil {
		t.Errorf("the IdP's signature: %v", err)
	}
	return m
}

// TestSingleLogout runs SP-initiated logout on both bindings and IdP-initiated logout: the session ends, the other
// apps of the session that have a logout URL get a signed LogoutRequest naming the user as they know them, and the
// LogoutResponse goes to the registered logout URL.
func TestSingleLogout(t *testing.T) {
	svc, root := newSPService(t)
	ctx := context.Background()
	ka, kb := newSPKey(t, "a"), newSPKey(t, "b")
	a := sloApp(t, svc, root, "a", saml.BindingHTTPRedirect, ka)
	b := sloApp(t, svc, root, "b", saml.BindingHTTPPost, kb)
	c := sloApp(t, svc, root, "c", "", nil)
	setTransient := a.SAML
	setTransient.NameIDFormat = gatehouse.NameIDTransient
	if _, err := svc.UpdateApp(ctx, root, "default", a.ID, idp.AppPatch{SAML: &setTransient}); err != nil {
		t.Fatal(err)
	}
	a.SAML = setTransient

	signInAll := func() (string, map[string][3]string) {
		token, _, err := svc.CreateSession(ctx, root, false)
		if err != nil {
			t.Fatal(err)
		}
		subj := map[string][3]string{}
		for _, app := range []*gatehouse.App{a, b, c} {
			n, f, si := subject(t, openAs(t, svc, app, token))
			subj[app.ID] = [3]string{n, f, si}
		}
		return token, subj
	}

	t.Run("SP-initiated, Redirect binding", func(t *testing.T) {
		token, subj := signInAll()
		s := subj[a.ID]
		if s[1] != gatehouse.NameIDTransient || !strings.HasPrefix(s[0], "_") {
			t.Fatalf("transient NameID %q format %q", s[0], s[1])
		}
		q := redirectQuery(t, "SAMLRequest", logoutRequest(a.SAML.EntityID, s[0], s[1], s[2]), "back-to-a", ka, saml.SHA256)
		l, err := spLogout(t, svc, viaRedirect(q), token)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := svc.SessionUser(ctx, token); err == nil {
			t.Error("the session is still there")
		}
		resp := checkIdPRedirect(t, l.Response.URL, "https://a.example.test/slo", idpCert(t, svc, root, a))
		if resp.LogoutResponse == nil || resp.LogoutResponse.Status != saml.StatusSuccess || resp.RelayState != "back-to-a" {
			t.Errorf("LogoutResponse %+v relay state %q", resp.LogoutResponse, resp.RelayState)
		}
		if len(l.Requests) != 1 || l.Requests[0].AppID != b.ID {
			t.Fatalf("requests %+v, want one for b", l.Requests)
		}
		r := l.Requests[0]
		if r.PostURL != "https://b.example.test/slo" || r.Param != "SAMLRequest" {
			t.Fatalf("b's request goes to %q as %q", r.PostURL, r.Param)
		}
		m, err := saml.DecodePostAny(base64.StdEncoding.EncodeToString(r.Message), "", "", saml.DefaultLimits)
		if err != nil {
			t.Fatal(err)
		}
		if err := saml.VerifyPost(r.Message, []*x509.Certificate{idpCert(t, svc, root, b)}, false); err != nil {
			t.Errorf("b's LogoutRequest signature: %v", err)
		}
		if m.Logout.NameID != subj[b.ID][0] || len(m.Logout.SessionIndexes) != 1 || m.Logout.SessionIndexes[0] != subj[b.ID][2] {
			t.Errorf("b's LogoutRequest names %q %v, want %q %q", m.Logout.NameID, m.Logout.SessionIndexes, subj[b.ID][0], subj[b.ID][2])
		}
		// The same request again is a replay.
		if _, err := spLogout(t, svc, viaRedirect(q), token); codeOf(err) != saml.CodeRequestReplayed {
			t.Errorf("replayed LogoutRequest: %v", err)
		}
	})

	t.Run("SP-initiated, POST binding, without the cookie", func(t *testing.T) {
		token, subj := signInAll()
		s := subj[b.ID]
		l, err := spLogout(t, svc, viaPost(signXML(t, logoutRequest(b.SAML.EntityID, s[0], s[1], s[2]), kb, "")), "")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := svc.SessionUser(ctx, token); err == nil {
			t.Error("the session named by SessionIndex and NameID is still there")
		}
		if l.Response.PostURL != "https://b.example.test/slo" || l.Response.Param != "SAMLResponse" {
			t.Errorf("response %+v", l.Response)
		}
		if len(l.Requests) != 1 || l.Requests[0].AppID != a.ID {
			t.Errorf("requests %+v, want one for a", l.Requests)
		}
	})

	t.Run("a NameID of another user ends nothing", func(t *testing.T) {
		token, subj := signInAll()
		q := redirectQuery(t, "SAMLRequest", logoutRequest(a.SAML.EntityID, "_someone-else", gatehouse.NameIDTransient, subj[a.ID][2]), "", ka, saml.SHA256)
		l, err := spLogout(t, svc, viaRedirect(q), token)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := svc.SessionUser(ctx, token); err != nil {
			t.Error("the session ended for a LogoutRequest naming someone else")
		}
		if len(l.Requests) != 0 || l.Response == nil {
			t.Errorf("logout %+v", l)
		}
	})

	t.Run("IdP-initiated", func(t *testing.T) {
		token, subj := signInAll()
		l, err := svc.IdPLogout(ctx, "default", token)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := svc.SessionUser(ctx, token); err == nil {
			t.Error("the session is still there")
		}
		if l.Response != nil || len(l.Requests) != 2 {
			t.Fatalf("logout %+v, want requests for a and b", l)
		}
		for _, r := range l.Requests {
			if r.AppID != a.ID {
				continue
			}
			m := checkIdPRedirect(t, r.URL, "https://a.example.test/slo", idpCert(t, svc, root, a))
			if m.Logout == nil || m.Logout.NameID != subj[a.ID][0] || m.Logout.SessionIndexes[0] != subj[a.ID][2] {
				t.Errorf("a's LogoutRequest %+v", m.Logout)
			}
		}
		// Without a session there is nothing to do.
		if l, err := svc.IdPLogout(ctx, "default", token); err != nil || len(l.Requests) != 0 {
			t.Errorf("second IdPLogout = %+v, %v", l, err)
		}
	})

	t.Run("refusals", func(t *testing.T) {
		token, subj := signInAll()
		tests := []struct {
			name string
			msg  samlIn
			want string
		}{
			{"unsigned when the app requires signatures", viaRedirect(redirectQuery(t, "SAMLRequest", logoutRequest(a.SAML.EntityID, subj[a.ID][0], "", ""), "", nil, "")), saml.CodeUnsignedRequest},
			{"signed by another key", viaRedirect(redirectQuery(t, "SAMLRequest", logoutRequest(a.SAML.EntityID, subj[a.ID][0], "", ""), "", kb, saml.SHA256)), saml.CodeBadSignature},
			{"unknown issuer", viaRedirect(redirectQuery(t, "SAMLRequest", logoutRequest("https://nobody.example.test", "x", "", ""), "", nil, "")), saml.CodeUnknownIssuer},
			{"no logout URL for the answer", viaRedirect(redirectQuery(t, "SAMLRequest", logoutRequest(c.SAML.EntityID, subj[c.ID][0], "", ""), "", nil, "")), idp.CodeNoLogoutURL},
			{"wrong destination", viaRedirect(redirectQuery(t, "SAMLRequest", strings.Replace(logoutRequest(a.SAML.EntityID, "x", "", ""), "127.0.0.1:8080", "evil.example", 1), "", ka, saml.SHA256)), saml.CodeWrongDestination},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if _, err := spLogout(t, svc, tt.msg, token); codeOf(err) != tt.want {
					t.Fatalf("LogoutRequest: %v, want %s", err, tt.want)
				}
				if _, _, err := svc.SessionUser(ctx, token); err != nil {
					t.Error("a refused LogoutRequest ended the session")
				}
			})
		}
	})
}

// spLogout sends a LogoutRequest to the SAML endpoint from a browser with the session cookie token, and returns the
// single logout it starts.
func spLogout(t *testing.T, svc *idp.Service, m samlIn, token string) (*idp.Logout, error) {
	t.Helper()
	a, err := send(svc, m, token)
	if err != nil {
		return nil, err
	}
	if a.Logout == nil {
		t.Fatalf("a LogoutRequest answered %+v, want single logout", a)
	}
	return a.Logout, nil
}

// openAs signs the browser with the session cookie token in to app (IdP-initiated) and returns the Response.
func openAs(t *testing.T, svc *idp.Service, app *gatehouse.App, token string) []byte {
	t.Helper()
	a, err := svc.OpenApp(context.Background(), "default", app.ID, token)
	if err != nil || a.Post == nil {
		t.Fatalf("OpenApp(%s) = %+v, %v; want a Response", app.Name, a, err)
	}
	return a.Post.Response
}

// TestUnsignedLogoutRequest holds the rule for unsigned LogoutRequests: refused from an app that has a signing
// certificate registered, even when it does not require signed AuthnRequests; from an app without one, they end
// only the session of the browser that carries the cookie, never a session found by its SessionIndex and NameID,
// which every app of the session knows (a cross-site page could otherwise sign anyone out).
func TestUnsignedLogoutRequest(t *testing.T) {
	svc, root := newSPService(t)
	ctx := context.Background()
	keyed := sloApp(t, svc, root, "keyed", saml.BindingHTTPRedirect, newSPKey(t, "keyed"))
	lax := keyed.SAML
	lax.RequireSignedRequests = false
	if _, err := svc.UpdateApp(ctx, root, "default", keyed.ID, idp.AppPatch{SAML: &lax}); err != nil {
		t.Fatal(err)
	}
	bare := sloApp(t, svc, root, "bare", saml.BindingHTTPRedirect, nil)
	signIn := func(app *gatehouse.App) (string, [3]string) {
		token, _, err := svc.CreateSession(ctx, root, false)
		if err != nil {
			t.Fatal(err)
		}
		n, f, si := subject(t, openAs(t, svc, app, token))
		return token, [3]string{n, f, si}
	}
	unsigned := func(app *gatehouse.App, s [3]string) samlIn {
		return viaRedirect(redirectQuery(t, "SAMLRequest", logoutRequest(app.SAML.EntityID, s[0], s[1], s[2]), "", nil, ""))
	}

	token, s := signIn(keyed)
	if _, err := spLogout(t, svc, unsigned(keyed, s), token); codeOf(err) != saml.CodeUnsignedRequest {
		t.Errorf("unsigned from an app with a certificate: %v, want %s", err, saml.CodeUnsignedRequest)
	}
	if _, _, err := svc.SessionUser(ctx, token); err != nil {
		t.Error("a refused LogoutRequest ended the session")
	}

	token, s = signIn(bare)
	if _, err := spLogout(t, svc, unsigned(bare, s), ""); err != nil {
		t.Fatalf("unsigned without the cookie: %v, want an answer that ends nothing", err)
	}
	if _, _, err := svc.SessionUser(ctx, token); err != nil {
		t.Error("an unsigned LogoutRequest without the browser's cookie ended the session it named")
	}
	if _, err := spLogout(t, svc, unsigned(bare, s), token); err != nil {
		t.Fatalf("unsigned with the cookie: %v", err)
	}
	if _, _, err := svc.SessionUser(ctx, token); err == nil {
		t.Error("an unsigned LogoutRequest with the browser's own cookie did not end its session")
	}
}

// TestSessionAppsPerSession checks that two overlapping sessions of one user (a laptop and a phone) each sign out
// of their own apps only.
func TestSessionAppsPerSession(t *testing.T) {
	svc, root := newSPService(t)
	ctx := context.Background()
	x := sloApp(t, svc, root, "x", saml.BindingHTTPRedirect, newSPKey(t, "x"))
	y := sloApp(t, svc, root, "y", saml.BindingHTTPRedirect, newSPKey(t, "y"))
	laptop, _, err := svc.CreateSession(ctx, root, false)
	if err != nil {
		t.Fatal(err)
	}
	phone, phoneSess, err := svc.CreateSession(ctx, root, false)
	if err != nil {
		t.Fatal(err)
	}
	openAs(t, svc, x, laptop)
	openAs(t, svc, y, phone)
	apps, err := svc.SessionApps(ctx, phoneSess)
	if err != nil || len(apps) != 1 || apps[0].ID != y.ID {
		t.Errorf("the phone's apps: %v, %v; want y only", apps, err)
	}
	l, err := svc.IdPLogout(ctx, "default", laptop)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Requests) != 1 || l.Requests[0].AppID != x.ID {
		t.Errorf("the laptop's sign-out sends %+v, want one LogoutRequest, to x", l.Requests)
	}
}

// TestSignOn answers a signed-in user's AuthnRequest at once: the Response answers the request, nothing is left
// pending, the request ID cannot be used again, and the request's checks still apply.
func TestSignOn(t *testing.T) {
	svc, root := newSPService(t)
	ctx := context.Background()
	a := sloApp(t, svc, root, "a", saml.BindingHTTPRedirect, nil)
	token, sess, err := svc.CreateSession(ctx, root, false)
	if err != nil {
		t.Fatal(err)
	}
	req := authnRequest(a.SAML.EntityID, "")
	ans, err := send(svc, viaPost(req), token)
	if err != nil || ans.Post == nil {
		t.Fatalf("SAMLPost = %+v, %v; want a Response at once", ans, err)
	}
	post := ans.Post
	if post.ACSURL != a.SAML.ReplyURLs[0] || !strings.Contains(string(post.Response), `InResponseTo="`+postMessage(t, req).Request.ID+`"`) {
		t.Errorf("the answer goes to %s and does not answer the request:\n%s", post.ACSURL, post.Response)
	}
	if _, err := send(svc, viaPost(req), token); codeOf(err) != saml.CodeRequestReplayed {
		t.Errorf("the same request again: %v, want %s", err, saml.CodeRequestReplayed)
	}
	if _, err := send(svc, viaPost(authnRequest("https://nobody.example.test", "")), token); codeOf(err) != saml.CodeUnknownIssuer {
		t.Errorf("an unknown issuer: %v, want %s", err, saml.CodeUnknownIssuer)
	}
	events, _, err := svc.FindSignInEvents(ctx, root, "default", gatehouse.SignInFilter{SessionID: sess.ID})
	if err != nil || len(events) != 1 || events[0].AppID != a.ID {
		t.Errorf("the session's sign-in log: %+v, %v; want the one sign-on to a", events, err)
	}
}
