package saml

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

// Signer signs with an RSA key (RSA-SHA256, or RSA-SHA1 when asked) or an ECDSA P-256 key (ECDSA-SHA256) and
// publishes its certificate in KeyInfo. Build it with NewSigner or as a literal; the signing contexts are made once,
// on first use, and a Signer may then be used concurrently. A Signer must not be copied after first use.
type Signer struct {
	// Key is an *rsa.PrivateKey of at least 2048 bits or an *ecdsa.PrivateKey on P-256.
	Key  crypto.Signer
	Cert *x509.Certificate

	once       sync.Once
	err        error
	sha256     *dsig.SigningContext
	sha1       *dsig.SigningContext // nil for an ECDSA key, which signs with SHA-256 only
	certBase64 string               // the certificate as KeyInfo carries it, encoded once
}

// NewSigner returns a Signer for key and cert, checking that cert holds key's public half and that the key is RSA
// of at least 2048 bits or ECDSA on P-256.
func NewSigner(key crypto.Signer, cert *x509.Certificate) (*Signer, error) {
	s := &Signer{Key: key, Cert: cert}
	if err := s.init(); err != nil {
		return nil, err
	}
	return s, nil
}

// keyStore hands goxmldsig an RSA key. Its certificate chain is empty, so goxmldsig writes an empty X509Data;
// signEnveloped then adds the certificate, encoded once per Signer. KeyInfo is not covered by the signature, so
// adding to it after signing changes nothing that is signed.
type keyStore struct {
	key  *rsa.PrivateKey
	cert []byte
}

func (k keyStore) GetKeyPair() (*rsa.PrivateKey, []byte, error) { return k.key, k.cert, nil }

func (k keyStore) GetChain() ([][]byte, error) { return [][]byte{}, nil }

// init checks the key and builds the signing contexts.
func (s *Signer) init() error {
	s.once.Do(func() {
		if s.Key == nil || s.Cert == nil {
			s.err = errors.New("saml: signer needs a key and a certificate")
			return
		}
		type publicKey interface{ Equal(crypto.PublicKey) bool }
		if pub, ok := s.Cert.PublicKey.(publicKey); !ok || !pub.Equal(s.Key.Public()) {
			s.err = errors.New("saml: the certificate does not hold the signing key's public key")
			return
		}
		s.certBase64 = base64.StdEncoding.EncodeToString(s.Cert.Raw)
		switch k := s.Key.(type) {
		case *rsa.PrivateKey:
			if k.N.BitLen() < 2048 {
				s.err = fmt.Errorf("saml: signing key has %d bits, fewer than 2048", k.N.BitLen())
				return
			}
			s.sha256 = newSigningContext(keyStore{k, s.Cert.Raw})
			s.sha1 = newSigningContext(keyStore{k, s.Cert.Raw})
			s.err = s.sha1.SetSignatureMethod(dsig.RSASHA1SignatureMethod)
		case *ecdsa.PrivateKey:
			if k.Curve != elliptic.P256() {
				s.err = fmt.Errorf("saml: the ECDSA signing key is on %s, not P-256", k.Curve.Params().Name)
				return
			}
			s.sha256, s.err = newECDSASigningContext(k)
		default:
			s.err = fmt.Errorf("saml: a %T signing key is neither RSA nor ECDSA", s.Key)
		}
	})
	return s.err
}

func newSigningContext(ks dsig.X509KeyStore) *dsig.SigningContext {
	ctx := dsig.NewDefaultSigningContext(ks)
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	ctx.Prefix = ""
	return ctx
}

// context returns the signing context for algorithm ("" means SHA256). An ECDSA key signs with SHA-256 whatever
// algorithm says: SHA1 is a choice for RSA keys only.
func (s *Signer) context(algorithm string) (*dsig.SigningContext, error) {
	if s == nil {
		return nil, errors.New("saml: no signer")
	}
	if err := s.init(); err != nil {
		return nil, err
	}
	switch algorithm {
	case "", SHA256:
		return s.sha256, nil
	case SHA1:
		if s.sha1 == nil {
			return s.sha256, nil
		}
		return s.sha1, nil
	}
	return nil, fmt.Errorf("saml: signing algorithm %q is unknown; choose sha256 or sha1", algorithm)
}

// Attribute is one attribute of the AttributeStatement. NameFormat is omitted from the XML when empty.
type Attribute struct {
	Name       string
	NameFormat string
	Values     []string
}

// ResponseParams are the parameters of one Response.
type ResponseParams struct {
	SP *ServiceProvider
	// ACSURL is the resolved ACS URL (see ServiceProvider.ResolveACS).
	ACSURL string
	// InResponseTo is the AuthnRequest's ID; "" for IdP-initiated sign-on.
	InResponseTo string
	NameID       string
	// NameIDFormat defaults to SP.NameIDFormat, then to unspecified.
	NameIDFormat string
	Attributes   []Attribute
	// AuthnInstant is when the user signed in; zero means now.
	AuthnInstant time.Time
	SessionIndex string
	// AuthnContextClassRef defaults to AuthnContextPassword.
	AuthnContextClassRef string
	// SessionNotOnOrAfter is omitted when zero.
	SessionNotOnOrAfter time.Time
}

// timeFormat is the xs:dateTime layout of every instant the IdP writes: UTC with milliseconds.
const timeFormat = "2006-01-02T15:04:05.000Z"

// The Response follows Entra ID's layout, which every SP that works with Entra ID reads: protocol elements carry
// the samlp prefix, while the Issuer, the Assertion and the Signature declare their namespace as the default one.
// Unprefixed elements also cost nothing to name when goxmldsig canonicalizes and etree writes them.
const (
	prefixProtocol  = "samlp"
	prefixAssertion = ""
	bearer          = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
)

// Respond builds the Response for p, signs it per p.SP.SigningOption and p.SP.SigningAlgorithm, and returns its
// XML. The assertion is valid from Skew before now until Lifetime after now.
func (idp *IdentityProvider) Respond(p *ResponseParams, s *Signer) ([]byte, error) {
	if p.SP == nil || p.ACSURL == "" || p.NameID == "" {
		return nil, errors.New("saml: respond needs a service provider, an ACS URL and a NameID")
	}
	signAssertion, signResponse, err := signingParts(p.SP.SigningOption)
	if err != nil {
		return nil, err
	}
	ctx, err := s.context(p.SP.SigningAlgorithm)
	if err != nil {
		return nil, err
	}
	ids, err := idp.newIDs(2)
	if err != nil {
		return nil, err
	}
	now := idp.now()
	issued := now.Format(timeFormat)
	notOnOrAfter := now.Add(durationOr(idp.Lifetime, 5*time.Minute)).Format(timeFormat)

	nvalues := 0
	for _, attr := range p.Attributes {
		nvalues += len(attr.Values)
	}
	t := newTree(17+len(p.Attributes)+nvalues, 22+2*len(p.Attributes), 23+len(p.Attributes)+2*nvalues, 5+nvalues)
	resp := idp.newResponse(t, ids[0], issued, p.ACSURL, p.InResponseTo)
	st := t.element(resp, prefixProtocol, "Status", 0, 1)
	t.element(st, prefixProtocol, "StatusCode", 1, 0).CreateAttr("Value", StatusSuccess)

	// Issuer, Signature, Subject, Conditions, AuthnStatement, AttributeStatement.
	a := t.element(resp, prefixAssertion, "Assertion", 4, 6)
	a.CreateAttr("xmlns", NamespaceAssertion)
	a.CreateAttr("ID", ids[1])
	a.CreateAttr("IssueInstant", issued)
	a.CreateAttr("Version", "2.0")
	t.text(t.element(a, prefixAssertion, "Issuer", 0, 1), idp.EntityID)

	subj := t.element(a, prefixAssertion, "Subject", 0, 2)
	nid := t.element(subj, prefixAssertion, "NameID", 1, 1)
	format := p.NameIDFormat
	if format == "" {
		format = p.SP.NameIDFormat
	}
	if format == "" {
		format = NameIDUnspecified
	}
	nid.CreateAttr("Format", format)
	t.text(nid, p.NameID)
	sc := t.element(subj, prefixAssertion, "SubjectConfirmation", 1, 1)
	sc.CreateAttr("Method", bearer)
	scd := t.element(sc, prefixAssertion, "SubjectConfirmationData", 3, 0)
	if p.InResponseTo != "" {
		scd.CreateAttr("InResponseTo", p.InResponseTo)
	}
	scd.CreateAttr("NotOnOrAfter", notOnOrAfter)
	scd.CreateAttr("Recipient", p.ACSURL)

	cond := t.element(a, prefixAssertion, "Conditions", 2, 1)
	cond.CreateAttr("NotBefore", now.Add(-durationOr(idp.Skew, time.Minute)).Format(timeFormat))
	cond.CreateAttr("NotOnOrAfter", notOnOrAfter)
	ar := t.element(cond, prefixAssertion, "AudienceRestriction", 0, 1)
	t.text(t.element(ar, prefixAssertion, "Audience", 0, 1), p.SP.EntityID)

	as := t.element(a, prefixAssertion, "AuthnStatement", 3, 1)
	authnInstant := p.AuthnInstant
	if authnInstant.IsZero() {
		authnInstant = now
	}
	as.CreateAttr("AuthnInstant", authnInstant.UTC().Format(timeFormat))
	if p.SessionIndex != "" {
		as.CreateAttr("SessionIndex", p.SessionIndex)
	}
	if !p.SessionNotOnOrAfter.IsZero() {
		as.CreateAttr("SessionNotOnOrAfter", p.SessionNotOnOrAfter.UTC().Format(timeFormat))
	}
	ac := t.element(as, prefixAssertion, "AuthnContext", 0, 1)
	ref := p.AuthnContextClassRef
	if ref == "" {
		ref = AuthnContextPassword
	}
	t.text(t.element(ac, prefixAssertion, "AuthnContextClassRef", 0, 1), ref)

	if len(p.Attributes) > 0 {
		stmt := t.element(a, prefixAssertion, "AttributeStatement", 0, len(p.Attributes))
		for _, attr := range p.Attributes {
			el := t.element(stmt, prefixAssertion, "Attribute", 2, len(attr.Values))
			el.CreateAttr("Name", attr.Name)
			if attr.NameFormat != "" {
				el.CreateAttr("NameFormat", attr.NameFormat)
			}
			for _, v := range attr.Values {
				t.text(t.element(el, prefixAssertion, "AttributeValue", 0, 1), v)
			}
		}
	}

	if signAssertion {
		if err := s.signEnveloped(ctx, a); err != nil {
			return nil, err
		}
	}
	if p.SP.EncryptionCert != nil {
		ea, err := encryptAssertion(a, p.SP.EncryptionCert, p.SP.EncryptionMethods)
		if err != nil {
			return nil, err
		}
		resp.RemoveChild(a)
		resp.AddChild(ea)
	}
	if signResponse {
		if err := s.signEnveloped(ctx, resp); err != nil {
			return nil, err
		}
	}
	return serialize(resp), nil
}

// ErrorResponse builds a signed Response carrying e's Status and SubStatus (Responder when e has none) and e's
// Message as StatusMessage, with no assertion, for a passive request without a session, an unsupported NameID
// policy or authentication context, or a denied request. Send it only to a registered ACS URL.
func (idp *IdentityProvider) ErrorResponse(sp *ServiceProvider, acsURL, inResponseTo string, e *Error, s *Signer) ([]byte, error) {
	if sp == nil || acsURL == "" || e == nil {
		return nil, errors.New("saml: error response needs a service provider, an ACS URL and an error")
	}
	ctx, err := s.context(sp.SigningAlgorithm)
	if err != nil {
		return nil, err
	}
	ids, err := idp.newIDs(1)
	if err != nil {
		return nil, err
	}
	t := newTree(6, 10, 8, 2)
	resp := idp.newResponse(t, ids[0], idp.now().Format(timeFormat), acsURL, inResponseTo)
	st := t.element(resp, prefixProtocol, "Status", 0, 2)
	code := t.element(st, prefixProtocol, "StatusCode", 1, 1)
	status := e.Status
	if status == "" {
		status = StatusResponder
	}
	code.CreateAttr("Value", status)
	if e.SubStatus != "" {
		t.element(code, prefixProtocol, "StatusCode", 1, 0).CreateAttr("Value", e.SubStatus)
	}
	if e.Message != "" {
		t.text(t.element(st, prefixProtocol, "StatusMessage", 0, 1), e.Message)
	}
	if err := s.signEnveloped(ctx, resp); err != nil {
		return nil, err
	}
	return serialize(resp), nil
}

// newResponse returns a samlp:Response element with its attributes and Issuer.
func (idp *IdentityProvider) newResponse(t *tree, id, issued, destination, inResponseTo string) *etree.Element {
	// Issuer, Signature, Status, Assertion.
	resp := t.element(nil, prefixProtocol, "Response", 6, 4)
	resp.CreateAttr("xmlns:"+prefixProtocol, NamespaceProtocol)
	resp.CreateAttr("Destination", destination)
	resp.CreateAttr("ID", id)
	if inResponseTo != "" {
		resp.CreateAttr("InResponseTo", inResponseTo)
	}
	resp.CreateAttr("IssueInstant", issued)
	resp.CreateAttr("Version", "2.0")
	iss := t.element(resp, prefixAssertion, "Issuer", 1, 1)
	iss.CreateAttr("xmlns", NamespaceAssertion)
	t.text(iss, idp.EntityID)
	return resp
}

// signEnveloped signs el with an enveloped signature, places the signature right after el's Issuer, as the
// schema orders it, and puts the signer's certificate in the signature's KeyInfo.
func (s *Signer) signEnveloped(ctx *dsig.SigningContext, el *etree.Element) error {
	sig, err := ctx.ConstructSignature(el, true)
	if err != nil {
		return fmt.Errorf("saml: sign %s: %w", el.Tag, err)
	}
	x509Data := lastChild(lastChild(sig, "KeyInfo"), "X509Data")
	if x509Data == nil {
		return fmt.Errorf("saml: sign %s: the signature has no KeyInfo/X509Data", el.Tag)
	}
	t := newTree(1, 0, 1, 1)
	t.text(t.element(x509Data, ctx.Prefix, "X509Certificate", 0, 1), s.certBase64)
	el.InsertChildAt(1, sig)
	return nil
}

// lastChild returns el's last child if it is an element named tag, and nil otherwise.
func lastChild(el *etree.Element, tag string) *etree.Element {
	if el == nil || len(el.Child) == 0 {
		return nil
	}
	c, ok := el.Child[len(el.Child)-1].(*etree.Element)
	if !ok || c.Tag != tag {
		return nil
	}
	return c
}

// serializeBuffers holds serialization buffers for reuse.
var serializeBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// serialize writes el as XML into a slice of exactly its size.
func serialize(el *etree.Element) []byte {
	buf := serializeBuffers.Get().(*bytes.Buffer)
	defer serializeBuffers.Put(buf)
	buf.Reset()
	el.WriteTo(buf, &etree.WriteSettings{})
	return bytes.Clone(buf.Bytes())
}

// signingParts reports which parts option signs.
func signingParts(option string) (assertion, response bool, err error) {
	switch option {
	case "", SignAssertion:
		return true, false, nil
	case SignResponse:
		return false, true, nil
	case SignBoth:
		return true, true, nil
	}
	return false, false, fmt.Errorf("saml: signing option %q is unknown; choose assertion, response or both", option)
}

// newIDs returns n IDs, each "_" followed by 128 random bits in hex.
func (idp *IdentityProvider) newIDs(n int) ([]string, error) {
	var b [64]byte
	raw := b[:16*n]
	if _, err := io.ReadFull(idp.rand(), raw); err != nil {
		return nil, fmt.Errorf("saml: read random ID: %w", err)
	}
	ids := make([]string, n)
	var h [33]byte
	h[0] = '_'
	for i := range ids {
		hex.Encode(h[1:], raw[16*i:16*i+16])
		ids[i] = string(h[:])
	}
	return ids, nil
}
