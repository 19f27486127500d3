package main

import (
	"fmt"
	"strings"

	"github.com/gatehouse-idp/gatehouse"
)

// certStatus names a certificate's part in a rollover: the active one signs, a next one is published before it
// signs, a retired one stays published for a grace period after it was replaced.
func certStatus(cert *gatehouse.Certificate) string {
	switch {
	case cert.Active:
		return "active"
	case cert.DeactivatedAt.IsZero():
		return "next"
	default:
		return "retired " + fmtTime(cert.DeactivatedAt)
	}
}

func certNew(c *cli, args []string) error {
	fs := c.newFlagSet()
	cl, a, _, err := c.parseApp(fs, args, 1, 1)
	if err != nil {
		return err
	}
	cert, err := cl.CreateCertificate(c.ctx, c.directory, a.ID)
	if err != nil {
		return err
	}
	if c.json {
		return c.printJSON(cert)
	}
	fmt.Fprintf(c.stdout, "Created certificate %s (thumbprint %s, expires %s).\n", cert.ID, cert.Thumbprint, fmtTime(cert.NotAfter))
	fmt.Fprintf(c.stdout, "It is published in %s's metadata now; give it to the app, then make it sign with:\n  gatehouse app cert activate %s %s\n",
		clean(a.Name), shellQuote(a.Name), cert.ID)
	return nil
}

func certActivate(c *cli, args []string) error {
	fs := c.newFlagSet()
	cl, a, pos, err := c.parseApp(fs, args, 2, 2)
	if err != nil {
		return err
	}
	cert, err := cl.ActivateCertificate(c.ctx, c.directory, a.ID, pos[1])
	if err != nil {
		return err
	}
	if c.json {
		return c.printJSON(cert)
	}
	fmt.Fprintf(c.stdout, "Certificate %s (thumbprint %s) now signs %s's sign-ins; the one it replaced stays published for a grace period.\n",
		cert.ID, cert.Thumbprint, clean(a.Name))
	return nil
}

func userResetMFA(c *cli, args []string) error {
	fs := c.newFlagSet()
	pos, err := c.parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	cl := c.client()
	u, err := c.resolveUser(cl, pos[0])
	if err != nil {
		return err
	}
	if u, err = cl.ResetMFA(c.ctx, c.directory, u.ID); err != nil {
		return err
	}
	if c.json {
		return c.printJSON(u)
	}
	fmt.Fprintf(c.stdout, "Two-step verification of %s is reset; they enrol again at their next sign-in if it is required.\n", clean(u.UserName))
	return nil
}

func appPreview(c *cli, args []string) error {
	fs := c.newFlagSet()
	user := fs.String("user", "", "the `USER` (name or ID) whose assertion to preview (required)")
	xml := fs.Bool("xml", false, "print the signed Response XML instead of a summary")
	pos, err := c.parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	if *user == "" {
		return usagef("--user is required")
	}
	cl := c.client()
	a, err := c.resolveApp(cl, pos[0])
	if err != nil {
		return err
	}
	u, err := c.resolveUser(cl, *user)
	if err != nil {
		return err
	}
	p, err := cl.PreviewAssertion(c.ctx, c.directory, a.ID, u.ID)
	if err != nil {
		return err
	}
	switch {
	case c.json:
		return c.printJSON(p)
	case *xml:
		fmt.Fprintln(c.stdout, p.XML)
		return nil
	}
	t := newTable(c.stdout)
	t.row("Issuer", p.Issuer)
	t.row("Audience", p.Audience)
	t.row("Destination", p.Destination)
	t.row("NameID", p.NameID+" ("+p.NameIDFormat+")")
	t.row("Valid", p.NotBefore+" to "+p.NotOnOrAfter)
	t.row("Signed", p.SigningOption+", "+p.SigningAlgorithm)
	for _, cl := range p.Claims {
		t.row("Claim "+cl.Name, strings.Join(cl.Values, ", "))
	}
	t.flush()
	for _, pr := range p.Problems {
		fmt.Fprintf(c.stdout, "A real sign-in would fail now: %s (%s)\n", clean(pr.Message), pr.Code)
	}
	return nil
}
