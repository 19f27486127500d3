package saml

import (
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"testing"
)

// fuzzLimits are small limits, so each input costs little work however it is shaped.
var fuzzLimits = Limits{MaxEncoded: 16 << 10, MaxInflated: 32 << 10, MaxDepth: 32, MaxElements: 256, MaxAttrLen: 1024, MaxRelayState: 80}

// checkFuzzResult fails unless exactly one of m and err is set, and err is an *Error.
func checkFuzzResult(t *testing.T, m *Message, err error) {
	if err != nil {
		var e *Error
		if !errors.As(err, &e) || e.Code == "" || e.Message == "" {
			t.Fatalf("error %v is not a *saml.Error with a code and a message", err)
		}
		if m != nil {
			t.Fatal("both a message and an error")
		}
		return
	}
	if m == nil || m.Request == nil || m.Request.ID == "" || m.Request.Version != "2.0" {
		t.Fatalf("accepted a message without a valid request: %+v", m)
	}
	if len(m.Request.Raw) > fuzzLimits.MaxInflated {
		t.Fatalf("accepted %d bytes of XML, over the limit", len(m.Request.Raw))
	}
}

func FuzzDecodeRedirect(f *testing.F) {
	f.Add(redirectQuery(f, requestXML(), "relay"))
	f.Add("SAMLRequest=" + deflateBase64(f, `<AuthnRequest xmlns="urn:oasis:names:tc:SAML:2.0:protocol" ID="a" Version="2.0"><a><b/></a></AuthnRequest>`) + "&SigAlg=x&Signature=c2ln")
	f.Add("SAMLRequest=" + deflateBase64(f, `<!DOCTYPE x [<!ENTITY e "e">]><x>&e;</x>`))
	f.Add("SAMLRequest=%zz&RelayState=%")
	f.Fuzz(func(t *testing.T, query string) {
		m, err := DecodeRedirect(query, fuzzLimits)
		checkFuzzResult(t, m, err)
	})
}

func FuzzDecodePost(f *testing.F) {
	f.Add([]byte(requestXML()), "relay")
	f.Add([]byte(`<?xml version="1.0"?><AuthnRequest xmlns="urn:oasis:names:tc:SAML:2.0:protocol" ID="a" Version="2.0"/>`), "")
	f.Add([]byte(`<!DOCTYPE x SYSTEM "http://127.0.0.1/x"><x/>`), "")
	f.Add([]byte("\xff\xfe<"), "<script>")
	f.Add([]byte(requestXML(`ID="`+testRequestID+`"`, `ID="a" ID="b"`)), "")
	f.Add([]byte(requestXML(`<saml:Issuer>https://`, `<saml:Issuer>https://<!---->`)), "")
	f.Add([]byte(requestXML(`Version="2.0"`, `Version="2.0" xmlns:a="urn:x" xmlns:b="urn:x" a:z="1" b:z="2"`)), "")
	f.Fuzz(func(t *testing.T, xml []byte, relayState string) {
		m, err := DecodePost(base64.StdEncoding.EncodeToString(xml), relayState, fuzzLimits)
		checkFuzzResult(t, m, err)
	})
}

func FuzzDecodeLogoutRequest(f *testing.F) {
	f.Add(redirectQuery(f, logoutXML(), "relay"), false)
	f.Add(redirectQuery(f, logoutXML(`<samlp:SessionIndex>_s1</samlp:SessionIndex>`, ""), ""), false)
	f.Add("SAMLResponse="+deflateBase64(f, `<samlp:LogoutResponse xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="r" Version="2.0"><samlp:Status><samlp:StatusCode Value="x"/></samlp:Status></samlp:LogoutResponse>`), false)
	f.Add("SAMLRequest="+deflateBase64(f, `<LogoutRequest xmlns="urn:oasis:names:tc:SAML:2.0:protocol" ID="a" Version="2.0"><NameID xmlns="urn:oasis:names:tc:SAML:2.0:assertion">n</NameID></LogoutRequest>`)+"&SigAlg=x&Signature=c2ln", false)
	f.Add(logoutXML(), true)
	f.Add(`<!DOCTYPE x [<!ENTITY e "e">]><samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">&e;</samlp:LogoutRequest>`, true)
	f.Fuzz(func(t *testing.T, in string, post bool) {
		var m *Message
		var err error
		if post {
			m, err = DecodePostAny(base64.StdEncoding.EncodeToString([]byte(in)), "", "", fuzzLimits)
		} else {
			m, err = DecodeRedirectAny(in, fuzzLimits)
		}
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Code == "" || e.Message == "" || m != nil {
				t.Fatalf("error %v is not a *saml.Error with a code and a message, or came with a message", err)
			}
			return
		}
		switch {
		case m.Logout != nil:
			if m.Logout.ID == "" || m.Logout.Version != "2.0" || len(m.Logout.Raw) > fuzzLimits.MaxInflated {
				t.Fatalf("accepted an invalid LogoutRequest: %+v", m.Logout)
			}
			_ = testIdP(t).ValidateLogoutRequest(m.Logout)
		case m.LogoutResponse != nil:
			if m.LogoutResponse.Version != "2.0" {
				t.Fatalf("accepted an invalid LogoutResponse: %+v", m.LogoutResponse)
			}
		case m.Request == nil || m.Request.ID == "":
			t.Fatalf("accepted a message without content: %+v", m)
		}
	})
}

func FuzzParseSPMetadata(f *testing.F) {
	f.Add([]byte(spMetadataXML(f)))
	f.Add([]byte(spMetadataXML(f, `index="7"`, `index="7" isDefault="true"`)))
	f.Add([]byte(`<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"><md:EntityDescriptor entityID="x"/></md:EntitiesDescriptor>`))
	f.Add([]byte(`<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="e"><md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://a/" index="0" isDefault="false"/></md:SPSSODescriptor></md:EntityDescriptor>`))
	f.Add([]byte(`<!DOCTYPE x><x/>`))
	f.Add([]byte(spMetadataXML(f, `<md:KeyDescriptor>`, `<!-- key --><md:KeyDescriptor>`)))
	f.Add([]byte(spMetadataXML(f, `transient<`, `trans<!-- x -->ient<`)))
	f.Fuzz(func(t *testing.T, data []byte) {
		md, err := ParseSPMetadata(data)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Code == "" || e.Message == "" || md != nil {
				t.Fatalf("error %v is not a *saml.Error with a code and a message, or came with metadata", err)
			}
			return
		}
		if md.EntityID == "" || len(md.ACS) == 0 || len(md.ACS) > 32 {
			t.Fatalf("accepted metadata without an entity ID or a usable ACS: %+v", md)
		}
		for _, e := range append(append([]Endpoint{}, md.ACS...), md.SLO...) {
			if checkHTTPURL(e.Location) != nil {
				t.Fatalf("accepted endpoint %q", e.Location)
			}
		}
	})
}

func FuzzParseCertificate(f *testing.F) {
	f.Add(base64.StdEncoding.EncodeToString(testCert(f).Raw))
	f.Add("MIIB\n  AAAA\t==")
	f.Add(base64.StdEncoding.EncodeToString([]byte("garbage")))
	f.Add("")
	f.Fuzz(func(t *testing.T, b64 string) {
		c, err := ParseCertificate(b64)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Code != CodeBadMetadata || e.Message == "" || c != nil {
				t.Fatalf("error %v is not a CodeBadMetadata *saml.Error, or came with a certificate", err)
			}
			return
		}
		if k, ok := c.PublicKey.(*rsa.PublicKey); !ok || k.N.BitLen() < 2048 {
			t.Fatalf("accepted a certificate without an RSA key of 2048 bits: %T", c.PublicKey)
		}
	})
}
