package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// maxBody caps how much of a response body the client reads, so a misbehaving server cannot exhaust memory.
const maxBody = 32 << 20

// Client calls the REST API of one Gatehouse server with one bearer token. It is safe for concurrent use.
type Client struct {
	server string
	token  string
	hc     *http.Client
	// UserAgent is sent with every request when not empty.
	UserAgent string
}

// New returns a client of the server at the given base URL (such as "http://127.0.0.1:8080") that authenticates
// with token (which may be empty for CreateToken and OpenAPI). A nil hc means http.DefaultClient.
func New(server, token string, hc *http.Client) *Client {
	if hc == nil {
		hc = http.DefaultClient
	}
	return &Client{server: strings.TrimRight(server, "/"), token: token, hc: hc}
}

// Error is an error answered by the server: the HTTP status, the Gatehouse error code (such as "invalid" or
// "not_found"), the user-safe message, the input field at fault (if any) and the request's correlation ID.
type Error struct {
	Status        int    `json:"-"`
	Code          string `json:"code"`
	Message       string `json:"message"`
	Field         string `json:"field,omitempty"`
	CorrelationID string `json:"correlationId"`
}

// Error implements the error interface.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Code)
	if e.Code == "" {
		fmt.Fprintf(&b, "HTTP %d", e.Status)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.Field != "" {
		b.WriteString(" (field " + e.Field + ")")
	}
	if e.CorrelationID != "" {
		b.WriteString(" [correlation ID " + e.CorrelationID + "]")
	}
	return b.String()
}

// ErrorCode returns the code of the *Error in err's chain, or "" when there is none.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// List is the envelope of every list the API returns: the items and how many match in all, ignoring paging.
type List[T any] struct {
	Items []T `json:"items"`
	Total int `json:"total"`
}

// path joins the API prefix and the escaped segments.
func path(segments ...string) string {
	var b strings.Builder
	b.WriteString("/api/v1")
	for _, s := range segments {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(s))
	}
	return b.String()
}

// dirPath is path under /api/v1/directories/{dir}.
func dirPath(dir string, segments ...string) string {
	return path(append([]string{"directories", dir}, segments...)...)
}

// response is what do returns of a successful response.
type response struct {
	body   []byte
	header http.Header
}

// do sends a request with in encoded as JSON (unless nil) and decodes a successful response into out (unless nil).
// An error response becomes an *Error.
// rawBody is a request body sent as it is, such as an image, instead of as JSON.
type rawBody struct {
	data        []byte
	contentType string
}

func (c *Client) do(ctx context.Context, method, p string, query url.Values, in, out any) (*response, error) {
	u := c.server + p
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var body io.Reader
	contentType := "application/json"
	if raw, ok := in.(rawBody); ok {
		body, contentType = bytes.NewReader(raw.data), raw.contentType
	} else if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("apiclient: encode %s %s: %w", method, p, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, fmt.Errorf("apiclient: %s %s: %w", method, p, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if c.UserAgent != "" {
		req.Header.Set("User-Agent", c.UserAgent)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // it repeats the method and URL
		}
		return nil, fmt.Errorf("apiclient: %s %s: %w", method, u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("apiclient: %s %s: read response: %w", method, u, err)
	}
	if len(b) > maxBody {
		return nil, fmt.Errorf("apiclient: %s %s: response is larger than %d bytes", method, u, maxBody)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, decodeError(resp, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return nil, fmt.Errorf("apiclient: %s %s: decode response (HTTP %d, correlation ID %q): %w",
				method, u, resp.StatusCode, resp.Header.Get("X-Correlation-ID"), err)
		}
	}
	return &response{body: b, header: resp.Header}, nil
}

// decodeError turns an error response into an *Error. A body that is not the API's JSON error (from a proxy, say)
// still gives the status and the start of the body as the message.
func decodeError(resp *http.Response, body []byte) *Error {
	e := &Error{}
	if err := json.Unmarshal(body, e); err != nil || e.Code == "" {
		e = &Error{Message: http.StatusText(resp.StatusCode)}
		if s := strings.TrimSpace(string(body)); s != "" && !strings.HasPrefix(s, "<") {
			if len(s) > 200 {
				s = s[:200] + "…"
			}
			e.Message = s
		}
	}
	e.Status = resp.StatusCode
	if e.CorrelationID == "" {
		e.CorrelationID = resp.Header.Get("X-Correlation-ID")
	}
	return e
}

// filename returns the file name of a Content-Disposition header, or "" when there is none. Directory parts are
// dropped, so the name is safe to use in the current directory.
func filename(h http.Header) string {
	_, params, err := mime.ParseMediaType(h.Get("Content-Disposition"))
	if err != nil {
		return ""
	}
	name := params["filename"]
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	if name == "." || name == ".." || strings.ContainsAny(name, "\x00") {
		return ""
	}
	return name
}
