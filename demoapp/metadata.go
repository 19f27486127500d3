package demoapp

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/crewjam/saml"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/certs"
)

// maxMetadataSize bounds a fetched federation metadata document.
const maxMetadataSize = 1 << 20

// idpMetadata is what the app takes from an IdP's federation metadata.
type idpMetadata struct {
	EntityID string
	SSOURL   string
	Cert     *x509.Certificate
}

// defaultHTTPClient fetches metadata: a short timeout and at most three redirects.
func defaultHTTPClient() *http.Client {
	return &http.Client{
		Timeout: 10 * time.Second,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 3 {
				return errors.New("too many redirects")
			}
			if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
				return errors.New("redirect to a URL that is not http or https")
			}
			return nil
		},
	}
}

// fetchIdPMetadata downloads the IdP's federation metadata (such as Gatehouse's App Federation Metadata URL) and
// returns its entity ID, its HTTP-Redirect sign-on URL and its first signing certificate. Failures are EINVALID
// *Errors that say what is wrong.
func (a *App) fetchIdPMetadata(ctx context.Context, rawURL string) (*idpMetadata, error) {
	invalid := func(format string, args ...any) *Error {
		return &Error{Code: EINVALID, Check: "metadata-url", Message: "Federation metadata URL: " + fmt.Sprintf(format, args...)}
	}
	if msg := checkHTTPURL(rawURL); msg != "" {
		return nil, invalid("%s", msg)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, invalid("the URL cannot be fetched.")
	}
	req.Header.Set("Accept", "application/samlmetadata+xml, application/xml, text/xml")
	resp, err := a.httpClient.Do(req)
	if err != nil {
		a.log.Info("fetch IdP metadata", "url", rawURL, "err", err)
		return nil, invalid("could not fetch it (%s).", shortReason(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, invalid("the server answered %s.", resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxMetadataSize+1))
	if err != nil {
		return nil, invalid("could not read it (%s).", shortReason(err))
	}
	if len(body) > maxMetadataSize {
		return nil, invalid("the document is larger than 1 MiB.")
	}
	return parseIdPMetadata(body, a.now())
}

// parseIdPMetadata reads an EntityDescriptor with an IDPSSODescriptor.
func parseIdPMetadata(body []byte, now time.Time) (*idpMetadata, error) {
	invalid := func(format string, args ...any) *Error {
		return &Error{Code: EINVALID, Check: "metadata-url", Message: "Federation metadata URL: " + fmt.Sprintf(format, args...)}
	}
	if bytes.Contains(body, []byte("<!DOCTYPE")) || bytes.Contains(body, []byte("<!ENTITY")) {
		return nil, invalid("the document has a DOCTYPE or entity declarations, which are refused.")
	}
	var ed saml.EntityDescriptor
	if err := xml.Unmarshal(body, &ed); err != nil {
		return nil, invalid("this is not SAML federation metadata (an EntityDescriptor).")
	}
	if ed.EntityID == "" || len(ed.IDPSSODescriptors) != 1 {
		return nil, invalid("the metadata has no entityID or not exactly one IDPSSODescriptor.")
	}
	d := ed.IDPSSODescriptors[0]
	md := &idpMetadata{EntityID: strings.TrimSpace(ed.EntityID)}
	for _, s := range d.SingleSignOnServices {
		if s.Binding == saml.HTTPRedirectBinding {
			md.SSOURL = strings.TrimSpace(s.Location)
			break
		}
	}
	if md.SSOURL == "" {
		return nil, invalid("the metadata has no SingleSignOnService with the HTTP-Redirect binding.")
	}
	if msg := checkHTTPURL(md.SSOURL); msg != "" {
		return nil, invalid("its sign-on URL: %s", msg)
	}
	for _, kd := range d.KeyDescriptors {
		if kd.Use != "" && kd.Use != "signing" {
			continue
		}
		for _, c := range kd.KeyInfo.X509Data.X509Certificates {
			cert, err := certs.Parse([]byte(c.Data))
			if err != nil {
				return nil, invalid("its signing certificate cannot be read: %s", gatehouse.ErrorMessage(err))
			}
			cert, err = checkIdPCertificate(cert, now)
			if err != nil {
				var e *Error
				if errors.As(err, &e) {
					return nil, invalid("its signing certificate is refused: %s", e.Message)
				}
				return nil, err
			}
			md.Cert = cert
			return md, nil
		}
	}
	return nil, invalid("the metadata has no signing certificate.")
}
