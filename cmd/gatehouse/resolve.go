package main

import (
	"flag"
	"fmt"
	"strings"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/apiclient"
)

// searchLimit is how many matches a name lookup asks for; the server returns at most 1000.
const searchLimit = 1000

// resolve finds the object that ref names: the object with that ID when there is one, otherwise the only object
// whose name is ref (exactly, or else ignoring case). kind names the kind of object in errors ("user").
func resolve[T any](c *cli, kind, ref string, get func(id string) (T, error), search func(q string) ([]T, error),
	id, name func(T) string) (T, error) {
	var zero T
	if ref == "" {
		return zero, usagef("empty %s name", kind)
	}
	if gatehouse.ValidID(ref) {
		v, err := get(ref)
		if err == nil {
			return v, nil
		}
		if apiclient.ErrorCode(err) != gatehouse.ENOTFOUND {
			return zero, err
		}
	}
	items, err := search(ref)
	if err != nil {
		return zero, err
	}
	var exact, folded []T
	for _, it := range items {
		switch {
		case name(it) == ref:
			exact = append(exact, it)
		case strings.EqualFold(name(it), ref):
			folded = append(folded, it)
		}
	}
	matches := exact
	if len(matches) == 0 {
		matches = folded
	}
	switch len(matches) {
	case 0:
		return zero, &notFoundError{kind: kind, ref: ref, dir: c.directory}
	case 1:
		return matches[0], nil
	}
	ids := make([]string, len(matches))
	for i, m := range matches {
		ids[i] = id(m)
	}
	return zero, fmt.Errorf("%d %ss are named %q (IDs %s); name the %s by its ID", len(matches), kind, ref,
		strings.Join(ids, ", "), kind)
}

// notFoundError says that no object has the name or ID given on the command line.
type notFoundError struct{ kind, ref, dir string }

func (e *notFoundError) Error() string {
	return fmt.Sprintf("no %s is named %q or has that ID in directory %q", e.kind, e.ref, e.dir)
}

// resolveUser finds a user by ID or user name.
func (c *cli) resolveUser(cl *apiclient.Client, ref string) (*gatehouse.User, error) {
	return resolve(c, "user", ref,
		func(id string) (*gatehouse.User, error) { return cl.GetUser(c.ctx, c.directory, id) },
		func(q string) ([]*gatehouse.User, error) {
			users, _, err := cl.ListUsers(c.ctx, c.directory, apiclient.UserQuery{Query: q, Limit: searchLimit})
			return users, err
		},
		func(u *gatehouse.User) string { return u.ID },
		func(u *gatehouse.User) string { return u.UserName })
}

// resolveGroup finds a group by ID or name.
func (c *cli) resolveGroup(cl *apiclient.Client, ref string) (*gatehouse.Group, error) {
	return resolve(c, "group", ref,
		func(id string) (*gatehouse.Group, error) { return cl.GetGroup(c.ctx, c.directory, id) },
		func(q string) ([]*gatehouse.Group, error) {
			groups, _, err := cl.ListGroups(c.ctx, c.directory, q)
			return groups, err
		},
		func(g *gatehouse.Group) string { return g.ID },
		func(g *gatehouse.Group) string { return g.Name })
}

// resolveApp finds an app by ID or name.
func (c *cli) resolveApp(cl *apiclient.Client, ref string) (*gatehouse.App, error) {
	return resolve(c, "app", ref,
		func(id string) (*gatehouse.App, error) { return cl.GetApp(c.ctx, c.directory, id) },
		func(q string) ([]*gatehouse.App, error) {
			apps, _, err := cl.ListApps(c.ctx, c.directory, q)
			return apps, err
		},
		func(a *gatehouse.App) string { return a.ID },
		func(a *gatehouse.App) string { return a.Name })
}

// parseApp parses a command whose first argument names an app (by name or ID), between min and max arguments in
// all, and finds the app. It returns the API client, the app and the arguments.
func (c *cli) parseApp(fs *flag.FlagSet, args []string, min, max int) (*apiclient.Client, *gatehouse.App, []string, error) {
	pos, err := c.parse(fs, args, min, max)
	if err != nil {
		return nil, nil, nil, err
	}
	cl := c.client()
	a, err := c.resolveApp(cl, pos[0])
	if err != nil {
		return nil, nil, nil, err
	}
	return cl, a, pos, nil
}
