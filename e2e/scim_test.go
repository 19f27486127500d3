package e2e

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/gatehouse-idp/gatehouse/internal/pgtest"
)

// scimCall sends a SCIM request with token to base (a node's /d/default/scim/v2) and returns the status and the
// decoded answer.
func scimCall(t *testing.T, base, token, method, path string, body any) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, base+path, rd)
	if err != nil {
		t.Error(err)
		return 0, nil
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/scim+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return 0, nil
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var doc map[string]any
	_ = json.Unmarshal(data, &doc)
	return resp.StatusCode, doc
}

// TestSCIMTwoNodes runs two nodes on one PostgreSQL database and sends them SCIM writes for the same user at once:
// creates of one user name (in different letter case) make exactly one user, and concurrent PATCHes of one user and
// of one group's members each keep every change.
func TestSCIMTwoNodes(t *testing.T) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	env := []string{
		"GATEHOUSE_DATABASE_URL=" + pgtest.URL(t), "GATEHOUSE_KEY=" + base64.StdEncoding.EncodeToString(key),
		"GATEHOUSE_PUBLIC_URL=http://" + freeAddr(t), "GATEHOUSE_ADMIN_USER=" + adminUser,
		"GATEHOUSE_ADMIN_PASSWORD=" + adminPassword,
	}
	a := startServer(t, env...)
	b := startServer(t, env...)
	var tok struct {
		Token string `json:"token"`
	}
	(&apiClient{t: t, base: a.URL}).call("POST", "/api/v1/tokens", map[string]string{"directory": "default",
		"userName": adminUser, "password": adminPassword, "name": "scim-test"}, http.StatusCreated, &tok)
	var scimTok struct {
		Token string `json:"token"`
	}
	(&apiClient{t: t, base: a.URL, token: tok.Token}).call("POST", "/api/v1/directories/default/scim-tokens",
		map[string]string{"name": "HR"}, http.StatusCreated, &scimTok)
	nodes := []string{a.URL + "/d/default/scim/v2", b.URL + "/d/default/scim/v2"}
	const n = 12

	// Creates of one user on both nodes at once: one 201, every other a uniqueness 409.
	statuses := make([]int, n)
	types := make([]string, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			name := "pat.lee@contoso.com"
			if i%3 == 1 {
				name = "Pat.Lee@Contoso.com"
			}
			status, doc := scimCall(t, nodes[i%2], scimTok.Token, "POST", "/Users", map[string]any{
				"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": name,
				"externalId": fmt.Sprint("hr-", i)})
			statuses[i] = status
			types[i], _ = doc["scimType"].(string)
		}()
	}
	close(start)
	wg.Wait()
	created := 0
	for i, s := range statuses {
		switch {
		case s == http.StatusCreated:
			created++
		case s == http.StatusConflict && types[i] == "uniqueness":
		default:
			t.Errorf("create %d: status %d scimType %q, want 201 or 409 uniqueness", i, s, types[i])
		}
	}
	if created != 1 {
		t.Fatalf("%d of %d concurrent creates of one user succeeded, want exactly 1", created, n)
	}
	_, list := scimCall(t, nodes[1], scimTok.Token, "GET", "/Users?filter="+url.QueryEscape(`userName eq "pat.lee@contoso.com"`), nil)
	if list["totalResults"] != 1.0 {
		t.Fatalf("the directory has %v users named pat.lee@contoso.com, want 1", list["totalResults"])
	}
	userID := list["Resources"].([]any)[0].(map[string]any)["id"].(string)

	// PATCHes of the same user on both nodes at once: each adds its own phone number, and all are kept.
	var others []string
	for i := range n {
		_, doc := scimCall(t, nodes[0], scimTok.Token, "POST", "/Users", map[string]any{"userName": fmt.Sprintf("m%d@contoso.com", i)})
		others = append(others, doc["id"].(string))
	}
	status, group := scimCall(t, nodes[0], scimTok.Token, "POST", "/Groups", map[string]any{"displayName": "Everyone"})
	if status != http.StatusCreated {
		t.Fatalf("create group: %d %v", status, group)
	}
	groupID := group["id"].(string)
	start = make(chan struct{})
	for i := range n {
		wg.Add(2)
		go func() {
			defer wg.Done()
			<-start
			s, doc := scimCall(t, nodes[i%2], scimTok.Token, "PATCH", "/Users/"+userID, map[string]any{
				"schemas":    []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
				"Operations": []any{map[string]any{"op": "add", "path": "phoneNumbers", "value": []any{map[string]any{"value": fmt.Sprintf("+1 555 01%02d", i), "type": "work"}}}}})
			if s != http.StatusOK {
				t.Errorf("PATCH user %d: status %d %v", i, s, doc)
			}
		}()
		go func() {
			defer wg.Done()
			<-start
			s, doc := scimCall(t, nodes[(i+1)%2], scimTok.Token, "PATCH", "/Groups/"+groupID, map[string]any{
				"schemas":    []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
				"Operations": []any{map[string]any{"op": "Add", "path": "members", "value": []any{map[string]any{"value": others[i]}}}}})
			if s != http.StatusNoContent {
				t.Errorf("PATCH group %d: status %d %v", i, s, doc)
			}
		}()
	}
	close(start)
	wg.Wait()
	_, u := scimCall(t, nodes[1], scimTok.Token, "GET", "/Users/"+userID, nil)
	phones, _ := u["phoneNumbers"].([]any)
	if len(phones) != n {
		t.Errorf("the user has %d phone numbers after %d concurrent PATCHes that each added one, want %d: %v", len(phones), n, n, phones)
	}
	_, g := scimCall(t, nodes[0], scimTok.Token, "GET", "/Groups/"+groupID, nil)
	var members []string
	for _, m := range g["members"].([]any) {
		members = append(members, m.(map[string]any)["value"].(string))
	}
	sort.Strings(members)
	sort.Strings(others)
	if strings.Join(members, ",") != strings.Join(others, ",") {
		t.Errorf("the group has %d members after %d concurrent PATCHes that each added one, want every one", len(members), n)
	}
}
