package web_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/certs"
	"github.com/gatehouse-idp/gatehouse/internal/testserver"
)

// apiCaller sends API requests as the test server's global admin.
type apiCaller struct {
	t     *testing.T
	srv   *testserver.Server
	token string
}

func newAPICaller(t *testing.T, srv *testserver.Server) *apiCaller {
	return &apiCaller{t: t, srv: srv, token: apiToken(t, srv)}
}

// call sends a raw body and returns the status and the decoded JSON answer.
func (c *apiCaller) call(method, path, body string) (int, map[string]any) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.srv.URL+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if len(b) > 0 {
		if err := json.Unmarshal(b, &out); err != nil {
			c.t.Fatalf("%s %s: answer is not JSON: %s", method, path, b)
		}
	}
	return resp.StatusCode, out
}

// SECURITY-CASES 10 for the REST API: a string that is not UTF-8 text (raw bytes, or an escaped lone surrogate) is
// refused with 400 naming the field, instead of being stored as U+FFFD, and nothing is stored.
func TestAPIRefusesStringsThatAreNotUTF8(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	c := newAPICaller(t, srv)
	_, app := c.call("POST", "/api/v1/directories/default/apps", `{"galleryId":"custom","name":"Before"}`)
	appPath := "/api/v1/directories/default/apps/" + app["id"].(string)
	tests := []struct {
		name, method, path, body string
		// field is the field the answer must name, "" for none.
		field string
	}{
		{"user name", "POST", "/api/v1/directories/default/users", "{\"userName\":\"b.simon\xff@contoso.com\",\"displayName\":\"B\"}", "userName"},
		{"display name", "POST", "/api/v1/directories/default/users", "{\"userName\":\"b.simon@contoso.com\",\"displayName\":\"B\xc3\x28\"}", "displayName"},
		{"lone surrogate escape", "POST", "/api/v1/directories/default/users", `{"userName":"b.simon@contoso.com","displayName":"B\ud800"}`, "displayName"},
		{"group name", "POST", "/api/v1/directories/default/groups", "{\"name\":\"Sales\xfe\"}", "name"},
		{"nested field", "PATCH", appPath, "{\"saml\":{\"replyUrls\":[\"https://sp.example.test/acs\",\"https://sp.example.test/\xe2\x82\"]}}", "saml.replyUrls[1]"},
		{"field name", "POST", "/api/v1/directories/default/groups", "{\"na\xffme\":\"Sales\"}", ""},
		{"app name", "PATCH", appPath, "{\"name\":\"\xc0\xaf\"}", "name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, out := c.call(tt.method, tt.path, tt.body)
			if status != http.StatusBadRequest || out["code"] != gatehouse.EINVALID || out["field"] != nilIfEmpty(tt.field) {
				t.Errorf("status %d, answer %v; want 400 invalid naming %q", status, out, tt.field)
			}
			if msg, _ := out["message"].(string); !strings.Contains(msg, "UTF-8") {
				t.Errorf("message %q does not say what is wrong", msg)
			}
		})
	}
	ctx := context.Background()
	if _, total, err := srv.Store.FindUsers(ctx, "default", gatehouse.UserFilter{}); err != nil || total != 1 {
		t.Errorf("%d users after the refusals (%v), want only the admin", total, err)
	}
	if gs, err := srv.Store.FindGroups(ctx, "default", ""); err != nil || len(gs) != 0 {
		t.Errorf("groups after the refusals: %v, %v; want none", gs, err)
	}
	if a, err := srv.Store.FindApp(ctx, "default", app["id"].(string)); err != nil || a.Name != "Before" || len(a.SAML.ReplyURLs) != 0 {
		t.Errorf("the app after the refusals: %+v, %v; want it unchanged", a, err)
	}
	// A U+FFFD that was sent, raw or escaped, is text like any other.
	for _, name := range []string{"Raw \uFFFD", `Escaped \uFFFD`} {
		if status, out := c.call("POST", "/api/v1/directories/default/groups", `{"name":"`+name+`"}`); status != http.StatusCreated {
			t.Errorf("group %q: status %d %v, want 201", name, status, out)
		}
	}
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// A user name that looks like someone else's is refused through the REST API and the portal, with a message that
// names the character at fault.
func TestLookalikeUserNamesRefused(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	c := newAPICaller(t, srv)
	portal := adminClient(t, srv)
	tests := []struct {
		name, userName, want string
	}{
		{"Cyrillic letter", "admin@gatehouse.locаl", "mixes Latin and Cyrillic letters"},
		{"zero-width space", "ad\u200bmin@gatehouse.local", "U+200B, an invisible character"},
		{"combining mark", "admi\u0301n@gatehouse.local", "combining mark (U+0301)"},
		{"bidi control", "admin\u202e@gatehouse.local", "U+202E, a text-direction control"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, _ := json.Marshal(map[string]string{"userName": tt.userName, "displayName": "Admin"})
			status, out := c.call("POST", "/api/v1/directories/default/users", string(body))
			if msg, _ := out["message"].(string); status != http.StatusBadRequest || out["field"] != "userName" || !strings.Contains(msg, tt.want) {
				t.Errorf("API: status %d, answer %v; want 400 on userName saying %q", status, out, tt.want)
			}
			p := portal.post("/admin/d/default/users", url.Values{"userName": {tt.userName}, "displayName": {"Admin"}, "role": {"user"}})
			if msg := html.UnescapeString(idOf(p.Body, "error-userName")); p.Status != http.StatusBadRequest || !strings.Contains(msg, tt.want) {
				t.Errorf("portal: status %d, message %q; want 400 saying %q", p.Status, msg, tt.want)
			}
		})
	}
	if _, total, err := srv.Store.FindUsers(context.Background(), "default", gatehouse.UserFilter{}); err != nil || total != 1 {
		t.Errorf("%d users after the refusals (%v), want only the admin", total, err)
	}
	// An internationalised domain in its proper form is a user name like any other.
	body, _ := json.Marshal(map[string]string{"userName": "anna@bücher.example", "displayName": "Anna"})
	if status, out := c.call("POST", "/api/v1/directories/default/users", string(body)); status != http.StatusCreated {
		t.Errorf("IDN user name: status %d %v, want 201", status, out)
	}
}

// The REST API takes an SP certificate as PEM or base64 DER through the one certificate reader, stores it as base64
// DER, and refuses what is not a usable certificate naming the field and the problem (SECURITY-CASES 40).
func TestAPISPCertificateForms(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	c := newAPICaller(t, srv)
	_, app := c.call("POST", "/api/v1/directories/default/apps", `{"galleryId":"custom","name":"SP"}`)
	path := "/api/v1/directories/default/apps/" + app["id"].(string) + "/saml"
	der, key, err := certs.Generate("sp.example.test", time.Now(), 365*24*time.Hour, nil)
	if err != nil {
		t.Fatal(err)
	}
	b64 := base64.StdEncoding.EncodeToString(der)
	pemText := string(certs.EncodePEM(der))
	keyPEM := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
	tests := []struct {
		name  string
		field string
		value string
		// status and want: the answer, and a part of its message when refused.
		status int
		want   string
	}{
		{"PEM signing certificate", "signingCertificates", pemText, http.StatusOK, ""},
		{"Base64 .cer with CRLF", "signingCertificates", string(certs.EncodeBase64(der)), http.StatusOK, ""},
		{"base64 DER", "signingCertificates", b64, http.StatusOK, ""},
		{"PEM encryption certificate", "encryptionCertificate", pemText, http.StatusOK, ""},
		{"private key", "signingCertificates", keyPEM, http.StatusBadRequest, "This is a private key, not a certificate."},
		{"chain", "encryptionCertificate", pemText + pemText + pemText, http.StatusBadRequest, `3 certificates found: "sp.example.test" (expires`},
		{"garbage", "signingCertificates", "hello", http.StatusBadRequest, "This is not a readable X.509 certificate."},
		{"over 64 KiB", "encryptionCertificate", strings.Repeat("\n", 64<<10) + pemText, http.StatusRequestEntityTooLarge, "over the 64 KiB allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var value any = tt.value
			if tt.field == "signingCertificates" {
				value = []string{tt.value}
			}
			body, _ := json.Marshal(map[string]any{"signingCertificates": []string{}, "encryptionCertificate": "", tt.field: value})
			status, out := c.call("PATCH", path, string(body))
			if status != tt.status {
				t.Fatalf("status %d %v, want %d", status, out, tt.status)
			}
			if tt.want == "" {
				got, _ := json.Marshal(out[tt.field])
				if want, _ := json.Marshal(value); tt.field == "encryptionCertificate" && string(got) != `"`+b64+`"` ||
					tt.field == "signingCertificates" && string(got) != `["`+b64+`"]` {
					t.Errorf("%s = %s, want base64 DER (sent %.40s…)", tt.field, got, want)
				}
				return
			}
			if msg, _ := out["message"].(string); out["field"] != tt.field || !strings.Contains(msg, tt.want) {
				t.Errorf("answer %v, want field %s and %q", out, tt.field, tt.want)
			}
		})
	}
}

// A POST to a portal form that carries a file (the directory's settings with the logo, an app's properties, the
// SP metadata upload) that is not the multipart upload the page sends is answered with what is wrong with it, not
// "The logo is larger than 256 KiB"; a URL-encoded form without the file is simply read.
func TestPortalUploadFormsSayWhatIsWrong(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	admin := adminClient(t, srv)
	app := mustApp(t, srv, "custom", nil)
	send := func(path, contentType, body string) *portalResp {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		return admin.do(req)
	}
	settings, properties, metadata := "/admin/d/default/settings", "/admin/d/default/apps/"+app.ID+"/properties", "/admin/d/default/apps/"+app.ID+"/sso/metadata"
	const damaged = "--x\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nContoso"
	tests := []struct {
		name, path, contentType, body string
		status                        int
		// errorID and want: the field message expected on the page, "" when the form is saved.
		errorID, want string
	}{
		{"settings, URL-encoded", settings, "application/x-www-form-urlencoded", "name=Contoso+Ltd&domain=contoso.com", http.StatusSeeOther, "", ""},
		{"settings, plain text", settings, "text/plain", "name=Contoso", http.StatusBadRequest, "error-logo", `The form was sent as "text/plain"`},
		{"settings, no content type", settings, "", "name=Contoso", http.StatusBadRequest, "error-logo", `The form was sent as "no content type"`},
		{"settings, damaged multipart", settings, "multipart/form-data; boundary=x", damaged, http.StatusBadRequest, "error-logo", "multipart/form-data body is incomplete or damaged"},
		{"settings, too large", settings, "multipart/form-data; boundary=x", damaged + strings.Repeat("a", 400<<10), http.StatusRequestEntityTooLarge, "error-logo", "The logo is larger than 256 KiB"},
		{"properties, URL-encoded", properties, "application/x-www-form-urlencoded", "name=Renamed", http.StatusSeeOther, "", ""},
		{"properties, damaged multipart", properties, "multipart/form-data; boundary=x", damaged, http.StatusBadRequest, "error-logo", "incomplete or damaged"},
		{"metadata, plain text", metadata, "text/plain", "<EntityDescriptor/>", http.StatusBadRequest, "error-metadata", "The form was sent as"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := send(tt.path, tt.contentType, tt.body)
			if p.Status != tt.status {
				t.Fatalf("status %d, want %d\n%s", p.Status, tt.status, p.Body)
			}
			if tt.errorID == "" {
				return
			}
			if got := html.UnescapeString(idOf(p.Body, tt.errorID)); !strings.Contains(got, tt.want) {
				t.Errorf("#%s says %q, want %q", tt.errorID, got, tt.want)
			}
		})
	}
	if d, err := srv.Store.FindDirectory(context.Background(), "default"); err != nil || d.Name != "Contoso Ltd" {
		t.Errorf("after the URL-encoded settings form: %+v, %v", d, err)
	}
}

// The portal takes an app's SP certificates as a file (PEM, DER or Base64) or pasted, through the one certificate
// reader, refuses what is not a usable certificate with the reason, and removes them again.
func TestPortalSPCertificates(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	admin := adminClient(t, srv)
	app := mustApp(t, srv, "custom", nil)
	der, key, err := certs.Generate("sp.example.test", time.Now(), 365*24*time.Hour, nil)
	if err != nil {
		t.Fatal(err)
	}
	other, _, err := certs.Generate("sp2.example.test", time.Now(), 365*24*time.Hour, nil)
	if err != nil {
		t.Fatal(err)
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: must(x509.MarshalPKCS8PrivateKey(key))})
	upload := func(use string, file []byte, text string) *portalResp {
		t.Helper()
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		_ = mw.WriteField("use", use)
		_ = mw.WriteField("certificateText", text)
		if file != nil {
			fw, _ := mw.CreateFormFile("certificate", "sp.cer")
			_, _ = fw.Write(file)
		}
		_ = mw.Close()
		req, err := http.NewRequest(http.MethodPost, srv.URL+"/admin/d/default/apps/"+app.ID+"/sso/sp-certificates", &b)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		return admin.do(req)
	}
	tests := []struct {
		name, use string
		file      []byte
		text      string
		// status and want: the answer, and the message at #error-certificate when refused.
		status int
		want   string
	}{
		{"PEM file for signing", "signing", certs.EncodePEM(der), "", http.StatusSeeOther, ""},
		{"DER file for signing", "signing", other, "", http.StatusSeeOther, ""},
		{"Base64 pasted for encryption", "encryption", nil, string(certs.EncodeBase64(der)), http.StatusSeeOther, ""},
		{"the same signing certificate again", "signing", certs.EncodeBase64(der), "", http.StatusConflict, "registered already"},
		{"private key", "signing", keyPEM, "", http.StatusBadRequest, "This is a private key, not a certificate."},
		{"chain", "encryption", nil, string(bytes.Repeat(certs.EncodePEM(der), 3)), http.StatusBadRequest, `3 certificates found: "sp.example.test"`},
		{"nothing", "signing", nil, "  ", http.StatusBadRequest, "Choose the app's certificate file, or paste the certificate."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := upload(tt.use, tt.file, tt.text)
			if p.Status != tt.status {
				t.Fatalf("status %d, want %d\n%s", p.Status, tt.status, p.Body)
			}
			if got := html.UnescapeString(idOf(p.Body, "error-certificate")); tt.want != "" && !strings.Contains(got, tt.want) {
				t.Errorf("#error-certificate says %q, want %q", got, tt.want)
			}
		})
	}
	a, err := srv.Store.FindApp(context.Background(), "default", app.ID)
	if err != nil {
		t.Fatal(err)
	}
	b64, b64Other := base64.StdEncoding.EncodeToString(der), base64.StdEncoding.EncodeToString(other)
	if strings.Join(a.SAML.SigningCertificates, ",") != b64+","+b64Other || a.SAML.EncryptionCertificate != b64 {
		t.Fatalf("registered signing %v and encryption %q, want the two certificates as base64 DER", a.SAML.SigningCertificates, a.SAML.EncryptionCertificate)
	}
	page := admin.get("/admin/d/default/apps/" + app.ID + "/sso")
	if n := strings.Count(page.Body, `data-thumbprint="`+certs.Thumbprint(der)+`"`); n != 2 {
		t.Errorf("the SSO page lists the first certificate %d times, want 2 (signing and encryption)", n)
	}
	p := admin.post("/admin/d/default/apps/"+app.ID+"/sso/sp-certificates/remove", url.Values{"use": {"signing"}, "thumbprint": {certs.Thumbprint(der)}})
	if p.Status != http.StatusSeeOther {
		t.Fatalf("remove: status %d\n%s", p.Status, p.Body)
	}
	if a, err = srv.Store.FindApp(context.Background(), "default", app.ID); err != nil || strings.Join(a.SAML.SigningCertificates, ",") != b64Other {
		t.Errorf("after removing: signing %v, %v; want only the second certificate", a.SAML.SigningCertificates, err)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// An error that quotes a value quotes at most a short prefix of it: a 10 KB value does not come back whole.
func TestAPIErrorsQuoteAShortPrefix(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	c := newAPICaller(t, srv)
	long := strings.Repeat("a", 10<<10)
	tests := []struct {
		name, method, path, body string
	}{
		{"user name", "POST", "/api/v1/directories/default/users", `{"userName":"` + long + `@contoso.com","displayName":"A"}`},
		{"user name without @", "POST", "/api/v1/directories/default/users", `{"userName":"` + long[:200] + `","displayName":"A"}`},
		{"role", "POST", "/api/v1/directories/default/users", `{"userName":"a@contoso.com","displayName":"A","role":"` + long + `"}`},
		{"unknown route", "GET", "/api/v1/" + long, ""},
		{"gallery ID", "POST", "/api/v1/directories/default/apps", `{"galleryId":"` + long + `"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, out := c.call(tt.method, tt.path, tt.body)
			msg, _ := out["message"].(string)
			if status < 400 || msg == "" || len(msg) > 400 || strings.Contains(msg, long[:200]+"a") {
				t.Errorf("status %d, message of %d bytes: %.300q…; want an error quoting at most %d bytes", status, len(msg), msg, gatehouse.MaxQuoted)
			}
		})
	}
}
