package main

import (
	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/apiclient"
)

// directoryFields describes a directory as key-value lines.
func directoryFields(d *gatehouse.Directory) [][2]string {
	return [][2]string{
		{"ID", d.ID},
		{"Name", d.Name},
		{"Domain", orDash(d.Domain)},
		{"Require MFA", yesNo(d.RequireMFA)},
		{"Created", fmtTime(d.CreatedAt)},
		{"Updated", fmtTime(d.UpdatedAt)},
	}
}

func directoryList(c *cli, args []string) error {
	fs := c.newFlagSet()
	if _, err := c.parse(fs, args, 0, 0); err != nil {
		return err
	}
	dirs, total, err := c.client().ListDirectories(c.ctx)
	if err != nil {
		return err
	}
	return printList(c, dirs, total, "directories", []string{"ID", "NAME", "DOMAIN", "MFA", "CREATED"},
		func(d *gatehouse.Directory) []string {
			return []string{d.ID, d.Name, orDash(d.Domain), yesNo(d.RequireMFA), fmtTime(d.CreatedAt)}
		})
}

func directoryCreate(c *cli, args []string) error {
	fs := c.newFlagSet()
	name := fs.String("name", "", "the directory's display `NAME` (default: the ID)")
	domain := fs.String("domain", "", "the initial `DOMAIN`, used to suggest user names such as b.simon@<domain>")
	mfa := fs.Bool("require-mfa", false, "require every user of the directory to sign in with a second factor")
	pos, err := c.parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	in := apiclient.DirectoryInput{ID: pos[0], Name: *name, Domain: *domain, RequireMFA: *mfa}
	if in.Name == "" {
		in.Name = in.ID
	}
	d, err := c.client().CreateDirectory(c.ctx, in)
	if err != nil {
		return err
	}
	c.say("Created directory %s.", clean(d.ID))
	return c.printFields(d, directoryFields(d))
}

// directoryArg returns the directory named on the command line, or the one selected by --directory.
func (c *cli) directoryArg(pos []string) string {
	if len(pos) > 0 {
		return pos[0]
	}
	return c.directory
}

func directoryShow(c *cli, args []string) error {
	fs := c.newFlagSet()
	pos, err := c.parse(fs, args, 0, 1)
	if err != nil {
		return err
	}
	d, err := c.client().GetDirectory(c.ctx, c.directoryArg(pos))
	if err != nil {
		return err
	}
	return c.printFields(d, directoryFields(d))
}

func directoryUpdate(c *cli, args []string) error {
	fs := c.newFlagSet()
	name := fs.String("name", "", "the new display `NAME`")
	domain := fs.String("domain", "", "the new initial `DOMAIN`")
	mfa := fs.Bool("require-mfa", false, "whether every user must sign in with a second factor (--require-mfa=false to turn off)")
	pos, err := c.parse(fs, args, 0, 1)
	if err != nil {
		return err
	}
	in := apiclient.DirectoryPatch{
		Name:       given(fs, "name", name),
		Domain:     given(fs, "domain", domain),
		RequireMFA: given(fs, "require-mfa", mfa),
	}
	if in == (apiclient.DirectoryPatch{}) {
		return usagef("nothing to change: give --name, --domain or --require-mfa")
	}
	d, err := c.client().UpdateDirectory(c.ctx, c.directoryArg(pos), in)
	if err != nil {
		return err
	}
	return c.printFields(d, directoryFields(d))
}

func directoryDelete(c *cli, args []string) error {
	fs := c.newFlagSet()
	pos, err := c.parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	if err := c.client().DeleteDirectory(c.ctx, pos[0]); err != nil {
		return err
	}
	c.say("Deleted directory %s and everything in it.", clean(pos[0]))
	return nil
}
