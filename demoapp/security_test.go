package demoapp

import (
	"encoding/base64"

	"github.com/beevik/etree"
	"html"
	"net/http"
	"strings"
	"testing"
	"time"
)

// rejected posts resp from a fresh browser and checks the rejection: the status, the check named on the page,
// text the page must show, and that nobody was signed in.
func (e *env) rejected(t *testing.T, b *browser, resp string, status int, check string, want ...string) page {
	t.Helper()
	if b == nil {
		b = e.browser()
	}
	before := e.sessionCount()
	p := b.postResponse(resp, "")
	if p.Status != status {
		t.Fatalf("status %d, want %d\n%s", p.Status, status, p.Body)
	}
	if check != "" {
		wantContains(t, p.Body, `data-check="`+check+`"`)
	}
	wantContains(t, p.Body, `id="error-ref"`)
	for _, w := range want {
		wantContains(t, p.Body, html.EscapeString(w))
	}
	if n := e.sessionCount(); n != before {
		t.Errorf("sessions went from %d to %d after a rejected response", before, n)
	}
	if u := b.currentUser(); u != "" {
		t.Errorf("signed in as %q after a rejected response", u)
	}
	return p
}

// TestACSSignedWithAnotherCertificate is SECURITY-CASES 16 on the service provider's side (a wrong certificate):
// only the certificate uploaded in Settings → Access security is trusted.
func TestACSSignedWithAnotherCertificate(t *testing.T) {
	e := newEnv(t)
	e.configureSSO(false)
	e.invite("ada@example.com", "")
	_, other := idps(t)
	o := member("ada@example.com", "", "")
	o.Signer = other
	e.rejected(t, nil, e.response(o), http.StatusBadRequest, "signature certificate",
		"signed with a certificate that is not the one uploaded in Settings → Access security",
		"thumbprint "+thumbprint(other.cert)+", expected "+thumbprint(e.idp.cert))
}

// TestACSAssertionWrapping adds an unsigned assertion for the owner next to a correctly signed one for a member.
// It is SECURITY-CASES 16 on the service provider's side (a second, unsigned assertion).
func TestACSAssertionWrapping(t *testing.T) {
	e := newEnv(t)
	e.configureSSO(false)
	e.invite("ada@example.com", "")
	o := member("ada@example.com", "", "")
	o.Wrap, o.WrapEmail = true, ownerEmail
	e.rejected(t, nil, e.response(o), http.StatusBadRequest, "", "exactly one signed assertion")
}

// wrapped returns resp (a base64 SAMLResponse with a signed assertion for a member) rewrapped by wrap, which gets
// the Response element, its signed assertion and an unsigned copy of it that names the owner instead.
func wrapped(t *testing.T, resp string, wrap func(response, signed, evil *etree.Element)) string {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(resp)
	if err != nil {
		t.Fatal(err)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(raw); err != nil {
		t.Fatal(err)
	}
	response := doc.Root()
	signed := response.SelectElement("Assertion")
	evil := signed.Copy()
	evil.RemoveChild(evil.SelectElement("Signature"))
	evil.FindElement("./Subject/NameID").SetText(ownerEmail)
	for _, v := range evil.FindElements("./AttributeStatement/Attribute[@Name='email']/AttributeValue") {
		v.SetText(ownerEmail)
	}
	wrap(response, signed, evil)
	out, err := doc.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(out)
}

// TestACSSignatureWrapping is XML signature wrapping (XSW) against the app: a Response with a correctly signed
// assertion for a member and a forged one for the owner placed where a careless SP reads it. However the two are
// arranged, the app refuses the Response because it carries a second assertion, and signs in nobody: not the owner,
// and not the member either (XSW7 used to sign the member in, reading the signed assertion and ignoring the one in
// samlp:Extensions).
func TestACSSignatureWrapping(t *testing.T) {
	e := newEnv(t)
	e.configureSSO(false)
	e.invite("ada@example.com", "")
	tests := []struct {
		name string
		wrap func(response, signed, evil *etree.Element)
	}{
		{"XSW3 forged assertion before the signed one", func(response, signed, evil *etree.Element) {
			response.InsertChildAt(signed.Index(), evil)
		}},
		{"XSW4 forged assertion wraps the signed one", func(response, signed, evil *etree.Element) {
			response.InsertChildAt(signed.Index(), evil)
			response.RemoveChild(signed)
			evil.AddChild(signed)
		}},
		{"XSW7 forged assertion in samlp:Extensions", func(response, signed, evil *etree.Element) {
			ext := etree.NewElement("samlp:Extensions")
			ext.AddChild(evil)
			response.InsertChildAt(response.SelectElement("Issuer").Index()+1, ext)
		}},
		{"XSW7 signed assertion moved into samlp:Extensions", func(response, signed, evil *etree.Element) {
			at := signed.Index()
			response.RemoveChild(signed)
			ext := etree.NewElement("samlp:Extensions")
			ext.AddChild(signed)
			response.InsertChildAt(response.SelectElement("Issuer").Index()+1, ext)
			response.InsertChildAt(at+1, evil)
		}},
		{"XSW8 signed assertion in the forged one's ds:Object", func(response, signed, evil *etree.Element) {
			sig := signed.SelectElement("Signature").Copy()
			orig := signed.Copy()
			orig.RemoveChild(orig.SelectElement("Signature"))
			sig.CreateElement("ds:Object").AddChild(orig)
			evil.InsertChildAt(1, sig)
			response.InsertChildAt(signed.Index(), evil)
			response.RemoveChild(signed)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := wrapped(t, e.response(member("ada@example.com", "", "")), tt.wrap)
			e.rejected(t, nil, resp, http.StatusBadRequest, "assertion count", "exactly one signed assertion")
		})
	}
}

// TestACSWrongAudience is SECURITY-CASES 24 on the service provider's side (wrong audience): the Audience must be
// this app's entity ID.
func TestACSWrongAudience(t *testing.T) {
	e := newEnv(t)
	e.configureSSO(false)
	e.invite("ada@example.com", "")
	o := member("ada@example.com", "", "")
	o.Audience = "https://mixpanel.com/security/sso/v2/authorize/"
	e.rejected(t, nil, e.response(o), http.StatusBadRequest, "audience",
		`meant for audience "https://mixpanel.com/security/sso/v2/authorize/"`, e.app.EntityID())
}

func TestACSWrongRecipientOrDestination(t *testing.T) {
	e := newEnv(t)
	e.configureSSO(false)
	e.invite("ada@example.com", "")
	tests := []struct {
		name, check     string
		recipient, dest string
		want            string
	}{
		{"wrong Recipient", "recipient", "https://other.example/saml/acs", "", `addressed to "https://other.example/saml/acs"`},
		{"wrong Destination", "destination", "", "https://other.example/acs", `addressed to "https://other.example/acs"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := member("ada@example.com", "", "")
			o.Recipient, o.Destination = tt.recipient, tt.dest
			e.rejected(t, nil, e.response(o), http.StatusBadRequest, tt.check, tt.want, e.app.ACSURL())
		})
	}
}

// TestACSExpired is SECURITY-CASES 14 and 24 on the service provider's side (expired): an assertion past its
// validity window is refused.
func TestACSExpired(t *testing.T) {
	e := newEnv(t)
	e.configureSSO(false)
	e.invite("ada@example.com", "")
	o := member("ada@example.com", "", "")
	o.IssueInstant = time.Now().Add(-time.Hour)
	e.rejected(t, nil, e.response(o), http.StatusBadRequest, "time window", "has expired", "valid until")
}

func TestACSNotYetValid(t *testing.T) {
	e := newEnv(t)
	e.configureSSO(false)
	e.invite("ada@example.com", "")
	o := member("ada@example.com", "", "")
	o.NotBefore = time.Now().Add(time.Hour)
	e.rejected(t, nil, e.response(o), http.StatusBadRequest, "time window", "not valid yet")
}

// TestACSReplayedAssertion is SECURITY-CASES 18 on the service provider's side (replayed): an assertion signs in
// once.
func TestACSReplayedAssertion(t *testing.T) {
	e := newEnv(t)
	e.configureSSO(false)
	e.invite("ada@example.com", "")
	resp := e.response(member("ada@example.com", "", ""))
	if p := e.browser().postResponse(resp, ""); p.Status != http.StatusSeeOther {
		t.Fatalf("first use: status %d\n%s", p.Status, p.Body)
	}
	e.rejected(t, nil, resp, http.StatusBadRequest, "replay", "already used to sign in")
}

// TestACSWrongInResponseTo is SECURITY-CASES 24 on the service provider's side (wrong InResponseTo): a response
// must answer a request this browser started.
func TestACSWrongInResponseTo(t *testing.T) {
	e := newEnv(t)
	e.configureSSO(false)
	e.invite("ada@example.com", "")
	b := e.browser()
	id, _ := b.startSSO("/dashboard")
	o := member("ada@example.com", "", "")
	o.InResponseTo = "id-" + strings.Repeat("0", 40)
	e.rejected(t, b, e.response(o), http.StatusBadRequest, "InResponseTo", "not the sign-in this browser started")

	// A request started in another browser cannot be answered in this one.
	other := e.browser()
	other.get("/signin")
	other.startSSO("/dashboard") // this browser has its own cookie and request
	o.InResponseTo = id
	e.rejected(t, other, e.response(o), http.StatusBadRequest, "InResponseTo", "started in another browser")

	// Nor by a browser that sends no sign-in cookie back (different host names over http).
	e.rejected(t, nil, e.response(o), http.StatusBadRequest, "InResponseTo", "did not send back the app's sign-in cookie")
}

// TestACSUnsolicitedWithUnknownInResponseTo posts a response that claims to answer a request nobody made.
func TestACSUnsolicitedWithUnknownInResponseTo(t *testing.T) {
	e := newEnv(t)
	e.configureSSO(false)
	e.invite("ada@example.com", "")
	o := member("ada@example.com", "", "")
	o.InResponseTo = "id-unknown-request"
	e.rejected(t, nil, e.response(o), http.StatusBadRequest, "InResponseTo", "id-unknown-request", "did not start here")
}

func TestACSWrongIssuer(t *testing.T) {
	e := newEnv(t)
	e.configureSSO(false)
	e.invite("ada@example.com", "")
	o := member("ada@example.com", "", "")
	o.Issuer = "https://sts.windows.net/other/"
	e.rejected(t, nil, e.response(o), http.StatusBadRequest, "issuer", `Issuer is "https://sts.windows.net/other/"`, testIssuer)
}

func TestACSNotAMember(t *testing.T) {
	e := newEnv(t)
	e.configureSSO(false)
	p := e.rejected(t, nil, e.response(member("stranger@example.com", "", "")), http.StatusForbidden, "",
		"You are not a member of this organization", "stranger@example.com", ownerEmail)
	wantContains(t, p.Body, `id="sso-email">stranger@example.com<`)
}

// TestMarkupEscaped is security case 37: markup in claims, RelayState and response values is escaped on every page.
func TestMarkupEscaped(t *testing.T) {
	const script = `<script>alert(1)</script>`
	const img = `"><img src=x onerror=alert(2)>`
	e := newEnv(t)
	e.configureSSO(false)
	e.invite("ada@example.com", "")
	notEscaped := func(t *testing.T, body string) {
		t.Helper()
		for _, bad := range []string{"<script>alert", "<img src=x", "<b>"} {
			if strings.Contains(body, bad) {
				t.Errorf("page contains unescaped %q\n%s", bad, body)
			}
		}
	}

	t.Run("names from claims on the dashboard and the team page", func(t *testing.T) {
		b := e.browser()
		if p := b.postResponse(e.response(member("ada@example.com", script, img)), `/team"><script>alert(3)</script>`); p.Status != http.StatusSeeOther {
			t.Fatalf("sign-in: status %d\n%s", p.Status, p.Body)
		}
		p := b.get("/dashboard")
		notEscaped(t, p.Body)
		wantContains(t, p.Body, "&lt;script&gt;alert(1)&lt;/script&gt;")
		owner := e.browser()
		owner.signInOwner()
		p = owner.get("/team")
		notEscaped(t, p.Body)
		wantContains(t, p.Body, "&lt;script&gt;alert(1)&lt;/script&gt;", "&#34;&gt;&lt;img src=x onerror=alert(2)&gt;")
	})
	t.Run("e-mail on the not-a-member page", func(t *testing.T) {
		o := assertion{NameID: `<b>x</b>@evil.example` + script}
		p := e.browser().postResponse(e.response(o), "")
		if p.Status != http.StatusForbidden {
			t.Fatalf("status %d\n%s", p.Status, p.Body)
		}
		notEscaped(t, p.Body)
		wantContains(t, p.Body, "&lt;b&gt;x&lt;/b&gt;@evil.example")
	})
	t.Run("Issuer on the error page", func(t *testing.T) {
		o := member("ada@example.com", "", "")
		o.Issuer = script
		p := e.browser().postResponse(e.response(o), "")
		if p.Status != http.StatusBadRequest {
			t.Fatalf("status %d\n%s", p.Status, p.Body)
		}
		notEscaped(t, p.Body)
		wantContains(t, p.Body, "&lt;script&gt;")
	})
	t.Run("next parameter on the sign-in page", func(t *testing.T) {
		p := e.browser().get(`/signin?next=/x"><script>alert(1)</script>`)
		notEscaped(t, p.Body)
	})
	t.Run("invite form error", func(t *testing.T) {
		owner := e.browser()
		owner.signInOwner()
		p := owner.post("/team/invite", map[string][]string{"email": {script}})
		if p.Status != http.StatusBadRequest {
			t.Fatalf("status %d", p.Status)
		}
		notEscaped(t, p.Body)
	})
}

// TestCrossOriginPostsRefused is security case 29: cross-origin form posts are refused, the ACS is not.
func TestCrossOriginPostsRefused(t *testing.T) {
	e := newEnv(t)
	e.configureSSO(false)
	e.invite("ada@example.com", "")
	owner := e.browser()
	owner.signInOwner()
	tests := []struct {
		name, path string
		headers    []string
	}{
		{"sign-in from another site", "/signin", []string{"Sec-Fetch-Site", "cross-site"}},
		{"invite from another origin", "/team/invite", []string{"Sec-Fetch-Site", "", "Origin", "http://evil.example"}},
		{"settings from another site", "/settings/access-security", []string{"Sec-Fetch-Site", "cross-site"}},
		{"sign-out from another site", "/signout", []string{"Sec-Fetch-Site", "cross-site"}},
		{"remove from another site", "/team/2/remove", []string{"Sec-Fetch-Site", "cross-site"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form := map[string][]string{"email": {"mallory@example.com"}, "password": {"x"}}
			p := owner.post(tt.path, form, tt.headers...)
			if p.Status != http.StatusForbidden {
				t.Fatalf("status %d, want 403\n%s", p.Status, p.Body)
			}
			wantContains(t, p.Body, "Cross-origin request refused")
		})
	}
	users, _ := e.app.listUsers(t.Context())
	if len(users) != 2 {
		t.Errorf("%d users after refused posts, want 2", len(users))
	}
	if owner.currentUser() != ownerEmail {
		t.Errorf("the owner was signed out by a cross-site post")
	}
	// The ACS takes cross-site posts: the IdP's form comes from another site.
	if p := e.browser().postResponse(e.response(member("ada@example.com", "", "")), ""); p.Status != http.StatusSeeOther {
		t.Errorf("ACS cross-site post: status %d, want 303", p.Status)
	}
}

// TestACSUploadedCertificateInKeyInfoButAnotherKey puts the uploaded certificate in KeyInfo of a signature made with
// another key: the certificate in the response earns no trust, the signature must verify with the uploaded key.
// It is SECURITY-CASES 16 on the service provider's side (a wrong certificate).
func TestACSUploadedCertificateInKeyInfoButAnotherKey(t *testing.T) {
	e := newEnv(t)
	e.configureSSO(false)
	e.invite("ada@example.com", "")
	_, other := idps(t)
	o := member("ada@example.com", "", "")
	o.Signer = &testIdP{key: other.key, cert: e.idp.cert}
	e.rejected(t, nil, e.response(o), http.StatusBadRequest, "signature", "signature is not valid")
}

// TestACSTamperedAfterSigning changes the signed e-mail after signing.
func TestACSTamperedAfterSigning(t *testing.T) {
	e := newEnv(t)
	e.configureSSO(false)
	e.invite("ada@example.com", "")
	signed := e.response(member("ada@example.com", "", ""))
	raw, err := base64.StdEncoding.DecodeString(signed)
	if err != nil {
		t.Fatal(err)
	}
	tampered := strings.ReplaceAll(string(raw), "ada@example.com", ownerEmail)
	e.rejected(t, nil, base64.StdEncoding.EncodeToString([]byte(tampered)), http.StatusBadRequest, "signature", "changed after it was signed")
}
