package main

import (
	"github.com/gatehouse-idp/gatehouse"
)

// scimURL prints the base URL of the directory's SCIM endpoint, to paste into a provisioning client.
func scimURL(c *cli, args []string) error {
	fs := c.newFlagSet()
	if _, err := c.parse(fs, args, 0, 0); err != nil {
		return err
	}
	e, err := c.client().GetSCIM(c.ctx, c.directory)
	if err != nil {
		return err
	}
	return c.printFields(e, [][2]string{{"Tenant URL", e.BaseURL}})
}

// scimTokenCreate creates a SCIM token and prints its secret, once, with the base URL.
func scimTokenCreate(c *cli, args []string) error {
	fs := c.newFlagSet()
	pos, err := c.parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	n, err := c.client().CreateSCIMToken(c.ctx, c.directory, pos[0])
	if err != nil {
		return err
	}
	c.say("Created SCIM token %s. Copy the secret token now: it is not shown again.", clean(n.SCIMToken.Name))
	return c.printFields(n, [][2]string{{"Tenant URL", n.BaseURL}, {"Secret token", n.Token}, {"ID", n.SCIMToken.ID}})
}

func scimTokenList(c *cli, args []string) error {
	fs := c.newFlagSet()
	if _, err := c.parse(fs, args, 0, 0); err != nil {
		return err
	}
	tokens, total, err := c.client().ListSCIMTokens(c.ctx, c.directory)
	if err != nil {
		return err
	}
	return printList(c, tokens, total, "SCIM tokens", []string{"ID", "NAME", "PREFIX", "CREATED BY", "CREATED", "LAST USED"},
		func(t *gatehouse.SCIMToken) []string {
			return []string{t.ID, t.Name, t.Prefix, t.CreatedBy, fmtTime(t.CreatedAt), fmtTimePtr(t.LastUsedAt)}
		})
}

func scimTokenRevoke(c *cli, args []string) error {
	fs := c.newFlagSet()
	ids, err := c.parse(fs, args, 1, -1)
	if err != nil {
		return err
	}
	cl := c.client()
	for _, id := range ids {
		if err := cl.DeleteSCIMToken(c.ctx, c.directory, id); err != nil {
			return err
		}
		c.say("Revoked SCIM token %s.", id)
	}
	return nil
}
