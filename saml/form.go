package saml

import (
	"encoding/base64"
	"errors"
	"html"
	"io"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// MaxRelayStateCeiling is the longest RelayState WritePostForm writes, whatever limit a directory configures.
const MaxRelayStateCeiling = 4096

// CheckRelayState returns a CodeRelayStateInvalid error when s is longer than max bytes, is not valid UTF-8, or
// holds control characters. Markup is allowed here: every page that shows or posts RelayState escapes it, and the
// IdP never redirects to it.
func CheckRelayState(s string, max int) error {
	if len(s) > max {
		return &Error{Code: CodeRelayStateInvalid, Field: "RelayState", Received: strconv.Itoa(len(s)) + " bytes",
			Expected: "at most " + strconv.Itoa(max) + " bytes", Status: StatusRequester,
			Message: "The RelayState is " + strconv.Itoa(len(s)) + " bytes long, more than the " + strconv.Itoa(max) + " bytes allowed."}
	}
	if !utf8.ValidString(s) {
		return &Error{Code: CodeRelayStateInvalid, Field: "RelayState", Status: StatusRequester,
			Message: "The RelayState is not valid UTF-8 text."}
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f {
			return &Error{Code: CodeRelayStateInvalid, Field: "RelayState", Status: StatusRequester,
				Message: "The RelayState holds control characters."}
		}
	}
	return nil
}

// formBuffers holds page buffers for reuse.
var formBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

// WritePostForm writes the HTML page that auto-submits SAMLResponse (base64 of response) and RelayState (left out
// when empty) by HTTP-POST to acsURL. Every value is HTML-escaped; the page's only script carries nonce (for a
// Content-Security-Policy "script-src 'nonce-…'"), and a <noscript> button submits without JavaScript. acsURL must
// be an http or https URL and relayState at most MaxRelayStateCeiling bytes (see CheckRelayState).
func WritePostForm(w io.Writer, acsURL string, response []byte, relayState, nonce string) error {
	return WritePostFormParam(w, acsURL, "SAMLResponse", response, relayState, nonce)
}

// WritePostFormParam is WritePostForm for any message: param is "SAMLResponse" or "SAMLRequest" (a LogoutRequest
// sent by the HTTP-POST binding).
func WritePostFormParam(w io.Writer, acsURL, param string, response []byte, relayState, nonce string) error {
	if param != "SAMLResponse" && param != "SAMLRequest" {
		return errors.New("saml: the form field must be SAMLResponse or SAMLRequest")
	}
	if !strings.HasPrefix(acsURL, "https://") && !strings.HasPrefix(acsURL, "http://") {
		return errors.New("saml: the ACS URL of a post form must be an http or https URL")
	}
	if err := CheckRelayState(relayState, MaxRelayStateCeiling); err != nil {
		return err
	}
	bp := formBuffers.Get().(*[]byte)
	defer formBuffers.Put(bp)
	b := (*bp)[:0]
	b = append(b, `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="referrer" content="no-referrer"><meta name="robots" content="noindex"><title>Signing in</title></head>
<body><form method="post" action="`...)
	b = append(b, html.EscapeString(acsURL)...)
	b = append(b, `" id="saml-post"><input type="hidden" name="`...)
	b = append(b, param...)
	b = append(b, `" value="`...)
	b = base64.StdEncoding.AppendEncode(b, response)
	b = append(b, `">`...)
	if relayState != "" {
		b = append(b, `<input type="hidden" name="RelayState" value="`...)
		b = append(b, html.EscapeString(relayState)...)
		b = append(b, `">`...)
	}
	b = append(b, `<noscript><p>JavaScript is turned off. Press Continue to finish signing in.</p><button type="submit">Continue</button></noscript></form>
<script nonce="`...)
	b = append(b, html.EscapeString(nonce)...)
	b = append(b, `">document.getElementById("saml-post").submit();</script></body></html>
`...)
	*bp = b
	_, err := w.Write(b)
	return err
}
