package web_test

import (
	"bytes"
	"context"
	"encoding/pem"
	"image"
	"image/color"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/internal/testserver"
)

func TestPortalAddFromGallery(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	c := adminClient(t, srv)
	tests := []struct {
		name    string
		gallery string
		form    url.Values
		status  int
		errorID string
		want    func(t *testing.T, a *gatehouse.App)
	}{
		{"mixpanel", "mixpanel", url.Values{"name": {"Mixpanel"}, "param-org_id": {"4242"}}, 303, "", func(t *testing.T, a *gatehouse.App) {
			if a.SAML.SignOnURL != "https://mixpanel.com/security/sso/v2/authorize/?org_id=4242" {
				t.Errorf("sign-on URL %q", a.SAML.SignOnURL)
			}
		}},
		{"custom", "custom", url.Values{"name": {"Our wiki"}}, 303, "", nil},
		{"bad parameter", "mixpanel", url.Values{"name": {"Mixpanel 2"}, "param-org_id": {"<x>"}}, 400, "error-param-org_id", nil},
		{"no name falls back, taken identifier", "mixpanel", url.Values{"name": {""}, "param-org_id": {"1"}}, 409, "form-error", nil},
		{"name with newline", "custom", url.Values{"name": {"a\nb"}}, 400, "error-name", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := c.post("/admin/d/default/apps/gallery/"+tt.gallery, tt.form)
			if p.Status != tt.status {
				t.Fatalf("status %d, want %d\n%s", p.Status, tt.status, p.Body)
			}
			if tt.errorID != "" && idOf(p.Body, tt.errorID) == "" {
				t.Errorf("no message at #%s\n%s", tt.errorID, p.Body)
			}
			if p.Status != 303 {
				return
			}
			if !strings.Contains(p.Location, "/sso?added=1") {
				t.Fatalf("redirect to %q, want the app's SSO page", p.Location)
			}
			id := strings.Split(strings.TrimPrefix(p.Location, "/admin/d/default/apps/"), "/")[0]
			a, err := srv.Store.FindApp(context.Background(), "default", id)
			if err != nil {
				t.Fatal(err)
			}
			if a.Name != tt.form.Get("name") {
				t.Errorf("name %q, want %q", a.Name, tt.form.Get("name"))
			}
			if tt.want != nil {
				tt.want(t, a)
			}
			if p := c.get(p.Location); p.Status != 200 || !strings.Contains(p.Body, `id="added"`) {
				t.Errorf("SSO page after adding: status %d, lacks the added notice", p.Status)
			}
		})
	}
}

func TestPortalBasicSAMLConfiguration(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	c := adminClient(t, srv)
	app := mustApp(t, srv, "custom", nil)
	other := mustApp(t, srv, "mixpanel", map[string]string{"org_id": "1"})
	path := "/admin/d/default/apps/" + app.ID + "/sso/basic"
	tests := []struct {
		name    string
		form    url.Values
		status  int
		errorID string
	}{
		{"valid", url.Values{"entityId": {"https://wiki.example.com"}, "replyUrls": {"https://wiki.example.com/acs\r\n\r\nhttps://wiki.example.com/acs2\n"}, "signOnUrl": {""}, "relayState": {"/home"}, "logoutUrl": {"https://wiki.example.com/slo"}}, 303, ""},
		{"bad reply URL", url.Values{"entityId": {"https://wiki.example.com"}, "replyUrls": {"javascript:alert(1)"}}, 400, "error-replyUrls"},
		{"reply URL twice", url.Values{"entityId": {"https://wiki.example.com"}, "replyUrls": {"https://a.example/acs\nhttps://a.example/acs"}}, 400, "error-replyUrls"},
		{"identifier with space", url.Values{"entityId": {"https://wiki example"}, "replyUrls": {"https://a.example/acs"}}, 400, "error-entityId"},
		{"identifier taken", url.Values{"entityId": {other.SAML.EntityID}, "replyUrls": {"https://a.example/acs"}}, 409, "error-entityId"},
		{"bad sign-on URL", url.Values{"entityId": {"https://wiki.example.com"}, "signOnUrl": {"ftp://x"}}, 400, "error-signOnUrl"},
		{"bad logout URL", url.Values{"entityId": {"https://wiki.example.com"}, "logoutUrl": {"/relative"}}, 400, "error-logoutUrl"},
		{"relay state with newline", url.Values{"entityId": {"https://wiki.example.com"}, "relayState": {"a\nb"}}, 400, "error-relayState"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := c.post(path, tt.form)
			if p.Status != tt.status {
				t.Fatalf("status %d, want %d\n%s", p.Status, tt.status, p.Body)
			}
			if tt.errorID != "" {
				if idOf(p.Body, tt.errorID) == "" {
					t.Errorf("no message at #%s\n%s", tt.errorID, p.Body)
				}
				if !strings.Contains(p.Body, `aria-invalid="true"`) {
					t.Error("the field is not marked invalid")
				}
				return
			}
			a, err := srv.Store.FindApp(context.Background(), "default", app.ID)
			if err != nil {
				t.Fatal(err)
			}
			if want := []string{"https://wiki.example.com/acs", "https://wiki.example.com/acs2"}; strings.Join(a.SAML.ReplyURLs, " ") != strings.Join(want, " ") {
				t.Errorf("reply URLs %q, want %q", a.SAML.ReplyURLs, want)
			}
			if p := c.get(p.Location); !strings.Contains(p.Body, `id="saved"`) {
				t.Error("no saved notice after saving")
			}
		})
	}
	// A failed save keeps what was typed.
	p := c.post(path, url.Values{"entityId": {"https://typed.example"}, "replyUrls": {"not a url"}})
	if !strings.Contains(p.Body, "https://typed.example") || !strings.Contains(p.Body, "not a url") {
		t.Error("the form lost what was typed")
	}
}

func TestPortalClaimsAndSigning(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	c := adminClient(t, srv)
	app := mustApp(t, srv, "mixpanel", map[string]string{"org_id": "1"})
	base := "/admin/d/default/apps/" + app.ID + "/sso"
	steps := []struct {
		name   string
		path   string
		form   url.Values
		status int
		check  func(a *gatehouse.App) bool
	}{
		{"add claim", "/claims", url.Values{"new-claim-name": {"department"}, "new-claim-source": {"constant"}, "new-claim-value": {"Sales"}}, 303,
			func(a *gatehouse.App) bool { return a.SAML.Claims[len(a.SAML.Claims)-1].Value == "Sales" }},
		{"add claim twice", "/claims", url.Values{"new-claim-name": {"department"}, "new-claim-source": {"user.mail"}}, 400, nil},
		{"add group claim", "/claims", url.Values{"new-claim-name": {"groups"}, "new-claim-source": {"groups:all"}}, 303,
			func(a *gatehouse.App) bool { return a.SAML.Claims[len(a.SAML.Claims)-1].Groups == "all" }},
		{"edit claim", "/claim", url.Values{"original": {"department"}, "name": {"dept"}, "source": {"user.displayname"}, "transform": {"upper"}}, 303,
			func(a *gatehouse.App) bool {
				for _, c := range a.SAML.Claims {
					if c.Name == "dept" {
						return c.Source == "user.displayname" && c.Value == "" && c.Transform == "upper"
					}
				}
				return false
			}},
		{"remove claim", "/claims/remove", url.Values{"name": {"dept"}}, 303,
			func(a *gatehouse.App) bool { return len(a.SAML.Claims) == 4 }},
		{"name ID", "/nameid", url.Values{"nameIdFormat": {gatehouse.NameIDPersistent}, "nameIdSource": {"user.objectid"}}, 303,
			func(a *gatehouse.App) bool {
				return a.SAML.NameIDFormat == gatehouse.NameIDPersistent && a.SAML.NameIDSource == "user.objectid"
			}},
		{"bad name ID format", "/nameid", url.Values{"nameIdFormat": {"urn:nope"}, "nameIdSource": {"user.objectid"}}, 400, nil},
		{"signing", "/signing", url.Values{"signingOption": {"both"}, "signingAlgorithm": {"sha1"}}, 303,
			func(a *gatehouse.App) bool {
				return a.SAML.SigningOption == "both" && a.SAML.SigningAlgorithm == "sha1"
			}},
		{"bad signing", "/signing", url.Values{"signingOption": {"none"}, "signingAlgorithm": {"sha256"}}, 400, nil},
	}
	for _, st := range steps {
		p := c.post(base+st.path, st.form)
		if p.Status != st.status {
			t.Fatalf("%s: status %d, want %d\n%s", st.name, p.Status, st.status, p.Body)
		}
		if st.check == nil {
			continue
		}
		a, err := srv.Store.FindApp(context.Background(), "default", app.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !st.check(a) {
			t.Errorf("%s: settings are not as expected: %+v", st.name, a.SAML)
		}
	}
}

func TestPortalDownloads(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	c := adminClient(t, srv)
	app := mustApp(t, srv, "mixpanel", map[string]string{"org_id": "1"})
	tests := []struct {
		format, contentType string
		check               func([]byte) bool
	}{
		{"base64", "application/pkix-cert", func(b []byte) bool { blk, _ := pem.Decode(b); return blk != nil && blk.Type == "CERTIFICATE" }},
		{"pem", "application/x-pem-file", func(b []byte) bool { blk, _ := pem.Decode(b); return blk != nil && blk.Type == "CERTIFICATE" }},
		{"raw", "application/pkix-cert", func(b []byte) bool { return len(b) > 0 && b[0] == 0x30 }},
		{"metadata", "application/samlmetadata+xml", func(b []byte) bool { return bytes.Contains(b, []byte("EntityDescriptor")) }},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			p := c.get("/admin/d/default/apps/" + app.ID + "/certificates/active/download?format=" + tt.format)
			if p.Status != 200 {
				t.Fatalf("status %d\n%s", p.Status, p.Body)
			}
			if ct := p.Header.Get("Content-Type"); ct != tt.contentType {
				t.Errorf("Content-Type %q, want %q", ct, tt.contentType)
			}
			if !strings.HasPrefix(p.Header.Get("Content-Disposition"), "attachment") {
				t.Errorf("Content-Disposition %q", p.Header.Get("Content-Disposition"))
			}
			if !tt.check([]byte(p.Body)) {
				t.Errorf("unexpected body %.80q", p.Body)
			}
			if strings.Contains(p.Body, "PRIVATE KEY") {
				t.Error("a download carries a private key")
			}
		})
	}
	if p := c.get("/admin/d/default/apps/" + app.ID + "/certificates/active/download?format=pfx"); p.Status != 400 {
		t.Errorf("unknown format: status %d, want 400", p.Status)
	}
}

func TestPortalCertificateRollover(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	c := adminClient(t, srv)
	app := mustApp(t, srv, "mixpanel", map[string]string{"org_id": "1"})
	base := "/admin/d/default/apps/" + app.ID
	if p := c.post(base+"/certificates", nil); p.Status != 303 {
		t.Fatalf("new certificate: status %d\n%s", p.Status, p.Body)
	}
	if p := c.post(base+"/certificates", nil); p.Status != 409 {
		t.Errorf("a second next certificate: status %d, want 409", p.Status)
	}
	cs, err := srv.Store.FindCertificates(context.Background(), "default", app.ID)
	if err != nil || len(cs) != 2 {
		t.Fatalf("certificates: %v, %d", err, len(cs))
	}
	var next *gatehouse.Certificate
	for _, x := range cs {
		if !x.Active {
			next = x
		}
	}
	p := c.get(base + "/sso")
	if !strings.Contains(p.Body, `data-certificate-id="`+next.ID+`" data-state="next"`) || strings.Contains(p.Body, `id="new-certificate"`) {
		t.Error("the SSO page does not list the next certificate, or still offers a new one")
	}
	if p := c.get(base + "/certificates/" + next.ID + "/download?format=pem"); p.Status != 200 {
		t.Errorf("download of the next certificate: status %d", p.Status)
	}
	if p := c.post(base+"/certificates/"+next.ID+"/activate", nil); p.Status != 303 {
		t.Fatalf("activate: status %d\n%s", p.Status, p.Body)
	}
	if p := c.get(base + "/sso"); idOf(p.Body, "cert-thumbprint") != next.Thumbprint {
		t.Errorf("the active thumbprint is %q, want the new %q", idOf(p.Body, "cert-thumbprint"), next.Thumbprint)
	}
	if p := c.post(base+"/certificates/nosuch/activate", nil); p.Status != 404 {
		t.Errorf("activating an unknown certificate: status %d, want 404", p.Status)
	}
}

func TestPortalAssignments(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	c := adminClient(t, srv)
	app := mustApp(t, srv, "mixpanel", map[string]string{"org_id": "1"})
	u := mustUser(t, srv, "b.simon@contoso.com", "B. Simon", gatehouse.RoleUser)
	mustUser(t, srv, "b.simons@contoso.com", "B. Simons", gatehouse.RoleUser)
	if p := c.post("/admin/d/default/groups", url.Values{"name": {"Sales"}}); p.Status != 303 {
		t.Fatalf("create group: %d", p.Status)
	}
	path := "/admin/d/default/apps/" + app.ID + "/users"
	tests := []struct {
		name       string
		form       url.Values
		status     int
		errorFound bool
	}{
		{"user by user name", url.Values{"type": {"user"}, "principal": {"B.Simon@contoso.com"}}, 303, false},
		{"user twice", url.Values{"type": {"user"}, "principal": {"b.simon@contoso.com"}}, 409, true},
		{"ambiguous", url.Values{"type": {"user"}, "principal": {"b.simo"}}, 400, true},
		{"nobody", url.Values{"type": {"user"}, "principal": {"zed"}}, 400, true},
		{"group", url.Values{"type": {"group"}, "principal": {"sales"}}, 303, false},
		{"unknown group", url.Values{"type": {"group"}, "principal": {"nope"}}, 400, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := c.post(path, tt.form)
			if p.Status != tt.status {
				t.Fatalf("status %d, want %d\n%s", p.Status, tt.status, p.Body)
			}
			if tt.errorFound && idOf(p.Body, "error-user") == "" {
				t.Errorf("no message at #error-user\n%s", p.Body)
			}
		})
	}
	p := c.get(path)
	as, err := srv.Store.FindAssignments(context.Background(), "default", app.ID)
	if err != nil || len(as) != 2 {
		t.Fatalf("assignments %d, %v; want 2", len(as), err)
	}
	for _, a := range as {
		if !strings.Contains(p.Body, `data-assignment-id="`+a.ID+`"`) {
			t.Errorf("assignment %s not listed", a.ID)
		}
	}
	if p := c.post(path+"/"+as[0].ID+"/remove", nil); p.Status != 303 {
		t.Fatalf("unassign: status %d", p.Status)
	}
	if ok, _ := srv.Store.IsAssigned(context.Background(), "default", app.ID, u.ID); ok {
		t.Error("the user is still assigned")
	}
}

// pngOf returns a PNG image of the given size.
func pngOf(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	img.Set(0, 0, color.RGBA{R: 200, A: 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestPortalProperties(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	c := adminClient(t, srv)
	app := mustApp(t, srv, "custom", nil)
	path := "/admin/d/default/apps/" + app.ID + "/properties"
	post := func(fields map[string]string, file string, data []byte) *portalResp {
		t.Helper()
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		for k, v := range fields {
			_ = mw.WriteField(k, v)
		}
		if file != "" {
			fw, err := mw.CreateFormFile("logo", file)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = fw.Write(data)
		}
		_ = mw.Close()
		req, err := http.NewRequest(http.MethodPost, srv.URL+path, &b)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		return c.do(req)
	}
	tests := []struct {
		name    string
		fields  map[string]string
		file    string
		data    []byte
		status  int
		errorID string
		check   func(a *gatehouse.App) bool
	}{
		{"switches off", map[string]string{"name": "Wiki", "notes": "for the team"}, "", nil, 303, "",
			func(a *gatehouse.App) bool {
				return a.Name == "Wiki" && !a.Enabled && !a.Visible && !a.AssignmentRequired && a.Notes == "for the team"
			}},
		{"switches on with logo", map[string]string{"name": "Wiki", "enabled": "on", "visible": "on", "assignmentRequired": "on"}, "../../etc/passwd.png", pngOf(t, 64, 64), 303, "",
			func(a *gatehouse.App) bool {
				return a.Enabled && a.Visible && a.AssignmentRequired && a.LogoType == "image/png"
			}},
		{"logo not an image", map[string]string{"name": "Wiki"}, "logo.png", []byte("<svg onload=alert(1)>"), 400, "error-logo", nil},
		{"logo too many pixels", map[string]string{"name": "Wiki"}, "logo.png", pngOf(t, 4000, 1), 400, "error-logo", nil},
		{"logo too large", map[string]string{"name": "Wiki"}, "logo.png", bytes.Repeat([]byte{0x89}, 300<<10), 413, "error-logo", nil},
		{"empty name", map[string]string{"name": ""}, "", nil, 400, "error-name", nil},
		{"remove logo", map[string]string{"name": "Wiki", "removeLogo": "on", "enabled": "on"}, "", nil, 303, "",
			func(a *gatehouse.App) bool { return len(a.Logo) == 0 && a.LogoType == "" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := post(tt.fields, tt.file, tt.data)
			if p.Status != tt.status {
				t.Fatalf("status %d, want %d\n%s", p.Status, tt.status, p.Body)
			}
			if tt.errorID != "" && idOf(p.Body, tt.errorID) == "" {
				t.Errorf("no message at #%s\n%s", tt.errorID, p.Body)
			}
			if tt.check != nil {
				a, err := srv.Store.FindApp(context.Background(), "default", app.ID)
				if err != nil {
					t.Fatal(err)
				}
				if !tt.check(a) {
					t.Errorf("app not as expected: %+v", a)
				}
				if a.LogoType != "" {
					if p := c.get("/admin/d/default/apps/" + app.ID + "/logo"); p.Status != 200 || p.Header.Get("Content-Type") != "image/png" {
						t.Errorf("logo: status %d, type %q", p.Status, p.Header.Get("Content-Type"))
					}
				}
			}
		})
	}
	if p := c.get("/admin/d/default/apps/" + app.ID + "/delete"); p.Status != 200 || !strings.Contains(p.Body, `id="confirm-delete"`) {
		t.Fatalf("delete confirmation: status %d", p.Status)
	}
	if p := c.post("/admin/d/default/apps/"+app.ID+"/delete", nil); p.Status != 303 {
		t.Fatalf("delete: status %d", p.Status)
	}
	if _, err := srv.Store.FindApp(context.Background(), "default", app.ID); gatehouse.ErrorCode(err) != gatehouse.ENOTFOUND {
		t.Errorf("the app is still there: %v", err)
	}
}

func TestPortalImportMetadata(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	c := adminClient(t, srv)
	app := mustApp(t, srv, "custom", nil)
	const good = `<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://sp.example.com/meta">` +
		`<SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">` +
		`<AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://sp.example.com/acs" index="0"/>` +
		`</SPSSODescriptor></EntityDescriptor>`
	tests := []struct {
		name, file string
		status     int
		errorID    string
	}{
		{"metadata", good, 200, ""},
		{"doctype", `<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>` + good, 400, "error-metadata"},
		{"nothing", "", 400, "error-metadata"},
		{"javascript ACS", strings.Replace(good, "https://sp.example.com/acs", "javascript:alert(1)", 1), 400, "error-metadata"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			mw := multipart.NewWriter(&b)
			if tt.file != "" {
				fw, _ := mw.CreateFormFile("metadata", "sp.xml")
				_, _ = fw.Write([]byte(tt.file))
			}
			_ = mw.Close()
			req, err := http.NewRequest(http.MethodPost, srv.URL+"/admin/d/default/apps/"+app.ID+"/sso/metadata", &b)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", mw.FormDataContentType())
			req.Header.Set("Sec-Fetch-Site", "same-origin")
			p := c.do(req)
			if p.Status != tt.status {
				t.Fatalf("status %d, want %d\n%s", p.Status, tt.status, p.Body)
			}
			if tt.errorID != "" {
				if idOf(p.Body, tt.errorID) == "" {
					t.Errorf("no message at #%s\n%s", tt.errorID, p.Body)
				}
				return
			}
			a, err := srv.Store.FindApp(context.Background(), "default", app.ID)
			if err != nil {
				t.Fatal(err)
			}
			if a.SAML.EntityID != "https://sp.example.com/meta" || len(a.SAML.ReplyURLs) != 1 || a.SAML.ReplyURLs[0] != "https://sp.example.com/acs" {
				t.Errorf("settings after import: %+v", a.SAML)
			}
			if !strings.Contains(p.Body, `<li data-field="entityId">The Identifier changed from none to https://sp.example.com/meta.</li>`) {
				t.Errorf("the page does not say what the import changed\n%s", p.Body)
			}
		})
	}
}
