package main

import (
	"flag"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/apiclient"
)

// printOIDC writes an OpenID Connect app's settings as indented key-value lines.
func printOIDC(c *cli, s *gatehouse.OIDCSettings, indent string) {
	t := newTable(c.stdout)
	t.row(indent+"Client ID:", s.ClientID)
	t.row(indent+"Client type:", map[bool]string{true: "public (no secret; PKCE)", false: "confidential (client secret)"}[s.PublicClient])
	list := func(label string, urls []string) {
		if len(urls) == 0 {
			t.row(indent+label, "-")
		}
		for i, u := range urls {
			if i > 0 {
				label = ""
			}
			t.row(indent+label, u)
		}
	}
	list("Redirect URIs:", s.RedirectURIs)
	list("Post-logout redirect URIs:", s.PostLogoutRedirectURIs)
	t.row(indent+"Grant types:", strings.Join(s.GrantTypes, ", "))
	t.row(indent+"Initiate login URI:", orDash(s.InitiateLoginURI))
	t.row(indent+"Back-channel logout URI:", orDash(s.BackchannelLogoutURI))
	t.row(indent+"Require PKCE:", yesNo(s.RequirePKCE))
	t.row(indent+"Signing algorithm:", s.SigningAlgorithm)
	t.row(indent+"Access tokens:", s.AccessTokenFormat+", "+seconds(s.AccessTokenLifetime))
	t.row(indent+"ID tokens:", seconds(s.IDTokenLifetime))
	t.row(indent+"Refresh tokens:", seconds(s.RefreshTokenLifetime))
	t.row(indent+"Claims:", fmt.Sprint(len(s.Claims)))
	t.flush()
	if len(s.Claims) > 0 {
		printClaims(c, s.Claims, indent+"  ")
	}
}

// seconds writes a lifetime in seconds as a duration.
func seconds(n int) string { return (time.Duration(n) * time.Second).String() }

// durationFlag is a lifetime flag in seconds, given as a Go duration (90m, 24h) or with a d suffix for days.
type durationFlag struct{ seconds int }

func (d *durationFlag) String() string { return strconv.Itoa(d.seconds) + "s" }

func (d *durationFlag) Set(s string) error {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 {
			return fmt.Errorf("%q is not a number of days", s)
		}
		d.seconds = n * 24 * 3600
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 {
		return fmt.Errorf("%q is not a duration such as 90m, 24h or 30d", s)
	}
	d.seconds = int(v / time.Second)
	return nil
}

// durationGiven returns a pointer to the seconds of a duration flag that was set, or nil.
func durationGiven(fs *flag.FlagSet, name string, d *durationFlag) *int {
	if isSet(fs, name) {
		return &d.seconds
	}
	return nil
}

// printOIDCSettings writes OpenID Connect settings, as JSON with --json.
func (c *cli) printOIDCSettings(s *gatehouse.OIDCSettings) error {
	if c.json {
		return c.printJSON(s)
	}
	printOIDC(c, s, "")
	return nil
}

func oidcShow(c *cli, args []string) error {
	fs := c.newFlagSet()
	cl, a, _, err := c.parseApp(fs, args, 1, 1)
	if err != nil {
		return err
	}
	s, err := cl.GetOIDC(c.ctx, c.directory, a.ID)
	if err != nil {
		return err
	}
	return c.printOIDCSettings(s)
}

func oidcSet(c *cli, args []string) error {
	fs := c.newFlagSet()
	clientID := fs.String("client-id", "", "the app's client `ID` (letters, digits, '-', '.', '_', '~'), unique in the directory")
	public := fs.Bool("public", false, "make the app a public client without a secret, which must use PKCE (--public=false: confidential)")
	var redirects, addRedirects, removeRedirects, postLogout, grants stringList
	fs.Var(&redirects, "redirect-uri", "a redirect `URI`, matched byte for byte (repeatable; replaces the list)")
	fs.Var(&addRedirects, "add-redirect-uri", "a redirect `URI` to add (repeatable)")
	fs.Var(&removeRedirects, "remove-redirect-uri", "a redirect `URI` to remove (repeatable)")
	fs.Var(&postLogout, "post-logout-redirect-uri", "a post-logout redirect `URI` (repeatable; replaces the list; \"\" clears it)")
	fs.Var(&grants, "grant", "an allowed grant `TYPE`: authorization_code, refresh_token or client_credentials (repeatable; replaces the list)")
	initiate := fs.String("initiate-login-uri", "", "the app's `URL` that starts a sign-in, where My Apps opens it (empty: none)")
	backchannel := fs.String("backchannel-logout-uri", "", "the app's back-channel logout `URL` (empty: none)")
	pkce := fs.Bool("require-pkce", false, "require PKCE (S256) of authorization requests")
	alg := fs.String("signing-algorithm", "", "the `ALGORITHM` of ID tokens and JWT access tokens: RS256 or ES256")
	format := fs.String("access-token-format", "", "the access token `FORMAT`: opaque or jwt")
	var accessLife, idLife, refreshLife durationFlag
	fs.Var(&accessLife, "access-token-lifetime", "the access token `LIFETIME`, such as 1h (1m to 24h)")
	fs.Var(&idLife, "id-token-lifetime", "the ID token `LIFETIME`, such as 1h (1m to 24h)")
	fs.Var(&refreshLife, "refresh-token-lifetime", "how long a refresh token stays usable, such as 30d (up to 365d)")
	pos, err := c.parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	in := apiclient.OIDCPatch{
		ClientID: given(fs, "client-id", clientID), PublicClient: given(fs, "public", public),
		InitiateLoginURI: given(fs, "initiate-login-uri", initiate), BackchannelLogoutURI: given(fs, "backchannel-logout-uri", backchannel),
		RequirePKCE: given(fs, "require-pkce", pkce), SigningAlgorithm: given(fs, "signing-algorithm", alg),
		AccessTokenFormat:    given(fs, "access-token-format", format),
		AccessTokenLifetime:  durationGiven(fs, "access-token-lifetime", &accessLife),
		IDTokenLifetime:      durationGiven(fs, "id-token-lifetime", &idLife),
		RefreshTokenLifetime: durationGiven(fs, "refresh-token-lifetime", &refreshLife),
	}
	if isSet(fs, "post-logout-redirect-uri") {
		uris := slices.DeleteFunc(slices.Clone([]string(postLogout)), func(u string) bool { return u == "" })
		in.PostLogoutRedirectURIs = &uris
	}
	if len(grants) > 0 {
		g := []string(grants)
		in.GrantTypes = &g
	}
	changeRedirects := len(redirects)+len(addRedirects)+len(removeRedirects) > 0
	if !changeRedirects && reflect.ValueOf(in).IsZero() {
		return usagef("nothing to change: give at least one flag (see --help)")
	}
	cl := c.client()
	a, err := c.resolveApp(cl, pos[0])
	if err != nil {
		return err
	}
	if a.OIDC == nil {
		return fmt.Errorf("%s is a SAML app; use gatehouse app saml set", a.Name)
	}
	if changeRedirects {
		uris := []string(redirects)
		if len(redirects) == 0 {
			uris = slices.Clone(a.OIDC.RedirectURIs)
		}
		for _, u := range removeRedirects {
			i := slices.Index(uris, u)
			if i < 0 {
				return fmt.Errorf("redirect URI %q is not registered for %s", u, a.Name)
			}
			uris = slices.Delete(uris, i, i+1)
		}
		for _, u := range addRedirects {
			if !slices.Contains(uris, u) {
				uris = append(uris, u)
			}
		}
		in.RedirectURIs = &uris
		if uris == nil {
			in.RedirectURIs = &[]string{}
		}
	}
	s, err := cl.PatchOIDC(c.ctx, c.directory, a.ID, in)
	if err != nil {
		return err
	}
	c.say("Saved the OpenID Connect settings of %s.\n", clean(a.Name))
	return c.printOIDCSettings(s)
}

func secretCreate(c *cli, args []string) error {
	fs := c.newFlagSet()
	var expires, overlap durationFlag
	fs.Var(&expires, "expires", "the new secret's `LIFETIME`, such as 365d (default: it does not expire)")
	fs.Var(&overlap, "rotate", "rotate: the app's other secrets stop working after this `OVERLAP`, such as 24h (0s: at once)")
	cl, a, _, err := c.parseApp(fs, args, 1, 1)
	if err != nil {
		return err
	}
	in := apiclient.NewClientSecret{ExpiresIn: expires.seconds, Overlap: durationGiven(fs, "rotate", &overlap)}
	secret, cs, err := cl.CreateClientSecret(c.ctx, c.directory, a.ID, in)
	if err != nil {
		return err
	}
	if c.json {
		return c.printJSON(map[string]any{"secret": secret, "clientSecret": cs})
	}
	fmt.Fprintf(c.stdout, "Client secret of %s (shown once; store it in the app now):\n\n  %s\n\n", clean(a.Name), secret)
	if in.Overlap != nil {
		fmt.Fprintf(c.stdout, "The app's other secrets stop working in %s.\n", seconds(*in.Overlap))
	}
	return nil
}

func secretList(c *cli, args []string) error {
	fs := c.newFlagSet()
	cl, a, _, err := c.parseApp(fs, args, 1, 1)
	if err != nil {
		return err
	}
	list, total, err := cl.ListClientSecrets(c.ctx, c.directory, a.ID)
	if err != nil {
		return err
	}
	return printList(c, list, total, "client secrets", []string{"ID", "HINT", "CREATED", "EXPIRES", "WORKS"},
		func(s *apiclient.ClientSecret) []string {
			return []string{s.ID, s.Hint + "…", fmtTime(s.CreatedAt), fmtTimePtr(s.ExpiresAt), yesNo(s.Valid)}
		})
}

func secretDelete(c *cli, args []string) error {
	fs := c.newFlagSet()
	cl, a, pos, err := c.parseApp(fs, args, 2, 2)
	if err != nil {
		return err
	}
	if err := cl.DeleteClientSecret(c.ctx, c.directory, a.ID, pos[1]); err != nil {
		return err
	}
	c.say("Deleted client secret %s of %s; it no longer works.", clean(pos[1]), clean(a.Name))
	return nil
}

func oidcKeyList(c *cli, args []string) error {
	fs := c.newFlagSet()
	if _, err := c.parse(fs, args, 0, 0); err != nil {
		return err
	}
	list, total, err := c.client().ListOIDCKeys(c.ctx, c.directory)
	if err != nil {
		return err
	}
	return printList(c, list, total, "signing keys", []string{"KEY ID", "ALGORITHM", "STATE", "IN JWKS", "CREATED"},
		func(k *apiclient.OIDCKey) []string {
			return []string{k.ID, k.Algorithm, k.State, yesNo(k.Published), fmtTime(k.CreatedAt)}
		})
}

func oidcKeyNew(c *cli, args []string) error {
	fs := c.newFlagSet()
	alg := fs.String("algorithm", gatehouse.RS256, "the key's `ALGORITHM`: RS256 or ES256")
	if _, err := c.parse(fs, args, 0, 0); err != nil {
		return err
	}
	k, err := c.client().CreateOIDCKey(c.ctx, c.directory, *alg)
	if err != nil {
		return err
	}
	if c.json {
		return c.printJSON(k)
	}
	fmt.Fprintf(c.stdout, "Created the next %s key %s: it is in the JWKS now and signs once you run\n  gatehouse oidc key activate %s\n", k.Algorithm, k.ID, k.ID)
	return nil
}

func oidcKeyActivate(c *cli, args []string) error {
	fs := c.newFlagSet()
	pos, err := c.parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	k, err := c.client().ActivateOIDCKey(c.ctx, c.directory, pos[0])
	if err != nil {
		return err
	}
	if c.json {
		return c.printJSON(k)
	}
	fmt.Fprintf(c.stdout, "Key %s now signs the directory's %s tokens; the key it replaced stays in the JWKS for 7 days.\n", k.ID, k.Algorithm)
	return nil
}

// appClaims returns an app's claims, of its SAML or its OpenID Connect settings.
func (c *cli) appClaims(cl *apiclient.Client, ref string) (*gatehouse.App, []gatehouse.Claim, error) {
	a, err := c.resolveApp(cl, ref)
	if err != nil {
		return nil, nil, err
	}
	if a.OIDC != nil {
		s, err := cl.GetOIDC(c.ctx, c.directory, a.ID)
		if err != nil {
			return nil, nil, err
		}
		return a, s.Claims, nil
	}
	s, err := cl.GetSAML(c.ctx, c.directory, a.ID)
	if err != nil {
		return nil, nil, err
	}
	return a, s.Claims, nil
}

// patchClaims sets and removes single claims of an app, of its SAML or its OpenID Connect settings, and returns
// the claims stored.
func (c *cli) patchClaims(cl *apiclient.Client, a *gatehouse.App, set []apiclient.ClaimSet, remove []string) ([]gatehouse.Claim, error) {
	if a.OIDC != nil {
		s, err := cl.PatchOIDC(c.ctx, c.directory, a.ID, apiclient.OIDCPatch{SetClaims: set, RemoveClaims: remove})
		if err != nil {
			return nil, err
		}
		return s.Claims, nil
	}
	s, err := cl.PatchSAML(c.ctx, c.directory, a.ID, apiclient.SAMLPatch{SetClaims: set, RemoveClaims: remove})
	if err != nil {
		return nil, err
	}
	return s.Claims, nil
}
