package idp

import (
	"context"
	"errors"

	"github.com/beevik/etree"
	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/saml"
)

// Preview is the SAML Response a user would receive at an app right now, built and signed by the same code as a
// real IdP-initiated sign-in, with its main parts taken back out of the XML so they can be shown readably.
type Preview struct {
	AppID    string `json:"appId"`
	UserID   string `json:"userId"`
	UserName string `json:"userName"`
	// Issuer is the IdP's entity ID; Audience the app's Identifier; Destination the reply URL the Response goes to.
	Issuer       string `json:"issuer"`
	Audience     string `json:"audience"`
	Destination  string `json:"destination"`
	NameID       string `json:"nameId"`
	NameIDFormat string `json:"nameIdFormat"`
	// Claims are the attributes of the assertion, in order.
	Claims       []PreviewClaim `json:"claims"`
	NotBefore    string         `json:"notBefore"`
	NotOnOrAfter string         `json:"notOnOrAfter"`
	AuthnContext string         `json:"authnContext"`
	// SigningOption and SigningAlgorithm say what is signed and how.
	SigningOption    string `json:"signingOption"`
	SigningAlgorithm string `json:"signingAlgorithm"`
	// Problems are the reasons a real sign-in of this user to this app would fail now (not assigned, app disabled,
	// no reply URL, ...), each with its Gatehouse code. The preview is built anyway wherever possible.
	Problems []PreviewProblem `json:"problems"`
	// MissingClaims are the claims the assertion leaves out because the user has no value for them, and the
	// claims the app's template requires that the app does not send (see ClaimGap).
	MissingClaims []ClaimGap `json:"missingClaims"`
	// XML is the signed Response exactly as it would be posted (before base64 encoding); empty when it cannot be
	// built (the user has no value for the NameID source).
	XML string `json:"xml"`
	// Protocol is "oidc" for an OpenID Connect app, whose preview is the claims of its ID token (IDToken, with every
	// scope granted): NameID is then the subject, Audience the client ID and Destination the first redirect URI.
	Protocol string         `json:"protocol,omitempty"`
	IDToken  map[string]any `json:"idToken,omitempty"`
}

// PreviewClaim is one attribute of a previewed assertion.
type PreviewClaim struct {
	Name       string   `json:"name"`
	NameFormat string   `json:"nameFormat,omitempty"`
	Values     []string `json:"values"`
}

// PreviewProblem is a reason a real sign-in would fail.
type PreviewProblem struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// previewACS stands in for the reply URL of an app that has none yet, so its assertion can still be previewed.
const previewACS = "https://reply-url-not-configured.invalid/"

// PreviewAssertion builds the Response that the user would receive at the app with IdP-initiated sign-on now, and
// signs it with the app's active certificate, without sending it anywhere or writing the sign-in log. Any admin of
// the directory may preview. ENOTFOUND when the app or the user is not in the directory.
func (s *Service) PreviewAssertion(ctx context.Context, actor *gatehouse.User, dirID, appID, userID string) (*Preview, error) {
	if err := s.Authorize(ctx, actor, dirID, ReadDirectory); err != nil {
		return nil, err
	}
	app, err := s.store.FindApp(ctx, dirID, appID)
	if err != nil {
		return nil, err
	}
	u, err := s.store.FindUser(ctx, dirID, userID)
	if err != nil {
		return nil, err
	}
	if app.IsOIDC() && app.OIDC != nil {
		return s.previewOIDC(ctx, app, u)
	}
	p := &Preview{
		AppID: app.ID, UserID: u.ID, UserName: u.UserName, Audience: app.SAML.EntityID,
		SigningOption: app.SAML.SigningOption, SigningAlgorithm: app.SAML.SigningAlgorithm,
		Problems: []PreviewProblem{}, Claims: []PreviewClaim{}, MissingClaims: []ClaimGap{},
	}
	gaps, err := s.claimGaps(ctx, app, u)
	if err != nil {
		return nil, err
	}
	for _, g := range gaps {
		if !g.NameID { // a NameID without a value is one of the Problems
			p.MissingClaims = append(p.MissingClaims, g)
		}
	}
	p.Issuer, _, _ = s.Endpoints(dirID)
	if err := s.checkAccess(ctx, app, u); err != nil {
		if !addProblem(p, err) {
			return nil, err
		}
	}
	if app.SAML.EntityID == "" {
		p.Problems = append(p.Problems, PreviewProblem{Code: saml.CodeUnknownIssuer,
			Message: "The app has no Identifier (Entity ID), so the assertion has an empty Audience and no app would accept it. Set it in Basic SAML configuration."})
	}
	pr := &gatehouse.SignInRequest{DirectoryID: dirID, AppID: app.ID, RelayState: app.SAML.RelayState, ACSURL: previewACS}
	if len(app.SAML.ReplyURLs) > 0 {
		pr.ACSURL = app.SAML.ReplyURLs[0]
	} else {
		p.Problems = append(p.Problems, PreviewProblem{Code: saml.CodeNoReplyURL,
			Message: "The app has no Reply URL, so there is nowhere to send the sign-in; the preview uses a placeholder. Add one in Basic SAML configuration."})
	}
	p.Destination = pr.ACSURL
	// A session as a password sign-in at this moment creates it.
	now := s.now()
	sess := &gatehouse.Session{ID: hashSecret(s.newSecret()), DirectoryID: dirID, UserID: u.ID, CreatedAt: now, AuthnInstant: now, LastSeenAt: now}
	params, err := s.responseParams(app, pr, sess, u)
	if err != nil {
		if !addProblem(p, err) {
			return nil, err
		}
		return p, nil
	}
	signer, err := s.signer(ctx, dirID, app.ID)
	if err != nil {
		if !addProblem(p, err) {
			return nil, err
		}
		return p, nil
	}
	xml, err := s.identity(dirID).Respond(params, signer)
	if err != nil {
		return nil, gatehouse.Internal(err)
	}
	p.XML = string(xml)
	if err := p.readBack(xml); err != nil {
		return nil, gatehouse.Internal(err)
	}
	return p, nil
}

// addProblem records a sign-on policy failure and reports whether err was one.
func addProblem(p *Preview, err error) bool {
	var se *saml.Error
	if !errors.As(err, &se) {
		return false
	}
	p.Problems = append(p.Problems, PreviewProblem{Code: se.Code, Message: se.Message})
	return true
}

// readBack fills the readable fields from the Response's XML, so that what is shown is what was built.
func (p *Preview) readBack(xml []byte) error {
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(xml); err != nil {
		return err
	}
	a := doc.FindElement("/Response/Assertion")
	if a == nil {
		return errors.New("idp: preview: the response has no assertion")
	}
	if el := a.FindElement("Subject/NameID"); el != nil {
		p.NameID, p.NameIDFormat = el.Text(), el.SelectAttrValue("Format", "")
	}
	if el := a.FindElement("Conditions"); el != nil {
		p.NotBefore, p.NotOnOrAfter = el.SelectAttrValue("NotBefore", ""), el.SelectAttrValue("NotOnOrAfter", "")
	}
	if el := a.FindElement("Conditions/AudienceRestriction/Audience"); el != nil {
		p.Audience = el.Text()
	}
	if el := a.FindElement("Issuer"); el != nil {
		p.Issuer = el.Text()
	}
	if el := a.FindElement("AuthnStatement/AuthnContext/AuthnContextClassRef"); el != nil {
		p.AuthnContext = el.Text()
	}
	for _, attr := range a.FindElements("AttributeStatement/Attribute") {
		c := PreviewClaim{Name: attr.SelectAttrValue("Name", ""), NameFormat: attr.SelectAttrValue("NameFormat", ""), Values: []string{}}
		for _, v := range attr.SelectElements("AttributeValue") {
			c.Values = append(c.Values, v.Text())
		}
		p.Claims = append(p.Claims, c)
	}
	return nil
}

// IndentXML returns xml indented for reading. The indented text no longer verifies (whitespace is signed), so it
// is for display only; on error xml is returned unchanged.
func IndentXML(xml string) string {
	doc := etree.NewDocument()
	if err := doc.ReadFromString(xml); err != nil {
		return xml
	}
	doc.Indent(2)
	out, err := doc.WriteToString()
	if err != nil {
		return xml
	}
	return out
}
