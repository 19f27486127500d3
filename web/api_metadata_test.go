package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/internal/testserver"
)

// TestAPIMetadataImport imports SP metadata over the REST API, creates an app straight from metadata, and refuses
// bad metadata with the status and field of SECURITY-CASES 38.
func TestAPIMetadataImport(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	token, _, err := srv.Service.Login(context.Background(), "default", testserver.AdminUser, testserver.AdminPassword, "test")
	if err != nil {
		t.Fatal(err)
	}
	call := func(method, path string, body any) (int, map[string]any) {
		t.Helper()
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest(method, srv.URL+path, bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	md := func(entityID string) string {
		return `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="` + entityID + `"><md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">` +
			`<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://sp.example.test/acs" index="0"/></md:SPSSODescriptor></md:EntityDescriptor>`
	}
	status, app := call("POST", "/api/v1/directories/default/apps", map[string]any{"galleryId": "custom", "metadata": md("https://one.example.test/sp")})
	if status != http.StatusCreated || app["saml"].(map[string]any)["entityId"] != "https://one.example.test/sp" {
		t.Fatalf("create from metadata: %d %v", status, app)
	}
	status, other := call("POST", "/api/v1/directories/default/apps", map[string]any{"galleryId": "custom", "name": "Other"})
	if status != http.StatusCreated {
		t.Fatalf("create: %d %v", status, other)
	}
	path := "/api/v1/directories/default/apps/" + other["id"].(string) + "/saml/metadata"
	status, got := call("POST", path, map[string]string{"metadata": md("https://two.example.test/sp")})
	if status != http.StatusOK || got["saml"].(map[string]any)["replyUrls"].([]any)[0] != "https://sp.example.test/acs" {
		t.Errorf("import: %d %v", status, got)
	}
	// The answer says what changed, setting by setting; the same metadata again changes nothing.
	changes, _ := json.Marshal(got["changes"])
	if want := `[{"field":"entityId","message":"The Identifier changed from none to https://two.example.test/sp."},` +
		`{"field":"replyUrls","message":"The reply URLs are now https://sp.example.test/acs (the SP's HTTP-POST AssertionConsumerServices, the default first)."}]`; string(changes) != want {
		t.Errorf("changes %s, want %s", changes, want)
	}
	if status, got := call("POST", path, map[string]string{"metadata": md("https://two.example.test/sp")}); status != http.StatusOK ||
		len(got["changes"].([]any)) != 0 || got["suggestions"] != nil {
		t.Errorf("import again: %d changes %v suggestions %v", status, got["changes"], got["suggestions"])
	}
	// An encryption certificate in the metadata is suggested, not turned on.
	encrypting := strings.Replace(md("https://two.example.test/sp"), `<md:AssertionConsumerService`,
		`<md:KeyDescriptor use="encryption" xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>`+spCertificate(t)+
			`</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor><md:AssertionConsumerService`, 1)
	status, got = call("POST", path, map[string]string{"metadata": encrypting})
	suggestions, _ := json.Marshal(got["suggestions"])
	if status != http.StatusOK || got["saml"].(map[string]any)["encryptAssertions"] != false ||
		!strings.Contains(string(suggestions), `"field":"encryptAssertions"`) {
		t.Errorf("import with an encryption certificate: %d, encrypt %v, suggestions %s", status, got["saml"].(map[string]any)["encryptAssertions"], suggestions)
	}
	tests := []struct {
		name   string
		body   any
		status int
		code   string
		field  string
	}{
		{"SecurityCase38 DTD", map[string]string{"metadata": `<!DOCTYPE x>` + md("https://three.example.test/sp")}, 400, gatehouse.EINVALID, "metadata"},
		{"SecurityCase38 over 1 MiB", map[string]string{"metadata": md("https://three.example.test/sp") + strings.Repeat(" ", 1<<20)}, 413, gatehouse.ETOOLARGE, ""},
		{"SecurityCase38 entity ID taken", map[string]string{"metadata": md("https://one.example.test/sp")}, 409, gatehouse.ECONFLICT, "entityId"},
		{"SecurityCase38 file URL", map[string]string{"url": "file:///etc/passwd"}, 400, gatehouse.EINVALID, "url"},
		{"both", map[string]string{"metadata": md("x"), "url": "https://x/"}, 400, gatehouse.EINVALID, "metadata"},
		{"neither", map[string]string{}, 400, gatehouse.EINVALID, "metadata"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, got := call("POST", path, tt.body)
			if status != tt.status || got["code"] != tt.code || (tt.field != "" && got["field"] != tt.field) {
				t.Errorf("got %d %v, want %d %s naming %q", status, got, tt.status, tt.code, tt.field)
			}
		})
	}
}
