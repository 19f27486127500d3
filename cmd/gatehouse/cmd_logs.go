package main

import (
	"errors"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/apiclient"
)

// userID returns the ID of the user ref names; an ID is taken as it is, so events of deleted users stay reachable.
func (c *cli) userID(cl *apiclient.Client, ref string) (string, error) {
	if ref == "" || gatehouse.ValidID(ref) {
		return ref, nil
	}
	u, err := c.resolveUser(cl, ref)
	if err != nil {
		return "", err
	}
	return u.ID, nil
}

// appID returns the ID of the app ref names, or ref itself when no app has that name or ID but ref looks like an
// ID (the app may have been deleted).
func (c *cli) appID(cl *apiclient.Client, ref string) (string, error) {
	if ref == "" {
		return "", nil
	}
	a, err := c.resolveApp(cl, ref)
	if err != nil {
		var nf *notFoundError
		if gatehouse.ValidID(ref) && errors.As(err, &nf) {
			return ref, nil
		}
		return "", err
	}
	return a.ID, nil
}

// signInFields describes a sign-in event as key-value lines.
func signInFields(e *gatehouse.SignInEvent) [][2]string {
	return [][2]string{
		{"ID", e.ID},
		{"Time", fmtTime(e.Time)},
		{"User", orDash(e.UserName)},
		{"User ID", orDash(e.UserID)},
		{"App", orDash(e.AppName)},
		{"App ID", orDash(e.AppID)},
		{"Result", e.Result},
		{"Code", orDash(e.Code)},
		{"Reason", orDash(e.Reason)},
		{"How to fix", orDash(e.Hint)},
		{"Correlation ID", e.CorrelationID},
		{"Client address", orDash(e.ClientAddr)},
	}
}

func signinsList(c *cli, args []string) error {
	fs := c.newFlagSet()
	user := fs.String("user", "", "only sign-ins of this user (`NAME` or ID)")
	app := fs.String("app", "", "only sign-ins to this app (`NAME` or ID)")
	result := fs.String("result", "", "only this `RESULT`: success or failure")
	offset := fs.Int("offset", 0, "skip this `MANY` events")
	limit := fs.Int("limit", 0, "list at most this `MANY` events (the server's default is 100)")
	if _, err := c.parse(fs, args, 0, 0); err != nil {
		return err
	}
	switch *result {
	case "", gatehouse.ResultSuccess, gatehouse.ResultFailure:
	default:
		return usagef("--result %q is unknown: choose success or failure", *result)
	}
	cl := c.client()
	q := apiclient.SignInQuery{Result: *result, Offset: *offset, Limit: *limit}
	var err error
	if q.UserID, err = c.userID(cl, *user); err != nil {
		return err
	}
	if q.AppID, err = c.appID(cl, *app); err != nil {
		return err
	}
	events, total, err := cl.ListSignIns(c.ctx, c.directory, q)
	if err != nil {
		return err
	}
	return printList(c, events, total, "sign-ins", []string{"TIME", "USER", "APP", "RESULT", "CODE", "REASON", "CORRELATION ID"},
		func(e *gatehouse.SignInEvent) []string {
			return []string{fmtTime(e.Time), orDash(e.UserName), orDash(e.AppName), e.Result, orDash(e.Code), orDash(e.Reason), e.CorrelationID}
		})
}

func signinsShow(c *cli, args []string) error {
	fs := c.newFlagSet()
	pos, err := c.parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	e, err := c.client().GetSignIn(c.ctx, c.directory, pos[0])
	if err != nil {
		return err
	}
	return c.printFields(e, signInFields(e))
}

func auditList(c *cli, args []string) error {
	fs := c.newFlagSet()
	actor := fs.String("actor", "", "only changes made by this user (`NAME` or ID)")
	targetType := fs.String("target-type", "", "only changes to objects of this `TYPE`: user, group, app, directory, ...")
	targetID := fs.String("target-id", "", "only changes to the object with this `ID`")
	offset := fs.Int("offset", 0, "skip this `MANY` events")
	limit := fs.Int("limit", 0, "list at most this `MANY` events (the server's default is 100)")
	if _, err := c.parse(fs, args, 0, 0); err != nil {
		return err
	}
	cl := c.client()
	actorID, err := c.userID(cl, *actor)
	if err != nil {
		return err
	}
	events, total, err := cl.ListAudit(c.ctx, c.directory, apiclient.AuditQuery{
		ActorID: actorID, TargetType: *targetType, TargetID: *targetID, Offset: *offset, Limit: *limit,
	})
	if err != nil {
		return err
	}
	return printList(c, events, total, "audit events", []string{"TIME", "ACTOR", "ACTION", "TARGET TYPE", "TARGET ID", "CORRELATION ID"},
		func(e *gatehouse.AuditEvent) []string {
			return []string{fmtTime(e.Time), orDash(e.ActorName), e.Action, e.TargetType, e.TargetID, e.CorrelationID}
		})
}
