package saml

import (
	"bytes"
	"compress/flate"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"io"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Message is a decoded protocol message with what is needed to verify a binding signature later.
type Message struct {
	Request    *AuthnRequest
	RelayState string
	// SigAlg, Signature (decoded from base64) and SignedQuery are set for a signed HTTP-Redirect request.
	// SignedQuery holds the octets the SP signed: "SAMLRequest=…&RelayState=…&SigAlg=…" rebuilt from the
	// parameter values exactly as received (still percent-encoded), in the order the bindings specification
	// prescribes, with RelayState left out when absent.
	SigAlg      string
	Signature   []byte
	SignedQuery []byte
	// Binding is BindingHTTPRedirect or BindingHTTPPost.
	Binding string
	// Logout and LogoutResponse are set instead of Request for a LogoutRequest (in SAMLRequest) and a
	// LogoutResponse (in SAMLResponse), which only DecodeRedirectAny and DecodePostAny accept.
	Logout         *LogoutRequest
	LogoutResponse *LogoutResponse
}

// Raw returns the message's XML as received (after inflation).
func (m *Message) Raw() []byte {
	switch {
	case m.Request != nil:
		return m.Request.Raw
	case m.Logout != nil:
		return m.Logout.Raw
	case m.LogoutResponse != nil:
		return m.LogoutResponse.Raw
	}
	return nil
}

// Issuer returns the message's Issuer.
func (m *Message) Issuer() string {
	switch {
	case m.Request != nil:
		return m.Request.Issuer
	case m.Logout != nil:
		return m.Logout.Issuer
	case m.LogoutResponse != nil:
		return m.LogoutResponse.Issuer
	}
	return ""
}

// NameIDPolicy is the NameIDPolicy of an AuthnRequest.
type NameIDPolicy struct {
	Format          string
	AllowCreate     bool
	SPNameQualifier string
}

// RequestedAuthnContext is the RequestedAuthnContext of an AuthnRequest. Comparison is "exact" when the request
// does not say.
type RequestedAuthnContext struct {
	Comparison string
	ClassRefs  []string
}

// AuthnRequest is a parsed samlp:AuthnRequest.
type AuthnRequest struct {
	ID      string
	Version string
	// IssueInstant is the zero time when RawIssueInstant is missing or not an xs:dateTime.
	IssueInstant    time.Time
	RawIssueInstant string
	Destination     string
	Issuer          string
	ProviderName    string
	ACSURL          string
	ProtocolBinding string
	ACSIndex        *int
	ForceAuthn      bool
	IsPassive       bool
	// HasSubject reports whether the request names a Subject.
	HasSubject bool
	// Signed reports whether the request carries an enveloped ds:Signature (POST binding).
	Signed                bool
	NameIDPolicy          *NameIDPolicy
	RequestedAuthnContext *RequestedAuthnContext
	// Raw is the XML as received (after inflation).
	Raw []byte
}

// DecodeRedirect decodes the raw (still percent-encoded) query string of an HTTP-Redirect binding request: the
// SAMLRequest parameter is base64 of raw DEFLATE data, inflated to at most lim.MaxInflated bytes. Zero fields of
// lim take their DefaultLimits value. Errors are *Error values.
func DecodeRedirect(rawQuery string, lim Limits) (*Message, error) {
	return decodeRedirect(rawQuery, lim, false)
}

// DecodeRedirectAny decodes any message the IdP's endpoint receives by the HTTP-Redirect binding, told apart by its
// parameter and root element: an AuthnRequest or a LogoutRequest in SAMLRequest, or a LogoutResponse in
// SAMLResponse. It applies the same limits and checks as DecodeRedirect.
func DecodeRedirectAny(rawQuery string, lim Limits) (*Message, error) {
	return decodeRedirect(rawQuery, lim, true)
}

func decodeRedirect(rawQuery string, lim Limits, anyMessage bool) (*Message, error) {
	lim = lim.orDefault()
	param := "SAMLRequest"
	// The query carries the request, RelayState, SigAlg and a Signature; anything much longer than the
	// request limit is refused before it is split.
	if max := lim.MaxEncoded + 4*lim.MaxRelayState + 4096; len(rawQuery) > max {
		return nil, tooLarge("SAMLRequest", "The query string is %d bytes long, more than the %d bytes allowed.", len(rawQuery), max)
	}
	// The four parameters this binding defines, as received, and which of them are present.
	const (
		pRequest = iota
		pRelayState
		pSigAlg
		pSignature
	)
	var (
		params [4]string
		seen   [4]bool
	)
	for rest := rawQuery; rest != ""; {
		var kv string
		kv, rest, _ = strings.Cut(rest, "&")
		k, v, _ := strings.Cut(kv, "=")
		var i int
		switch k {
		case "SAMLRequest":
			i = pRequest
		case "SAMLResponse":
			if !anyMessage {
				continue
			}
			if seen[pRequest] && param != k {
				return nil, requesterError(CodeMalformedRequest, k, "The query string has both a SAMLRequest and a SAMLResponse.")
			}
			i, param = pRequest, k
		case "RelayState":
			i = pRelayState
		case "SigAlg":
			i = pSigAlg
		case "Signature":
			i = pSignature
		default:
			continue
		}
		if seen[i] {
			if i == pRequest && param != k {
				return nil, requesterError(CodeMalformedRequest, k, "The query string has both a SAMLRequest and a SAMLResponse.")
			}
			return nil, requesterError(CodeMalformedRequest, k, "The query string has more than one %s parameter.", k)
		}
		params[i], seen[i] = v, true
	}
	if params[pRequest] == "" {
		return nil, requesterError(CodeMalformedRequest, "SAMLRequest", "The query string has no SAMLRequest parameter.")
	}
	if len(params[pRequest]) > lim.MaxEncoded {
		return nil, tooLarge("SAMLRequest", "The SAMLRequest parameter is %d bytes long, more than the %d bytes allowed.", len(params[pRequest]), lim.MaxEncoded)
	}
	m := &Message{Binding: BindingHTTPRedirect}
	// Base64 has no spaces, so a '+' left unescaped by the SP is kept as '+' rather than read as a space.
	enc, err := url.PathUnescape(params[pRequest])
	if err != nil {
		return nil, malformed("SAMLRequest", err, "The SAMLRequest parameter is not correctly percent-encoded.")
	}
	deflated, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		return nil, malformed("SAMLRequest", err, "The SAMLRequest parameter is not valid base64.")
	}
	raw, err := inflate(deflated, lim.MaxInflated)
	if err != nil {
		return nil, err
	}
	if seen[pRelayState] {
		if m.RelayState, err = url.QueryUnescape(params[pRelayState]); err != nil {
			return nil, &Error{Code: CodeRelayStateInvalid, Field: "RelayState", Status: StatusRequester, Err: err,
				Message: "The RelayState parameter is not correctly percent-encoded."}
		}
		if err := CheckRelayState(m.RelayState, lim.MaxRelayState); err != nil {
			return nil, err
		}
	}
	if seen[pSigAlg] || seen[pSignature] {
		if !seen[pSigAlg] || !seen[pSignature] {
			return nil, requesterError(CodeMalformedRequest, "Signature", "A signed request needs both the SigAlg and the Signature parameters.")
		}
		if m.SigAlg, err = url.QueryUnescape(params[pSigAlg]); err != nil {
			return nil, malformed("SigAlg", err, "The SigAlg parameter is not correctly percent-encoded.")
		}
		sig, err := url.PathUnescape(params[pSignature])
		if err != nil {
			return nil, malformed("Signature", err, "The Signature parameter is not correctly percent-encoded.")
		}
		if m.Signature, err = base64.StdEncoding.DecodeString(sig); err != nil {
			return nil, malformed("Signature", err, "The Signature parameter is not valid base64.")
		}
		n := len(param) + 1 + len(params[pRequest]) + len("&SigAlg=") + len(params[pSigAlg])
		if seen[pRelayState] {
			n += len("&RelayState=") + len(params[pRelayState])
		}
		q := make([]byte, 0, n)
		q = append(q, param...)
		q = append(q, '=')
		q = append(q, params[pRequest]...)
		if seen[pRelayState] {
			q = append(q, "&RelayState="...)
			q = append(q, params[pRelayState]...)
		}
		q = append(q, "&SigAlg="...)
		q = append(q, params[pSigAlg]...)
		m.SignedQuery = q
	}
	if anyMessage {
		if err := m.parseAny(raw, lim, param == "SAMLResponse"); err != nil {
			return nil, err
		}
		return m, nil
	}
	if m.Request, err = parseAuthnRequest(raw, lim); err != nil {
		return nil, err
	}
	return m, nil
}

// Names of the root elements of logout messages.
var (
	nameLogoutRequest  = xml.Name{Space: NamespaceProtocol, Local: "LogoutRequest"}
	nameLogoutResponse = xml.Name{Space: NamespaceProtocol, Local: "LogoutResponse"}
)

// parseAny parses raw as the message its root element names: a LogoutResponse when it came as SAMLResponse, and
// otherwise a LogoutRequest or an AuthnRequest.
func (m *Message) parseAny(raw []byte, lim Limits, response bool) error {
	var err error
	if response {
		m.LogoutResponse, err = parseLogoutResponse(raw, lim)
		return err
	}
	if rootName(raw) == nameLogoutRequest {
		m.Logout, err = parseLogoutRequest(raw, lim)
		return err
	}
	m.Request, err = parseAuthnRequest(raw, lim)
	return err
}

// rootName returns the name of raw's first element, or the zero name when it is not found among the first few
// tokens or anything before it is not plain XML. The parser that follows checks the whole document.
func rootName(raw []byte) xml.Name {
	d := xml.NewDecoder(bytes.NewReader(bytes.TrimPrefix(raw, []byte("\ufeff"))))
	for range 16 {
		tok, err := d.Token()
		if err != nil {
			return xml.Name{}
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return t.Name
		case xml.Directive:
			return xml.Name{}
		}
	}
	return xml.Name{}
}

// DecodePost decodes the SAMLRequest and RelayState form values of an HTTP-POST binding request: SAMLRequest is
// base64 of the XML (line breaks allowed), not deflated. Zero fields of lim take their DefaultLimits value. Errors
// are *Error values.
func DecodePost(samlRequest, relayState string, lim Limits) (*Message, error) {
	return decodePost(samlRequest, "", relayState, lim, false)
}

// DecodePostAny decodes any message the IdP's endpoint receives by the HTTP-POST binding, told apart by its form
// field and root element: an AuthnRequest or a LogoutRequest in samlRequest, or a LogoutResponse in samlResponse
// (exactly one of the two is set). It applies the same limits and checks as DecodePost.
func DecodePostAny(samlRequest, samlResponse, relayState string, lim Limits) (*Message, error) {
	return decodePost(samlRequest, samlResponse, relayState, lim, true)
}

func decodePost(samlRequest, samlResponse, relayState string, lim Limits, anyMessage bool) (*Message, error) {
	lim = lim.orDefault()
	response := false
	if anyMessage && samlResponse != "" {
		if samlRequest != "" {
			return nil, requesterError(CodeMalformedRequest, "SAMLResponse", "The form has both a SAMLRequest and a SAMLResponse.")
		}
		samlRequest, response = samlResponse, true
	}
	if samlRequest == "" {
		return nil, requesterError(CodeMalformedRequest, "SAMLRequest", "The form has no SAMLRequest value.")
	}
	if len(samlRequest) > lim.MaxEncoded {
		return nil, tooLarge("SAMLRequest", "The SAMLRequest value is %d bytes long, more than the %d bytes allowed.", len(samlRequest), lim.MaxEncoded)
	}
	if err := CheckRelayState(relayState, lim.MaxRelayState); err != nil {
		return nil, err
	}
	if strings.ContainsAny(samlRequest, " \t\r\n") {
		samlRequest = strings.Map(func(r rune) rune {
			if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
				return -1
			}
			return r
		}, samlRequest)
	}
	raw, err := base64.StdEncoding.DecodeString(samlRequest)
	if err != nil {
		return nil, malformed("SAMLRequest", err, "The SAMLRequest value is not valid base64.")
	}
	if len(raw) > lim.MaxInflated {
		return nil, tooLarge("SAMLRequest", "The decoded SAMLRequest is %d bytes long, more than the %d bytes allowed.", len(raw), lim.MaxInflated)
	}
	if anyMessage {
		m := &Message{RelayState: relayState, Binding: BindingHTTPPost}
		if err := m.parseAny(raw, lim, response); err != nil {
			return nil, err
		}
		return m, nil
	}
	req, err := parseAuthnRequest(raw, lim)
	if err != nil {
		return nil, err
	}
	return &Message{Request: req, RelayState: relayState, Binding: BindingHTTPPost}, nil
}

// inflaters holds flate readers for reuse; each holds a window of 32 KiB and tables that are costly to allocate.
var inflaters sync.Pool

// inflate returns the raw DEFLATE data in deflated inflated, refusing output over max bytes. It reads at most
// max+1 bytes of output, however much the input would expand, so a DEFLATE bomb costs a bounded buffer.
func inflate(deflated []byte, max int) ([]byte, error) {
	src := bytes.NewReader(deflated)
	fr, _ := inflaters.Get().(io.ReadCloser)
	if fr == nil {
		fr = flate.NewReader(src)
	} else if err := fr.(flate.Resetter).Reset(src, nil); err != nil {
		return nil, malformed("SAMLRequest", err, "The SAMLRequest parameter is not DEFLATE data.")
	}
	defer inflaters.Put(fr)
	buf := inflateBuffers.Get().(*bytes.Buffer)
	defer inflateBuffers.Put(buf)
	buf.Reset()
	if _, err := buf.ReadFrom(&io.LimitedReader{R: fr, N: int64(max) + 1}); err != nil {
		return nil, malformed("SAMLRequest", err, "The SAMLRequest parameter is not raw DEFLATE data (it may be truncated).")
	}
	if buf.Len() > max {
		return nil, tooLarge("SAMLRequest", "The SAMLRequest inflates to more than the %d bytes allowed.", max)
	}
	return bytes.Clone(buf.Bytes()), nil
}

// inflateBuffers holds inflation buffers for reuse. A buffer never grows past the largest MaxInflated in use
// (plus bytes.Buffer's slack), because the reader feeding it is limited.
var inflateBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// Names of the elements an AuthnRequest may hold.
var (
	nameAuthnRequest          = xml.Name{Space: NamespaceProtocol, Local: "AuthnRequest"}
	nameIssuer                = xml.Name{Space: NamespaceAssertion, Local: "Issuer"}
	nameSubject               = xml.Name{Space: NamespaceAssertion, Local: "Subject"}
	nameNameIDPolicy          = xml.Name{Space: NamespaceProtocol, Local: "NameIDPolicy"}
	nameRequestedAuthnContext = xml.Name{Space: NamespaceProtocol, Local: "RequestedAuthnContext"}
	nameAuthnContextClassRef  = xml.Name{Space: NamespaceAssertion, Local: "AuthnContextClassRef"}
	nameSignature             = xml.Name{Space: NamespaceDSig, Local: "Signature"}
)

// parseAuthnRequest reads an AuthnRequest from raw in one streaming pass. Each token is checked by a scanner
// (xmlcheck.go) against the security rules and lim before it is interpreted, so hostile input costs at most one pass
// over at most lim.MaxInflated bytes and no recursion.
func parseAuthnRequest(raw []byte, lim Limits) (*AuthnRequest, error) {
	sc, err := newScanner(raw, lim, CodeMalformedRequest, "SAMLRequest", noComments)
	if err != nil {
		return nil, err
	}
	r := &AuthnRequest{Raw: raw}
	var (
		text        *strings.Builder // collects the text of Issuer or AuthnContextClassRef
		issuer, ref strings.Builder
		inRAC       bool // inside RequestedAuthnContext
		issuerSeen  bool
	)
	for {
		tok, err := sc.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			text = nil
			switch depth := sc.depth; {
			case depth == 1:
				if t.Name != nameAuthnRequest {
					return nil, &Error{Code: CodeMalformedRequest, Field: "SAMLRequest", Status: StatusRequester,
						Received: "{" + t.Name.Space + "}" + t.Name.Local, Expected: "{" + NamespaceProtocol + "}AuthnRequest",
						Message: "The SAMLRequest is not a SAML 2.0 AuthnRequest: its root element must be AuthnRequest in the namespace " + NamespaceProtocol + "."}
				}
				if err := r.readAttrs(t.Attr); err != nil {
					return nil, err
				}
			case depth == 2 && t.Name == nameIssuer:
				if issuerSeen {
					return nil, requesterError(CodeMalformedRequest, "Issuer", "The AuthnRequest has more than one Issuer.")
				}
				issuerSeen = true
				text = &issuer
			case depth == 2 && t.Name == nameSubject:
				r.HasSubject = true
			case depth == 2 && t.Name == nameSignature:
				r.Signed = true
			case depth == 2 && t.Name == nameNameIDPolicy:
				p := &NameIDPolicy{}
				for _, a := range t.Attr {
					if a.Name.Space != "" {
						continue
					}
					switch a.Name.Local {
					case "Format":
						p.Format = a.Value
					case "SPNameQualifier":
						p.SPNameQualifier = a.Value
					case "AllowCreate":
						if p.AllowCreate, err = parseBool("AllowCreate", a.Value); err != nil {
							return nil, err
						}
					}
				}
				r.NameIDPolicy = p
			case depth == 2 && t.Name == nameRequestedAuthnContext:
				c := &RequestedAuthnContext{Comparison: "exact"}
				for _, a := range t.Attr {
					if a.Name.Space == "" && a.Name.Local == "Comparison" {
						c.Comparison = a.Value
					}
				}
				r.RequestedAuthnContext = c
				inRAC = true
			case depth == 3 && inRAC && t.Name == nameAuthnContextClassRef:
				ref.Reset()
				text = &ref
			}
		case xml.EndElement:
			if text == &ref {
				r.RequestedAuthnContext.ClassRefs = append(r.RequestedAuthnContext.ClassRefs, strings.TrimSpace(ref.String()))
			}
			text = nil
			if sc.depth == 1 { // the scanner counts the element closed
				inRAC = false
			}
		case xml.CharData:
			if text != nil {
				if text.Len()+len(t) > lim.MaxAttrLen {
					return nil, tooLarge("SAMLRequest", "An element's text is more than %d bytes long.", lim.MaxAttrLen)
				}
				text.Write(t)
			}
		}
	}
	r.Issuer = strings.TrimSpace(issuer.String())
	if r.Version != "2.0" {
		return nil, versionError(r.Version)
	}
	if r.ID == "" {
		return nil, requesterError(CodeMalformedRequest, "ID", "The AuthnRequest has no ID attribute.")
	}
	return r, nil
}

// readAttrs sets r's fields from the attributes of the AuthnRequest element.
func (r *AuthnRequest) readAttrs(attrs []xml.Attr) error {
	var err error
	for _, a := range attrs {
		if a.Name.Space != "" {
			continue
		}
		switch a.Name.Local {
		case "ID":
			r.ID = a.Value
		case "Version":
			r.Version = a.Value
		case "IssueInstant":
			r.RawIssueInstant = a.Value
			r.IssueInstant, _ = parseDateTime(a.Value)
		case "Destination":
			r.Destination = a.Value
		case "ProviderName":
			r.ProviderName = a.Value
		case "AssertionConsumerServiceURL":
			r.ACSURL = a.Value
		case "ProtocolBinding":
			r.ProtocolBinding = a.Value
		case "AssertionConsumerServiceIndex":
			i, err := strconv.Atoi(strings.TrimSpace(a.Value))
			if err != nil {
				return &Error{Code: CodeBadACSIndex, Field: "AssertionConsumerServiceIndex", Received: a.Value,
					Status: StatusRequester, Err: err, Message: "AssertionConsumerServiceIndex is not a whole number."}
			}
			r.ACSIndex = &i
		case "ForceAuthn":
			if r.ForceAuthn, err = parseBool("ForceAuthn", a.Value); err != nil {
				return err
			}
		case "IsPassive":
			if r.IsPassive, err = parseBool("IsPassive", a.Value); err != nil {
				return err
			}
		}
	}
	return nil
}

// parseBool parses an xs:boolean.
func parseBool(field, s string) (bool, error) {
	switch strings.TrimSpace(s) {
	case "true", "1":
		return true, nil
	case "false", "0":
		return false, nil
	}
	return false, &Error{Code: CodeMalformedRequest, Field: field, Received: s, Status: StatusRequester,
		Message: field + " must be true or false."}
}

// parseDateTime parses an xs:dateTime; one without a time zone is taken as UTC.
func parseDateTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		var err2 error
		if t, err2 = time.Parse("2006-01-02T15:04:05.999999999", s); err2 != nil {
			return time.Time{}, err
		}
	}
	return t.UTC(), nil
}

// versionError reports a Version other than 2.0.
func versionError(v string) *Error {
	return &Error{Code: CodeUnsupportedVersion, Field: "Version", Received: v, Expected: "2.0",
		Status: StatusVersionMismatch, SubStatus: StatusRequestUnsupported,
		Message: "The AuthnRequest's Version must be 2.0."}
}

// malformed returns a CodeMalformedRequest error caused by err.
func malformed(field string, err error, msg string) *Error {
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		msg += " (line " + strconv.Itoa(se.Line) + ": " + se.Msg + ")"
	}
	return &Error{Code: CodeMalformedRequest, Field: field, Message: msg, Status: StatusRequester, Err: err}
}

// tooLarge returns a CodeRequestTooLarge error.
func tooLarge(field, format string, args ...any) *Error {
	return requesterError(CodeRequestTooLarge, field, format, args...)
}
