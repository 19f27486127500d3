package provision

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"
)

// Limits of the SCIM client (SECURITY-CASES 50).
const (
	// MaxResponseBytes bounds an answer that is read; a longer one is an error.
	MaxResponseBytes = 1 << 20
	// maxErrorBody bounds the part of an error answer that the provisioning log keeps.
	maxErrorBody = 4 << 10
	// maxRedirects bounds the redirects followed, all to the tenant URL's own scheme, host and port.
	maxRedirects = 3
	// maxThrottleRetries is how often a request the app throttled (429, or 503 with Retry-After) is sent again
	// after the wait the app asked for, when that wait is at most maxInlineWait.
	maxThrottleRetries = 3
	maxInlineWait      = time.Minute
	// maxRetryAfter caps the wait an app may ask for.
	maxRetryAfter = 15 * time.Minute
)

// ClientOptions configure the SCIM client of one app.
type ClientOptions struct {
	// Timeout bounds each request, from connecting to the end of the answer (30 s when zero).
	Timeout time.Duration
	// Concurrency caps the requests in flight to the app (4 when zero).
	Concurrency int
	// AllowAddresses are the loopback, link-local and other internal addresses (see Internal) that requests may
	// go to anyway; an explicit setting of the server's administrator (SECURITY-CASES 51).
	AllowAddresses []netip.Prefix
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Client sends SCIM 2.0 requests to one app's tenant URL with its bearer token. It is safe for concurrent use.
type Client struct {
	base  *url.URL
	token string
	http  *http.Client
	sem   chan struct{}
	opts  ClientOptions

	// mu guards pauseUntil, the end of the wait the app asked for with Retry-After; no request goes out before it.
	mu         sync.Mutex
	pauseUntil time.Time
}

// NewClient returns a client of the SCIM service at tenantURL.
func NewClient(tenantURL, token string, opts ClientOptions) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(tenantURL, "/"))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("provision: tenant URL %q is not an absolute http or https URL", tenantURL)
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Second
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 4
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	c := &Client{base: u, token: token, sem: make(chan struct{}, opts.Concurrency), opts: opts}
	guard := &addressGuard{allow: opts.AllowAddresses}
	dialer := &net.Dialer{Timeout: opts.Timeout, Control: guard.control}
	transport := &http.Transport{
		// Requests go to the app directly: a proxy would hide the address the rule of SECURITY-CASES 51 checks.
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		TLSHandshakeTimeout:   opts.Timeout,
		ResponseHeaderTimeout: opts.Timeout,
		MaxIdleConnsPerHost:   opts.Concurrency,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	c.http = &http.Client{Transport: transport, Timeout: opts.Timeout, CheckRedirect: c.checkRedirect}
	return c, nil
}

// Host returns the host (and port) of the tenant URL.
func (c *Client) Host() string { return c.base.Host }

// checkRedirect follows a redirect only to the tenant URL's own scheme, host and port, so that the token never
// goes anywhere else.
func (c *Client) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > maxRedirects {
		return &RedirectError{Location: req.URL.Redacted(), Reason: fmt.Sprintf("more than %d redirects", maxRedirects)}
	}
	if req.URL.Scheme != c.base.Scheme || !strings.EqualFold(req.URL.Host, c.base.Host) {
		return &RedirectError{Location: req.URL.Redacted(), Reason: "it is not the tenant URL's scheme, host and port, so Gatehouse does not send the token there"}
	}
	return nil
}

// RedirectError is a redirect the client refused to follow.
type RedirectError struct {
	Location string
	Reason   string
}

func (e *RedirectError) Error() string {
	return fmt.Sprintf("the app redirected to %s, which was not followed: %s", e.Location, e.Reason)
}

// Internal reports whether requests to a may go only where the administrator allows it: a loopback, link-local,
// unspecified or multicast address, or one of the cloud metadata services'.
func Internal(a netip.Addr) bool {
	a = a.Unmap()
	switch {
	case a.IsLoopback(), a.IsLinkLocalUnicast(), a.IsLinkLocalMulticast(), a.IsInterfaceLocalMulticast(),
		a.IsMulticast(), a.IsUnspecified():
		return true
	}
	for _, m := range metadataAddresses {
		if a == m {
			return true
		}
	}
	return false
}

// metadataAddresses are the instance metadata services of cloud providers that are not link-local: AWS's IPv6
// one, Alibaba Cloud's, Azure's wire server and Oracle Cloud's.
var metadataAddresses = []netip.Addr{
	netip.MustParseAddr("fd00:ec2::254"), netip.MustParseAddr("100.100.100.200"),
	netip.MustParseAddr("168.63.129.16"), netip.MustParseAddr("192.0.0.192"),
}

// AddressError is a connection the client refused to make: the address is internal and not allowed.
type AddressError struct {
	Addr netip.Addr
}

func (e *AddressError) Error() string {
	return fmt.Sprintf("the tenant URL leads to %s, %s; provisioning goes there only when the server's administrator allows the address (gatehouse serve --provisioning-allow-addresses)",
		e.Addr, describe(e.Addr))
}

// describe names the kind of an internal address.
func describe(a netip.Addr) string {
	a = a.Unmap()
	switch {
	case a.IsLoopback():
		return "a loopback address (this machine)"
	case a.IsLinkLocalUnicast():
		return "a link-local address (such as a cloud metadata service)"
	case a.IsUnspecified():
		return "the unspecified address"
	case a.IsMulticast() || a.IsLinkLocalMulticast() || a.IsInterfaceLocalMulticast():
		return "a multicast address"
	}
	return "a cloud metadata service's address"
}

// addressGuard refuses connections to internal addresses that are not allowed. It checks the address connected
// to, after name resolution, so that a name that resolves to an internal address is refused too.
type addressGuard struct{ allow []netip.Prefix }

func (g *addressGuard) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("provision: connect to %s: %w", address, err)
	}
	a := ap.Addr().Unmap()
	if !Internal(a) {
		return nil
	}
	for _, p := range g.allow {
		if p.Contains(a) {
			return nil
		}
	}
	return &AddressError{Addr: a}
}

// Where describes where requests to the address addr ("host:port") went, for the provisioning log: the address,
// and for an internal one what it is and that the server's setting allowed it.
func Where(host, addr string) string {
	if addr == "" {
		return host
	}
	s := host + " (" + addr
	if ap, err := netip.ParseAddrPort(addr); err == nil && Internal(ap.Addr()) {
		s += ", " + describe(ap.Addr()) + ", allowed by --provisioning-allow-addresses"
	}
	return s + ")"
}

// Response is an app's answer to a request.
type Response struct {
	Status int
	Body   []byte
	Header http.Header
	// Addr is the address the request was sent to ("host:port").
	Addr string
}

// JSON decodes the answer's body into v.
func (r *Response) JSON(v any) error {
	if err := json.Unmarshal(r.Body, v); err != nil {
		return &HTTPError{Status: r.Status, Body: clip(r.Body), Reason: "the answer is not the JSON SCIM resource expected"}
	}
	return nil
}

// HTTPError is an answer that is not a success, or a success Gatehouse could not read.
type HTTPError struct {
	Method, Path string
	Status       int
	// Body is the start of the answer (at most 4 KiB), with the token removed should the app have echoed it.
	Body string
	// RetryAfter is the wait the app asked for with 429 or 503, zero when none.
	RetryAfter time.Duration
	// Reason replaces the default description of the status.
	Reason string
	// Addr is the address the request was sent to.
	Addr string
}

func (e *HTTPError) Error() string {
	s := fmt.Sprintf("%s %s answered HTTP %d %s", e.Method, e.Path, e.Status, http.StatusText(e.Status))
	if e.Reason != "" {
		s += " (" + e.Reason + ")"
	}
	if e.Body != "" {
		s += ": " + e.Body
	}
	return s
}

// clip returns the start of an answer as text.
func clip(b []byte) string {
	if len(b) > maxErrorBody {
		cut := maxErrorBody
		for cut > 0 && !utf8.RuneStart(b[cut]) {
			cut--
		}
		b = append(b[:cut:cut], "…"...)
	}
	return strings.ToValidUTF8(string(b), "�")
}

// redact removes the token from s.
func (c *Client) redact(s string) string {
	if c.token == "" {
		return s
	}
	return strings.ReplaceAll(s, c.token, "[token]")
}

// wait waits until the pause the app asked for is over, or ctx is done.
func (c *Client) wait(ctx context.Context) error {
	c.mu.Lock()
	until := c.pauseUntil
	c.mu.Unlock()
	d := until.Sub(c.opts.Now())
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// pause makes every request wait d from now.
func (c *Client) pause(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if until := c.opts.Now().Add(d); until.After(c.pauseUntil) {
		c.pauseUntil = until
	}
}

// retryAfter reads a Retry-After header: seconds or an HTTP date. It returns zero when there is none.
func (c *Client) retryAfter(h http.Header) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	var d time.Duration
	if n, err := strconv.Atoi(v); err == nil {
		d = time.Duration(n) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(c.opts.Now())
	}
	return min(max(d, time.Second), maxRetryAfter)
}

// Do sends a request to the path under the tenant URL with the query and, when body is not nil, body as JSON, and
// returns a 2xx answer. Any other answer is an *HTTPError. A request the app throttled is sent again after the
// wait it asked for, up to three times when the wait is at most a minute; every request of the client waits too.
func (c *Client) Do(ctx context.Context, method, path string, query url.Values, body any) (*Response, error) {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return nil, fmt.Errorf("provision: encode %s %s: %w", method, path, err)
		}
	}
	for attempt := 0; ; attempt++ {
		resp, err := c.send(ctx, method, path, query, payload)
		var he *HTTPError
		if errors.As(err, &he) && he.RetryAfter > 0 && attempt < maxThrottleRetries && he.RetryAfter <= maxInlineWait {
			continue // send waits for the pause
		}
		return resp, err
	}
}

// send sends one request.
func (c *Client) send(ctx context.Context, method, path string, query url.Values, payload []byte) (*Response, error) {
	if err := c.wait(ctx); err != nil {
		return nil, err
	}
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-c.sem }()
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	u := *c.base
	u.Path = strings.TrimRight(c.base.Path, "/") + path
	u.RawPath = ""
	u.RawQuery = query.Encode()
	var addr string
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{GotConn: func(info httptrace.GotConnInfo) {
		addr = info.Conn.RemoteAddr().String()
	}})
	var rd io.Reader
	if payload != nil {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, fmt.Errorf("provision: %s %s: %w", method, path, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/scim+json, application/json")
	req.Header.Set("User-Agent", "Gatehouse-Provisioning/1")
	if payload != nil {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, &TransportError{Method: method, Path: path, Err: err, Timeout: c.opts.Timeout}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes+1))
	if err != nil {
		return nil, &TransportError{Method: method, Path: path, Err: err, Timeout: c.opts.Timeout, Addr: addr}
	}
	if len(b) > MaxResponseBytes {
		return nil, &HTTPError{Method: method, Path: path, Status: resp.StatusCode, Addr: addr,
			Reason: fmt.Sprintf("the answer is larger than %d bytes, which Gatehouse does not read", MaxResponseBytes)}
	}
	r := &Response{Status: resp.StatusCode, Body: b, Header: resp.Header, Addr: addr}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return r, nil
	}
	he := &HTTPError{Method: method, Path: path, Status: resp.StatusCode, Body: c.redact(clip(b)), Addr: addr}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		if he.RetryAfter = c.retryAfter(resp.Header); he.RetryAfter == 0 && resp.StatusCode == http.StatusTooManyRequests {
			he.RetryAfter = 10 * time.Second
		}
		if he.RetryAfter > 0 {
			c.pause(he.RetryAfter)
		}
	}
	return nil, he
}

// TransportError is a request that got no answer: the connection failed, timed out or was refused by the address
// rule, or a redirect was not followed.
type TransportError struct {
	Method, Path string
	Err          error
	Timeout      time.Duration
	Addr         string
}

func (e *TransportError) Error() string {
	var ae *AddressError
	var re *RedirectError
	switch {
	case errors.As(e.Err, &ae):
		return ae.Error()
	case errors.As(e.Err, &re):
		return re.Error()
	}
	var ne net.Error
	if errors.As(e.Err, &ne) && ne.Timeout() {
		return fmt.Sprintf("%s %s got no answer within %s", e.Method, e.Path, e.Timeout)
	}
	err := e.Err
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return fmt.Sprintf("%s %s failed: %v", e.Method, e.Path, err)
}

func (e *TransportError) Unwrap() error { return e.Err }
