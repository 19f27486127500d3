package main

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/apiclient"
	"github.com/gatehouse-idp/gatehouse/certs"
)

// nameIDFormats maps the short names the CLI accepts to NameID format URIs.
var nameIDFormats = map[string]string{
	"email":       gatehouse.NameIDEmail,
	"persistent":  gatehouse.NameIDPersistent,
	"transient":   gatehouse.NameIDTransient,
	"unspecified": gatehouse.NameIDUnspecified,
}

// nameFormats maps the short names the CLI accepts to attribute NameFormat URIs.
var nameFormats = map[string]string{
	"uri":         gatehouse.NameFormatURI,
	"basic":       gatehouse.NameFormatBasic,
	"unspecified": gatehouse.NameFormatUnspecified,
}

// expand returns the URI a short name stands for, or s itself.
func expand(short map[string]string, s string) string {
	if v, ok := short[strings.ToLower(s)]; ok {
		return v
	}
	return s
}

// attribute returns the source attribute s names: "mail" and "user.mail" both mean user.mail.
func attribute(s string) string {
	s = strings.ToLower(s)
	switch s {
	case "upn", "username":
		return gatehouse.AttrUserName
	}
	if s != "" && !strings.Contains(s, ".") {
		return "user." + s
	}
	return s
}

// printSAML writes SAML settings as indented key-value lines.
func printSAML(c *cli, s *gatehouse.SAMLSettings, indent string) {
	t := newTable(c.stdout)
	t.row(indent+"Identifier (entity ID):", orDash(s.EntityID))
	if len(s.ReplyURLs) == 0 {
		t.row(indent+"Reply URLs (ACS):", "-")
	}
	for i, u := range s.ReplyURLs {
		label := ""
		if i == 0 {
			label = "Reply URLs (ACS):"
		}
		if i == 0 && len(s.ReplyURLs) > 1 {
			u += " (default)"
		}
		t.row(indent+label, u)
	}
	t.row(indent+"Sign-on URL:", orDash(s.SignOnURL))
	t.row(indent+"Relay state:", orDash(s.RelayState))
	t.row(indent+"Logout URL:", orDash(s.LogoutURL))
	t.row(indent+"NameID format:", s.NameIDFormat)
	t.row(indent+"NameID source:", s.NameIDSource)
	t.row(indent+"Signing option:", s.SigningOption)
	t.row(indent+"Signing algorithm:", s.SigningAlgorithm)
	// The protocol options show when they are set.
	if s.KeyType() != gatehouse.KeyRSA2048 {
		t.row(indent+"Signing key type:", s.KeyType())
	}
	if s.LogoutBinding != "" {
		t.row(indent+"Logout binding:", s.LogoutBinding)
	}
	if n := len(s.SigningCertificates); n > 0 {
		t.row(indent+"SP signing certificates:", fmt.Sprint(n))
	}
	if s.RequireSignedRequests {
		t.row(indent+"Signed requests:", "required")
	}
	if s.AllowSHA1Requests {
		t.row(indent+"SHA-1 requests:", "allowed")
	}
	if s.EncryptionCertificate != "" {
		t.row(indent+"Encrypt assertions:", map[bool]string{true: "yes", false: "no (an encryption certificate is registered)"}[s.EncryptAssertions])
	}
	if s.SignMetadata {
		t.row(indent+"Metadata:", "signed")
	}
	if s.MetadataURL != "" {
		t.row(indent+"SP metadata URL:", s.MetadataURL)
	}
	t.row(indent+"Claims:", fmt.Sprint(len(s.Claims)))
	t.flush()
	if len(s.Claims) > 0 {
		printClaims(c, s.Claims, indent+"  ")
	}
}

// claimValue describes where a claim's value comes from.
func claimValue(cl gatehouse.Claim) string {
	if cl.Source != "" {
		return cl.Source
	}
	if cl.Groups != "" {
		return "groups (" + cl.Groups + ")"
	}
	return fmt.Sprintf("%q (constant)", cl.Value)
}

// printClaims writes a table of claims.
func printClaims(c *cli, claims []gatehouse.Claim, indent string) {
	t := newTable(c.stdout)
	t.row(indent+"NAME", "VALUE", "NAME FORMAT")
	for _, cl := range claims {
		t.row(indent+cl.Name, claimValue(cl), orDash(cl.NameFormat))
	}
	t.flush()
}

// printSAMLSettings writes SAML settings, as JSON with --json.
func (c *cli) printSAMLSettings(s *gatehouse.SAMLSettings) error {
	if c.json {
		return c.printJSON(s)
	}
	printSAML(c, s, "")
	return nil
}

func samlShow(c *cli, args []string) error {
	fs := c.newFlagSet()
	cl, a, _, err := c.parseApp(fs, args, 1, 1)
	if err != nil {
		return err
	}
	s, err := cl.GetSAML(c.ctx, c.directory, a.ID)
	if err != nil {
		return err
	}
	return c.printSAMLSettings(s)
}

func samlSet(c *cli, args []string) error {
	fs := c.newFlagSet()
	identifier := fs.String("identifier", "", "the app's Identifier (entity `ID`): the Audience of assertions and the Issuer of its requests")
	var replyURLs, addReplyURLs, removeReplyURLs stringList
	fs.Var(&replyURLs, "reply-url", "a reply `URL` (assertion consumer service); repeat to give several, the first is the default; replaces the list")
	fs.Var(&addReplyURLs, "add-reply-url", "a reply `URL` to add to the list (repeatable)")
	fs.Var(&removeReplyURLs, "remove-reply-url", "a reply `URL` to remove from the list (repeatable)")
	signOnURL := fs.String("sign-on-url", "", "the `URL` where My Apps starts SP-initiated sign-on (empty: IdP-initiated)")
	relayState := fs.String("relay-state", "", "the default landing `PAGE` after IdP-initiated sign-on")
	logoutURL := fs.String("logout-url", "", "the app's logout `URL`")
	nameIDFormat := fs.String("nameid-format", "", "the NameID `FORMAT`: email, persistent, transient, unspecified or a URI")
	nameIDSource := fs.String("nameid-source", "", "the user `ATTRIBUTE` of the NameID: userprincipalname, mail, givenname, surname, displayname or objectid")
	signingOption := fs.String("signing-option", "", "what to `SIGN`: assertion, response or both")
	signingAlgorithm := fs.String("signing-algorithm", "", "the signature `ALGORITHM`: sha256 or sha1")
	signingKeyType := fs.String("signing-key-type", "", "the `KEY` of new signing certificates: rsa-2048 (every SP accepts it) or ecdsa-p256 (faster; not every SP accepts it). A change makes a certificate of that type: active at once if nobody uses the app yet, otherwise the next certificate, to activate with 'gatehouse app cert activate'")
	logoutBinding := fs.String("logout-binding", "", "the `BINDING` of the logout URL: redirect or post")
	var signingCerts stringList
	fs.Var(&signingCerts, "signing-certificate", "a certificate `FILE` (PEM, DER or Base64 .cer) the app signs its requests with (repeatable; replaces the list)")
	encryptionCert := fs.String("encryption-certificate", "", "a certificate `FILE` (PEM, DER or Base64 .cer) to encrypt assertions for (empty: none)")
	requireSigned := fs.Bool("require-signed-requests", false, "refuse AuthnRequests and LogoutRequests that are not signed with a registered certificate")
	allowSHA1 := fs.Bool("allow-sha1-requests", false, "accept requests signed with RSA-SHA1 (older SPs)")
	encrypt := fs.Bool("encrypt-assertions", false, "encrypt assertions for the encryption certificate")
	signMetadata := fs.Bool("sign-metadata", false, "sign the app's federation metadata")
	pos, err := c.parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	in := apiclient.SAMLPatch{
		EntityID:         given(fs, "identifier", identifier),
		SignOnURL:        given(fs, "sign-on-url", signOnURL),
		RelayState:       given(fs, "relay-state", relayState),
		LogoutURL:        given(fs, "logout-url", logoutURL),
		SigningOption:    given(fs, "signing-option", signingOption),
		SigningAlgorithm: given(fs, "signing-algorithm", signingAlgorithm),
		SigningKeyType:   given(fs, "signing-key-type", signingKeyType),
	}
	if isSet(fs, "nameid-format") {
		f := expand(nameIDFormats, *nameIDFormat)
		in.NameIDFormat = &f
	}
	if isSet(fs, "nameid-source") {
		s := attribute(*nameIDSource)
		in.NameIDSource = &s
	}
	if isSet(fs, "logout-binding") {
		b, ok := map[string]string{"redirect": gatehouse.BindingHTTPRedirect, "post": gatehouse.BindingHTTPPost}[*logoutBinding]
		if !ok {
			return usagef("--logout-binding %q is unknown: choose redirect or post", *logoutBinding)
		}
		in.LogoutBinding = &b
	}
	if len(signingCerts) > 0 {
		certificates := make([]string, len(signingCerts))
		for i, f := range signingCerts {
			if certificates[i], err = readCertificateFile(f); err != nil {
				return err
			}
		}
		in.SigningCertificates = &certificates
	}
	if isSet(fs, "encryption-certificate") {
		cert := ""
		if *encryptionCert != "" {
			if cert, err = readCertificateFile(*encryptionCert); err != nil {
				return err
			}
		}
		in.EncryptionCertificate = &cert
	}
	for _, b := range []struct {
		flag  string
		value *bool
		field **bool
	}{
		{"require-signed-requests", requireSigned, &in.RequireSignedRequests},
		{"allow-sha1-requests", allowSHA1, &in.AllowSHA1Requests},
		{"encrypt-assertions", encrypt, &in.EncryptAssertions},
		{"sign-metadata", signMetadata, &in.SignMetadata},
	} {
		if isSet(fs, b.flag) {
			*b.field = b.value
		}
	}
	if len(replyURLs) > 0 {
		urls := []string(replyURLs)
		in.ReplyURLs = &urls
	}
	// Single reply URLs are added and removed by the server, so that another admin's change to the list stands.
	in.AddReplyURLs, in.RemoveReplyURLs = addReplyURLs, removeReplyURLs
	if reflect.ValueOf(in).IsZero() {
		return usagef("nothing to change: give at least one flag (see --help)")
	}
	cl := c.client()
	app, err := c.resolveApp(cl, pos[0])
	if err != nil {
		return err
	}
	s, err := cl.PatchSAML(c.ctx, c.directory, app.ID, in)
	if err != nil {
		return err
	}
	c.say("Saved the SAML settings of %s.\n", clean(app.Name))
	return c.printSAMLSettings(s)
}

func claimList(c *cli, args []string) error {
	fs := c.newFlagSet()
	pos, err := c.parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	a, claims, err := c.appClaims(c.client(), pos[0])
	if err != nil {
		return err
	}
	if c.json {
		return c.printJSON(apiclient.List[gatehouse.Claim]{Items: nonNil(claims), Total: len(claims)})
	}
	if len(claims) == 0 {
		fmt.Fprintln(c.stdout, "No claims.")
		return nil
	}
	if a.OIDC == nil {
		fmt.Fprintf(c.stdout, "NameID: %s from %s\n\n", clean(a.SAML.NameIDFormat), clean(a.SAML.NameIDSource))
	}
	printClaims(c, claims, "")
	return nil
}

// nonNil returns s, or an empty slice when s is nil, so JSON shows [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func claimSet(c *cli, args []string) error {
	fs := c.newFlagSet()
	source := fs.String("source", "", "the user `ATTRIBUTE` the value comes from: userprincipalname, mail, givenname, surname, displayname or objectid")
	value := fs.String("value", "", "a constant `VALUE` instead of a user attribute")
	groups := fs.String("groups", "", "make it a group claim with the names of the user's groups: `all` of them, or those assigned to the app")
	nameFormat := fs.String("name-format", "", "the attribute's `NAMEFORMAT`: uri, basic, unspecified or a URI (default: none)")
	pos, err := c.parse(fs, args, 2, 2)
	if err != nil {
		return err
	}
	n := 0
	for _, f := range []string{"source", "value", "groups"} {
		if isSet(fs, f) {
			n++
		}
	}
	if n != 1 {
		return usagef("give one of --source, --value and --groups")
	}
	claim := gatehouse.Claim{Name: pos[1], Value: *value, Groups: *groups, NameFormat: expand(nameFormats, *nameFormat)}
	if isSet(fs, "source") {
		claim.Source = attribute(*source)
	}
	cl := c.client()
	a, err := c.resolveApp(cl, pos[0])
	if err != nil {
		return err
	}
	// The server replaces the claim of that name, or adds it, so that another admin's change to another claim stands.
	claims, err := c.patchClaims(cl, a, []apiclient.ClaimSet{{Claim: claim}}, nil)
	if err != nil {
		return err
	}
	if c.json {
		return c.printJSON(apiclient.List[gatehouse.Claim]{Items: nonNil(claims), Total: len(claims)})
	}
	fmt.Fprintf(c.stdout, "Saved claim %s of %s.\n\n", clean(claim.Name), clean(a.Name))
	printClaims(c, claims, "")
	return nil
}

func claimRemove(c *cli, args []string) error {
	fs := c.newFlagSet()
	pos, err := c.parse(fs, args, 2, 2)
	if err != nil {
		return err
	}
	cl := c.client()
	a, err := c.resolveApp(cl, pos[0])
	if err != nil {
		return err
	}
	claims, err := c.patchClaims(cl, a, nil, []string{pos[1]})
	if err != nil {
		return err
	}
	if c.json {
		return c.printJSON(apiclient.List[gatehouse.Claim]{Items: nonNil(claims), Total: len(claims)})
	}
	fmt.Fprintf(c.stdout, "Removed claim %s from %s.\n", clean(pos[1]), clean(a.Name))
	return nil
}

func appSetup(c *cli, args []string) error {
	fs := c.newFlagSet()
	cl, a, _, err := c.parseApp(fs, args, 1, 1)
	if err != nil {
		return err
	}
	s, err := cl.GetSetup(c.ctx, c.directory, a.ID)
	if err != nil {
		return err
	}
	if c.json {
		return c.printJSON(s)
	}
	if o := s.OIDC; o != nil {
		fmt.Fprintf(c.stdout, "Set up %s: enter these values in the app's OpenID Connect settings; apps that discover the\nendpoints need only the issuer.\n\n", clean(a.Name))
		if err := c.printFields(s, [][2]string{
			{"Issuer", o.Issuer}, {"Discovery URL", o.DiscoveryURL}, {"Client ID", o.ClientID},
			{"Authorization endpoint", o.AuthorizationEndpoint}, {"Token endpoint", o.TokenEndpoint},
			{"Userinfo endpoint", o.UserinfoEndpoint}, {"JWKS URI", o.JWKSURI}, {"End-session endpoint", o.EndSessionEndpoint},
			{"Introspection endpoint", o.IntrospectionEndpoint}, {"Revocation endpoint", o.RevocationEndpoint},
		}); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "\nCreate the client secret with 'gatehouse app secret create %s'.\n", clean(a.ID))
		return nil
	}
	fmt.Fprintf(c.stdout, "Set up %s: enter these values in the app's single sign-on settings.\n\n", clean(a.Name))
	fields := [][2]string{
		{"Login URL", s.LoginURL},
		{"Identifier", s.Identifier},
		{"Logout URL", s.LogoutURL},
		{"App federation metadata URL", s.MetadataURL},
		{"User access URL", s.UserAccessURL},
	}
	if s.Certificate != nil {
		fields = append(fields,
			[2]string{"Certificate thumbprint", s.Certificate.Thumbprint},
			[2]string{"Certificate expires", fmtTime(s.Certificate.NotAfter)})
	} else {
		fields = append(fields, [2]string{"Certificate", "none active"})
	}
	if err := c.printFields(s, fields); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "\nDownload the certificate with 'gatehouse app cert download %s --format base64 --out FILE'.\n", clean(a.ID))
	return nil
}

func certList(c *cli, args []string) error {
	fs := c.newFlagSet()
	cl, a, _, err := c.parseApp(fs, args, 1, 1)
	if err != nil {
		return err
	}
	certs, total, err := cl.ListCertificates(c.ctx, c.directory, a.ID)
	if err != nil {
		return err
	}
	return printList(c, certs, total, "certificates", []string{"ID", "STATUS", "KEY", "THUMBPRINT", "VALID FROM", "EXPIRES"},
		func(cert *apiclient.CertificateInfo) []string {
			return []string{cert.ID, certStatus(&cert.Certificate), cert.KeyType, cert.Thumbprint, fmtTime(cert.NotBefore), fmtTime(cert.NotAfter)}
		})
}

func certDownload(c *cli, args []string) error {
	fs := c.newFlagSet()
	format := fs.String("format", apiclient.FormatBase64, "the `FORMAT`: base64 (PEM .cer), raw (DER .cer), pem, or metadata (federation metadata XML)")
	certID := fs.String("cert", "active", "the certificate `ID` (see gatehouse app cert list)")
	out := fs.String("out", "", "write to this `FILE` (or into this directory under the server's file name) instead of standard output")
	pos, err := c.parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	switch *format {
	case apiclient.FormatBase64, apiclient.FormatRaw, apiclient.FormatPEM, apiclient.FormatMetadata:
	default:
		return usagef("--format %q is unknown: choose base64, raw, pem or metadata", *format)
	}
	if *out == "" && *format == apiclient.FormatRaw && c.isTerminal(c.stdout) {
		return usagef("refusing to write a binary DER certificate to the terminal: give --out FILE or redirect the output")
	}
	cl := c.client()
	a, err := c.resolveApp(cl, pos[0])
	if err != nil {
		return err
	}
	b, name, err := cl.DownloadCertificate(c.ctx, c.directory, a.ID, *certID, *format)
	if err != nil {
		return err
	}
	if *out == "" || *out == "-" {
		_, err := c.stdout.Write(b)
		return err
	}
	file := *out
	if fi, err := os.Stat(file); err == nil && fi.IsDir() {
		if name == "" {
			return fmt.Errorf("the server suggested no file name; give --out a file name instead of the directory %s", file)
		}
		file = filepath.Join(file, name)
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := os.WriteFile(file, b, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(c.stderr, "Wrote %s (%d bytes).\n", file, len(b))
	return nil
}

// readCertificateFile reads a certificate file in PEM, DER or Base64 (.cer) with certs.Parse, the server's own
// reader, so that a file that is no certificate is refused naming the file before anything is sent. The server
// gets the base64 of the DER and checks the certificate (key, validity) itself.
func readCertificateFile(name string) (string, error) {
	f, err := os.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, certs.MaxUpload+1))
	if err != nil {
		return "", err
	}
	c, err := certs.Parse(b)
	if err != nil {
		return "", fmt.Errorf("%s: %s", name, gatehouse.ErrorMessage(err))
	}
	return base64.StdEncoding.EncodeToString(c.Raw), nil
}
