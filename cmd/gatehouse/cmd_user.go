package main

import (
	"fmt"
	"strings"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/apiclient"
)

// roleHelp lists the roles for flag help.
const roleHelp = "user, user-admin, app-admin or global-admin"

// userStatus describes whether a user can sign in.
func userStatus(u *gatehouse.User) string {
	switch {
	case u.Disabled:
		return "disabled"
	case u.MustChangePassword:
		return "password change required"
	case u.Source == gatehouse.SourceSCIM && u.PasswordChangedAt.IsZero():
		return "no password yet (reset it to give a temporary one)"
	}
	return "active"
}

// userFields describes a user as key-value lines.
func userFields(u *gatehouse.User) [][2]string {
	fields := [][2]string{
		{"ID", u.ID},
		{"User name", u.UserName},
		{"Display name", u.DisplayName},
		{"First name", orDash(u.FirstName)},
		{"Last name", orDash(u.LastName)},
		{"Mail", orDash(u.Mail)},
		{"Role", string(u.Role)},
		{"Status", userStatus(u)},
		{"Password changed", fmtTime(u.PasswordChangedAt)},
		{"Created", fmtTime(u.CreatedAt)},
		{"Updated", fmtTime(u.UpdatedAt)},
	}
	if u.Source != "" {
		fields = append(fields, [2]string{"Source", string(u.Source)})
	}
	if u.ExternalID != "" {
		fields = append(fields, [2]string{"External ID", u.ExternalID})
	}
	return fields
}

// userHeader and userRow make the table of users.
var userHeader = []string{"ID", "USER NAME", "DISPLAY NAME", "ROLE", "STATUS"}

func userRow(u *gatehouse.User) []string {
	return []string{u.ID, u.UserName, u.DisplayName, string(u.Role), userStatus(u)}
}

// printPassword writes a temporary password, clearly labelled, with what the user must do with it.
func (c *cli) printPassword(u *gatehouse.User, password string) error {
	if c.json {
		return c.printJSON(apiclient.UserWithPassword{User: *u, TemporaryPassword: password})
	}
	t := newTable(c.stdout)
	t.row("User name:", u.UserName)
	t.row("ID:", u.ID)
	t.row("Temporary password:", password)
	t.flush()
	fmt.Fprintln(c.stdout, "This password is shown only once. The user must change it at first sign-in.")
	return nil
}

func userCreate(c *cli, args []string) error {
	fs := c.newFlagSet()
	first := fs.String("first-name", "", "the user's first (given) `NAME`")
	last := fs.String("last-name", "", "the user's last `NAME` (surname)")
	display := fs.String("display-name", "", "the `NAME` shown to people (default: first and last name, or the user name)")
	mail := fs.String("mail", "", "the user's e-mail `ADDRESS`")
	role := fs.String("role", string(gatehouse.RoleUser), "the `ROLE`: "+roleHelp)
	pos, err := c.parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	in := apiclient.UserInput{
		UserName: pos[0], FirstName: *first, LastName: *last, DisplayName: *display, Mail: *mail, Role: gatehouse.Role(*role),
	}
	if in.DisplayName == "" {
		in.DisplayName = strings.TrimSpace(in.FirstName + " " + in.LastName)
	}
	if in.DisplayName == "" {
		in.DisplayName = in.UserName
	}
	u, password, err := c.client().CreateUser(c.ctx, c.directory, in)
	if err != nil {
		return err
	}
	c.say("Created user %s.", clean(u.UserName))
	return c.printPassword(u, password)
}

func userList(c *cli, args []string) error {
	fs := c.newFlagSet()
	q := fs.String("query", "", "only users whose user name, display name, first or last name or mail starts with `TEXT`")
	role := fs.String("role", "", "only users with this `ROLE`: "+roleHelp)
	cursor := fs.String("cursor", "", "the page after the one that printed this `CURSOR` as its next page")
	limit := fs.Int("limit", 0, "list at most this `MANY` users (the server's default is 100)")
	if _, err := c.parse(fs, args, 0, 0); err != nil {
		return err
	}
	l, err := c.client().ListUserPage(c.ctx, c.directory, apiclient.UserQuery{
		Query: *q, Role: gatehouse.Role(*role), Cursor: *cursor, Limit: *limit,
	})
	if err != nil {
		return err
	}
	if c.json {
		if l.Items == nil {
			l.Items = []*gatehouse.User{}
		}
		return c.printJSON(l)
	}
	if len(l.Items) == 0 {
		fmt.Fprintln(c.stdout, "No users.")
		return nil
	}
	t := newTable(c.stdout)
	t.row(userHeader...)
	for _, u := range l.Items {
		t.row(userRow(u)...)
	}
	t.flush()
	count := fmt.Sprintf("%d", l.Total)
	if l.TotalCapped {
		count = fmt.Sprintf("more than %d", l.Total)
	}
	if l.Next != "" {
		fmt.Fprintf(c.stdout, "(%d of %s users; the next page: --cursor %s)\n", len(l.Items), count, l.Next)
	} else if *cursor == "" && l.Total > len(l.Items) {
		fmt.Fprintf(c.stdout, "(%d of %s users)\n", len(l.Items), count)
	}
	return nil
}

func userShow(c *cli, args []string) error {
	fs := c.newFlagSet()
	pos, err := c.parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	u, err := c.resolveUser(c.client(), pos[0])
	if err != nil {
		return err
	}
	return c.printFields(u, userFields(u))
}

func userUpdate(c *cli, args []string) error {
	fs := c.newFlagSet()
	userName := fs.String("user-name", "", "the new user `NAME`")
	first := fs.String("first-name", "", "the new first `NAME`")
	last := fs.String("last-name", "", "the new last `NAME`")
	display := fs.String("display-name", "", "the new display `NAME`")
	mail := fs.String("mail", "", "the new e-mail `ADDRESS` (empty to remove it)")
	role := fs.String("role", "", "the new `ROLE`: "+roleHelp)
	pos, err := c.parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	in := apiclient.UserPatch{
		UserName:    given(fs, "user-name", userName),
		FirstName:   given(fs, "first-name", first),
		LastName:    given(fs, "last-name", last),
		DisplayName: given(fs, "display-name", display),
		Mail:        given(fs, "mail", mail),
	}
	if isSet(fs, "role") {
		r := gatehouse.Role(*role)
		in.Role = &r
	}
	if in == (apiclient.UserPatch{}) {
		return usagef("nothing to change: give at least one of --user-name, --first-name, --last-name, --display-name, --mail, --role")
	}
	return c.patchUser(pos[0], in, "")
}

// patchUser changes the user ref names and shows the result, or says done when done is not empty.
func (c *cli) patchUser(ref string, in apiclient.UserPatch, done string) error {
	cl := c.client()
	u, err := c.resolveUser(cl, ref)
	if err != nil {
		return err
	}
	u, err = cl.UpdateUser(c.ctx, c.directory, u.ID, in)
	if err != nil {
		return err
	}
	if done != "" && !c.json {
		c.say(done, clean(u.UserName))
		return nil
	}
	return c.printFields(u, userFields(u))
}

func userDisable(c *cli, args []string) error {
	fs := c.newFlagSet()
	pos, err := c.parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	yes := true
	return c.patchUser(pos[0], apiclient.UserPatch{Disabled: &yes}, "Disabled %s: they can no longer sign in.")
}

func userEnable(c *cli, args []string) error {
	fs := c.newFlagSet()
	pos, err := c.parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	no := false
	return c.patchUser(pos[0], apiclient.UserPatch{Disabled: &no}, "Enabled %s: they can sign in again.")
}

func userDelete(c *cli, args []string) error {
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
	if err := cl.DeleteUser(c.ctx, c.directory, u.ID); err != nil {
		return err
	}
	c.say("Deleted user %s.", clean(u.UserName))
	return nil
}

func userResetPassword(c *cli, args []string) error {
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
	u, password, err := cl.ResetPassword(c.ctx, c.directory, u.ID)
	if err != nil {
		return err
	}
	return c.printPassword(u, password)
}

func userApps(c *cli, args []string) error {
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
	apps, total, err := cl.ListUserApps(c.ctx, c.directory, u.ID)
	if err != nil {
		return err
	}
	return printList(c, apps, total, "apps", appHeader, appRow)
}

func userGroups(c *cli, args []string) error {
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
	groups, total, err := cl.ListUserGroups(c.ctx, c.directory, u.ID)
	if err != nil {
		return err
	}
	return printList(c, groups, total, "groups", groupHeader, groupRow)
}
