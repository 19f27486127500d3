package main

import (
	"fmt"
	"strings"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/apiclient"
)

// appHeader and appRow make the table of apps.
var appHeader = []string{"ID", "NAME", "GALLERY", "ENABLED", "ASSIGNMENT REQUIRED", "VISIBLE", "IDENTIFIER"}

func appRow(a *gatehouse.App) []string {
	return []string{a.ID, a.Name, a.GalleryID, yesNo(a.Enabled), yesNo(a.AssignmentRequired), yesNo(a.Visible), orDash(a.SAML.EntityID)}
}

// printApp writes an app's properties and SAML settings.
func (c *cli) printApp(a *gatehouse.App) error {
	if c.json {
		return c.printJSON(a)
	}
	fields := [][2]string{
		{"ID", a.ID},
		{"Name", a.Name},
		{"Gallery template", a.GalleryID},
		{"Enabled for sign-in", yesNo(a.Enabled)},
		{"Assignment required", yesNo(a.AssignmentRequired)},
		{"Visible in My Apps", yesNo(a.Visible)},
		{"Notes", orDash(a.Notes)},
		{"Created", fmtTime(a.CreatedAt)},
		{"Updated", fmtTime(a.UpdatedAt)},
	}
	if err := c.printFields(a, fields); err != nil {
		return err
	}
	if a.OIDC != nil {
		fmt.Fprintln(c.stdout, "\nOpenID Connect settings:")
		printOIDC(c, a.OIDC, "  ")
		return nil
	}
	fmt.Fprintln(c.stdout, "\nSAML settings:")
	printSAML(c, &a.SAML, "  ")
	return nil
}

func appAdd(c *cli, args []string) error {
	fs := c.newFlagSet()
	gallery := fs.String("gallery", "", "the gallery `TEMPLATE` to add the app from, such as mixpanel (see gatehouse gallery list)")
	name := fs.String("name", "", "the app's `NAME` (default: the template's name)")
	var params stringList
	fs.Var(&params, "param", "a template parameter as `NAME=VALUE`, such as org_id=123456 (repeatable)")
	if _, err := c.parse(fs, args, 0, 0); err != nil {
		return err
	}
	if *gallery == "" {
		return usagef("--gallery is required (see gatehouse gallery list)")
	}
	in := apiclient.AppInput{GalleryID: *gallery, Name: *name}
	for _, p := range params {
		k, v, ok := strings.Cut(p, "=")
		if !ok || k == "" {
			return usagef("--param %q is not NAME=VALUE", p)
		}
		if in.Parameters == nil {
			in.Parameters = map[string]string{}
		}
		if _, dup := in.Parameters[k]; dup {
			return usagef("--param %s is given twice", k)
		}
		in.Parameters[k] = v
	}
	a, missing, err := c.client().AddApp(c.ctx, c.directory, in)
	if err != nil {
		return err
	}
	if c.json {
		return c.printJSON(apiclient.AddedApp{App: *a, MissingSettings: missing})
	}
	c.say("Added app %s from the %s template.\n", clean(a.Name), clean(a.GalleryID))
	if err := c.printApp(a); err != nil {
		return err
	}
	if len(missing) > 0 {
		c.say("\nStill to fill in (the template's parameters for them were not given): %s", clean(strings.Join(missing, ", ")))
	}
	c.say("\nNext: check its SAML settings with 'gatehouse app saml set %s ...', assign users with\n"+
		"'gatehouse app assign %[1]s --user NAME', and enter the values of 'gatehouse app setup %[1]s' in the app.", clean(a.ID))
	return nil
}

func appList(c *cli, args []string) error {
	fs := c.newFlagSet()
	q := fs.String("query", "", "only apps whose name contains `TEXT`")
	if _, err := c.parse(fs, args, 0, 0); err != nil {
		return err
	}
	apps, total, err := c.client().ListApps(c.ctx, c.directory, *q)
	if err != nil {
		return err
	}
	return printList(c, apps, total, "apps", appHeader, appRow)
}

func appShow(c *cli, args []string) error {
	fs := c.newFlagSet()
	pos, err := c.parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	a, err := c.resolveApp(c.client(), pos[0])
	if err != nil {
		return err
	}
	return c.printApp(a)
}

func appUpdate(c *cli, args []string) error {
	fs := c.newFlagSet()
	name := fs.String("name", "", "the new `NAME`")
	enabled := fs.Bool("enabled", false, "whether users can sign in to the app (--enabled=false to turn off)")
	required := fs.Bool("assignment-required", false, "whether only assigned users can sign in (--assignment-required=false to let everyone)")
	visible := fs.Bool("visible", false, "whether assigned users see the app in My Apps (--visible=false to hide it)")
	notes := fs.String("notes", "", "the new `NOTES`")
	pos, err := c.parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	in := apiclient.AppPatch{
		Name:               given(fs, "name", name),
		Enabled:            given(fs, "enabled", enabled),
		AssignmentRequired: given(fs, "assignment-required", required),
		Visible:            given(fs, "visible", visible),
		Notes:              given(fs, "notes", notes),
	}
	if in == (apiclient.AppPatch{}) {
		return usagef("nothing to change: give --name, --enabled, --assignment-required, --visible or --notes")
	}
	cl := c.client()
	a, err := c.resolveApp(cl, pos[0])
	if err != nil {
		return err
	}
	a, err = cl.UpdateApp(c.ctx, c.directory, a.ID, in)
	if err != nil {
		return err
	}
	return c.printApp(a)
}

func appDelete(c *cli, args []string) error {
	fs := c.newFlagSet()
	cl, a, _, err := c.parseApp(fs, args, 1, 1)
	if err != nil {
		return err
	}
	if err := cl.DeleteApp(c.ctx, c.directory, a.ID); err != nil {
		return err
	}
	c.say("Deleted app %s (%s).", clean(a.Name), clean(a.ID))
	return nil
}

// principal is a user or group named on the command line, resolved.
type principal struct {
	kind, id, name string
}

// principals resolves the --user and --group flags.
func (c *cli) principals(cl *apiclient.Client, users, groups []string) ([]principal, error) {
	var ps []principal
	for _, ref := range users {
		u, err := c.resolveUser(cl, ref)
		if err != nil {
			return nil, err
		}
		ps = append(ps, principal{gatehouse.PrincipalUser, u.ID, u.UserName})
	}
	for _, ref := range groups {
		g, err := c.resolveGroup(cl, ref)
		if err != nil {
			return nil, err
		}
		ps = append(ps, principal{gatehouse.PrincipalGroup, g.ID, g.Name})
	}
	if len(ps) == 0 {
		return nil, usagef("give --user or --group")
	}
	return ps, nil
}

func appAssign(c *cli, args []string) error {
	fs := c.newFlagSet()
	var users, groups stringList
	fs.Var(&users, "user", "a user `NAME` or ID to assign (repeatable)")
	fs.Var(&groups, "group", "a group `NAME` or ID to assign; its members get access (repeatable)")
	pos, err := c.parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	if len(users)+len(groups) == 0 {
		return usagef("give --user or --group")
	}
	cl := c.client()
	a, err := c.resolveApp(cl, pos[0])
	if err != nil {
		return err
	}
	ps, err := c.principals(cl, users, groups)
	if err != nil {
		return err
	}
	var created []*gatehouse.Assignment
	for _, p := range ps {
		as, err := cl.CreateAssignment(c.ctx, c.directory, a.ID, apiclient.AssignmentInput{PrincipalType: p.kind, PrincipalID: p.id})
		if err != nil {
			return err
		}
		created = append(created, as)
		c.say("Assigned %s %s to %s.", p.kind, clean(p.name), clean(a.Name))
	}
	if c.json {
		return c.printJSON(apiclient.List[*gatehouse.Assignment]{Items: created, Total: len(created)})
	}
	return nil
}

func appUnassign(c *cli, args []string) error {
	fs := c.newFlagSet()
	var users, groups stringList
	fs.Var(&users, "user", "a user `NAME` or ID to unassign (repeatable)")
	fs.Var(&groups, "group", "a group `NAME` or ID to unassign (repeatable)")
	pos, err := c.parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	if len(users)+len(groups) == 0 {
		return usagef("give --user or --group")
	}
	cl := c.client()
	a, err := c.resolveApp(cl, pos[0])
	if err != nil {
		return err
	}
	ps, err := c.principals(cl, users, groups)
	if err != nil {
		return err
	}
	assignments, _, err := cl.ListAssignments(c.ctx, c.directory, a.ID)
	if err != nil {
		return err
	}
	for _, p := range ps {
		var found *gatehouse.Assignment
		for _, as := range assignments {
			if as.PrincipalType == p.kind && as.PrincipalID == p.id {
				found = as
			}
		}
		if found == nil {
			return fmt.Errorf("%s %q is not assigned to %s", p.kind, p.name, a.Name)
		}
		if err := cl.DeleteAssignment(c.ctx, c.directory, a.ID, found.ID); err != nil {
			return err
		}
		c.say("Unassigned %s %s from %s.", p.kind, clean(p.name), clean(a.Name))
	}
	return nil
}

func appAssignments(c *cli, args []string) error {
	fs := c.newFlagSet()
	cl, a, _, err := c.parseApp(fs, args, 1, 1)
	if err != nil {
		return err
	}
	assignments, total, err := cl.ListAssignments(c.ctx, c.directory, a.ID)
	if err != nil {
		return err
	}
	names := map[string]string{}
	if !c.json {
		for _, as := range assignments {
			switch as.PrincipalType {
			case gatehouse.PrincipalUser:
				if u, err := cl.GetUser(c.ctx, c.directory, as.PrincipalID); err == nil {
					names[as.ID] = u.UserName
				}
			case gatehouse.PrincipalGroup:
				if g, err := cl.GetGroup(c.ctx, c.directory, as.PrincipalID); err == nil {
					names[as.ID] = g.Name
				}
			}
		}
	}
	return printList(c, assignments, total, "assignments", []string{"ID", "TYPE", "NAME", "PRINCIPAL ID", "ASSIGNED"},
		func(as *gatehouse.Assignment) []string {
			return []string{as.ID, as.PrincipalType, orDash(names[as.ID]), as.PrincipalID, fmtTime(as.CreatedAt)}
		})
}
