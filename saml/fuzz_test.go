package saml

import (
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
	f.Fuzz(func(t *testing.T, xml []byte, relayState string) {
		m, err := DecodePost(base64.StdEncoding.EncodeToString(xml), relayState, fuzzLimits)
		checkFuzzResult(t, m, err)
	})
}
