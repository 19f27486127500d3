package main

import (
	"fmt"
	"strings"

	"github.com/gatehouse-idp/gatehouse/apiclient"
)

func galleryList(c *cli, args []string) error {
	fs := c.newFlagSet()
	q := fs.String("query", "", "only templates whose name contains `TEXT`")
	if _, err := c.parse(fs, args, 0, 0); err != nil {
		return err
	}
	templates, total, err := c.client().ListGallery(c.ctx, *q)
	if err != nil {
		return err
	}
	return printList(c, templates, total, "gallery templates", []string{"ID", "NAME", "PUBLISHER", "CATEGORIES"},
		func(t *apiclient.GalleryTemplate) []string {
			return []string{t.ID, t.Name, orDash(t.Publisher), orDash(strings.Join(t.Categories, ", "))}
		})
}

func galleryShow(c *cli, args []string) error {
	fs := c.newFlagSet()
	pos, err := c.parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	t, err := c.client().GetGalleryTemplate(c.ctx, pos[0])
	if err != nil {
		return err
	}
	if c.json {
		return c.printJSON(t)
	}
	fields := [][2]string{
		{"ID", t.ID},
		{"Name", t.Name},
		{"Publisher", orDash(t.Publisher)},
		{"Categories", orDash(strings.Join(t.Categories, ", "))},
		{"Description", orDash(t.Description)},
		{"IdP-initiated sign-on", yesNo(t.IdPInitiated)},
	}
	if t.Notes != "" {
		fields = append(fields, [2]string{"Notes", t.Notes})
	}
	if err := c.printFields(t, fields); err != nil {
		return err
	}
	if len(t.Parameters) > 0 {
		fmt.Fprintln(c.stdout, "\nParameters (give them to gatehouse app add with --param NAME=VALUE):")
		tw := newTable(c.stdout)
		tw.row("  NAME", "LABEL", "EXAMPLE", "DEFAULT")
		for _, p := range t.Parameters {
			tw.row("  "+p.Name, p.Label, orDash(p.Example), orDash(p.Default))
		}
		tw.flush()
	}
	if t.OIDC != nil {
		fmt.Fprintln(c.stdout, "\nOpenID Connect settings of a new app (its client ID is given when it is added):")
		printOIDC(c, t.OIDC, "  ")
		return nil
	}
	fmt.Fprintln(c.stdout, "\nSAML settings of a new app:")
	printSAML(c, &t.SAML, "  ")
	return nil
}
