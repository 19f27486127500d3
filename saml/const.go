package saml

// Bindings, namespaces, status codes and authentication context classes of SAML 2.0.
const (
	BindingHTTPRedirect = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
	BindingHTTPPost     = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
	BindingHTTPArtifact = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact"

	NamespaceProtocol  = "urn:oasis:names:tc:SAML:2.0:protocol"
	NamespaceAssertion = "urn:oasis:names:tc:SAML:2.0:assertion"
	NamespaceMetadata  = "urn:oasis:names:tc:SAML:2.0:metadata"
	NamespaceDSig      = "http://www.w3.org/2000/09/xmldsig#"

	// Top-level status codes.
	StatusSuccess         = "urn:oasis:names:tc:SAML:2.0:status:Success"
	StatusRequester       = "urn:oasis:names:tc:SAML:2.0:status:Requester"
	StatusResponder       = "urn:oasis:names:tc:SAML:2.0:status:Responder"
	StatusVersionMismatch = "urn:oasis:names:tc:SAML:2.0:status:VersionMismatch"

	// Second-level status codes.
	StatusNoPassive           = "urn:oasis:names:tc:SAML:2.0:status:NoPassive"
	StatusInvalidNameIDPolicy = "urn:oasis:names:tc:SAML:2.0:status:InvalidNameIDPolicy"
	StatusNoAuthnContext      = "urn:oasis:names:tc:SAML:2.0:status:NoAuthnContext"
	StatusRequestDenied       = "urn:oasis:names:tc:SAML:2.0:status:RequestDenied"
	StatusAuthnFailed         = "urn:oasis:names:tc:SAML:2.0:status:AuthnFailed"
	StatusRequestUnsupported  = "urn:oasis:names:tc:SAML:2.0:status:RequestUnsupported"

	AuthnContextPassword                   = "urn:oasis:names:tc:SAML:2.0:ac:classes:Password"
	AuthnContextPasswordProtectedTransport = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
	AuthnContextUnspecified                = "urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified"

	// NameID formats (the same strings as the domain's constants).
	NameIDEmail       = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
	NameIDPersistent  = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
	NameIDTransient   = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
	NameIDUnspecified = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"

	// AttributeNameFormatURI is the NameFormat of attributes named by URI, such as the default claims.
	AttributeNameFormatURI = "urn:oasis:names:tc:SAML:2.0:attrname-format:uri"

	// Signing options and algorithms (the same strings as the domain's constants).
	SignAssertion = "assertion"
	SignResponse  = "response"
	SignBoth      = "both"
	SHA256        = "sha256"
	SHA1          = "sha1"
)

// Limits bound what a message or document may cost. MaxEncoded bounds the SAMLRequest value as received,
// MaxInflated its decoded (and, for the HTTP-Redirect binding, inflated) XML, MaxDepth the element nesting,
// MaxElements the number of elements, MaxAttrLen the length of one attribute value or text, MaxNamespaces the number
// of namespace declarations (xmlns attributes) in the whole document, and MaxRelayState the RelayState in bytes.
// Every XML document the package reads is checked against one Limits value by the same scanner (xmlcheck.go):
// DefaultLimits for protocol messages, MetadataLimits for SP metadata.
type Limits struct {
	MaxEncoded    int
	MaxInflated   int
	MaxDepth      int
	MaxElements   int
	MaxAttrLen    int
	MaxNamespaces int
	MaxRelayState int
}

// DefaultLimits are the limits of protocol messages unless a directory raises them: the encoded SAMLRequest at
// most 64 KiB, the XML at most 256 KiB, nesting at most 64 levels, at most 2000 elements, attribute values and
// texts at most 8 KiB, at most 100 namespace declarations (a signed request from a real SP has fewer than 10), and
// RelayState at most 80 bytes as the bindings specification asks.
var DefaultLimits = Limits{
	MaxEncoded:    64 << 10,
	MaxInflated:   256 << 10,
	MaxDepth:      64,
	MaxElements:   2000,
	MaxAttrLen:    8 << 10,
	MaxNamespaces: 100,
	MaxRelayState: 80,
}

// MetadataLimits bound an SP metadata document: larger than a message (MaxMetadataSize), since certificates are
// long texts and some products (AD FS) list hundreds of claim types, each with its own namespace declaration.
// MaxEncoded and MaxRelayState do not apply.
var MetadataLimits = Limits{
	MaxInflated:   MaxMetadataSize,
	MaxDepth:      32,
	MaxElements:   20000,
	MaxAttrLen:    64 << 10,
	MaxNamespaces: 5000,
}

// orDefault returns lim with each zero field replaced by its default.
func (lim Limits) orDefault() Limits {
	d := DefaultLimits
	if lim.MaxEncoded > 0 {
		d.MaxEncoded = lim.MaxEncoded
	}
	if lim.MaxInflated > 0 {
		d.MaxInflated = lim.MaxInflated
	}
	if lim.MaxDepth > 0 {
		d.MaxDepth = lim.MaxDepth
	}
	if lim.MaxElements > 0 {
		d.MaxElements = lim.MaxElements
	}
	if lim.MaxAttrLen > 0 {
		d.MaxAttrLen = lim.MaxAttrLen
	}
	if lim.MaxNamespaces > 0 {
		d.MaxNamespaces = lim.MaxNamespaces
	}
	if lim.MaxRelayState > 0 {
		d.MaxRelayState = lim.MaxRelayState
	}
	return d
}
