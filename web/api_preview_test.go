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
