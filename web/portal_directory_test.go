package web_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/internal/testserver"
)

func TestPortalDirectorySettings(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	admin := adminClient(t, srv)
	mustUser(t, srv, "apps@contoso.com", "Apps", gatehouse.RoleAppAdmin)
	appAdmin := newPortalClient(t, srv)
	appAdmin.signIn("default", "apps@contoso.com", userPassword)
	post := func(c *portalClient, fields map[string]string, logo []byte) *portalResp {
		t.Helper()
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		for k, v := range fields {
			_ = mw.WriteField(k, v)
		}
		if logo != nil {
			fw, _ := mw.CreateFormFile("logo", "logo.png")
			_, _ = fw.Write(logo)
		}
		_ = mw.Close()
		req, err := http.NewRequest(http.MethodPost, srv.URL+"/admin/d/default/settings", &b)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		return c.do(req)
	}
	tests := []struct {
		name    string
		c       *portalClient
		fields  map[string]string
		logo    []byte
		status  int
		errorID string
		check   func(d *gatehouse.Directory) bool
	}{
		{"a logo", admin, map[string]string{"name": "Contoso", "domain": "contoso.com"}, pngOf(t, 32, 32), 303, "",
			func(d *gatehouse.Directory) bool {
				return d.Name == "Contoso" && !d.RequireMFA && d.LogoType == "image/png"
			}},
		{"an app admin", appAdmin, map[string]string{"name": "Mine now"}, nil, 403, "", nil},
		{"no name", admin, map[string]string{"name": ""}, nil, 400, "error-name", nil},
		{"a logo that is not an image", admin, map[string]string{"name": "Contoso"}, []byte("GIF89a"), 400, "error-logo", nil},
		{"remove the logo", admin, map[string]string{"name": "Contoso", "removeLogo": "on"}, nil, 303, "",
			func(d *gatehouse.Directory) bool { return len(d.Logo) == 0 }},
		// Last: once MFA is required, the admins are sent to enrol before they see the portal again.
		{"require MFA", admin, map[string]string{"name": "Contoso", "requireMfa": "on"}, nil, 303, "",
			func(d *gatehouse.Directory) bool { return d.RequireMFA }},
	}
	if p := appAdmin.get("/admin/d/default/settings"); p.Status != 200 || strings.Contains(p.Body, `id="save-settings"`) {
		t.Errorf("an app admin's settings page: status %d, or it offers to save", p.Status)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := post(tt.c, tt.fields, tt.logo)
			if p.Status != tt.status {
				t.Fatalf("status %d, want %d\n%s", p.Status, tt.status, p.Body)
			}
			if tt.errorID != "" && idOf(p.Body, tt.errorID) == "" {
				t.Errorf("no message at #%s", tt.errorID)
			}
			if tt.check != nil {
				d, err := srv.Store.FindDirectory(context.Background(), "default")
				if err != nil {
					t.Fatal(err)
				}
				if !tt.check(d) {
					t.Errorf("directory not as expected: %+v", d)
				}
				if len(d.Logo) > 0 {
					if p := admin.get("/admin/d/default/logo"); p.Status != 200 {
						t.Errorf("logo: status %d", p.Status)
					}
				}
			}
		})
	}
}
