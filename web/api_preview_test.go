package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/internal/testserver"
)

func TestAPIPreview(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	app := mustApp(t, srv, "mixpanel", map[string]string{"org_id": "1"})
	u := mustUser(t, srv, "b.simon@contoso.com", "B. Simon", gatehouse.RoleUser)
	token, _, err := srv.Service.Login(context.Background(), "default", testserver.AdminUser, testserver.AdminPassword, "test")
	if err != nil {
		t.Fatal(err)
	}
	userToken, _, err := srv.Service.Login(context.Background(), "default", u.UserName, userPassword, "test")
	if err != nil {
		t.Fatal(err)
	}
	base := srv.URL + "/api/v1/directories/default/apps/" + app.ID + "/preview"
	tests := []struct {
		name, token, query string
		status             int
		code               string
	}{
		{"preview", token, "?user=" + u.ID, 200, ""},
		{"no user", token, "", 400, gatehouse.EINVALID},
		{"unknown user", token, "?user=nosuch", 404, gatehouse.ENOTFOUND},
		{"not an admin", userToken, "?user=" + u.ID, 403, gatehouse.EFORBIDDEN},
		{"no token", "", "?user=" + u.ID, 401, gatehouse.EUNAUTHORIZED},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, base+tt.query, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tt.token != "" {
				req.Header.Set("Authorization", "Bearer "+tt.token)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.status)
			}
			if tt.code != "" {
				var e struct{ Code string }
				if err := json.NewDecoder(resp.Body).Decode(&e); err != nil || e.Code != tt.code {
					t.Errorf("code %q (%v), want %q", e.Code, err, tt.code)
				}
				return
			}
			var p idp.Preview
			if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
				t.Fatal(err)
			}
			if p.NameID != u.UserName || !strings.Contains(p.XML, "<ds:Signature") && !strings.Contains(p.XML, "Signature") {
				t.Errorf("preview %+v", p)
			}
			if len(p.Problems) != 1 || p.Problems[0].Code != idp.CodeNotAssigned {
				t.Errorf("problems %+v, want the user not assigned", p.Problems)
			}
		})
	}
}

func TestAPIAppLogo(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	app := mustApp(t, srv, "custom", nil)
	mustUser(t, srv, "users@contoso.com", "U", gatehouse.RoleUserAdmin)
	token, _, err := srv.Service.Login(context.Background(), "default", testserver.AdminUser, testserver.AdminPassword, "test")
	if err != nil {
		t.Fatal(err)
	}
	userAdmin, _, err := srv.Service.Login(context.Background(), "default", "users@contoso.com", userPassword, "test")
	if err != nil {
		t.Fatal(err)
	}
	url := srv.URL + "/api/v1/directories/default/apps/" + app.ID + "/logo"
	tests := []struct {
		name, method, token string
		body                []byte
		status              int
		logoType            string
	}{
		{"png", http.MethodPut, token, pngOf(t, 16, 16), 200, "image/png"},
		{"not an image", http.MethodPut, token, []byte("<svg/>"), 400, "image/png"},
		{"empty", http.MethodPut, token, nil, 400, "image/png"},
		{"too large", http.MethodPut, token, make([]byte, 300<<10), 413, "image/png"},
		{"a user admin", http.MethodPut, userAdmin, pngOf(t, 16, 16), 403, "image/png"},
		{"delete", http.MethodDelete, token, nil, 204, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, url, strings.NewReader(string(tt.body)))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+tt.token)
			req.Header.Set("Content-Type", "image/png")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.status)
			}
			a, err := srv.Store.FindApp(context.Background(), "default", app.ID)
			if err != nil {
				t.Fatal(err)
			}
			if a.LogoType != tt.logoType {
				t.Errorf("logo type %q, want %q", a.LogoType, tt.logoType)
			}
		})
	}
}
