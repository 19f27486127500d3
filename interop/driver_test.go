package interop

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// browser is a headless client: an HTTP client with a cookie jar that does not follow redirects by itself, so that
// run can watch every SAML message go by.
type browser struct {
	hc *http.Client
}

func newBrowser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{hc: &http.Client{
		Jar:           jar,
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// page is an HTTP answer with its body read.
type page struct {
	URL      string
	Status   int
	Location string
	Body     string
	Header   http.Header
	// framesLoaded reports whether the logout frames of the page have been loaded.
	framesLoaded bool
}

func (b *browser) do(req *http.Request) (*page, error) {
	resp, err := b.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return nil, err
	}
	p := &page{URL: req.URL.String(), Status: resp.StatusCode, Body: string(data), Header: resp.Header}
	if loc := resp.Header.Get("Location"); loc != "" {
		u, err := req.URL.Parse(loc)
		if err != nil {
			return nil, fmt.Errorf("bad Location %q: %w", loc, err)
		}
		p.Location = u.String()
	}
	return p, nil
}

func (b *browser) get(u string) (*page, error) {
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	return b.do(req)
}

// post submits a form; from is the URL of the page that holds the form, which sets Sec-Fetch-Site as a browser
// would.
func (b *browser) post(u, from string, form map[string]string) (*page, error) {
	vals := url.Values{}
	for k, v := range form {
		vals.Set(k, v)
	}
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(vals.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	site := "same-origin"
	if f, err := url.Parse(from); err == nil && from != "" && (f.Scheme+"://"+f.Host) != (req.URL.Scheme+"://"+req.URL.Host) {
		site = "cross-site"
	}
	req.Header.Set("Sec-Fetch-Site", site)
	return b.do(req)
}

var (
	formRE  = regexp.MustCompile(`(?is)<form\b[^>]*>`)
	inputRE = regexp.MustCompile(`(?is)<input\b[^>]*>`)
	attrRE  = regexp.MustCompile(`(?is)([\w-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')`)
)

func attrs(tag string) map[string]string {
	m := map[string]string{}
	for _, a := range attrRE.FindAllStringSubmatch(tag, -1) {
		v := a[2]
		if v == "" {
			v = a[3]
		}
		m[strings.ToLower(a[1])] = html.UnescapeString(v)
	}
	return m
}

// formFields returns the first form's action and method and the name → value of its inputs.
func formFields(body string) (action, method string, fields map[string]string) {
	fields = map[string]string{}
	if f := formRE.FindString(body); f != "" {
		a := attrs(f)
		action, method = a["action"], strings.ToUpper(a["method"])
	}
	for _, in := range inputRE.FindAllString(body, -1) {
		a := attrs(in)
		if a["name"] != "" {
			fields[a["name"]] = a["value"]
		}
	}
	return action, method, fields
}

// samlMessage is a SAML protocol message seen on its way between the SP and Gatehouse.
type samlMessage struct {
	// Param is SAMLRequest or SAMLResponse; Binding is "redirect" or "post".
	Param, Binding string
	// From and To are the URLs of the page that sent it and of the endpoint it went to.
	From, To string
	// XML is the decoded message (inflated for the Redirect binding).
	XML []byte
	// Query is the Redirect binding's query (with SigAlg and Signature when signed), RawQuery the same as sent.
	Query    url.Values
	RawQuery string
}

// flow drives one sign-in (or sign-out) through the SP and Gatehouse.
type flow struct {
	b  *browser
	gh string
	// Messages are the SAML messages seen, in order.
	Messages []samlMessage
	// BeforePost, when set, may replace a SAMLResponse that Gatehouse posts to an SP before it is delivered.
	BeforePost func(xml []byte) []byte
	// StopAtResponse stops the flow at Gatehouse's auto-POST page instead of delivering the Response.
	StopAtResponse bool
	// BeforeRequest, when set, is called with each SAMLRequest before it is sent to Gatehouse.
	BeforeRequest func(m samlMessage)
	// Frames are the last pages of the frames of Gatehouse's logout pages, in order.
	Frames []*page
	// StopAtLogin stops the flow at Gatehouse's sign-in page instead of signing in.
	StopAtLogin bool
	// Logins counts the times the flow signed in at Gatehouse's sign-in page.
	Logins int
	// app, when set, is the app whose Responses are checked with verifyResponseSignatures; t reports failures.
	app *registeredApp
	t   testing.TB
}

func (b *browser) flow() *flow { return &flow{b: b, gh: server.URL} }

// responses returns the SAMLResponses Gatehouse sent.
func (f *flow) responses() []samlMessage {
	var out []samlMessage
	for _, m := range f.Messages {
		if m.Param == "SAMLResponse" && strings.HasPrefix(m.From, f.gh) {
			out = append(out, m)
		}
	}
	return out
}

// requests returns the SAMLRequests sent to Gatehouse.
func (f *flow) requests() []samlMessage {
	var out []samlMessage
	for _, m := range f.Messages {
		if m.Param == "SAMLRequest" && strings.HasPrefix(m.To, f.gh) {
			out = append(out, m)
		}
	}
	return out
}

// run starts at start and follows redirects and auto-submitting SAML forms, signing in at Gatehouse's sign-in page,
// until a page that is neither; that page is returned.
func (f *flow) run(t testing.TB, start string) *page {
	t.Helper()
	p, err := f.b.get(start)
	if err != nil {
		t.Fatalf("GET %s: %v", start, err)
	}
	return f.follow(t, p)
}

// follow continues a flow from page p.
func (f *flow) follow(t testing.TB, p *page) *page {
	t.Helper()
	for step := 0; step < 30; step++ {
		var err error
		switch {
		case p.Status >= 300 && p.Status < 400 && p.Location != "":
			f.noteRedirect(t, p)
			loc := p.Location
			p, err = f.b.get(loc)
			if err != nil {
				t.Fatalf("GET %s: %v", loc, err)
			}
		case p.Status == http.StatusOK && strings.HasPrefix(p.URL, f.gh+"/d/"+directory+"/login") && !f.StopAtLogin:
			_, _, fields := formFields(p.Body)
			fields["userName"], fields["password"] = userName, userPassword
			f.Logins++
			p, err = f.b.post(f.gh+"/d/"+directory+"/login", p.URL, fields)
			if err != nil {
				t.Fatalf("sign in: %v", err)
			}
		case strings.HasPrefix(p.URL, f.gh) && !p.framesLoaded && sloFrameRE.MatchString(p.Body):
			// Gatehouse's logout page: load each app's frame as a browser would, then go on.
			f.loadFrames(t, p)
			p.framesLoaded = true
		case strings.HasPrefix(p.URL, f.gh) && sloContinueRE.MatchString(p.Body) && !strings.Contains(p.Body, `id="slo-done"`):
			next := html.UnescapeString(sloContinueRE.FindStringSubmatch(p.Body)[1])
			u, err := url.Parse(p.URL)
			if err != nil {
				t.Fatal(err)
			}
			dest, err := u.Parse(next)
			if err != nil {
				t.Fatalf("slo-continue %q: %v", next, err)
			}
			f.noteLink(t, p.URL, dest.String())
			p, err = f.b.get(dest.String())
			if err != nil {
				t.Fatalf("GET %s: %v", dest, err)
			}
		default:
			action, _, fields := formFields(p.Body)
			param := ""
			for _, k := range []string{"SAMLResponse", "SAMLRequest"} {
				if _, ok := fields[k]; ok {
					param = k
				}
			}
			if param == "" || p.Status != http.StatusOK {
				return p
			}
			to, err := url.Parse(p.URL)
			if err != nil {
				t.Fatal(err)
			}
			dest, err := to.Parse(action)
			if err != nil {
				t.Fatalf("form action %q: %v", action, err)
			}
			raw, err := base64.StdEncoding.DecodeString(fields[param])
			if err != nil {
				t.Fatalf("%s in the form of %s is not base64: %v", param, p.URL, err)
			}
			m := samlMessage{Param: param, Binding: "post", From: p.URL, To: dest.String(), XML: raw}
			f.Messages = append(f.Messages, m)
			f.seen(m)
			if param == "SAMLResponse" && strings.HasPrefix(p.URL, f.gh) {
				if f.StopAtResponse {
					return p
				}
				if f.BeforePost != nil {
					fields[param] = base64.StdEncoding.EncodeToString(f.BeforePost(raw))
				}
			}
			from := p.URL
			p, err = f.b.post(dest.String(), from, fields)
			if err != nil {
				t.Fatalf("POST %s: %v", dest, err)
			}
		}
	}
	t.Fatalf("more than 30 steps; the last page was %s (status %d)", p.URL, p.Status)
	return nil
}

// noteRedirect records a Redirect-binding SAML message carried by p's Location.
func (f *flow) noteRedirect(t testing.TB, p *page) {
	t.Helper()
	u, err := url.Parse(p.Location)
	if err != nil {
		return
	}
	q := u.Query()
	for _, param := range []string{"SAMLRequest", "SAMLResponse"} {
		if v := q.Get(param); v != "" {
			raw, err := base64.StdEncoding.DecodeString(v)
			if err != nil {
				t.Fatalf("%s in %s is not base64: %v", param, p.Location, err)
			}
			x, err := inflate(raw)
			if err != nil {
				t.Fatalf("%s in %s does not inflate: %v", param, p.Location, err)
			}
			m := samlMessage{Param: param, Binding: "redirect", From: p.URL, To: p.Location, XML: x, Query: q, RawQuery: u.RawQuery}
			f.Messages = append(f.Messages, m)
			f.seen(m)
		}
	}
}

// seen checks a message as it goes by: a SAMLRequest to Gatehouse is handed to BeforeRequest, and a Response from
// Gatehouse has its signatures verified.
func (f *flow) seen(m samlMessage) {
	if f.t == nil {
		return
	}
	app := f.app
	if a := appFor(m.To); a != nil && strings.HasPrefix(m.From, f.gh) {
		// A logout page sends messages to the other apps of the session too.
		app = a
	}
	switch {
	case m.Param == "SAMLRequest" && strings.HasPrefix(m.To, f.gh) && f.BeforeRequest != nil:
		f.BeforeRequest(m)
	case m.Param == "SAMLResponse" && strings.HasPrefix(m.From, f.gh) && app != nil && rootName(m.XML) == "Response":
		f.t.Helper()
		verifyResponseSignatures(f.t, m.XML, app.CertPEM, app.App.SAML.SigningOption)
	case m.Binding == "redirect" && strings.HasPrefix(m.From, f.gh) && app != nil && m.Query.Get("Signature") != "":
		// A Redirect-binding signature covers the query string, not the XML: OpenSSL checks it.
		f.t.Helper()
		verifyQuerySignature(f.t, m, app.CertPEM)
	case m.Binding == "post" && strings.HasPrefix(m.From, f.gh) && app != nil && haveXMLSec():
		// A logout message Gatehouse posts carries an enveloped signature of its own.
		f.t.Helper()
		if resp, _ := signatures(m.XML); !resp && !bytes.Contains(m.XML[:min(len(m.XML), 2000)], []byte("SignatureValue")) {
			f.t.Errorf("Gatehouse posted an unsigned %s:\n%s", rootName(m.XML), m.XML)
			return
		}
		if err := xmlsecVerify(f.t, m.XML, app.CertPEM, xpathResponseSig); err != nil {
			f.t.Errorf("%s: %v\n%s", rootName(m.XML), err, m.XML)
			return
		}
		xmlsecCount.add(1)
	}
}

// rootName returns the local name of a document's root element.
func rootName(x []byte) string {
	d := xml.NewDecoder(bytes.NewReader(x))
	for {
		tok, err := d.Token()
		if err != nil {
			return ""
		}
		if se, ok := tok.(xml.StartElement); ok {
			return se.Name.Local
		}
	}
}

var (
	sloFrameRE    = regexp.MustCompile(`(?s)<iframe\b[^>]*class="slo"[^>]*>`)
	sloContinueRE = regexp.MustCompile(`<a\b[^>]*id="slo-continue"[^>]*href="([^"]*)"`)
)

// loadFrames loads the iframes of Gatehouse's logout page in the flow's browser: a src by GET, following
// redirects and forms; a srcdoc by submitting its form.
func (f *flow) loadFrames(t testing.TB, p *page) {
	t.Helper()
	for _, tag := range sloFrameRE.FindAllString(p.Body, -1) {
		a := attrs(tag)
		switch {
		case a["src"] != "":
			f.noteLink(t, p.URL, a["src"])
			f.Frames = append(f.Frames, f.run(t, a["src"]))
		case a["srcdoc"] != "":
			action, _, fields := formFields(a["srcdoc"])
			for _, k := range []string{"SAMLRequest", "SAMLResponse"} {
				if v, ok := fields[k]; ok {
					raw, _ := base64.StdEncoding.DecodeString(v)
					m := samlMessage{Param: k, Binding: "post", From: p.URL, To: action, XML: raw}
					f.Messages = append(f.Messages, m)
					f.seen(m)
				}
			}
			q, err := f.b.post(action, p.URL, fields)
			if err != nil {
				t.Fatalf("POST %s: %v", action, err)
			}
			f.Frames = append(f.Frames, f.follow(t, q))
		}
	}
}

// noteLink records a Redirect-binding SAML message in a URL the browser opened from the page at from.
func (f *flow) noteLink(t testing.TB, from, to string) {
	t.Helper()
	f.noteRedirect(t, &page{URL: from, Location: to})
}
