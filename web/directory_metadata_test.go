package web_test

import (
	"context"
	"encoding/base64"
	"encoding/xml"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"testing"

	crewjam "github.com/crewjam/saml"

	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/internal/testserver"
)

// TestDirectoryMetadataVerifiesEveryApp gives an SP (crewjam/saml) the directory's metadata instead of its app's:
// the Responses of two apps, each signed with the app's own certificate, verify with it. With only the directory's
// own certificate, which the directory metadata used to publish alone, they do not.
func TestDirectoryMetadataVerifiesEveryApp(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	ctx := context.Background()
	root := mustAdmin(t, srv)
	token, _, err := srv.Service.CreateSession(ctx, root, false)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(u string) string {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		req.AddCookie(&http.Cookie{Name: "gatehouse_session", Value: token})
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: status %d\n%s", u, resp.StatusCode, b)
		}
		return string(b)
	}
	type spApp struct{ id, entityID, acs string }
	var apps []spApp
	for _, name := range []string{"one", "two"} {
		a := mustApp(t, srv, "custom", nil)
		entityID, replyURLs, off := "https://"+name+".example.test/sp", []string{"https://" + name + ".example.test/acs"}, false
		if _, err := srv.Service.UpdateApp(ctx, root, "default", a.ID, idp.AppPatch{AssignmentRequired: &off}); err != nil {
			t.Fatal(err)
		}
		if _, err := srv.Service.UpdateSAML(ctx, root, "default", a.ID, idp.SAMLPatch{EntityID: &entityID, ReplyURLs: &replyURLs}); err != nil {
			t.Fatal(err)
		}
		apps = append(apps, spApp{a.ID, entityID, replyURLs[0]})
	}
	var md crewjam.EntityDescriptor
	if err := xml.Unmarshal([]byte(get(srv.URL+"/d/default/federationmetadata/2007-06/federationmetadata.xml")), &md); err != nil {
		t.Fatal(err)
	}
	if n := len(md.IDPSSODescriptors[0].KeyDescriptors); n != 3 {
		t.Errorf("the directory metadata publishes %d certificates, want the directory's and one per app", n)
	}
	onlyDirectory := md
	onlyDirectory.IDPSSODescriptors = []crewjam.IDPSSODescriptor{md.IDPSSODescriptors[0]}
	onlyDirectory.IDPSSODescriptors[0].KeyDescriptors = md.IDPSSODescriptors[0].KeyDescriptors[:1]
	form := regexp.MustCompile(`name="SAMLResponse" value="([^"]+)"`)
	for _, a := range apps {
		m := form.FindStringSubmatch(get(srv.URL + "/d/default/apps/" + a.id + "/signin"))
		if m == nil {
			t.Fatalf("%s: no SAMLResponse", a.entityID)
		}
		raw, err := base64.StdEncoding.DecodeString(html.UnescapeString(m[1]))
		if err != nil {
			t.Fatal(err)
		}
		acs, _ := url.Parse(a.acs)
		sp := func(idp *crewjam.EntityDescriptor) *crewjam.ServiceProvider {
			return &crewjam.ServiceProvider{EntityID: a.entityID, AcsURL: *acs, IDPMetadata: idp, AllowIDPInitiated: true}
		}
		if _, err := sp(&md).ParseXMLResponse(raw, nil, *acs); err != nil {
			t.Errorf("%s: the Response does not verify with the directory's metadata: %v", a.entityID, err)
		}
		if _, err := sp(&onlyDirectory).ParseXMLResponse(raw, nil, *acs); err == nil {
			t.Errorf("%s: the Response verifies with the directory's own certificate, which never signs an app's Response", a.entityID)
		}
	}
}
