package main

import (
	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/apiclient"
)

// groupFields describes a group as key-value lines.
func groupFields(g *gatehouse.Group) [][2]string {
	return [][2]string{
		{"ID", g.ID},
		{"Name", g.Name},
		{"Description", orDash(g.Description)},
		{"Created", fmtTime(g.CreatedAt)},
		{"Updated", fmtTime(g.UpdatedAt)},
	}
}

// groupHeader and groupRow make the table of groups.
var groupHeader = []string{"ID", "NAME", "DESCRIPTION"}

func groupRow(g *gatehouse.Group) []string { return []string{g.ID, g.Name, g.Description} }

func groupCreate(c *cli, args []string) error {
	fs := c.newFlagSet()
	description := fs.String("description", "", "a `DESCRIPTION` of what the group is for")
	pos, err := c.parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	g, err := c.client().CreateGroup(c.ctx, c.directory, apiclient.GroupInput{Name: pos[0], Description: *description})
	if err != nil {
		return err
	}
	c.say("Created group %s.", clean(g.Name))
	return c.printFields(g, groupFields(g))
}

func groupList(c *cli, args []string) error {
	fs := c.newFlagSet()
	q := fs.String("query", "", "only groups whose name contains `TEXT`")
	if _, err := c.parse(fs, args, 0, 0); err != nil {
		return err
	}
	groups, total, err := c.client().ListGroups(c.ctx, c.directory, *q)
	if err != nil {
		return err
	}
	return printList(c, groups, total, "groups", groupHeader, groupRow)
}

func groupShow(c *cli, args []string) error {
	fs := c.newFlagSet()
	pos, err := c.parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	g, err := c.resolveGroup(c.client(), pos[0])
	if err != nil {
		return err
	}
	return c.printFields(g, groupFields(g))
}

func groupUpdate(c *cli, args []string) error {
	fs := c.newFlagSet()
	name := fs.String("name", "", "the new `NAME`")
	description := fs.String("description", "", "the new `DESCRIPTION`")
	pos, err := c.parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	in := apiclient.GroupPatch{Name: given(fs, "name", name), Description: given(fs, "description", description)}
	if in == (apiclient.GroupPatch{}) {
		return usagef("nothing to change: give --name or --description")
	}
	cl := c.client()
	g, err := c.resolveGroup(cl, pos[0])
	if err != nil {
		return err
	}
	g, err = cl.UpdateGroup(c.ctx, c.directory, g.ID, in)
	if err != nil {
		return err
	}
	return c.printFields(g, groupFields(g))
}

func groupDelete(c *cli, args []string) error {
	fs := c.newFlagSet()
	pos, err := c.parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	cl := c.client()
	g, err := c.resolveGroup(cl, pos[0])
	if err != nil {
		return err
	}
	if err := cl.DeleteGroup(c.ctx, c.directory, g.ID); err != nil {
		return err
	}
	c.say("Deleted group %s.", clean(g.Name))
	return nil
}

func groupMembers(c *cli, args []string) error {
	fs := c.newFlagSet()
	pos, err := c.parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	cl := c.client()
	g, err := c.resolveGroup(cl, pos[0])
	if err != nil {
		return err
	}
	users, total, err := cl.ListGroupMembers(c.ctx, c.directory, g.ID)
	if err != nil {
		return err
	}
	return printList(c, users, total, "members", userHeader, userRow)
}

func groupAddMember(c *cli, args []string) error {
	return c.changeMembers(args, true)
}

func groupRemoveMember(c *cli, args []string) error {
	return c.changeMembers(args, false)
}

// changeMembers adds (or removes) the users named after the group to (or from) it.
func (c *cli) changeMembers(args []string, add bool) error {
	fs := c.newFlagSet()
	pos, err := c.parse(fs, args, 2, -1)
	if err != nil {
		return err
	}
	cl := c.client()
	g, err := c.resolveGroup(cl, pos[0])
	if err != nil {
		return err
	}
	for _, ref := range pos[1:] {
		u, err := c.resolveUser(cl, ref)
		if err != nil {
			return err
		}
		if add {
			err = cl.AddGroupMember(c.ctx, c.directory, g.ID, u.ID)
		} else {
			err = cl.RemoveGroupMember(c.ctx, c.directory, g.ID, u.ID)
		}
		if err != nil {
			return err
		}
		if add {
			c.say("Added %s to %s.", clean(u.UserName), clean(g.Name))
		} else {
			c.say("Removed %s from %s.", clean(u.UserName), clean(g.Name))
		}
	}
	return nil
}
