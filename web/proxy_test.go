package web_test

import (
	"context"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/internal/testserver"
	"github.com/gatehouse-idp/gatehouse/web"
)

// TestClientAddress checks which address the sign-in log (and with it lockout and rate limits) takes for a
// request: the connection's, unless the connection comes from a trusted proxy; then the rightmost address of
// X-Forwarded-For that is not a trusted proxy, so a client cannot choose its address by sending the header.
func TestClientAddress(t *testing.T) {
	tests := []struct {
		name    string
		trusted []string
		xff     []string
		want    string
	}{
		{"no proxy trusted: the header is ignored", nil, []string{"203.0.113.9"}, "127.0.0.1"},
		{"no header", []string{"127.0.0.0/8"}, nil, "127.0.0.1"},
		{"one proxy", []string{"127.0.0.0/8"}, []string{"203.0.113.9"}, "203.0.113.9"},
		{"a forged hop left of the real one", []string{"127.0.0.0/8"}, []string{"198.51.100.1, 203.0.113.9"}, "203.0.113.9"},
		{"two trusted proxies", []string{"127.0.0.0/8", "10.0.0.0/8"}, []string{"203.0.113.9, 10.1.2.3"}, "203.0.113.9"},
		{"headers joined", []string{"127.0.0.0/8"}, []string{"198.51.100.1", "203.0.113.9"}, "203.0.113.9"},
		{"garbage stops the walk", []string{"127.0.0.0/8", "10.0.0.0/8"}, []string{"203.0.113.9, nonsense, 10.1.2.3"}, "10.1.2.3"},
		{"IPv6 client", []string{"127.0.0.0/8"}, []string{"2001:db8::7"}, "2001:db8::7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var prefixes []netip.Prefix
			for _, p := range tt.trusted {
				prefixes = append(prefixes, netip.MustParsePrefix(p))
			}
			srv := testserver.Start(t, testserver.Options{Configure: func(_ *idp.Config, w *web.Server) { w.TrustedProxies = prefixes }})
			form := url.Values{"userName": {"nobody@contoso.com"}, "password": {"wrong password"}}
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/d/default/login", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for _, v := range tt.xff {
				req.Header.Add("X-Forwarded-For", v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			events, _, err := srv.Store.FindSignInEvents(context.Background(), "default", gatehouse.SignInFilter{Limit: 1})
			if err != nil || len(events) != 1 {
				t.Fatalf("sign-in log: %v, %d events", err, len(events))
			}
			if events[0].ClientAddr != tt.want {
				t.Errorf("client address %q, want %q", events[0].ClientAddr, tt.want)
			}
		})
	}
}
