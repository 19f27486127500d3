package apiclient_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/apiclient"
)

// request is what the fake server saw.
type request struct {
	Method, Path, Query, Auth, Body string
}

// fakeServer answers every request with status and body, and records the requests it saw.
func fakeServer(t *testing.T, status int, body string, header map[string]string) (*apiclient.Client, *[]request) {
	t.Helper()
	var seen []request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		seen = append(seen, request{r.Method, r.URL.EscapedPath(), r.URL.RawQuery, r.Header.Get("Authorization"), string(b)})
		for k, v := range header {
			w.Header().Set(k, v)
		}
		w.Header().Set("X-Correlation-ID", "corr-1")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return apiclient.New(srv.URL+"/", "gh_secret", srv.Client()), &seen
}

// documentedRoutes reads the path templates and methods of web/openapi.yaml as regular expressions.
func documentedRoutes(t *testing.T) map[string]*regexp.Regexp {
	t.Helper()
	f, err := os.Open("../web/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	routes := map[string]*regexp.Regexp{}
	pathLine := regexp.MustCompile(`^  (/api/v1/\S*):$`)
	methodLine := regexp.MustCompile(`^    (get|put|post|patch|delete):$`)
	param := regexp.MustCompile(`\\\{[A-Za-z]+\\\}`)
	var current string
	s := bufio.NewScanner(f)
	for s.Scan() {
		if m := pathLine.FindStringSubmatch(s.Text()); m != nil {
			current = m[1]
		} else if m := methodLine.FindStringSubmatch(s.Text()); m != nil && current != "" {
			re := param.ReplaceAllString(regexp.QuoteMeta(current), `[^/]+`)
			routes[strings.ToUpper(m[1])+" "+current] = regexp.MustCompile("^" + re + "$")
		} else if !strings.HasPrefix(s.Text(), " ") {
			current = ""
		}
	}
	if len(routes) == 0 {
		t.Fatal("no routes found in web/openapi.yaml")
	}
	return routes
}

// TestMethods checks that each method sends the documented route with the right query and body, and decodes
// the answer.
func TestMethods(t *testing.T) {
	ctx := context.Background()
	name := "New name"
	yes := true
	replyURLs := []string{"https://sso.example.com/acs"}
	tests := []struct {
		name   string
		status int
		answer string
		call   func(c *apiclient.Client) (any, error)
		want   request
		result any
	}{
		{
			name: "CreateToken", status: 201,
			answer: `{"token":"gh_abc","apiToken":{"id":"t1","prefix":"gh_a"}}`,
			call: func(c *apiclient.Client) (any, error) {
				tok, at, err := c.CreateToken(ctx, apiclient.TokenInput{Directory: "default", UserName: "a@b.c", Password: "pw", Name: "cli"})
				return []any{tok, at.ID}, err
			},
			want:   request{Method: "POST", Path: "/api/v1/tokens", Body: `{"directory":"default","userName":"a@b.c","password":"pw","name":"cli"}`},
			result: []any{"gh_abc", "t1"},
		},
		{
			name: "ListTokens all", status: 200, answer: `{"items":[{"id":"t1"}],"total":1}`,
			call: func(c *apiclient.Client) (any, error) {
				l, n, err := c.ListTokens(ctx, true)
				return []any{len(l), n}, err
			},
			want:   request{Method: "GET", Path: "/api/v1/tokens", Query: "all=1"},
			result: []any{1, 1},
		},
		{
			name: "DeleteToken", status: 204,
			call: func(c *apiclient.Client) (any, error) { return nil, c.DeleteToken(ctx, "t1") },
			want: request{Method: "DELETE", Path: "/api/v1/tokens/t1"},
		},
		{
			name: "Me", status: 200, answer: `{"user":{"userName":"a@b.c"},"directory":{"id":"default"}}`,
			call: func(c *apiclient.Client) (any, error) {
				m, err := c.Me(ctx)
				if err != nil {
					return nil, err
				}
				return m.User.UserName + " " + m.Directory.ID, nil
			},
			want:   request{Method: "GET", Path: "/api/v1/me"},
			result: "a@b.c default",
		},
		{
			name: "OpenAPI", status: 200, answer: "openapi: 3.0.3\n",
			call: func(c *apiclient.Client) (any, error) {
				b, err := c.OpenAPI(ctx)
				return string(b), err
			},
			want:   request{Method: "GET", Path: "/api/v1/openapi.yaml"},
			result: "openapi: 3.0.3\n",
		},
		{
			name: "ListDirectories", status: 200, answer: `{"items":[{"id":"default"},{"id":"contoso"}],"total":2}`,
			call: func(c *apiclient.Client) (any, error) {
				l, n, err := c.ListDirectories(ctx)
				return []any{l[1].ID, n}, err
			},
			want:   request{Method: "GET", Path: "/api/v1/directories"},
			result: []any{"contoso", 2},
		},
		{
			name: "CreateDirectory", status: 201, answer: `{"id":"contoso","name":"Contoso"}`,
			call: func(c *apiclient.Client) (any, error) {
				d, err := c.CreateDirectory(ctx, apiclient.DirectoryInput{ID: "contoso", Name: "Contoso", Domain: "contoso.com"})
				return d.Name, err
			},
			want:   request{Method: "POST", Path: "/api/v1/directories", Body: `{"id":"contoso","name":"Contoso","domain":"contoso.com"}`},
			result: "Contoso",
		},
		{
			name: "GetDirectory", status: 200, answer: `{"id":"contoso"}`,
			call: func(c *apiclient.Client) (any, error) {
				d, err := c.GetDirectory(ctx, "contoso")
				return d.ID, err
			},
			want:   request{Method: "GET", Path: "/api/v1/directories/contoso"},
			result: "contoso",
		},
		{
			name: "UpdateDirectory", status: 200, answer: `{"id":"contoso","requireMfa":true}`,
			call: func(c *apiclient.Client) (any, error) {
				d, err := c.UpdateDirectory(ctx, "contoso", apiclient.DirectoryPatch{RequireMFA: &yes})
				return d.RequireMFA, err
			},
			want:   request{Method: "PATCH", Path: "/api/v1/directories/contoso", Body: `{"requireMfa":true}`},
			result: true,
		},
		{
			name: "DeleteDirectory", status: 204,
			call: func(c *apiclient.Client) (any, error) { return nil, c.DeleteDirectory(ctx, "contoso") },
			want: request{Method: "DELETE", Path: "/api/v1/directories/contoso"},
		},
		{
			name: "ListUsers with a query", status: 200, answer: `{"items":[{"id":"u1"}],"total":7,"next":"dTE"}`,
			call: func(c *apiclient.Client) (any, error) {
				l, n, err := c.ListUsers(ctx, "default", apiclient.UserQuery{Query: "b simon&x", Role: gatehouse.RoleAppAdmin, Cursor: "dTA", Limit: 1})
				return []any{l[0].ID, n}, err
			},
			want:   request{Method: "GET", Path: "/api/v1/directories/default/users", Query: "cursor=dTA&limit=1&q=b+simon%26x&role=app-admin"},
			result: []any{"u1", 7},
		},
		{
			name: "ListUserPage", status: 200, answer: `{"items":[{"id":"u1"}],"total":1000,"totalCapped":true,"next":"dTE"}`,
			call: func(c *apiclient.Client) (any, error) {
				l, err := c.ListUserPage(ctx, "default", apiclient.UserQuery{Limit: 1})
				return []any{l.Items[0].ID, l.Total, l.TotalCapped, l.Next}, err
			},
			want:   request{Method: "GET", Path: "/api/v1/directories/default/users", Query: "limit=1"},
			result: []any{"u1", 1000, true, "dTE"},
		},
		{
			name: "CreateUser", status: 201, answer: `{"user":{"id":"u1","userName":"b.simon@contoso.com"},"temporaryPassword":"Tmp-123"}`,
			call: func(c *apiclient.Client) (any, error) {
				u, pw, err := c.CreateUser(ctx, "default", apiclient.UserInput{UserName: "b.simon@contoso.com", DisplayName: "B.Simon", Role: gatehouse.RoleUser})
				return []any{u.UserName, pw}, err
			},
			want:   request{Method: "POST", Path: "/api/v1/directories/default/users", Body: `{"userName":"b.simon@contoso.com","displayName":"B.Simon","role":"user"}`},
			result: []any{"b.simon@contoso.com", "Tmp-123"},
		},
		{
			name: "ImportUsers", status: 200,
			answer: `{"created":1,"failed":1,"errors":[{"line":3,"userName":"x","code":"invalid","field":"userName","message":"Bad."}]}`,
			call: func(c *apiclient.Client) (any, error) {
				r, err := c.ImportUsers(ctx, "default", []byte("userName\na@contoso.com\nx\n"), "text/csv")
				return []any{r.Created, r.Failed, r.Errors[0].Line, r.Errors[0].Field}, err
			},
			want:   request{Method: "POST", Path: "/api/v1/directories/default/users:import", Body: "userName\na@contoso.com\nx\n"},
			result: []any{1, 1, 3, "userName"},
		},
		{
			name: "GetUser escapes the ID", status: 200, answer: `{"id":"a/b"}`,
			call: func(c *apiclient.Client) (any, error) {
				u, err := c.GetUser(ctx, "default", "a/b")
				return u.ID, err
			},
			want:   request{Method: "GET", Path: "/api/v1/directories/default/users/a%2Fb"},
			result: "a/b",
		},
		{
			name: "UpdateUser", status: 200, answer: `{"id":"u1","disabled":true}`,
			call: func(c *apiclient.Client) (any, error) {
				u, err := c.UpdateUser(ctx, "default", "u1", apiclient.UserPatch{Disabled: &yes})
				return u.Disabled, err
			},
			want:   request{Method: "PATCH", Path: "/api/v1/directories/default/users/u1", Body: `{"disabled":true}`},
			result: true,
		},
		{
			name: "DeleteUser", status: 204,
			call: func(c *apiclient.Client) (any, error) { return nil, c.DeleteUser(ctx, "default", "u1") },
			want: request{Method: "DELETE", Path: "/api/v1/directories/default/users/u1"},
		},
		{
			name: "ResetPassword", status: 200, answer: `{"user":{"id":"u1"},"temporaryPassword":"New-1"}`,
			call: func(c *apiclient.Client) (any, error) {
				_, pw, err := c.ResetPassword(ctx, "default", "u1")
				return pw, err
			},
			want:   request{Method: "POST", Path: "/api/v1/directories/default/users/u1/reset-password"},
			result: "New-1",
		},
		{
			name: "ListUserApps", status: 200, answer: `{"items":[{"id":"a1"}],"total":1}`,
			call: func(c *apiclient.Client) (any, error) {
				l, _, err := c.ListUserApps(ctx, "default", "u1")
				return l[0].ID, err
			},
			want:   request{Method: "GET", Path: "/api/v1/directories/default/users/u1/apps"},
			result: "a1",
		},
		{
			name: "ListUserGroups", status: 200, answer: `{"items":[{"id":"g1"}],"total":1}`,
			call: func(c *apiclient.Client) (any, error) {
				l, _, err := c.ListUserGroups(ctx, "default", "u1")
				return l[0].ID, err
			},
			want:   request{Method: "GET", Path: "/api/v1/directories/default/users/u1/groups"},
			result: "g1",
		},
		{
			name: "ListGroups", status: 200, answer: `{"items":[],"total":0}`,
			call: func(c *apiclient.Client) (any, error) {
				l, n, err := c.ListGroups(ctx, "default", "sales")
				return []any{len(l), n}, err
			},
			want:   request{Method: "GET", Path: "/api/v1/directories/default/groups", Query: "q=sales"},
			result: []any{0, 0},
		},
		{
			name: "CreateGroup", status: 201, answer: `{"id":"g1","name":"Sales"}`,
			call: func(c *apiclient.Client) (any, error) {
				g, err := c.CreateGroup(ctx, "default", apiclient.GroupInput{Name: "Sales"})
				return g.ID, err
			},
			want:   request{Method: "POST", Path: "/api/v1/directories/default/groups", Body: `{"name":"Sales"}`},
			result: "g1",
		},
		{
			name: "GetGroup", status: 200, answer: `{"id":"g1"}`,
			call: func(c *apiclient.Client) (any, error) {
				g, err := c.GetGroup(ctx, "default", "g1")
				return g.ID, err
			},
			want:   request{Method: "GET", Path: "/api/v1/directories/default/groups/g1"},
			result: "g1",
		},
		{
			name: "UpdateGroup", status: 200, answer: `{"id":"g1","name":"New name"}`,
			call: func(c *apiclient.Client) (any, error) {
				g, err := c.UpdateGroup(ctx, "default", "g1", apiclient.GroupPatch{Name: &name})
				return g.Name, err
			},
			want:   request{Method: "PATCH", Path: "/api/v1/directories/default/groups/g1", Body: `{"name":"New name"}`},
			result: "New name",
		},
		{
			name: "DeleteGroup", status: 204,
			call: func(c *apiclient.Client) (any, error) { return nil, c.DeleteGroup(ctx, "default", "g1") },
			want: request{Method: "DELETE", Path: "/api/v1/directories/default/groups/g1"},
		},
		{
			name: "ListGroupMembers", status: 200, answer: `{"items":[{"id":"u1"}],"total":1}`,
			call: func(c *apiclient.Client) (any, error) {
				l, _, err := c.ListGroupMembers(ctx, "default", "g1")
				return l[0].ID, err
			},
			want:   request{Method: "GET", Path: "/api/v1/directories/default/groups/g1/members"},
			result: "u1",
		},
		{
			name: "AddGroupMember", status: 204,
			call: func(c *apiclient.Client) (any, error) { return nil, c.AddGroupMember(ctx, "default", "g1", "u1") },
			want: request{Method: "PUT", Path: "/api/v1/directories/default/groups/g1/members/u1"},
		},
		{
			name: "RemoveGroupMember", status: 204,
			call: func(c *apiclient.Client) (any, error) { return nil, c.RemoveGroupMember(ctx, "default", "g1", "u1") },
			want: request{Method: "DELETE", Path: "/api/v1/directories/default/groups/g1/members/u1"},
		},
		{
			name: "ListGallery", status: 200, answer: `{"items":[{"id":"mixpanel","parameters":[{"name":"org_id"}]}],"total":1}`,
			call: func(c *apiclient.Client) (any, error) {
				l, _, err := c.ListGallery(ctx, "mix")
				return l[0].Parameters[0].Name, err
			},
			want:   request{Method: "GET", Path: "/api/v1/gallery", Query: "q=mix"},
			result: "org_id",
		},
		{
			name: "GetGalleryTemplate", status: 200, answer: `{"id":"mixpanel","saml":{"entityId":"https://mixpanel.com/security/sso/v2/authorize/"}}`,
			call: func(c *apiclient.Client) (any, error) {
				g, err := c.GetGalleryTemplate(ctx, "mixpanel")
				return g.SAML.EntityID, err
			},
			want:   request{Method: "GET", Path: "/api/v1/gallery/mixpanel"},
			result: "https://mixpanel.com/security/sso/v2/authorize/",
		},
		{
			name: "ListApps", status: 200, answer: `{"items":[{"id":"a1"}],"total":1}`,
			call: func(c *apiclient.Client) (any, error) {
				l, _, err := c.ListApps(ctx, "default", "")
				return l[0].ID, err
			},
			want:   request{Method: "GET", Path: "/api/v1/directories/default/apps"},
			result: "a1",
		},
		{
			name: "AddApp", status: 201, answer: `{"id":"a1","galleryId":"mixpanel","missingSettings":["signOnUrl"]}`,
			call: func(c *apiclient.Client) (any, error) {
				a, missing, err := c.AddApp(ctx, "default", apiclient.AppInput{GalleryID: "mixpanel", Parameters: map[string]string{"org_id": "123"}})
				return []any{a.GalleryID, missing}, err
			},
			want:   request{Method: "POST", Path: "/api/v1/directories/default/apps", Body: `{"galleryId":"mixpanel","parameters":{"org_id":"123"}}`},
			result: []any{"mixpanel", []string{"signOnUrl"}},
		},
		{
			name: "GetApp", status: 200, answer: `{"id":"a1"}`,
			call: func(c *apiclient.Client) (any, error) {
				a, err := c.GetApp(ctx, "default", "a1")
				return a.ID, err
			},
			want:   request{Method: "GET", Path: "/api/v1/directories/default/apps/a1"},
			result: "a1",
		},
		{
			name: "UpdateApp", status: 200, answer: `{"id":"a1","visible":true}`,
			call: func(c *apiclient.Client) (any, error) {
				a, err := c.UpdateApp(ctx, "default", "a1", apiclient.AppPatch{Visible: &yes})
				return a.Visible, err
			},
			want:   request{Method: "PATCH", Path: "/api/v1/directories/default/apps/a1", Body: `{"visible":true}`},
			result: true,
		},
		{
			name: "DeleteApp", status: 204,
			call: func(c *apiclient.Client) (any, error) { return nil, c.DeleteApp(ctx, "default", "a1") },
			want: request{Method: "DELETE", Path: "/api/v1/directories/default/apps/a1"},
		},
		{
			name: "GetOIDC", status: 200, answer: `{"clientId":"grafana","redirectUris":["https://g.example.com/cb"]}`,
			call: func(c *apiclient.Client) (any, error) {
				s, err := c.GetOIDC(ctx, "default", "a1")
				return s.ClientID + " " + s.RedirectURIs[0], err
			},
			want:   request{Method: "GET", Path: "/api/v1/directories/default/apps/a1/oidc"},
			result: "grafana https://g.example.com/cb",
		},
		{
			name: "PatchOIDC", status: 200, answer: `{"clientId":"grafana","publicClient":true}`,
			call: func(c *apiclient.Client) (any, error) {
				s, err := c.PatchOIDC(ctx, "default", "a1", apiclient.OIDCPatch{PublicClient: &yes, RedirectURIs: &[]string{}})
				return s.PublicClient, err
			},
			want:   request{Method: "PATCH", Path: "/api/v1/directories/default/apps/a1/oidc", Body: `{"publicClient":true,"redirectUris":[]}`},
			result: true,
		},
		{
			name: "ListClientSecrets", status: 200, answer: `{"items":[{"id":"s1","hint":"ghc_abcd","valid":true}],"total":1}`,
			call: func(c *apiclient.Client) (any, error) {
				l, n, err := c.ListClientSecrets(ctx, "default", "a1")
				return []any{l[0].Hint, l[0].Valid, n}, err
			},
			want:   request{Method: "GET", Path: "/api/v1/directories/default/apps/a1/oidc/secrets"},
			result: []any{"ghc_abcd", true, 1},
		},
		{
			name: "CreateClientSecret", status: 201, answer: `{"secret":"ghc_secret","clientSecret":{"id":"s2","hint":"ghc_secr"}}`,
			call: func(c *apiclient.Client) (any, error) {
				overlap := 3600
				secret, cs, err := c.CreateClientSecret(ctx, "default", "a1", apiclient.NewClientSecret{Overlap: &overlap})
				return []any{secret, cs.ID}, err
			},
			want:   request{Method: "POST", Path: "/api/v1/directories/default/apps/a1/oidc/secrets", Body: `{"overlap":3600}`},
			result: []any{"ghc_secret", "s2"},
		},
		{
			name: "DeleteClientSecret", status: 204,
			call: func(c *apiclient.Client) (any, error) { return nil, c.DeleteClientSecret(ctx, "default", "a1", "s1") },
			want: request{Method: "DELETE", Path: "/api/v1/directories/default/apps/a1/oidc/secrets/s1"},
		},
		{
			name: "ListOIDCKeys", status: 200, answer: `{"items":[{"id":"k1","algorithm":"RS256","state":"active","published":true}],"total":1}`,
			call: func(c *apiclient.Client) (any, error) {
				l, _, err := c.ListOIDCKeys(ctx, "default")
				return l[0].Algorithm + " " + l[0].State, err
			},
			want:   request{Method: "GET", Path: "/api/v1/directories/default/oidc/keys"},
			result: "RS256 active",
		},
		{
			name: "CreateOIDCKey", status: 201, answer: `{"id":"k2","algorithm":"ES256","state":"next"}`,
			call: func(c *apiclient.Client) (any, error) {
				k, err := c.CreateOIDCKey(ctx, "default", "ES256")
				return k.ID, err
			},
			want:   request{Method: "POST", Path: "/api/v1/directories/default/oidc/keys", Body: `{"algorithm":"ES256"}`},
			result: "k2",
		},
		{
			name: "ActivateOIDCKey", status: 200, answer: `{"id":"k2","active":true}`,
			call: func(c *apiclient.Client) (any, error) {
				k, err := c.ActivateOIDCKey(ctx, "default", "k2")
				return k.Active, err
			},
			want:   request{Method: "POST", Path: "/api/v1/directories/default/oidc/keys/k2/activate", Body: `{}`},
			result: true,
		},
		{
			name: "GetSAML", status: 200, answer: `{"entityId":"urn:x","replyUrls":["https://a/acs"]}`,
			call: func(c *apiclient.Client) (any, error) {
				s, err := c.GetSAML(ctx, "default", "a1")
				return s.ReplyURLs, err
			},
			want:   request{Method: "GET", Path: "/api/v1/directories/default/apps/a1/saml"},
			result: []string{"https://a/acs"},
		},
		{
			name: "PatchSAML", status: 200, answer: `{"replyUrls":["https://sso.example.com/acs"]}`,
			call: func(c *apiclient.Client) (any, error) {
				s, err := c.PatchSAML(ctx, "default", "a1", apiclient.SAMLPatch{ReplyURLs: &replyURLs})
				return s.ReplyURLs, err
			},
			want:   request{Method: "PATCH", Path: "/api/v1/directories/default/apps/a1/saml", Body: `{"replyUrls":["https://sso.example.com/acs"]}`},
			result: replyURLs,
		},
		{
			name: "PatchSAML clears the reply URLs", status: 200, answer: `{"replyUrls":[]}`,
			call: func(c *apiclient.Client) (any, error) {
				_, err := c.PatchSAML(ctx, "default", "a1", apiclient.SAMLPatch{ReplyURLs: &[]string{}})
				return nil, err
			},
			want: request{Method: "PATCH", Path: "/api/v1/directories/default/apps/a1/saml", Body: `{"replyUrls":[]}`},
		},
		{
			name: "GetSetup", status: 200, answer: `{"loginUrl":"http://x/d/default/saml2","certificate":{"thumbprint":"AB"}}`,
			call: func(c *apiclient.Client) (any, error) {
				s, err := c.GetSetup(ctx, "default", "a1")
				return s.LoginURL + " " + s.Certificate.Thumbprint, err
			},
			want:   request{Method: "GET", Path: "/api/v1/directories/default/apps/a1/setup"},
			result: "http://x/d/default/saml2 AB",
		},
		{
			name: "ListCertificates", status: 200, answer: `{"items":[{"id":"c1","active":true,"state":"active","keyType":"ecdsa-p256"}],"total":1}`,
			call: func(c *apiclient.Client) (any, error) {
				l, _, err := c.ListCertificates(ctx, "default", "a1")
				return fmt.Sprint(l[0].Active, " ", l[0].State, " ", l[0].KeyType), err
			},
			want:   request{Method: "GET", Path: "/api/v1/directories/default/apps/a1/certificates"},
			result: "true active ecdsa-p256",
		},
		{
			name: "DownloadCertificate", status: 200, answer: "-----BEGIN CERTIFICATE-----\n",
			call: func(c *apiclient.Client) (any, error) {
				b, _, err := c.DownloadCertificate(ctx, "default", "a1", "c1", apiclient.FormatBase64)
				return string(b), err
			},
			want:   request{Method: "GET", Path: "/api/v1/directories/default/apps/a1/certificates/c1/download", Query: "format=base64"},
			result: "-----BEGIN CERTIFICATE-----\n",
		},
		{
			name: "ListAssignments", status: 200, answer: `{"items":[{"id":"s1","principalType":"group"}],"total":1}`,
			call: func(c *apiclient.Client) (any, error) {
				l, _, err := c.ListAssignments(ctx, "default", "a1")
				return l[0].PrincipalType, err
			},
			want:   request{Method: "GET", Path: "/api/v1/directories/default/apps/a1/assignments"},
			result: "group",
		},
		{
			name: "CreateAssignment", status: 201, answer: `{"id":"s1"}`,
			call: func(c *apiclient.Client) (any, error) {
				a, err := c.CreateAssignment(ctx, "default", "a1", apiclient.AssignmentInput{PrincipalType: "user", PrincipalID: "u1"})
				return a.ID, err
			},
			want:   request{Method: "POST", Path: "/api/v1/directories/default/apps/a1/assignments", Body: `{"principalType":"user","principalId":"u1"}`},
			result: "s1",
		},
		{
			name: "DeleteAssignment", status: 204,
			call: func(c *apiclient.Client) (any, error) { return nil, c.DeleteAssignment(ctx, "default", "a1", "s1") },
			want: request{Method: "DELETE", Path: "/api/v1/directories/default/apps/a1/assignments/s1"},
		},
		{
			name: "ChangePassword", status: 204,
			call: func(c *apiclient.Client) (any, error) {
				err := c.ChangePassword(ctx, apiclient.PasswordChange{UserName: "b@contoso.com", CurrentPassword: "old", NewPassword: "new"})
				return nil, err
			},
			want: request{Method: "POST", Path: "/api/v1/password", Body: `{"userName":"b@contoso.com","currentPassword":"old","newPassword":"new"}`},
		},
		{
			name: "ImportMetadata", status: 200,
			answer: `{"id":"a1","saml":{"entityId":"https://sp.example.test"},"changes":[{"field":"entityId","message":"The Identifier changed."}]}`,
			call: func(c *apiclient.Client) (any, error) {
				a, err := c.ImportMetadata(ctx, "default", "a1", apiclient.MetadataInput{URL: "https://sp.example.test/md"})
				return a.SAML.EntityID + " " + a.Changes[0].Field, err
			},
			want:   request{Method: "POST", Path: "/api/v1/directories/default/apps/a1/saml/metadata", Body: `{"url":"https://sp.example.test/md"}`},
			result: "https://sp.example.test entityId",
		},
		{
			name: "PreviewAssertion", status: 200, answer: `{"nameId":"b@contoso.com","claims":[{"name":"email","values":["b@contoso.com"]}]}`,
			call: func(c *apiclient.Client) (any, error) {
				p, err := c.PreviewAssertion(ctx, "default", "a1", "u1")
				return p.NameID + " " + p.Claims[0].Values[0], err
			},
			want:   request{Method: "GET", Path: "/api/v1/directories/default/apps/a1/preview", Query: "user=u1"},
			result: "b@contoso.com b@contoso.com",
		},
		{
			name: "SetDirectoryLogo", status: 200, answer: `{"id":"default","logoType":"image/png"}`,
			call: func(c *apiclient.Client) (any, error) {
				d, err := c.SetDirectoryLogo(ctx, "default", []byte("\x89PNG"), "image/png")
				return d.LogoType, err
			},
			want:   request{Method: "PUT", Path: "/api/v1/directories/default/logo", Body: "\x89PNG"},
			result: "image/png",
		},
		{
			name: "DeleteDirectoryLogo", status: 204,
			call: func(c *apiclient.Client) (any, error) { return nil, c.DeleteDirectoryLogo(ctx, "default") },
			want: request{Method: "DELETE", Path: "/api/v1/directories/default/logo"},
		},
		{
			name: "ResetMFA", status: 200, answer: `{"id":"u1","mfaEnabled":false}`,
			call: func(c *apiclient.Client) (any, error) {
				u, err := c.ResetMFA(ctx, "default", "u1")
				return u.ID, err
			},
			want:   request{Method: "DELETE", Path: "/api/v1/directories/default/users/u1/mfa"},
			result: "u1",
		},
		{
			name: "ListUserPasskeys", status: 200, answer: `{"items":[{"id":"p1","name":"Laptop","aaguid":"00000000-0000-0000-0000-000000000000"}],"total":1}`,
			call: func(c *apiclient.Client) (any, error) {
				l, err := c.ListUserPasskeys(ctx, "default", "u1")
				return []any{len(l), l[0].Name}, err
			},
			want:   request{Method: "GET", Path: "/api/v1/directories/default/users/u1/passkeys"},
			result: []any{1, "Laptop"},
		},
		{
			name: "DeleteUserPasskey", status: 204,
			call: func(c *apiclient.Client) (any, error) {
				return nil, c.DeleteUserPasskey(ctx, "default", "u1", "p1")
			},
			want: request{Method: "DELETE", Path: "/api/v1/directories/default/users/u1/passkeys/p1"},
		},
		{
			name: "GetPasskeyPolicy", status: 200, answer: `{"directoryId":"default","passkeys":"passwordless","recoveryCodes":"allowed","aaguids":[]}`,
			call: func(c *apiclient.Client) (any, error) {
				p, err := c.GetPasskeyPolicy(ctx, "default")
				return string(p.Passkeys), err
			},
			want:   request{Method: "GET", Path: "/api/v1/directories/default/passkey-policy"},
			result: "passwordless",
		},
		{
			name: "UpdatePasskeyPolicy", status: 200, answer: `{"directoryId":"default","passkeys":"second-factor","requirePhishingResistant":true}`,
			call: func(c *apiclient.Client) (any, error) {
				use := gatehouse.PasskeysSecondFactor
				p, err := c.UpdatePasskeyPolicy(ctx, "default", apiclient.PasskeyPolicyPatch{Passkeys: &use, RequirePhishingResistant: &yes})
				return []any{string(p.Passkeys), p.RequirePhishingResistant}, err
			},
			want:   request{Method: "PATCH", Path: "/api/v1/directories/default/passkey-policy", Body: `{"passkeys":"second-factor","requirePhishingResistant":true}`},
			result: []any{"second-factor", true},
		},
		{
			name: "CreateCertificate", status: 201, answer: `{"id":"c2","active":false}`,
			call: func(c *apiclient.Client) (any, error) {
				cert, err := c.CreateCertificate(ctx, "default", "a1")
				return cert.ID, err
			},
			want:   request{Method: "POST", Path: "/api/v1/directories/default/apps/a1/certificates", Body: `{}`},
			result: "c2",
		},
		{
			name: "ActivateCertificate", status: 200, answer: `{"id":"c2","active":true}`,
			call: func(c *apiclient.Client) (any, error) {
				cert, err := c.ActivateCertificate(ctx, "default", "a1", "c2")
				return cert.Active, err
			},
			want:   request{Method: "POST", Path: "/api/v1/directories/default/apps/a1/certificates/c2/activate", Body: `{}`},
			result: true,
		},
		{
			name: "SetAppLogo", status: 200, answer: `{"id":"a1","logoType":"image/jpeg"}`,
			call: func(c *apiclient.Client) (any, error) {
				a, err := c.SetAppLogo(ctx, "default", "a1", []byte("\xff\xd8"), "image/jpeg")
				return a.LogoType, err
			},
			want:   request{Method: "PUT", Path: "/api/v1/directories/default/apps/a1/logo", Body: "\xff\xd8"},
			result: "image/jpeg",
		},
		{
			name: "DeleteAppLogo", status: 204,
			call: func(c *apiclient.Client) (any, error) { return nil, c.DeleteAppLogo(ctx, "default", "a1") },
			want: request{Method: "DELETE", Path: "/api/v1/directories/default/apps/a1/logo"},
		},
		{
			name: "ListDirectoryCertificates", status: 200, answer: `{"items":[{"id":"d1","active":true}],"total":1}`,
			call: func(c *apiclient.Client) (any, error) {
				l, _, err := c.ListDirectoryCertificates(ctx, "default")
				return l[0].ID, err
			},
			want:   request{Method: "GET", Path: "/api/v1/directories/default/certificates"},
			result: "d1",
		},
		{
			name: "CreateDirectoryCertificate", status: 201, answer: `{"id":"d2"}`,
			call: func(c *apiclient.Client) (any, error) {
				cert, err := c.CreateDirectoryCertificate(ctx, "default")
				return cert.ID, err
			},
			want:   request{Method: "POST", Path: "/api/v1/directories/default/certificates", Body: `{}`},
			result: "d2",
		},
		{
			name: "ActivateDirectoryCertificate", status: 200, answer: `{"id":"d2","active":true}`,
			call: func(c *apiclient.Client) (any, error) {
				cert, err := c.ActivateDirectoryCertificate(ctx, "default", "d2")
				return cert.ID, err
			},
			want:   request{Method: "POST", Path: "/api/v1/directories/default/certificates/d2/activate", Body: `{}`},
			result: "d2",
		},
		{
			name: "ListSignIns", status: 200, answer: `{"items":[{"id":"e1","result":"failure"}],"total":1}`,
			call: func(c *apiclient.Client) (any, error) {
				l, _, err := c.ListSignIns(ctx, "default", apiclient.SignInQuery{UserID: "u1", AppID: "a1", Result: "failure", Limit: 10})
				return l[0].Result, err
			},
			want:   request{Method: "GET", Path: "/api/v1/directories/default/sign-ins", Query: "app=a1&limit=10&result=failure&user=u1"},
			result: "failure",
		},
		{
			name: "GetSignIn", status: 200, answer: `{"id":"e1"}`,
			call: func(c *apiclient.Client) (any, error) {
				e, err := c.GetSignIn(ctx, "default", "e1")
				return e.ID, err
			},
			want:   request{Method: "GET", Path: "/api/v1/directories/default/sign-ins/e1"},
			result: "e1",
		},
		{
			name: "DirectoryNotifications", status: 200, answer: `{"emails":["ops@contoso.com"],"recipients":["ops@contoso.com"]}`,
			call: func(c *apiclient.Client) (any, error) {
				n, err := c.DirectoryNotifications(ctx, "default")
				return n.Recipients, err
			},
			want:   request{Method: "GET", Path: "/api/v1/directories/default/notifications"},
			result: []string{"ops@contoso.com"},
		},
		{
			name: "SetDirectoryNotifications none", status: 200, answer: `{"emails":[],"recipients":[]}`,
			call: func(c *apiclient.Client) (any, error) {
				n, err := c.SetDirectoryNotifications(ctx, "default", nil)
				return len(n.Emails), err
			},
			want:   request{Method: "PUT", Path: "/api/v1/directories/default/notifications", Body: `{"emails":[]}`},
			result: 0,
		},
		{
			name: "AppNotifications", status: 200, answer: `{"emails":[],"recipients":["ops@contoso.com"]}`,
			call: func(c *apiclient.Client) (any, error) {
				n, err := c.AppNotifications(ctx, "default", "a1")
				return n.Recipients, err
			},
			want:   request{Method: "GET", Path: "/api/v1/directories/default/apps/a1/notifications"},
			result: []string{"ops@contoso.com"},
		},
		{
			name: "SetAppNotifications", status: 200, answer: `{"emails":["wiki@contoso.com"],"recipients":["wiki@contoso.com"]}`,
			call: func(c *apiclient.Client) (any, error) {
				n, err := c.SetAppNotifications(ctx, "default", "a1", []string{"wiki@contoso.com"})
				return n.Emails, err
			},
			want:   request{Method: "PUT", Path: "/api/v1/directories/default/apps/a1/notifications", Body: `{"emails":["wiki@contoso.com"]}`},
			result: []string{"wiki@contoso.com"},
		},
		{
			name: "GetProvisioning", status: 200, answer: `{"settings":{"mode":"automatic","tenantUrl":"https://mixpanel.com/api/app/scim/v2"},"tokenSet":true,"queued":3}`,
			call: func(c *apiclient.Client) (any, error) {
				p, err := c.GetProvisioning(ctx, "default", "a1")
				return []any{p.Settings.Mode, p.TokenSet, p.Queued}, err
			},
			want:   request{Method: "GET", Path: "/api/v1/directories/default/apps/a1/provisioning"},
			result: []any{"automatic", true, 3},
		},
		{
			name: "UpdateProvisioning", status: 200, answer: `{"settings":{"mode":"automatic"},"tokenSet":true}`,
			call: func(c *apiclient.Client) (any, error) {
				mode, tok := "automatic", "s3cret"
				p, err := c.UpdateProvisioning(ctx, "default", "a1", apiclient.ProvisioningPatch{Mode: &mode, Token: &tok})
				return p.TokenSet, err
			},
			want:   request{Method: "PATCH", Path: "/api/v1/directories/default/apps/a1/provisioning", Body: `{"mode":"automatic","token":"s3cret"}`},
			result: true,
		},
		{
			name: "TestProvisioning", status: 200, answer: `{"ok":false,"message":"GET /Users answered HTTP 401 Unauthorized: bad token","httpStatus":401}`,
			call: func(c *apiclient.Client) (any, error) {
				r, err := c.TestProvisioning(ctx, "default", "a1", apiclient.ConnectionTest{TenantURL: "https://app.example.com/scim"})
				return []any{r.OK, r.HTTPStatus}, err
			},
			want:   request{Method: "POST", Path: "/api/v1/directories/default/apps/a1/provisioning/test", Body: `{"tenantUrl":"https://app.example.com/scim"}`},
			result: []any{false, 401},
		},
		{
			name: "ProvisionOnDemand", status: 200, answer: `{"requestId":"r1","events":[{"id":"e1","action":"create","steps":[{"name":"match"}]}]}`,
			call: func(c *apiclient.Client) (any, error) {
				r, err := c.ProvisionOnDemand(ctx, "default", "a1", "user", "u1")
				return []any{r.RequestID, r.Events[0].Action, r.Events[0].Steps[0].Name}, err
			},
			want:   request{Method: "POST", Path: "/api/v1/directories/default/apps/a1/provisioning/on-demand", Body: `{"objectId":"u1","objectType":"user"}`},
			result: []any{"r1", "create", "match"},
		},
		{
			name: "RetryProvisioning", status: 204,
			call: func(c *apiclient.Client) (any, error) { return nil, c.RetryProvisioning(ctx, "default", "a1") },
			want: request{Method: "POST", Path: "/api/v1/directories/default/apps/a1/provisioning/retry"},
		},
		{
			name: "RestartProvisioning", status: 204,
			call: func(c *apiclient.Client) (any, error) { return nil, c.RestartProvisioning(ctx, "default", "a1") },
			want: request{Method: "POST", Path: "/api/v1/directories/default/apps/a1/provisioning/restart"},
		},
		{
			name: "AppProvisioningLog", status: 200, answer: `{"items":[{"id":"e1","action":"update","changes":[{"attribute":"displayName","before":"a","after":"b"}]}],"total":9}`,
			call: func(c *apiclient.Client) (any, error) {
				l, n, err := c.AppProvisioningLog(ctx, "default", "a1", apiclient.ProvisioningLogQuery{App: "ignored", Object: "simon",
					Result: "failure", Since: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC), Limit: 5})
				return []any{l[0].Changes[0].After, n}, err
			},
			want:   request{Method: "GET", Path: "/api/v1/directories/default/apps/a1/provisioning/log", Query: "limit=5&object=simon&result=failure&since=2026-03-01T09%3A00%3A00Z"},
			result: []any{"b", 9},
		},
		{
			name: "ProvisioningLog", status: 200, answer: `{"items":[{"id":"e1","appName":"Mixpanel"}],"total":1}`,
			call: func(c *apiclient.Client) (any, error) {
				l, _, err := c.ProvisioningLog(ctx, "default", apiclient.ProvisioningLogQuery{App: "a1", Action: "delete"})
				return l[0].AppName, err
			},
			want:   request{Method: "GET", Path: "/api/v1/directories/default/provisioning-log", Query: "action=delete&app=a1"},
			result: "Mixpanel",
		},
		{
			name: "GetProvisioningEvent", status: 200, answer: `{"id":"e1","httpStatus":409,"errorBody":"taken"}`,
			call: func(c *apiclient.Client) (any, error) {
				e, err := c.GetProvisioningEvent(ctx, "default", "e1")
				return []any{e.HTTPStatus, e.ErrorBody}, err
			},
			want:   request{Method: "GET", Path: "/api/v1/directories/default/provisioning-log/e1"},
			result: []any{409, "taken"},
		},
		{
			name: "ListAudit", status: 200, answer: `{"items":[{"id":"v1","action":"app.create"}],"total":1}`,
			call: func(c *apiclient.Client) (any, error) {
				l, _, err := c.ListAudit(ctx, "default", apiclient.AuditQuery{ActorID: "u1", TargetType: "app", TargetID: "a1", Offset: 2})
				return l[0].Action, err
			},
			want:   request{Method: "GET", Path: "/api/v1/directories/default/audit", Query: "actor=u1&offset=2&targetId=a1&targetType=app"},
			result: "app.create",
		},
		{
			name: "GetSCIM", status: 200, answer: `{"baseUrl":"https://idp.example.com/d/default/scim/v2"}`,
			call: func(c *apiclient.Client) (any, error) {
				e, err := c.GetSCIM(ctx, "default")
				return e.BaseURL, err
			},
			want:   request{Method: "GET", Path: "/api/v1/directories/default/scim"},
			result: "https://idp.example.com/d/default/scim/v2",
		},
		{
			name: "CreateSCIMToken", status: 201, answer: `{"token":"ghs_abc","scimToken":{"id":"s1","name":"Entra ID"},"baseUrl":"https://idp.example.com/d/default/scim/v2"}`,
			call: func(c *apiclient.Client) (any, error) {
				n, err := c.CreateSCIMToken(ctx, "default", "Entra ID")
				return []any{n.Token, n.SCIMToken.ID, n.BaseURL}, err
			},
			want:   request{Method: "POST", Path: "/api/v1/directories/default/scim-tokens", Body: `{"name":"Entra ID"}`},
			result: []any{"ghs_abc", "s1", "https://idp.example.com/d/default/scim/v2"},
		},
		{
			name: "ListSCIMTokens", status: 200, answer: `{"items":[{"id":"s1","name":"Entra ID"}],"total":1}`,
			call: func(c *apiclient.Client) (any, error) {
				l, n, err := c.ListSCIMTokens(ctx, "default")
				return []any{l[0].Name, n}, err
			},
			want:   request{Method: "GET", Path: "/api/v1/directories/default/scim-tokens"},
			result: []any{"Entra ID", 1},
		},
		{
			name: "DeleteSCIMToken", status: 204,
			call: func(c *apiclient.Client) (any, error) { return nil, c.DeleteSCIMToken(ctx, "default", "s1") },
			want: request{Method: "DELETE", Path: "/api/v1/directories/default/scim-tokens/s1"},
		},
	}
	routes := documentedRoutes(t)
	covered := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, seen := fakeServer(t, tt.status, tt.answer, nil)
			got, err := tt.call(c)
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if diff := cmp.Diff(tt.result, got); diff != "" {
				t.Errorf("result mismatch (-want +got):\n%s", diff)
			}
			if len(*seen) != 1 {
				t.Fatalf("got %d requests, want 1", len(*seen))
			}
			want := tt.want
			if (want.Path != "/api/v1/tokens" && want.Path != "/api/v1/password") || want.Method != "POST" {
				want.Auth = "Bearer gh_secret"
			} else {
				want.Auth = (*seen)[0].Auth // the token is sent when there is one, and harmless
			}
			if diff := cmp.Diff(want, (*seen)[0]); diff != "" {
				t.Errorf("request mismatch (-want +got):\n%s", diff)
			}
			documented := false
			for route, re := range routes {
				if strings.HasPrefix(route, want.Method+" ") && re.MatchString((*seen)[0].Path) {
					documented = true
					covered[route] = true
				}
			}
			if !documented {
				t.Errorf("%s %s matches no route of web/openapi.yaml", want.Method, (*seen)[0].Path)
			}
		})
	}
	for route := range routes {
		if !covered[route] {
			t.Errorf("no method of the client calls %s", route)
		}
	}
}

// TestDownloadCertificate checks the file name taken from Content-Disposition, which never carries a directory.
func TestDownloadCertificate(t *testing.T) {
	tests := []struct {
		name, disposition, want string
	}{
		{"plain", `attachment; filename="Mixpanel.cer"`, "Mixpanel.cer"},
		{"path traversal", `attachment; filename="../../etc/passwd"`, "passwd"},
		{"windows path", `attachment; filename="C:\\x\\evil.cer"`, "evil.cer"},
		{"dot dot", `attachment; filename=".."`, ""},
		{"none", ``, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, seen := fakeServer(t, 200, "\x30\x82\x01", map[string]string{"Content-Disposition": tt.disposition})
			b, name, err := c.DownloadCertificate(context.Background(), "default", "a1", "active", apiclient.FormatRaw)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != "\x30\x82\x01" {
				t.Errorf("body = %q", b)
			}
			if name != tt.want {
				t.Errorf("file name = %q, want %q", name, tt.want)
			}
			if got := (*seen)[0].Path + "?" + (*seen)[0].Query; got != "/api/v1/directories/default/apps/a1/certificates/active/download?format=raw" {
				t.Errorf("request = %s", got)
			}
		})
	}
}

// TestErrors checks that error answers become an *Error with the server's code, message, field and correlation ID.
func TestErrors(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		want   *apiclient.Error
	}{
		{
			name: "field error", status: 400,
			body: `{"code":"invalid","message":"Reply URL \"x\" must be an absolute http or https URL.","field":"replyUrls","correlationId":"c-9"}`,
			want: &apiclient.Error{Status: 400, Code: "invalid", Message: `Reply URL "x" must be an absolute http or https URL.`, Field: "replyUrls", CorrelationID: "c-9"},
		},
		{
			name: "correlation ID from the header", status: 404,
			body: `{"code":"not_found","message":"No such app."}`,
			want: &apiclient.Error{Status: 404, Code: "not_found", Message: "No such app.", CorrelationID: "corr-1"},
		},
		{
			name: "HTML from a proxy", status: 502,
			body: `<html><body>Bad Gateway</body></html>`,
			want: &apiclient.Error{Status: 502, Message: "Bad Gateway", CorrelationID: "corr-1"},
		},
		{
			name: "plain text", status: 405,
			body: "Method Not Allowed\n",
			want: &apiclient.Error{Status: 405, Message: "Method Not Allowed", CorrelationID: "corr-1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := fakeServer(t, tt.status, tt.body, nil)
			_, err := c.GetApp(context.Background(), "default", "a1")
			var got *apiclient.Error
			if !errors.As(err, &got) {
				t.Fatalf("error %v (%T) is not an *apiclient.Error", err, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestErrorString checks the one-line rendering of an *Error.
func TestErrorString(t *testing.T) {
	e := &apiclient.Error{Status: 400, Code: "invalid", Message: "Bad.", Field: "name", CorrelationID: "c1"}
	if got, want := e.Error(), "invalid: Bad. (field name) [correlation ID c1]"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	e = &apiclient.Error{Status: 502, Message: "Bad Gateway"}
	if got, want := e.Error(), "HTTP 502: Bad Gateway"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := apiclient.ErrorCode(e); got != "" {
		t.Errorf("ErrorCode = %q", got)
	}
}

// TestNetworkError checks that a server that cannot be reached gives an ordinary error, not an *Error.
func TestNetworkError(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	_, _, err := apiclient.New(url, "", nil).ListApps(context.Background(), "default", "")
	var e *apiclient.Error
	if err == nil || errors.As(err, &e) {
		t.Fatalf("got %v, want a network error", err)
	}
}

// TestBadJSON checks that an answer that is not the expected JSON is an error naming the correlation ID.
func TestBadJSON(t *testing.T) {
	c, _ := fakeServer(t, 200, `{"id":`, nil)
	_, err := c.GetApp(context.Background(), "default", "a1")
	if err == nil || !strings.Contains(err.Error(), "corr-1") {
		t.Fatalf("got %v, want a decode error naming the correlation ID", err)
	}
	var syn *json.SyntaxError
	if !errors.As(err, &syn) && !strings.Contains(err.Error(), "unexpected end") {
		t.Errorf("error %v does not wrap the JSON error", err)
	}
}
