package web_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/internal/testserver"
)

// TestAPINotifications sets and reads who gets certificate expiry notices through the REST API: the directory's
// default list, an app's own list and what falls back to what, with the errors a client can make.
func TestAPINotifications(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	app := mustApp(t, srv, "custom", nil)
	ctx := context.Background()
	admin, _, err := srv.Service.Login(ctx, "default", testserver.AdminUser, testserver.AdminPassword, "test")
	if err != nil {
		t.Fatal(err)
	}
	appAdmin := mustUser(t, srv, "apps@contoso.com", "Apps", gatehouse.RoleAppAdmin)
	appToken, _, err := srv.Service.Login(ctx, "default", appAdmin.UserName, userPassword, "test")
	if err != nil {
		t.Fatal(err)
	}
	dirPath, appPath := "/api/v1/directories/default/notifications", "/api/v1/directories/default/apps/"+app.ID+"/notifications"
	call := func(method, path, token, body string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var out map[string]any
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatalf("%s %s: %v\n%s", method, path, err, b)
		}
		return resp.StatusCode, out
	}
	for _, tc := range []struct {
		name, method, path, token, body string
		status                          int
		want                            map[string]any
	}{
		{"AppNone", "GET", appPath, appToken, "", 200, map[string]any{"emails": []any{}, "recipients": []any{}}},
		{"SetDirectory", "PUT", dirPath, admin, `{"emails":["it@contoso.com"]}`, 200, map[string]any{"emails": []any{"it@contoso.com"}, "recipients": []any{"it@contoso.com"}}},
		{"AppFallsBack", "GET", appPath, appToken, "", 200, map[string]any{"emails": []any{}, "recipients": []any{"it@contoso.com"}}},
		{"SetApp", "PUT", appPath, appToken, `{"emails":["wiki@contoso.com","ops@contoso.com"]}`, 200,
			map[string]any{"emails": []any{"wiki@contoso.com", "ops@contoso.com"}, "recipients": []any{"wiki@contoso.com", "ops@contoso.com"}}},
		{"AppAdminOnDirectory", "PUT", dirPath, appToken, `{"emails":[]}`, 403, nil},
		{"Invalid", "PUT", appPath, admin, `{"emails":["ops"]}`, 400, nil},
		{"SixAddresses", "PUT", appPath, admin, `{"emails":["a@x.com","b@x.com","c@x.com","d@x.com","e@x.com","f@x.com"]}`, 400, nil},
		{"NoList", "PUT", appPath, admin, `{}`, 400, nil},
		{"UnknownApp", "GET", "/api/v1/directories/default/apps/nosuchapp/notifications", admin, "", 404, nil},
		{"Kept", "GET", appPath, admin, "", 200, map[string]any{"emails": []any{"wiki@contoso.com", "ops@contoso.com"}, "recipients": []any{"wiki@contoso.com", "ops@contoso.com"}}},
		{"Emptied", "PUT", appPath, admin, `{"emails":[]}`, 200, map[string]any{"emails": []any{}, "recipients": []any{"it@contoso.com"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := call(tc.method, tc.path, tc.token, tc.body)
			if status != tc.status {
				t.Fatalf("status %d, want %d: %v", status, tc.status, body)
			}
			if tc.want != nil {
				if d := cmp.Diff(tc.want, body); d != "" {
					t.Errorf("body mismatch (-want +got):\n%s", d)
				}
			} else if tc.status == 400 && body["field"] != "emails" {
				t.Errorf("error %v does not name the field emails", body)
			}
		})
	}
}

// TestPortalNotifications sets the addresses in the portal: the directory's default list on the settings page, an
// app's own list in the SSO page's certificate card, each form with its feedback beside it, and a bad address
// shown at its field with what was typed.
func TestPortalNotifications(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	app := mustApp(t, srv, "custom", nil)
	c := adminClient(t, srv)
	sso := "/admin/d/default/apps/" + app.ID + "/sso"

	p := c.get(sso)
	if got := textOf(p.Body, "notification-recipients", "dd"); !strings.Contains(got, "No one") {
		t.Errorf("an app without recipients: %q", got)
	}
	p = c.post("/admin/d/default/settings/notifications", url.Values{"emails": {"it@contoso.com; sec@contoso.com"}})
	if p.Status != http.StatusSeeOther || p.Location != "/admin/d/default/settings#notifications" {
		t.Fatalf("save the directory's list: %d %s\n%s", p.Status, p.Location, p.Body)
	}
	p = c.get("/admin/d/default/settings")
	if !strings.Contains(p.Body, `data-section="notifications">`) || !strings.Contains(p.Body, `value="it@contoso.com, sec@contoso.com"`) {
		t.Errorf("settings page after saving:\n%s", p.Body)
	}
	p = c.get(sso)
	if got := textOf(p.Body, "notification-recipients", "dd"); !strings.Contains(got, "it@contoso.com, sec@contoso.com (the directory's default list)") {
		t.Errorf("an app without its own list: %q", got)
	}

	// The app's list is in the signing certificate card's form, with the signing settings.
	shown := url.Values{"signingOption": {app.SAML.SigningOption}, "shown-signingOption": {app.SAML.SigningOption},
		"signingAlgorithm": {app.SAML.SigningAlgorithm}, "shown-signingAlgorithm": {app.SAML.SigningAlgorithm}, "shown-emails": {""}}
	form := func(emails string) url.Values {
		f := url.Values{"emails": {emails}}
		for k, v := range shown {
			f[k] = v
		}
		return f
	}
	p = c.post(sso+"/signing", form("wiki@contoso.com\nnot an address"))
	if p.Status != http.StatusBadRequest || !strings.Contains(idOf(p.Body, "error-emails"), "is not an e-mail address") ||
		!strings.Contains(p.Body, "not an address") || !strings.Contains(p.Body, `id="signing-form"`) {
		t.Errorf("a bad address: %d %q", p.Status, idOf(p.Body, "error-emails"))
	}
	p = c.post(sso+"/signing", form("wiki@contoso.com, ops@contoso.com"))
	if p.Status != http.StatusSeeOther || p.Location != sso+"#certificate" {
		t.Fatalf("save the app's list: %d %s", p.Status, p.Location)
	}
	p = c.get(sso)
	if !strings.Contains(p.Body, `data-section="certificate">`) || strings.Count(p.Body, `id="notice"`) != 1 {
		t.Errorf("the feedback is not beside the card alone:\n%s", p.Body)
	}
	if got := textOf(p.Body, "notification-recipients", "dd"); got != "wiki@contoso.com, ops@contoso.com" {
		t.Errorf("the app's list shows as %q", got)
	}
	if p := c.get(sso + "?edit=signing"); !strings.Contains(p.Body, `value="wiki@contoso.com, ops@contoso.com"`) {
		t.Errorf("the app's list is not in its field")
	}
	n, err := srv.Service.NotificationSettings(context.Background(), mustAdmin(t, srv), "default", app.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"wiki@contoso.com", "ops@contoso.com"}, n.Recipients); d != "" {
		t.Errorf("stored recipients (-want +got):\n%s", d)
	}

	// A user admin sees the app's list but cannot change it.
	ua := mustUser(t, srv, "users@contoso.com", "Users", gatehouse.RoleUserAdmin)
	uc := newPortalClient(t, srv)
	uc.signIn("default", ua.UserName, userPassword)
	if p := uc.get(sso + "?edit=signing"); strings.Contains(p.Body, `id="save-signing"`) || strings.Contains(p.Body, `id="edit-signing"`) ||
		!strings.Contains(p.Body, "wiki@contoso.com, ops@contoso.com") {
		t.Errorf("a user admin can edit the app's notification addresses")
	}
	if p := uc.post(sso+"/signing", form("x@contoso.com")); p.Status != http.StatusForbidden {
		t.Errorf("a user admin's post: %d, want 403", p.Status)
	}
}
