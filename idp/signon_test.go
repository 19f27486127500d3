package idp_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/pquerna/otp/totp"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/saml"
)

// outcome is what a sign-on path gave: an assertion (with its authentication context class), an error status at
// the app's reply URL, a refusal (a Failure with its code), the sign-in page of a step, or no tile in My Apps.
type outcome struct {
	kind  string
	code  string
	class string
	step  idp.Step
	force bool
}

func (o outcome) String() string {
	switch o.kind {
	case "assertion":
		return "assertion stating " + o.class
	case "sign in":
		return fmt.Sprintf("sign in: %s (force %v)", o.step, o.force)
	}
	return strings.TrimSpace(o.kind + " " + o.code)
}

func assertion(class string) outcome { return outcome{kind: "assertion", class: class} }
func refused(code string) outcome    { return outcome{kind: "refused", code: code} }
func status(code string) outcome     { return outcome{kind: "status", code: code} }
func signIn(step idp.Step, force bool) outcome {
	return outcome{kind: "sign in", step: step, force: force}
}

var noTile = outcome{kind: "no tile"}

// outcomeOf classifies an endpoint's answer. An error status Response is named by the Gatehouse code its refusal
// was logged with, which the caller checks in the sign-in log.
func outcomeOf(t *testing.T, a *idp.Answer, err error) outcome {
	t.Helper()
	var f *idp.Failure
	switch {
	case errors.As(err, &f):
		if a != nil {
			t.Errorf("a refusal came with an answer: %+v", a)
		}
		return refused(f.Code)
	case err != nil:
		t.Fatalf("an error that is not a *idp.Failure: %v", err)
	case a.SignIn != nil:
		return signIn(a.SignIn.Step, a.SignIn.Force)
	case a.Post == nil:
		t.Fatalf("answer %+v is neither a Response nor a sign-in", a)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(a.Post.Response); err != nil {
		t.Fatal(err)
	}
	if st := statusOf(doc); st != "Success" {
		if doc.FindElement("//Assertion") != nil || doc.FindElement("//EncryptedAssertion") != nil {
			t.Errorf("an error status %s came with an assertion", st)
		}
		return status(st)
	}
	return assertion(doc.FindElement("//AuthnContextClassRef").Text())
}

// TestSignOnPolicyOnEveryPath runs every check of the sign-on policy through every way a sign-on reaches the
// service, calling it as web does: an SP's AuthnRequest by the HTTP-Redirect and the HTTP-POST binding, the
// return from the sign-in pages to a parked request, the app's user access URL (IdP-initiated), and My Apps' tile
// of the app, both the tile that signs in IdP-initiated and the one that goes to the app's Sign-on URL (whose SP then
// sends its AuthnRequest). Each refusal and error status is in the sign-in log with the real user and app.
func TestSignOnPolicyOnEveryPath(t *testing.T) {
	var store gatehouse.Store
	// A public URL where passkeys work, so that a directory can require them.
	svc, root := newSPService(t, func(c *idp.Config) { store, c.PublicURL = c.Store, "http://localhost:8080" })
	ctx := context.Background()
	if err := svc.CreateDirectory(ctx, root, &gatehouse.Directory{ID: "strict", Name: "Strict"}); err != nil {
		t.Fatal(err)
	}
	yes := true
	if _, err := svc.UpdateDirectory(ctx, root, "strict", idp.DirectoryPatch{RequireMFA: &yes}); err != nil {
		t.Fatal(err)
	}
	if err := svc.CreateDirectory(ctx, root, &gatehouse.Directory{ID: "phishproof", Name: "Phishing-resistant"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.UpdatePasskeyPolicy(ctx, root, "phishproof", idp.PasskeyPolicyPatch{RequirePhishingResistant: &yes}); err != nil {
		t.Fatal(err)
	}
	const (
		redirect = "SP-initiated, HTTP-Redirect"
		post     = "SP-initiated, HTTP-POST"
		cont     = "after the sign-in pages"
		idpInit  = "IdP-initiated (user access URL)"
		tile     = "My Apps tile"
		tileSP   = "My Apps tile to the Sign-on URL"
	)
	paths := []string{redirect, post, cont, idpInit, tile, tileSP}
	spPaths := []string{redirect, post, cont, tileSP}
	// only returns except for the paths of an AuthnRequest, whose options do not exist on the others.
	only := func(o outcome, ps ...string) map[string]outcome {
		m := map[string]outcome{}
		for _, p := range ps {
			m[p] = o
		}
		return m
	}
	password, mfaClass, refeds := saml.AuthnContextPassword, saml.AuthnContextMobileTwoFactor, saml.AuthnContextREFEDSMFA
	rac := func(class string) string {
		return `<samlp:RequestedAuthnContext Comparison="exact"><saml:AuthnContextClassRef>` + class + `</saml:AuthnContextClassRef></samlp:RequestedAuthnContext>`
	}
	tests := []struct {
		name string
		dir  string
		// The app.
		appDisabled, unassigned bool
		// The user: a temporary password, a second factor, a passkey, disabled in the store (the session stays, as
		// for a sign-on that races the change) or by an admin (which ends the user's sessions).
		temporary, enrolled, hasPasskey, disabledInStore, disabledByAdmin bool
		// The browser: no session, a session made with the second factor, one made with a passkey alone, or one
		// made before the request even on the path that signs in after it.
		noSession, mfaSession, passkeySession, sessionFirst bool
		// The AuthnRequest's extra attributes and elements.
		attrs, elems string
		want         outcome
		except       map[string]outcome
	}{
		{name: "assigned and signed in", want: assertion(password)},
		{name: "not assigned", unassigned: true, want: refused(idp.CodeNotAssigned),
			except: map[string]outcome{tile: noTile, tileSP: noTile}},
		{name: "app disabled", appDisabled: true, want: refused(idp.CodeAppDisabled),
			except: map[string]outcome{tile: noTile, tileSP: noTile}},
		{name: "user disabled, session left", disabledInStore: true, sessionFirst: true, want: refused(idp.CodeUserDisabled)},
		{name: "user disabled by an admin", disabledByAdmin: true, sessionFirst: true, want: signIn(idp.StepPassword, false)},
		{name: "no session", noSession: true, want: signIn(idp.StepPassword, false)},
		{name: "temporary password", temporary: true, want: signIn(idp.StepChangePassword, false)},
		{name: "second factor not given yet", enrolled: true, want: signIn(idp.StepMFA, false)},
		{name: "directory requires a second factor, none enrolled", dir: "strict", want: signIn(idp.StepEnrolMFA, false)},
		{name: "directory requires a second factor, given", dir: "strict", enrolled: true, mfaSession: true, want: assertion(refeds)},
		{name: "directory requires a second factor, passkey given", dir: "strict", passkeySession: true, want: assertion(refeds)},
		{name: "directory requires a passkey, code given", dir: "phishproof", enrolled: true, mfaSession: true, want: signIn(idp.StepEnrolPasskey, false)},
		{name: "directory requires a passkey, passkey given", dir: "phishproof", passkeySession: true, want: assertion(refeds)},
		{name: "directory requires a passkey, none enrolled", dir: "phishproof", want: signIn(idp.StepEnrolPasskey, false)},
		{name: "directory requires a passkey, one enrolled, code given", dir: "phishproof", enrolled: true, hasPasskey: true, mfaSession: true,
			want: signIn(idp.StepMFA, false)},
		{name: "passkey enrolled, password given", hasPasskey: true, want: signIn(idp.StepMFA, false)},
		{name: "REFEDS MFA asked, passkey enrolled, password given", elems: rac(refeds), hasPasskey: true, want: signIn(idp.StepMFA, false)},
		{name: "ForceAuthn, signed in before the request", attrs: ` ForceAuthn="true"`, sessionFirst: true,
			want: assertion(password), except: only(signIn(idp.StepPassword, true), spPaths...)},
		{name: "ForceAuthn, signed in again after the request", attrs: ` ForceAuthn="true"`,
			want: assertion(password), except: only(signIn(idp.StepPassword, true), redirect, post, tileSP)},
		{name: "IsPassive without a session", attrs: ` IsPassive="true"`, noSession: true,
			want: signIn(idp.StepPassword, false), except: only(status("Responder/NoPassive"), spPaths...)},
		{name: "IsPassive with a session", attrs: ` IsPassive="true"`, sessionFirst: true, want: assertion(password)},
		{name: "IsPassive and ForceAuthn", attrs: ` IsPassive="true" ForceAuthn="true"`,
			want: assertion(password), except: only(status("Responder/NoPassive"), spPaths...)},
		{name: "IsPassive with a temporary password", attrs: ` IsPassive="true"`, temporary: true,
			want: signIn(idp.StepChangePassword, false), except: only(status("Responder/NoPassive"), spPaths...)},
		{name: "second factor asked, password given", elems: rac(mfaClass),
			want: assertion(password), except: only(status("Requester/NoAuthnContext"), spPaths...)},
		{name: "second factor asked and given", elems: rac(mfaClass), enrolled: true, mfaSession: true,
			want: assertion(refeds), except: only(assertion(mfaClass), spPaths...)},
		{name: "REFEDS MFA asked, passkey given", elems: rac(refeds), passkeySession: true, want: assertion(refeds)},
		{name: "REFEDS MFA asked, password given", elems: rac(refeds),
			want: assertion(password), except: only(status("Requester/NoAuthnContext"), spPaths...)},
		{name: "password asked, passkey given", elems: rac(password), passkeySession: true,
			want: assertion(refeds), except: only(assertion(password), spPaths...)},
		{name: "unknown authentication context asked", elems: rac("urn:oasis:names:tc:SAML:2.0:ac:classes:Smartcard"),
			want: assertion(password), except: only(status("Requester/NoAuthnContext"), spPaths...)},
	}
	for i, tt := range tests {
		dir := tt.dir
		if dir == "" {
			dir = "default"
		}
		// One app per case and kind of tile: one without a Sign-on URL (its tile is the user access URL) and one
		// with (its tile goes to the SP).
		newApp := func(suffix string) *gatehouse.App {
			t.Helper()
			name := fmt.Sprintf("case%d%s", i, suffix)
			a, _, err := svc.AddApp(ctx, root, dir, idp.AppInput{GalleryID: "custom", Name: name})
			if err != nil {
				t.Fatal(err)
			}
			s := a.SAML
			s.EntityID, s.ReplyURLs = "https://"+name+".example.test/sp", []string{"https://" + name + ".example.test/acs"}
			if suffix != "" {
				s.SignOnURL = "https://" + name + ".example.test/login"
			}
			p := idp.AppPatch{SAML: &s}
			if tt.appDisabled {
				p.Enabled = new(bool)
			}
			if a, err = svc.UpdateApp(ctx, root, dir, a.ID, p); err != nil {
				t.Fatal(err)
			}
			return a
		}
		plain, withSignOn := newApp(""), newApp("sp")
		for pi, path := range paths {
			t.Run(tt.name+"/"+path, func(t *testing.T) {
				app := plain
				if path == tileSP {
					app = withSignOn
				}
				u, temp, err := svc.CreateUser(ctx, root, dir, idp.UserInput{UserName: fmt.Sprintf("u%d-%d@contoso.com", i, pi), FirstName: "U", LastName: "Ser"})
				if err != nil {
					t.Fatal(err)
				}
				if !tt.temporary {
					withPassword(t, svc, u, temp)
				}
				if tt.enrolled {
					e, err := svc.StartMFAEnrolment(ctx, u, "")
					if err != nil {
						t.Fatal(err)
					}
					code, _ := totp.GenerateCode(e.Secret, time.Now())
					if _, err := svc.ConfirmMFAEnrolment(ctx, u, e.Token, code); err != nil {
						t.Fatal(err)
					}
				}
				if tt.hasPasskey {
					// The key itself is not used: a session made with it is passkeySession.
					k := &gatehouse.Passkey{ID: fmt.Sprintf("pk%d-%d", i, pi), DirectoryID: dir, UserID: u.ID, Name: "Laptop",
						CredentialID: []byte(u.ID), PublicKey: []byte{1}, AAGUID: "00000000-0000-0000-0000-000000000000",
						AttestationType: "none", AttestationFormat: "none", CreatedAt: time.Now()}
					if err := store.CreatePasskey(ctx, k); err != nil {
						t.Fatal(err)
					}
				}
				if !tt.unassigned {
					if _, err := svc.Assign(ctx, root, dir, app.ID, gatehouse.PrincipalUser, u.ID); err != nil {
						t.Fatal(err)
					}
				}
				token := ""
				signInNow := func() {
					if tt.noSession {
						return
					}
					if tt.passkeySession {
						token, _, err = svc.StartSession(ctx, u, gatehouse.MethodPasskey)
					} else {
						token, _, err = svc.CreateSession(ctx, u, tt.mfaSession)
					}
					if err != nil {
						t.Fatal(err)
					}
				}
				if path != cont || tt.sessionFirst {
					signInNow()
				}
				if tt.disabledInStore {
					u.Disabled = true
					if err := store.UpdateUser(ctx, u); err != nil {
						t.Fatal(err)
					}
				}
				if tt.disabledByAdmin {
					if _, err := svc.UpdateUser(ctx, root, dir, u.ID, idp.UserPatch{Disabled: &yes}); err != nil {
						t.Fatal(err)
					}
				}
				xml := strings.Replace(authnRequest(app.SAML.EntityID, tt.attrs), "</samlp:AuthnRequest>", tt.elems+"</samlp:AuthnRequest>", 1)
				sendTo := func(m samlIn, token string) (*idp.Answer, error) {
					if m.form != nil {
						return svc.SAMLPost(ctx, dir, m.form, nil, token)
					}
					return svc.SAMLRedirect(ctx, dir, m.query, token)
				}

				// sent is the session token of the call whose outcome is got.
				sent := token
				res := func(a *idp.Answer, err error) outcome { return outcomeOf(t, a, err) }
				var got outcome
				switch path {
				case redirect:
					got = res(sendTo(viaRedirect(redirectQuery(t, "SAMLRequest", xml, "", nil, "")), token))
				case post:
					got = res(sendTo(viaPost(xml), token))
				case cont:
					// The request arrives before the user has signed in (or with an old session), is parked, and
					// the sign-in pages come back to it.
					first, err := sendTo(viaRedirect(redirectQuery(t, "SAMLRequest", xml, "", nil, "")), token)
					if err != nil || first.SignIn == nil {
						got = res(first, err) // answered at once: nothing is parked
						break
					}
					if first.SignIn.PendingID == "" {
						t.Fatalf("a request sent to sign in is not parked: %+v", first.SignIn)
					}
					if !tt.sessionFirst {
						signInNow()
					}
					sent = token
					got = res(svc.ContinueSignOn(ctx, dir, first.SignIn.PendingID, token))
				case idpInit:
					got = res(svc.OpenApp(ctx, dir, app.ID, token))
				case tile, tileSP:
					tiles, err := svc.MyApps(ctx, u)
					if err != nil {
						t.Fatal(err)
					}
					got = noTile
					for _, tl := range tiles {
						switch {
						case tl.App.ID != app.ID:
						case tl.URL == svc.UserAccessURL(dir, app.ID):
							got = res(svc.OpenApp(ctx, dir, app.ID, token))
						case tl.URL == app.SAML.SignOnURL:
							// The SP's sign-on page sends its AuthnRequest.
							got = res(sendTo(viaRedirect(redirectQuery(t, "SAMLRequest", xml, "", nil, "")), token))
						default:
							t.Fatalf("tile URL %s", tl.URL)
						}
					}
				}

				want := tt.want
				if o, ok := tt.except[path]; ok {
					want = o
				}
				if got != want {
					t.Fatalf("got %v, want %v", got, want)
				}
				if got.kind != "refused" && got.kind != "status" {
					return
				}
				// The refusal is in the sign-in log, with the app, the user whose session it was, and a hint.
				events, _, err := svc.FindSignInEvents(ctx, root, dir, gatehouse.SignInFilter{AppID: app.ID, Result: gatehouse.ResultFailure, Limit: 1})
				if err != nil || len(events) != 1 {
					t.Fatalf("sign-in log of %s: %v, %d entries", app.Name, err, len(events))
				}
				e := events[0]
				wantUser := u.ID
				if sent == "" {
					wantUser = ""
				}
				if got.kind == "refused" && e.Code != got.code || e.UserID != wantUser || e.AppName != app.Name ||
					e.Protocol != gatehouse.ProtocolSAML || e.Hint == "" {
					t.Errorf("sign-in log entry %+v; want code %s, user %q, app %s, protocol saml and a hint", e, got.code, wantUser, app.Name)
				}
			})
		}
	}
}
