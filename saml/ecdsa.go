package saml

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"

	dsig "github.com/russellhaering/goxmldsig"
)

// SigAlgECDSASHA256 is the ECDSA-SHA256 signature method (RFC 4051), both the XML SignatureMethod and the SigAlg of
// the HTTP-Redirect binding.
const SigAlgECDSASHA256 = dsig.ECDSASHA256SignatureMethod

// xmldsigECDSA signs with an ECDSA key and returns the signature as XML Signature requires it (XML Signature 1.1,
// section 6.4.3; RFC 4050): the octets of r and then of s, each as long as the curve's order, not the ASN.1
// Ecdsa-Sig-Value that ecdsa.PrivateKey.Sign returns. goxmldsig (v1.6.1) signs with whatever a crypto.Signer returns
// and so would write the ASN.1 form, which xmlsec1, Santuario and the other XML Signature implementations refuse.
type xmldsigECDSA struct{ key *ecdsa.PrivateKey }

func (k xmldsigECDSA) Public() crypto.PublicKey { return k.key.Public() }

// Sign signs digest with crypto/ecdsa and returns r||s.
func (k xmldsigECDSA) Sign(rnd io.Reader, digest []byte, _ crypto.SignerOpts) ([]byte, error) {
	r, s, err := ecdsa.Sign(rnd, k.key, digest)
	if err != nil {
		return nil, fmt.Errorf("saml: ECDSA signature: %w", err)
	}
	n := (k.key.Curve.Params().N.BitLen() + 7) / 8
	out := make([]byte, 2*n)
	r.FillBytes(out[:n])
	s.FillBytes(out[n:])
	return out, nil
}

// newECDSASigningContext returns goxmldsig's signing context for key with ECDSA-SHA256 and exclusive C14N, like the
// RSA contexts. Its certificate chain is empty: signEnveloped adds the certificate to KeyInfo.
func newECDSASigningContext(key *ecdsa.PrivateKey) (*dsig.SigningContext, error) {
	ctx, err := dsig.NewSigningContext(xmldsigECDSA{key}, nil)
	if err != nil {
		return nil, fmt.Errorf("saml: ECDSA signing context: %w", err)
	}
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	ctx.Prefix = ""
	if err := ctx.SetSignatureMethod(SigAlgECDSASHA256); err != nil {
		return nil, fmt.Errorf("saml: ECDSA signing context: %w", err)
	}
	return ctx, nil
}

// SignatureMethod returns the signature method URI s signs with for algorithm (SHA256 or SHA1; "" means SHA256):
// RSA-SHA256 or RSA-SHA1 for an RSA key, ECDSA-SHA256 for an ECDSA key whatever algorithm says.
func (s *Signer) SignatureMethod(algorithm string) (string, error) {
	ctx, err := s.context(algorithm)
	if err != nil {
		return "", err
	}
	return ctx.GetSignatureMethodIdentifier(), nil
}

// signQuery signs the octets of an HTTP-Redirect binding query (which ends with the SigAlg that SignatureMethod
// returns) with the signature method of algorithm, and returns the signature in the form the method's XML Signature
// uses (r||s for ECDSA).
func (s *Signer) signQuery(algorithm string, query []byte) (sig []byte, err error) {
	ctx, err := s.context(algorithm)
	if err != nil {
		return nil, err
	}
	h := ctx.Hash.New()
	h.Write(query)
	digest := h.Sum(nil)
	switch k := s.Key.(type) {
	case *rsa.PrivateKey:
		sig, err = rsa.SignPKCS1v15(nil, k, ctx.Hash, digest)
	case *ecdsa.PrivateKey:
		sig, err = xmldsigECDSA{k}.Sign(nil, digest, ctx.Hash)
	default:
		err = errors.New("saml: the signing key is neither RSA nor ECDSA")
	}
	if err != nil {
		return nil, err
	}
	return sig, nil
}
