package main

import (
	"fmt"
	"strings"

	"github.com/gatehouse-idp/gatehouse/apiclient"
)

// printNotifications writes who is e-mailed before a signing certificate expires.
func (c *cli) printNotifications(n *apiclient.NotificationSettings, owner string, inherits bool) error {
	if c.json {
		return c.printJSON(n)
	}
	switch {
	case len(n.Emails) > 0:
		fmt.Fprintf(c.stdout, "Certificate expiry notices for %s go to: %s\n", owner, clean(strings.Join(n.Emails, ", ")))
	case inherits && len(n.Recipients) > 0:
		fmt.Fprintf(c.stdout, "%s has no notification addresses of its own; the directory's default list gets the notices: %s\n",
			owner, clean(strings.Join(n.Recipients, ", ")))
	default:
		fmt.Fprintf(c.stdout, "No one gets the certificate expiry notices for %s.\n", owner)
	}
	return nil
}

// notificationArgs parses the addresses of a `notifications set` command: the arguments, or none with --none.
func notificationArgs(none bool, addresses []string) ([]string, error) {
	switch {
	case none && len(addresses) > 0:
		return nil, usagef("give addresses or --none, not both")
	case !none && len(addresses) == 0:
		return nil, usagef("give the addresses to notify (up to 5), or --none to remove them")
	}
	var out []string
	for _, a := range addresses {
		out = append(out, strings.FieldsFunc(a, func(r rune) bool { return r == ',' })...)
	}
	return out, nil
}

func appNotificationsShow(c *cli, args []string) error {
	fs := c.newFlagSet()
	cl, a, _, err := c.parseApp(fs, args, 1, 1)
	if err != nil {
		return err
	}
	n, err := cl.AppNotifications(c.ctx, c.directory, a.ID)
	if err != nil {
		return err
	}
	return c.printNotifications(n, clean(a.Name), true)
}

func appNotificationsSet(c *cli, args []string) error {
	fs := c.newFlagSet()
	none := fs.Bool("none", false, "remove the app's own addresses, so that the directory's default list gets its notices")
	cl, a, pos, err := c.parseApp(fs, args, 1, -1)
	if err != nil {
		return err
	}
	emails, err := notificationArgs(*none, pos[1:])
	if err != nil {
		return err
	}
	n, err := cl.SetAppNotifications(c.ctx, c.directory, a.ID, emails)
	if err != nil {
		return err
	}
	return c.printNotifications(n, clean(a.Name), true)
}

func directoryNotificationsShow(c *cli, args []string) error {
	fs := c.newFlagSet()
	if _, err := c.parse(fs, args, 0, 0); err != nil {
		return err
	}
	n, err := c.client().DirectoryNotifications(c.ctx, c.directory)
	if err != nil {
		return err
	}
	return c.printNotifications(n, "directory "+clean(c.directory)+" (its own certificate and apps without addresses)", false)
}

func directoryNotificationsSet(c *cli, args []string) error {
	fs := c.newFlagSet()
	none := fs.Bool("none", false, "remove the directory's default list")
	pos, err := c.parse(fs, args, 0, -1)
	if err != nil {
		return err
	}
	emails, err := notificationArgs(*none, pos)
	if err != nil {
		return err
	}
	n, err := c.client().SetDirectoryNotifications(c.ctx, c.directory, emails)
	if err != nil {
		return err
	}
	return c.printNotifications(n, "directory "+clean(c.directory)+" (its own certificate and apps without addresses)", false)
}
