package saml

import (
	"bytes"
	"compress/flate"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"net/url"
	"strings"
	"time"
)

// Logout status codes and the reason of an IdP-initiated LogoutRequest.
const (
	StatusPartialLogout    = "urn:oasis:names:tc:SAML:2.0:status:PartialLogout"
	StatusUnknownPrincipal = "urn:oasis:names:tc:SAML:2.0:status:UnknownPrincipal"
	LogoutReasonUser       = "urn:oasis:names:tc:SAML:2.0:logout:user"
)

// LogoutRequest is a parsed samlp:LogoutRequest.
type LogoutRequest struct {
	ID      string
	Version string
	// IssueInstant is the zero time when RawIssueInstant is missing or not an xs:dateTime.
	IssueInstant    time.Time
	RawIssueInstant string
	// NotOnOrAfter is zero when absent.
	NotOnOrAfter   time.Time
	Destination    string
	Issuer         string
	NameID         string
	NameIDFormat   string
	SessionIndexes []string
	// Signed reports whether the request carries an enveloped ds:Signature (POST binding).
	Signed bool
	// Raw is the XML as received (after inflation).
	Raw []byte
}

// LogoutResponse is a parsed samlp:LogoutResponse.
type LogoutResponse struct {
	ID           string
	Version      string
	InResponseTo string
	Destination  string
	Issuer       string
	// Status is the top-level status code.
	Status string
	Signed bool
	Raw    []byte
}

type xmlLogoutRequest struct {
	XMLName      xml.Name `xml:"urn:oasis:names:tc:SAML:2.0:protocol LogoutRequest"`
	ID           string   `xml:"ID,attr"`
	Version      string   `xml:"Version,attr"`
	IssueInstant string   `xml:"IssueInstant,attr"`
	NotOnOrAfter string   `xml:"NotOnOrAfter,attr"`
	Destination  string   `xml:"Destination,attr"`
	Issuer       []string `xml:"urn:oasis:names:tc:SAML:2.0:assertion Issuer"`
	NameID       []struct {
		Format string `xml:"Format,attr"`
		Value  string `xml:",chardata"`
	} `xml:"urn:oasis:names:tc:SAML:2.0:assertion NameID"`
	EncryptedID    []struct{} `xml:"urn:oasis:names:tc:SAML:2.0:assertion EncryptedID"`
	SessionIndexes []string   `xml:"urn:oasis:names:tc:SAML:2.0:protocol SessionIndex"`
	Signature      []struct{} `xml:"http://www.w3.org/2000/09/xmldsig# Signature"`
}

type xmlLogoutResponse struct {
	XMLName      xml.Name   `xml:"urn:oasis:names:tc:SAML:2.0:protocol LogoutResponse"`
	ID           string     `xml:"ID,attr"`
	Version      string     `xml:"Version,attr"`
	InResponseTo string     `xml:"InResponseTo,attr"`
	Destination  string     `xml:"Destination,attr"`
	Issuer       []string   `xml:"urn:oasis:names:tc:SAML:2.0:assertion Issuer"`
	Signature    []struct{} `xml:"http://www.w3.org/2000/09/xmldsig# Signature"`
	Status       struct {
		Code struct {
			Value string `xml:"Value,attr"`
		} `xml:"urn:oasis:names:tc:SAML:2.0:protocol StatusCode"`
	} `xml:"urn:oasis:names:tc:SAML:2.0:protocol Status"`
}

// ParseLogoutRequest parses a LogoutRequest's XML, refusing it before it is interpreted when it breaks the
// security rules or lim (see DecodeRedirect). Zero fields of lim take their DefaultLimits value.
func ParseLogoutRequest(raw []byte, lim Limits) (*LogoutRequest, error) {
	return parseLogoutRequest(raw, lim.orDefault())
}

func parseLogoutRequest(raw []byte, lim Limits) (*LogoutRequest, error) {
	root, err := scanXML(raw, lim, CodeMalformedRequest, "SAMLRequest", noComments)
	if err != nil {
		return nil, err
	}
	if root != nameLogoutRequest {
		return nil, &Error{Code: CodeMalformedRequest, Field: "SAMLRequest", Status: StatusRequester,
			Received: "{" + root.Space + "}" + root.Local, Expected: "{" + NamespaceProtocol + "}LogoutRequest",
			Message: "The SAMLRequest is not a SAML 2.0 LogoutRequest."}
	}
	var x xmlLogoutRequest
	if err := xml.Unmarshal(bytes.TrimPrefix(raw, []byte("\ufeff")), &x); err != nil {
		return nil, malformed("SAMLRequest", err, "The LogoutRequest could not be read.")
	}
	r := &LogoutRequest{ID: x.ID, Version: x.Version, RawIssueInstant: x.IssueInstant, Destination: x.Destination,
		Signed: len(x.Signature) > 0, Raw: raw}
	r.IssueInstant, _ = parseDateTime(x.IssueInstant)
	if x.NotOnOrAfter != "" {
		if r.NotOnOrAfter, err = parseDateTime(x.NotOnOrAfter); err != nil {
			return nil, &Error{Code: CodeRequestExpired, Field: "NotOnOrAfter", Received: x.NotOnOrAfter, Status: StatusRequester,
				Message: "The LogoutRequest's NotOnOrAfter is not a date and time."}
		}
	}
	switch {
	case len(x.Issuer) > 1:
		return nil, requesterError(CodeMalformedRequest, "Issuer", "The LogoutRequest has more than one Issuer.")
	case len(x.Issuer) == 1:
		r.Issuer = strings.TrimSpace(x.Issuer[0])
	}
	if len(x.EncryptedID) > 0 {
		return nil, requesterError(CodeMalformedRequest, "EncryptedID", "The LogoutRequest names the user with an EncryptedID, which Gatehouse does not read; send the NameID in the clear.")
	}
	if len(x.NameID) != 1 {
		return nil, requesterError(CodeMalformedRequest, "NameID", "The LogoutRequest must name the user with exactly one NameID.")
	}
	r.NameID, r.NameIDFormat = strings.TrimSpace(x.NameID[0].Value), x.NameID[0].Format
	if len(x.SessionIndexes) > 32 {
		return nil, tooLarge("SessionIndex", "The LogoutRequest lists more than 32 SessionIndex values.")
	}
	for _, si := range x.SessionIndexes {
		r.SessionIndexes = append(r.SessionIndexes, strings.TrimSpace(si))
	}
	if r.Version != "2.0" {
		return nil, versionError(r.Version)
	}
	if r.ID == "" {
		return nil, requesterError(CodeMalformedRequest, "ID", "The LogoutRequest has no ID attribute.")
	}
	return r, nil
}

func parseLogoutResponse(raw []byte, lim Limits) (*LogoutResponse, error) {
	root, err := scanXML(raw, lim, CodeMalformedRequest, "SAMLResponse", noComments)
	if err != nil {
		return nil, err
	}
	if root != nameLogoutResponse {
		return nil, &Error{Code: CodeMalformedRequest, Field: "SAMLResponse", Status: StatusRequester,
			Received: "{" + root.Space + "}" + root.Local, Expected: "{" + NamespaceProtocol + "}LogoutResponse",
			Message: "The SAMLResponse is not a SAML 2.0 LogoutResponse; this endpoint receives no other response."}
	}
	var x xmlLogoutResponse
	if err := xml.Unmarshal(bytes.TrimPrefix(raw, []byte("\ufeff")), &x); err != nil {
		return nil, malformed("SAMLResponse", err, "The LogoutResponse could not be read.")
	}
	r := &LogoutResponse{ID: x.ID, Version: x.Version, InResponseTo: x.InResponseTo, Destination: x.Destination,
		Status: strings.TrimSpace(x.Status.Code.Value), Signed: len(x.Signature) > 0, Raw: raw}
	if len(x.Issuer) == 1 {
		r.Issuer = strings.TrimSpace(x.Issuer[0])
	}
	if r.Version != "2.0" {
		return nil, versionError(r.Version)
	}
	return r, nil
}

// ValidateLogoutRequest checks that r has an Issuer, that its IssueInstant is neither older than MaxRequestAge nor
// further ahead than MaxFutureSkew, that its NotOnOrAfter (when present) has not passed, and that its
// Destination (when present) is SLOURL.
func (idp *IdentityProvider) ValidateLogoutRequest(r *LogoutRequest) error {
	if r.Issuer == "" {
		return &Error{Code: CodeUnknownIssuer, Field: "Issuer", Status: StatusRequester,
			Message: "The LogoutRequest has no Issuer; the SP must send its entity ID (the app's Identifier) as the Issuer."}
	}
	now := idp.now()
	maxAge, maxAhead := durationOr(idp.MaxRequestAge, 5*time.Minute), durationOr(idp.MaxFutureSkew, 3*time.Minute)
	switch {
	case r.IssueInstant.IsZero():
		return &Error{Code: CodeRequestExpired, Field: "IssueInstant", Received: r.RawIssueInstant, Status: StatusRequester,
			Message: "The LogoutRequest's IssueInstant is missing or is not a date and time."}
	case now.Sub(r.IssueInstant) > maxAge:
		return &Error{Code: CodeRequestExpired, Field: "IssueInstant", Received: r.RawIssueInstant, Status: StatusRequester,
			Message: "The LogoutRequest was issued longer ago than allowed; check the SP's clock."}
	case r.IssueInstant.Sub(now) > maxAhead:
		return &Error{Code: CodeRequestExpired, Field: "IssueInstant", Received: r.RawIssueInstant, Status: StatusRequester,
			Message: "The LogoutRequest's IssueInstant is in the future; check the SP's clock."}
	case !r.NotOnOrAfter.IsZero() && !now.Before(r.NotOnOrAfter):
		return &Error{Code: CodeRequestExpired, Field: "NotOnOrAfter", Received: r.NotOnOrAfter.Format(time.RFC3339), Status: StatusRequester,
			Message: "The LogoutRequest has expired (NotOnOrAfter)."}
	}
	slo := idp.SLOURL
	if slo == "" {
		slo = idp.SSOURL
	}
	if r.Destination != "" && r.Destination != slo {
		return &Error{Code: CodeWrongDestination, Field: "Destination", Received: r.Destination, Expected: slo, Status: StatusRequester,
			Message: "The LogoutRequest's Destination is not this IdP's logout URL; set the SP's IdP logout URL to " + slo + "."}
	}
	return nil
}

// LogoutParams are the parameters of an IdP-initiated LogoutRequest.
type LogoutParams struct {
	SP           *ServiceProvider
	Destination  string
	NameID       string
	NameIDFormat string
	SessionIndex string
}

// LogoutRequest builds a LogoutRequest for p and returns its ID and XML. With sign set (for the HTTP-POST binding)
// the request carries an enveloped signature; for the HTTP-Redirect binding leave it unsigned and sign the query
// with RedirectURL.
func (idp *IdentityProvider) LogoutRequest(p *LogoutParams, s *Signer, sign bool) (string, []byte, error) {
	if p.SP == nil || p.Destination == "" || p.NameID == "" {
		return "", nil, errors.New("saml: a logout request needs a service provider, a destination and a NameID")
	}
	ids, err := idp.newIDs(1)
	if err != nil {
		return "", nil, err
	}
	now := idp.now()
	t := newTree(6, 12, 8, 3)
	req := t.element(nil, prefixProtocol, "LogoutRequest", 7, 4)
	req.CreateAttr("xmlns:"+prefixProtocol, NamespaceProtocol)
	req.CreateAttr("Destination", p.Destination)
	req.CreateAttr("ID", ids[0])
	req.CreateAttr("IssueInstant", now.Format(timeFormat))
	req.CreateAttr("NotOnOrAfter", now.Add(durationOr(idp.Lifetime, 5*time.Minute)).Format(timeFormat))
	req.CreateAttr("Reason", LogoutReasonUser)
	req.CreateAttr("Version", "2.0")
	iss := t.element(req, prefixAssertion, "Issuer", 1, 1)
	iss.CreateAttr("xmlns", NamespaceAssertion)
	t.text(iss, idp.EntityID)
	nid := t.element(req, prefixAssertion, "NameID", 2, 1)
	nid.CreateAttr("xmlns", NamespaceAssertion)
	format := p.NameIDFormat
	if format == "" {
		format = NameIDUnspecified
	}
	nid.CreateAttr("Format", format)
	t.text(nid, p.NameID)
	if p.SessionIndex != "" {
		t.text(t.element(req, prefixProtocol, "SessionIndex", 0, 1), p.SessionIndex)
	}
	if sign {
		ctx, err := s.context(p.SP.SigningAlgorithm)
		if err != nil {
			return "", nil, err
		}
		if err := s.signEnveloped(ctx, req); err != nil {
			return "", nil, err
		}
	}
	return ids[0], serialize(req), nil
}

// LogoutResponse builds a LogoutResponse with the given top-level status (StatusSuccess when empty) for the
// LogoutRequest inResponseTo, to be sent to destination, and returns its XML. sign works as in LogoutRequest.
func (idp *IdentityProvider) LogoutResponse(sp *ServiceProvider, destination, inResponseTo, status string, s *Signer, sign bool) ([]byte, error) {
	if sp == nil || destination == "" {
		return nil, errors.New("saml: a logout response needs a service provider and a destination")
	}
	ids, err := idp.newIDs(1)
	if err != nil {
		return nil, err
	}
	t := newTree(5, 10, 6, 1)
	resp := t.element(nil, prefixProtocol, "LogoutResponse", 6, 3)
	resp.CreateAttr("xmlns:"+prefixProtocol, NamespaceProtocol)
	resp.CreateAttr("Destination", destination)
	resp.CreateAttr("ID", ids[0])
	if inResponseTo != "" {
		resp.CreateAttr("InResponseTo", inResponseTo)
	}
	resp.CreateAttr("IssueInstant", idp.now().Format(timeFormat))
	resp.CreateAttr("Version", "2.0")
	iss := t.element(resp, prefixAssertion, "Issuer", 1, 1)
	iss.CreateAttr("xmlns", NamespaceAssertion)
	t.text(iss, idp.EntityID)
	st := t.element(resp, prefixProtocol, "Status", 0, 1)
	if status == "" {
		status = StatusSuccess
	}
	t.element(st, prefixProtocol, "StatusCode", 1, 0).CreateAttr("Value", status)
	if sign {
		ctx, err := s.context(sp.SigningAlgorithm)
		if err != nil {
			return nil, err
		}
		if err := s.signEnveloped(ctx, resp); err != nil {
			return nil, err
		}
	}
	return serialize(resp), nil
}

// RedirectURL returns the HTTP-Redirect binding URL that carries msg to destination as param ("SAMLRequest" or
// "SAMLResponse"), DEFLATE-compressed and base64-encoded, with relayState (left out when empty), signed over the
// query string with s using algorithm (SHA256 or SHA1; "" means SHA256) as the bindings specification
// (section 3.4.4.1) prescribes.
func RedirectURL(destination, param string, msg []byte, relayState string, s *Signer, algorithm string) (string, error) {
	if param != "SAMLRequest" && param != "SAMLResponse" {
		return "", errors.New("saml: the redirect parameter must be SAMLRequest or SAMLResponse")
	}
	u, err := url.Parse(destination)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return "", errors.New("saml: the redirect destination must be an http or https URL")
	}
	var buf bytes.Buffer
	fw, _ := flate.NewWriter(&buf, flate.BestCompression)
	fw.Write(msg)
	fw.Close()
	q := param + "=" + url.QueryEscape(base64.StdEncoding.EncodeToString(buf.Bytes()))
	if relayState != "" {
		q += "&RelayState=" + url.QueryEscape(relayState)
	}
	if s != nil {
		if err := s.init(); err != nil {
			return "", err
		}
		// The signature covers the query with its SigAlg, so the method is known before the signature is made.
		alg, err := s.SignatureMethod(algorithm)
		if err != nil {
			return "", err
		}
		q += "&SigAlg=" + url.QueryEscape(alg)
		sig, err := s.signQuery(algorithm, []byte(q))
		if err != nil {
			return "", err
		}
		q += "&Signature=" + url.QueryEscape(base64.StdEncoding.EncodeToString(sig))
	}
	sep := "?"
	if u.RawQuery != "" {
		sep = "&"
	}
	return destination + sep + q, nil
}
