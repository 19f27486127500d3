package web_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/internal/testserver"
	"github.com/pquerna/otp/totp"
)

// TestAPIChangePassword changes passwords through POST /api/v1/password, which takes the current password instead of
// a token: a temporary password can be replaced, a wrong one gets the sign-in page's one message, the policy names
// the field, and an account with two-step verification is refused, so its password alone cannot take it over.
func TestAPIChangePassword(t *testing.T) {
	// At localhost, where passkeys work.
	srv := testserver.Start(t, testserver.Options{Localhost: true})
	ctx := context.Background()
	root, err := srv.Store.FindUserByName(ctx, "default", testserver.AdminUser)
	if err != nil {
		t.Fatal(err)
	}
	pk, pkTemporary, err := srv.Service.CreateUser(ctx, root, "default", idp.UserInput{UserName: "p@contoso.com", FirstName: "P", LastName: "K"})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Store.CreatePasskey(ctx, &gatehouse.Passkey{ID: "pk1", DirectoryID: "default", UserID: pk.ID, Name: "Key",
		CredentialID: []byte("cred"), PublicKey: []byte("cose"), AAGUID: "00000000-0000-0000-0000-000000000000", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	u, temporary, err := srv.Service.CreateUser(ctx, root, "default", idp.UserInput{UserName: "b.simon@contoso.com", FirstName: "B", LastName: "Simon"})
	if err != nil {
		t.Fatal(err)
	}
	mfa, mfaTemporary, err := srv.Service.CreateUser(ctx, root, "default", idp.UserInput{UserName: "m@contoso.com", FirstName: "M", LastName: "F"})
	if err != nil {
		t.Fatal(err)
	}
	mfa.MFAEnabled = true
	if err := srv.Store.UpdateUser(ctx, mfa); err != nil {
		t.Fatal(err)
	}
	post := func(body string) (int, string) {
		t.Helper()
		resp, err := http.Post(srv.URL+"/api/v1/password", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	tests := []struct {
		name   string
		body   string
		status int
		want   string
	}{
		{"wrong current password", `{"userName":"b.simon@contoso.com","currentPassword":"nope","newPassword":"a long new passphrase 1"}`, 401, "The user name or password is incorrect."},
		{"unknown user, same answer", `{"userName":"nobody@contoso.com","currentPassword":"nope","newPassword":"a long new passphrase 1"}`, 401, "The user name or password is incorrect."},
		{"weak new password", `{"userName":"b.simon@contoso.com","currentPassword":"` + temporary + `","newPassword":"short"}`, 400, `"field": "newPassword"`},
		{"two-step account refused", `{"userName":"m@contoso.com","currentPassword":"` + mfaTemporary + `","newPassword":"a long new passphrase 1"}`, 403, "verification code"},
		{"passkey account refused", `{"userName":"p@contoso.com","currentPassword":"` + pkTemporary + `","newPassword":"a long new passphrase 1"}`, 403, "passkey"},
		{"temporary password replaced", `{"userName":"b.simon@contoso.com","currentPassword":"` + temporary + `","newPassword":"a long new passphrase 1"}`, 204, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := post(tt.body)
			if status != tt.status || !strings.Contains(body, tt.want) {
				t.Errorf("status %d, body %s; want %d with %q", status, body, tt.status, tt.want)
			}
		})
	}
	got, err := srv.Store.FindUser(ctx, "default", u.ID)
	if err != nil || got.MustChangePassword {
		t.Errorf("after the change: %+v, %v; want a password that is no longer temporary", got, err)
	}
	if _, err := srv.Service.Authenticate(ctx, "default", "b.simon@contoso.com", "a long new passphrase 1"); err != nil {
		t.Errorf("sign-in with the new password: %v", err)
	}
	if got, _ := srv.Store.FindUser(ctx, "default", mfa.ID); got.PasswordHash != mfa.PasswordHash {
		t.Error("the two-step account's password changed")
	}
}

// TestAPITokenWithCode creates API tokens for an account with two-step verification: the password alone is
// refused naming the code field, a code already used is refused as a replay, and a recovery code works once.
func TestAPITokenWithCode(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	ctx := context.Background()
	root, err := srv.Store.FindUserByName(ctx, "default", testserver.AdminUser)
	if err != nil {
		t.Fatal(err)
	}
	e, err := srv.Service.StartMFAEnrolment(ctx, root, "")
	if err != nil {
		t.Fatal(err)
	}
	used, err := totp.GenerateCode(e.Secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	recovery, err := srv.Service.ConfirmMFAEnrolment(ctx, root, e.Token, used)
	if err != nil {
		t.Fatal(err)
	}
	post := func(code string) (int, string) {
		t.Helper()
		body := `{"userName":"` + testserver.AdminUser + `","password":"` + testserver.AdminPassword + `","code":"` + code + `"}`
		resp, err := http.Post(srv.URL+"/api/v1/tokens", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	tests := []struct {
		name   string
		code   string
		status int
		want   string
	}{
		{"no code", "", 403, `"field": "code"`},
		{"the code used at enrolment (replay)", used, 401, "already"},
		{"a recovery code", recovery[0], 201, `"token": "gh_`},
		{"the same recovery code again", recovery[0], 401, "not right"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := post(tt.code)
			if status != tt.status || !strings.Contains(body, tt.want) {
				t.Errorf("status %d, body %s; want %d with %q", status, body, tt.status, tt.want)
			}
		})
	}
}
