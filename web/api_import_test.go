package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/internal/testserver"
)

// TestAPIImportUsers posts files to POST /api/v1/directories/{dir}/users:import: CSV and JSON lines create their
// valid rows and list the others; a body of another type, one over the limit and one from a caller who may not
// create users are refused with nothing created.
func TestAPIImportUsers(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	ctx := context.Background()
	admin := apiToken(t, srv)
	root, err := srv.Store.FindUserByName(ctx, "default", testserver.AdminUser)
	if err != nil {
		t.Fatal(err)
	}
	plain, temp, err := srv.Service.CreateUser(ctx, root, "default", idp.UserInput{UserName: "plain@contoso.com", FirstName: "P", LastName: "Lain"})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Service.ChangePassword(ctx, plain, temp, "Sunny-Meadow-Passw0rd"); err != nil {
		t.Fatal(err)
	}
	plainToken, _, err := srv.Service.Login(ctx, "default", plain.UserName, "Sunny-Meadow-Passw0rd", "test")
	if err != nil {
		t.Fatal(err)
	}
	post := func(token, contentType string, body io.Reader) (int, string) {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/directories/default/users:import", body)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var compact bytes.Buffer
		if err := json.Compact(&compact, b); err != nil {
			t.Fatalf("status %d: the answer is not JSON: %s", resp.StatusCode, b)
		}
		return resp.StatusCode, compact.String()
	}
	count := func() int {
		t.Helper()
		_, n, err := srv.Store.FindUsers(ctx, "default", gatehouse.UserFilter{})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	huge := io.MultiReader(strings.NewReader("userName\n"), strings.NewReader(strings.Repeat("x@contoso.com\n", (32<<20)/14+1)))
	tests := []struct {
		name        string
		token       string
		contentType string
		body        io.Reader
		status      int
		want        string
		created     int
	}{
		{"csv", admin, "text/csv; charset=utf-8", strings.NewReader("userName,firstName,lastName\nadele@contoso.com,Adele,Vance\nbad name,B,N\n"),
			200, `"errors":[{"line":3,"userName":"bad name","code":"invalid","field":"userName","message":`, 1},
		{"json lines", admin, "application/x-ndjson", strings.NewReader(`{"userName":"alex@contoso.com"}` + "\n" + `{"userName":"adele@contoso.com"}` + "\n"),
			200, `{"created":1,"failed":1,"errors":[{"line":2,"userName":"adele@contoso.com","code":"conflict"`, 1},
		{"jsonl media type", admin, "application/jsonl", strings.NewReader(`{"userName":"megan@contoso.com"}`),
			200, `{"created":1,"failed":0,"errors":[]}`, 1},
		{"other content type", admin, "application/json", strings.NewReader(`[{"userName":"lee@contoso.com"}]`),
			400, "text/csv", 0},
		{"bad header", admin, "text/csv", strings.NewReader("name\nlee@contoso.com\n"), 400, "unknown", 0},
		{"over 32 MiB", admin, "text/csv", huge, 413, `"code":"too_large"`, 0},
		{"plain user", plainToken, "text/csv", strings.NewReader("userName\nlee@contoso.com\n"), 403, `"code":"forbidden"`, 0},
		{"no token", "", "text/csv", strings.NewReader("userName\nlee@contoso.com\n"), 401, `"code":"unauthorized"`, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := count()
			status, body := post(tt.token, tt.contentType, tt.body)
			if status != tt.status || !strings.Contains(body, tt.want) {
				t.Errorf("status %d, body %.300s; want %d with %q", status, body, tt.status, tt.want)
			}
			if got := count() - before; got != tt.created {
				t.Errorf("%d users created; want %d", got, tt.created)
			}
			if status == 200 {
				var res idp.ImportResult
				if err := json.Unmarshal([]byte(body), &res); err != nil || res.Created != tt.created {
					t.Errorf("result %s: %v; want %d created", body, err, tt.created)
				}
			}
		})
	}
}
