package web_test

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/internal/testserver"
)

// TestMetrics reads GET /metrics: an instance admin's token gets every active and next signing certificate's
// expiry with its warning level and the sign-in counts, in the Prometheus text format; others are refused.
func TestMetrics(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	ctx := context.Background()
	svc := srv.Service
	root, err := srv.Store.FindUserByName(ctx, "default", testserver.AdminUser)
	if err != nil {
		t.Fatal(err)
	}
	app, _, err := svc.AddApp(ctx, root, "default", idp.AppInput{GalleryID: "custom", Name: "Wiki"})
	if err != nil {
		t.Fatal(err)
	}
	next, err := svc.CreateNextCertificate(ctx, root, "default", app.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Authenticate(ctx, "default", testserver.AdminUser, "wrong password"); err == nil {
		t.Fatal("a wrong password signed in")
	}
	adminToken, _, err := svc.Login(ctx, "default", testserver.AdminUser, testserver.AdminPassword, "metrics")
	if err != nil {
		t.Fatal(err)
	}
	_, pw, err := svc.CreateUser(ctx, root, "default", idp.UserInput{UserName: "ops@contoso.com", FirstName: "O", LastName: "P", Role: gatehouse.RoleAppAdmin})
	if err != nil {
		t.Fatal(err)
	}
	ops, _ := srv.Store.FindUserByName(ctx, "default", "ops@contoso.com")
	if err := svc.ChangePassword(ctx, ops, pw, "a long passphrase for monitoring"); err != nil {
		t.Fatal(err)
	}
	opsToken, _, err := svc.Login(ctx, "default", "ops@contoso.com", "a long passphrase for monitoring", "metrics")
	if err != nil {
		t.Fatal(err)
	}
	get := func(token string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/metrics", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if status, _ := get(""); status != http.StatusUnauthorized {
		t.Errorf("without a token: %d, want 401", status)
	}
	if status, _ := get(opsToken); status != http.StatusForbidden {
		t.Errorf("an app admin's token: %d, want 403", status)
	}
	status, body := get(adminToken)
	if status != http.StatusOK {
		t.Fatalf("the instance admin's token: %d\n%s", status, body)
	}
	for _, re := range []string{
		`(?m)^gatehouse_certificate_expiry_timestamp_seconds\{directory="default",app="",certificate="[^"]+",thumbprint="[0-9A-F]{40}",state="active"\} \d{10}$`,
		`(?m)^gatehouse_certificate_expiry_timestamp_seconds\{directory="default",app="` + app.ID + `",certificate="[^"]+",thumbprint="[0-9A-F]{40}",state="active"\} \d{10}$`,
		`(?m)^gatehouse_certificate_expiry_warning_days\{directory="default",app="` + app.ID + `",certificate="` + next.ID + `",thumbprint="[0-9A-F]{40}",state="next"\} 0$`,
		`(?m)^gatehouse_sign_ins_total\{result="failure"\} [1-9]\d*$`,
		`(?m)^gatehouse_sign_ins_total\{result="success"\} [1-9]\d*$`,
		`(?m)^# TYPE gatehouse_sign_ins_total counter$`,
	} {
		if !regexp.MustCompile(re).MatchString(body) {
			t.Errorf("no line matches %s in:\n%s", re, body)
		}
	}
	if strings.Count(body, "state=\"active\"") != 4 {
		t.Errorf("want the directory's and the app's active certificates in both gauges:\n%s", body)
	}
}
