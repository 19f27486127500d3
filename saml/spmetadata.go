package saml

import (
	"cmp"
	"crypto/x509"
	"encoding/xml"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/certs"
)

// CodeBadMetadata means SP metadata was refused: it is not a single SAML 2.0 EntityDescriptor with an
// SPSSODescriptor, is over a limit, carries a DTD, names an endpoint that is not an http or https URL, or holds a
// certificate that is not an RSA certificate of at least 2048 bits. The message names the part at fault.
const CodeBadMetadata = "GH7001"

// MaxMetadataSize is the largest SP metadata document accepted, in bytes.
const MaxMetadataSize = 1 << 20

// Endpoint is an endpoint of SP metadata: an AssertionConsumerService or a SingleLogoutService.
type Endpoint struct {
	Binding          string
	Location         string
	ResponseLocation string
	// Index and IsDefault are those of an indexed endpoint (AssertionConsumerService); IsDefault is nil when
	// the attribute is absent.
	Index     int
	IsDefault *bool
}

// SPMetadata is what an SP's metadata tells the IdP.
type SPMetadata struct {
	EntityID string
	// ACS lists the HTTP-POST AssertionConsumerServices, the default first (isDefault="true", else the first
	// without isDefault="false"), then the others by index.
	ACS []Endpoint
	// SLO lists the SingleLogoutServices in document order, those of the HTTP-Redirect and HTTP-POST bindings only.
	SLO                  []Endpoint
	NameIDFormats        []string
	AuthnRequestsSigned  bool
	WantAssertionsSigned bool
	// SigningCerts verify the SP's requests; EncryptionCerts are those assertions may be encrypted for. A
	// KeyDescriptor without use serves both.
	SigningCerts    []*x509.Certificate
	EncryptionCerts []*x509.Certificate
	// EncryptionMethods are the algorithms the encryption KeyDescriptors list, in document order, each once.
	EncryptionMethods []string
}

type mdEntities struct {
	XMLName  xml.Name   `xml:"urn:oasis:names:tc:SAML:2.0:metadata EntitiesDescriptor"`
	Entities []mdEntity `xml:"urn:oasis:names:tc:SAML:2.0:metadata EntityDescriptor"`
	Nested   []struct{} `xml:"urn:oasis:names:tc:SAML:2.0:metadata EntitiesDescriptor"`
}

type mdEntity struct {
	XMLName  xml.Name `xml:"urn:oasis:names:tc:SAML:2.0:metadata EntityDescriptor"`
	EntityID string   `xml:"entityID,attr"`
	SPs      []mdSP   `xml:"urn:oasis:names:tc:SAML:2.0:metadata SPSSODescriptor"`
}

type mdSP struct {
	Protocols            string       `xml:"protocolSupportEnumeration,attr"`
	AuthnRequestsSigned  string       `xml:"AuthnRequestsSigned,attr"`
	WantAssertionsSigned string       `xml:"WantAssertionsSigned,attr"`
	Keys                 []mdKey      `xml:"urn:oasis:names:tc:SAML:2.0:metadata KeyDescriptor"`
	SLO                  []mdEndpoint `xml:"urn:oasis:names:tc:SAML:2.0:metadata SingleLogoutService"`
	NameIDFormats        []string     `xml:"urn:oasis:names:tc:SAML:2.0:metadata NameIDFormat"`
	ACS                  []mdEndpoint `xml:"urn:oasis:names:tc:SAML:2.0:metadata AssertionConsumerService"`
}

type mdKey struct {
	Use     string   `xml:"use,attr"`
	Certs   []string `xml:"http://www.w3.org/2000/09/xmldsig# KeyInfo>X509Data>X509Certificate"`
	Methods []struct {
		Algorithm string `xml:"Algorithm,attr"`
	} `xml:"urn:oasis:names:tc:SAML:2.0:metadata EncryptionMethod"`
}

type mdEndpoint struct {
	Binding          string `xml:"Binding,attr"`
	Location         string `xml:"Location,attr"`
	ResponseLocation string `xml:"ResponseLocation,attr"`
	Index            string `xml:"index,attr"`
	IsDefault        string `xml:"isDefault,attr"`
}

// metadataError returns a CodeBadMetadata error naming field.
func metadataError(field, format string, args ...any) *Error {
	e := requesterError(CodeBadMetadata, field, format, args...)
	e.Status = ""
	return e
}

// ParseSPMetadata reads an SP's metadata: an EntityDescriptor, or an EntitiesDescriptor holding exactly one, with
// one SPSSODescriptor for SAML 2.0. The document is refused before it is interpreted when it is larger than
// MaxMetadataSize or breaks the rules protocol messages are held to (a DTD, a processing instruction, an attribute
// given twice on one element, over MetadataLimits), except that comments are allowed between elements (not inside
// an element's text); and refused with a message naming the problem when it holds several entities, no HTTP-POST
// AssertionConsumerService, an endpoint that is not an absolute http or https URL, or a certificate that is not RSA
// of at least 2048 bits (SECURITY-CASES 38). Errors are *Error values with CodeBadMetadata, or CodeForbiddenDTD,
// CodeDuplicateAttribute, CodeXMLComment and CodeRequestTooLarge for what the scan refuses.
func ParseSPMetadata(data []byte) (*SPMetadata, error) {
	if len(data) > MaxMetadataSize {
		return nil, &Error{Code: CodeRequestTooLarge, Field: "metadata", Received: strconv.Itoa(len(data)) + " bytes",
			Expected: "at most " + strconv.Itoa(MaxMetadataSize) + " bytes", Message: "The metadata is larger than 1 MiB."}
	}
	root, err := scanXML(data, MetadataLimits.orDefault(), CodeBadMetadata, "metadata", commentsBetweenElements)
	if err != nil {
		var e *Error
		if errorsAs(err, &e) {
			e.Status = ""
		}
		return nil, err
	}
	var ent mdEntity
	switch root {
	case xml.Name{Space: NamespaceMetadata, Local: "EntityDescriptor"}:
		if err := xml.Unmarshal(data, &ent); err != nil {
			return nil, metadataError("metadata", "The metadata could not be read: %v.", err)
		}
	case xml.Name{Space: NamespaceMetadata, Local: "EntitiesDescriptor"}:
		var all mdEntities
		if err := xml.Unmarshal(data, &all); err != nil {
			return nil, metadataError("metadata", "The metadata could not be read: %v.", err)
		}
		if len(all.Entities) != 1 || len(all.Nested) > 0 {
			return nil, metadataError("EntityDescriptor", "The metadata describes %d entities; upload the metadata of exactly one SP.", len(all.Entities)+len(all.Nested))
		}
		ent = all.Entities[0]
	default:
		return nil, &Error{Code: CodeBadMetadata, Field: "metadata", Received: "{" + root.Space + "}" + root.Local,
			Expected: "{" + NamespaceMetadata + "}EntityDescriptor", Message: "The document is not SAML 2.0 metadata: its root element must be an EntityDescriptor."}
	}
	return ent.toSP()
}

// toSP checks the entity and maps it to SPMetadata.
func (ent *mdEntity) toSP() (*SPMetadata, error) {
	id := strings.TrimSpace(ent.EntityID)
	if id == "" || len(id) > 1024 || strings.ContainsAny(id, " \t\r\n\x00<>\"'") {
		return nil, &Error{Code: CodeBadMetadata, Field: "entityID", Received: id,
			Message: "The metadata's entityID must be 1 to 1024 characters without spaces, markup or control characters."}
	}
	var sp *mdSP
	for i := range ent.SPs {
		if strings.Contains(ent.SPs[i].Protocols, NamespaceProtocol) {
			if sp != nil {
				return nil, metadataError("SPSSODescriptor", "The metadata has more than one SPSSODescriptor for SAML 2.0.")
			}
			sp = &ent.SPs[i]
		}
	}
	if sp == nil {
		return nil, metadataError("SPSSODescriptor", "The metadata has no SPSSODescriptor whose protocolSupportEnumeration names SAML 2.0 (%s).", NamespaceProtocol)
	}
	md := &SPMetadata{EntityID: id}
	var err error
	if md.AuthnRequestsSigned, err = metadataBool("AuthnRequestsSigned", sp.AuthnRequestsSigned); err != nil {
		return nil, err
	}
	if md.WantAssertionsSigned, err = metadataBool("WantAssertionsSigned", sp.WantAssertionsSigned); err != nil {
		return nil, err
	}
	for _, e := range sp.ACS {
		ep, err := e.endpoint("AssertionConsumerService", true)
		if err != nil {
			return nil, err
		}
		if ep.Binding == BindingHTTPPost {
			md.ACS = append(md.ACS, ep)
		}
	}
	if len(md.ACS) == 0 {
		return nil, metadataError("AssertionConsumerService", "The metadata has no AssertionConsumerService with the HTTP-POST binding, the only one Gatehouse answers with.")
	}
	if len(md.ACS) > 32 {
		return nil, metadataError("AssertionConsumerService", "The metadata lists %d HTTP-POST AssertionConsumerServices, more than the 32 allowed.", len(md.ACS))
	}
	seen := map[int]bool{}
	for _, ep := range md.ACS {
		if seen[ep.Index] {
			return nil, metadataError("AssertionConsumerService", "Two AssertionConsumerServices have index %d.", ep.Index)
		}
		seen[ep.Index] = true
	}
	slices.SortStableFunc(md.ACS, func(a, b Endpoint) int { return cmp.Compare(a.Index, b.Index) })
	def := slices.IndexFunc(md.ACS, func(e Endpoint) bool { return e.IsDefault != nil && *e.IsDefault })
	if def < 0 {
		def = max(0, slices.IndexFunc(md.ACS, func(e Endpoint) bool { return e.IsDefault == nil }))
	}
	first := md.ACS[def]
	rest := slices.Delete(slices.Clone(md.ACS), def, def+1)
	md.ACS = append([]Endpoint{first}, rest...)
	for _, e := range sp.SLO {
		ep, err := e.endpoint("SingleLogoutService", false)
		if err != nil {
			return nil, err
		}
		if ep.Binding == BindingHTTPRedirect || ep.Binding == BindingHTTPPost {
			md.SLO = append(md.SLO, ep)
		}
	}
	for _, f := range sp.NameIDFormats {
		if f = strings.TrimSpace(f); f != "" && !slices.Contains(md.NameIDFormats, f) {
			md.NameIDFormats = append(md.NameIDFormats, f)
		}
	}
	for _, k := range sp.Keys {
		if k.Use != "" && k.Use != "signing" && k.Use != "encryption" {
			return nil, metadataError("KeyDescriptor", "A KeyDescriptor has use %q; it must be signing or encryption.", k.Use)
		}
		for _, c := range k.Certs {
			cert, err := ParseCertificate(c)
			if err != nil {
				return nil, err
			}
			if k.Use != "encryption" {
				md.SigningCerts = append(md.SigningCerts, cert)
			}
			if k.Use != "signing" {
				md.EncryptionCerts = append(md.EncryptionCerts, cert)
			}
		}
		if k.Use != "signing" {
			for _, m := range k.Methods {
				if a := strings.TrimSpace(m.Algorithm); a != "" && !slices.Contains(md.EncryptionMethods, a) && len(md.EncryptionMethods) < 16 {
					md.EncryptionMethods = append(md.EncryptionMethods, a)
				}
			}
		}
	}
	if len(md.SigningCerts) > 8 || len(md.EncryptionCerts) > 8 {
		return nil, metadataError("KeyDescriptor", "The metadata lists more than 8 certificates for one use.")
	}
	if md.AuthnRequestsSigned && len(md.SigningCerts) == 0 {
		return nil, metadataError("KeyDescriptor", "The metadata says AuthnRequestsSigned but has no signing certificate to verify them.")
	}
	return md, nil
}

// endpoint checks an endpoint's attributes; indexed endpoints need an index.
func (e *mdEndpoint) endpoint(element string, indexed bool) (Endpoint, error) {
	ep := Endpoint{Binding: strings.TrimSpace(e.Binding), Location: strings.TrimSpace(e.Location), ResponseLocation: strings.TrimSpace(e.ResponseLocation)}
	if ep.Binding == "" {
		return ep, metadataError(element, "An %s has no Binding.", element)
	}
	for i, u := range []string{ep.Location, ep.ResponseLocation} {
		if i == 1 && u == "" {
			continue
		}
		if err := checkHTTPURL(u); err != nil {
			return ep, &Error{Code: CodeBadMetadata, Field: element, Received: u, Expected: "an absolute http or https URL",
				Message: "An " + element + " location must be an absolute http or https URL: " + err.Error() + "."}
		}
	}
	if indexed {
		i, err := strconv.Atoi(strings.TrimSpace(e.Index))
		if err != nil || i < 0 || i > 65535 {
			return ep, &Error{Code: CodeBadMetadata, Field: element, Received: e.Index,
				Message: "An " + element + " needs an index from 0 to 65535."}
		}
		ep.Index = i
		if e.IsDefault != "" {
			b, err := metadataBool("isDefault", e.IsDefault)
			if err != nil {
				return ep, err
			}
			ep.IsDefault = &b
		}
	}
	return ep, nil
}

// checkHTTPURL reports why s is not an absolute http or https URL without user information, if it is not.
func checkHTTPURL(s string) error {
	if s == "" {
		return errText("the location is empty")
	}
	if len(s) > 2048 {
		return errText("the URL is longer than 2048 characters")
	}
	u, err := url.Parse(s)
	if err != nil {
		return errText("the URL cannot be parsed")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return errText("the scheme " + strconv.Quote(u.Scheme) + " is not http or https")
	}
	if u.Host == "" || u.User != nil || strings.ContainsAny(s, " \t\r\n\x00") {
		return errText("the URL needs a host and no user information or spaces")
	}
	return nil
}

type errText string

func (e errText) Error() string { return string(e) }

// metadataBool parses an xs:boolean attribute of metadata; absent is false.
func metadataBool(field, s string) (bool, error) {
	switch strings.TrimSpace(s) {
	case "", "false", "0":
		return false, nil
	case "true", "1":
		return true, nil
	}
	return false, &Error{Code: CodeBadMetadata, Field: field, Received: s, Message: field + " must be true or false."}
}

// ParseCertificate reads the certificate of a metadata X509Certificate element, or one registered for an app, with
// certs.Parse, and checks that it holds an RSA key of at least 2048 bits. It does not check the validity period: SP
// metadata certificates are trusted as keys, and many SPs keep using a certificate past its date. Errors are *Error
// values with CodeBadMetadata and certs' message.
func ParseCertificate(text string) (*x509.Certificate, error) {
	c, err := certs.Parse([]byte(text))
	if err == nil {
		err = certs.Check(c, time.Time{})
	}
	if err != nil {
		return nil, &Error{Code: CodeBadMetadata, Field: "X509Certificate", Err: err, Message: gatehouse.ErrorMessage(err)}
	}
	return c, nil
}
