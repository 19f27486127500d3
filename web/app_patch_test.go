package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sync"
	"testing"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/internal/testserver"
	"github.com/google/go-cmp/cmp"
)

// TestAPIPatchConcurrent has four admins PATCH four different things of one app over the REST API at the same
// time, many times over: every change stands.
func TestAPIPatchConcurrent(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	token := apiToken(t, srv)
	a := mustApp(t, srv, "custom", nil)
	patch := func(path string, body any) error {
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest(http.MethodPatch, srv.URL+"/api/v1/directories/default/apps/"+a.ID+path, bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("PATCH %s %s: status %d", path, b, resp.StatusCode)
		}
		return nil
	}
	const rounds = 20
	admins := []func(i int) error{
		func(i int) error { return patch("/saml", map[string]string{"relayState": fmt.Sprintf("/a/%d", i)}) },
		func(i int) error {
			return patch("/saml", map[string]string{"signOnUrl": fmt.Sprintf("https://b.example/%d", i)})
		},
		func(i int) error { return patch("", map[string]string{"notes": fmt.Sprintf("c-%d", i)}) },
		func(i int) error {
			return patch("/saml", map[string]any{"setClaims": []map[string]any{{"name": fmt.Sprintf("d%d", i), "source": gatehouse.AttrMail, "new": true}}})
		},
	}
	var wg sync.WaitGroup
	errs := make([]error, len(admins))
	start := make(chan struct{})
	for n, admin := range admins {
		wg.Go(func() {
			<-start
			for i := range rounds {
				if err := admin(i); err != nil {
					errs[n] = err
					return
				}
			}
		})
	}
	close(start)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	got, err := srv.Store.FindApp(context.Background(), "default", a.ID)
	if err != nil {
		t.Fatal(err)
	}
	last := rounds - 1
	if got.SAML.RelayState != fmt.Sprintf("/a/%d", last) || got.SAML.SignOnURL != fmt.Sprintf("https://b.example/%d", last) ||
		got.Notes != fmt.Sprintf("c-%d", last) {
		t.Errorf("relay state %q, sign-on URL %q, notes %q: a change was lost", got.SAML.RelayState, got.SAML.SignOnURL, got.Notes)
	}
	for i := range rounds {
		if name := fmt.Sprintf("d%d", i); !slices.ContainsFunc(got.SAML.Claims, func(c gatehouse.Claim) bool { return c.Name == name }) {
			t.Errorf("claim %s was lost", name)
		}
	}
}

// shownFields returns the shown-* fields of a page's forms: the values each form was drawn with.
func shownFields(body string) url.Values {
	v := url.Values{}
	for _, m := range regexp.MustCompile(`name="(shown-[A-Za-z]+)" value="([^"]*)"`).FindAllStringSubmatch(body, -1) {
		v.Set(m[1], html.UnescapeString(m[2]))
	}
	return v
}

// TestPortalFormsSaveOnlyWhatChanged opens an app's forms, lets another admin change other fields meanwhile, and
// saves the forms with one field changed: the other admin's changes stand.
func TestPortalFormsSaveOnlyWhatChanged(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	ctx := context.Background()
	root := mustAdmin(t, srv)
	a := mustApp(t, srv, "custom", nil)
	entityID, replyURLs := "https://sp.example.test/sp", []string{"https://sp.example.test/acs"}
	if _, err := srv.Service.UpdateSAML(ctx, root, "default", a.ID, idp.SAMLPatch{EntityID: &entityID, ReplyURLs: &replyURLs}); err != nil {
		t.Fatal(err)
	}
	c := adminClient(t, srv)
	base := "/admin/d/default/apps/" + a.ID

	// The properties form: this admin turns the app off while another edits the notes.
	page := c.get(base + "/properties")
	shown := shownFields(page.Body)
	notes := "Changed by the other admin."
	if _, err := srv.Service.UpdateApp(ctx, root, "default", a.ID, idp.AppPatch{Notes: &notes}); err != nil {
		t.Fatal(err)
	}
	form := url.Values{"name": {shown.Get("shown-name")}, "assignmentRequired": {shown.Get("shown-assignmentRequired")},
		"visible": {shown.Get("shown-visible")}, "notes": {shown.Get("shown-notes")}}
	for k, vs := range shown {
		form[k] = vs
	}
	if p := c.post(base+"/properties", form); p.Status != http.StatusSeeOther {
		t.Fatalf("save properties: %d\n%s", p.Status, p.Body)
	}

	// The basic SAML form: this admin changes the Identifier while another changes the relay state; the signing
	// form: this admin changes the algorithm while another changes the option.
	page = c.get(base + "/sso")
	shown = shownFields(page.Body)
	relay, option := "/from-the-other-admin", gatehouse.SignAssertion
	if _, err := srv.Service.UpdateSAML(ctx, root, "default", a.ID, idp.SAMLPatch{RelayState: &relay, SigningOption: &option}); err != nil {
		t.Fatal(err)
	}
	form = url.Values{"entityId": {"https://sp.example.test/new"}, "replyUrls": {shown.Get("shown-replyUrls")},
		"signOnUrl": {shown.Get("shown-signOnUrl")}, "relayState": {shown.Get("shown-relayState")}, "logoutUrl": {shown.Get("shown-logoutUrl")}}
	for _, k := range []string{"shown-entityId", "shown-replyUrls", "shown-signOnUrl", "shown-relayState", "shown-logoutUrl"} {
		form.Set(k, shown.Get(k))
	}
	if p := c.post(base+"/sso/basic", form); p.Status != http.StatusSeeOther {
		t.Fatalf("save basic: %d\n%s", p.Status, p.Body)
	}
	form = url.Values{"signingOption": {shown.Get("shown-signingOption")}, "signingAlgorithm": {gatehouse.SHA1},
		"shown-signingOption": {shown.Get("shown-signingOption")}, "shown-signingAlgorithm": {shown.Get("shown-signingAlgorithm")}}
	if p := c.post(base+"/sso/signing", form); p.Status != http.StatusSeeOther {
		t.Fatalf("save signing: %d\n%s", p.Status, p.Body)
	}

	got, err := srv.Store.FindApp(ctx, "default", a.ID)
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		Enabled                     bool
		Notes, EntityID, RelayState string
		ReplyURLs                   []string
		SigningOption, Algorithm    string
	}
	want := result{Enabled: false, Notes: notes, EntityID: "https://sp.example.test/new", RelayState: relay, ReplyURLs: replyURLs,
		SigningOption: option, Algorithm: gatehouse.SHA1}
	g := result{got.Enabled, got.Notes, got.SAML.EntityID, got.SAML.RelayState, got.SAML.ReplyURLs, got.SAML.SigningOption, got.SAML.SigningAlgorithm}
	if diff := cmp.Diff(want, g); diff != "" {
		t.Errorf("after both admins saved, mismatch (-want +got):\n%s", diff)
	}
}
