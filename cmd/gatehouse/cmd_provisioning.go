package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/apiclient"
)

// maxToken bounds a secret token read from the terminal or standard input.
const maxToken = 4096

// askToken asks for an app's secret token: at a terminal without echoing it, otherwise one line of standard input.
// A token never goes on the command line, where other users of the machine can see it.
func (c *cli) askToken(app string) (string, error) {
	fmt.Fprintf(c.stderr, "Secret token of %s: ", clean(app))
	tok, err := readPasswordPrompt(c.stdin)
	fmt.Fprintln(c.stderr)
	if err != nil {
		return "", fmt.Errorf("read the token: %w", err)
	}
	if tok = strings.TrimSpace(tok); tok == "" || len(tok) > maxToken {
		return "", usagef("the token is empty, or longer than %d bytes", maxToken)
	}
	return tok, nil
}

// readMappings reads a JSON array of attribute mappings from a file.
func readMappings(file string) (*[]gatehouse.AttributeMapping, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var list []gatehouse.AttributeMapping
	if err := json.Unmarshal(b, &list); err != nil {
		return nil, fmt.Errorf("%s is not a JSON array of mappings such as [{\"target\":\"userName\",\"kind\":\"direct\",\"source\":\"userName\",\"apply\":\"always\"}]: %w", file, err)
	}
	if list == nil {
		list = []gatehouse.AttributeMapping{}
	}
	return &list, nil
}

func provisioningShow(c *cli, args []string) error {
	fs := c.newFlagSet()
	cl, a, _, err := c.parseApp(fs, args, 1, 1)
	if err != nil {
		return err
	}
	p, err := cl.GetProvisioning(c.ctx, c.directory, a.ID)
	if err != nil {
		return err
	}
	return c.printProvisioning(a, p)
}

// printProvisioning prints an app's provisioning: the settings, the status and the mappings.
func (c *cli) printProvisioning(a *gatehouse.App, p *apiclient.Provisioning) error {
	if c.json {
		return c.printJSON(p)
	}
	s := p.Settings
	token := "not set"
	if p.TokenSet {
		token = "set " + fmtTime(s.TokenSetAt) + " (never shown)"
	}
	status := "off"
	if s.Mode == gatehouse.ProvisioningAutomatic {
		status = "on"
	}
	fields := [][2]string{{"App", a.Name}, {"Provisioning", status}, {"Tenant URL", orDash(s.TenantURL)}, {"Secret token", token},
		{"Scope", s.Scope}, {"Matching attribute", s.MatchAttribute}, {"Groups", yesNo(s.Groups)},
		{"When a user leaves the scope", s.LeaveAction}, {"When a user is deleted", s.DeleteAction}, {"Changes sent with", s.UpdateMethod}}
	if st := p.Status; st != nil {
		if q := st.Quarantine; q != nil {
			fields = append(fields, [2]string{"Quarantine", "since " + fmtTime(q.Since) + ": " + q.Reason},
				[2]string{"Next try", fmtTime(q.NextProbeAt)})
		}
		if cy := st.Cycle; cy != nil {
			fields = append(fields, [2]string{"Cycle running", fmt.Sprintf("%s since %s, %s", cy.Kind, fmtTime(cy.StartedAt), cycleCounts(cy.Counts))})
		}
		if cy := st.LastCycle; cy != nil {
			fields = append(fields, [2]string{"Last cycle", fmt.Sprintf("%s, finished %s, %s", cy.Kind, fmtTime(cy.FinishedAt), cycleCounts(cy.Counts))})
		}
		last := "none yet"
		if !st.LastSuccessAt.IsZero() {
			last = fmtTime(st.LastSuccessAt)
		}
		fields = append(fields, [2]string{"Last successful cycle", last})
		if !st.NextCycleAt.IsZero() {
			fields = append(fields, [2]string{"Next cycle", fmtTime(st.NextCycleAt)})
		}
	}
	fields = append(fields, [2]string{"Changes waiting", strconv.Itoa(p.Queued)},
		[2]string{"Accounts", fmt.Sprintf("%d users (%d active), %d groups", p.Users, p.ActiveUsers, p.Groups)})
	if err := c.printFields(p, fields); err != nil {
		return err
	}
	for _, set := range []struct {
		name string
		list []gatehouse.AttributeMapping
	}{{"User mappings", s.UserMappings}, {"Group mappings", s.GroupMappings}} {
		fmt.Fprintf(c.stdout, "\n%s:\n", set.name)
		t := newTable(c.stdout)
		t.row("TARGET", "FROM", "APPLY", "DEFAULT")
		for _, m := range set.list {
			from := m.Source
			switch m.Kind {
			case gatehouse.MappingConstant:
				from = strconv.Quote(m.Value)
			case gatehouse.MappingExpression:
				from = m.Expression
			}
			t.row(m.Target, from, m.Apply, orDash(m.Default))
		}
		t.flush()
	}
	if tpl := p.Template; tpl != nil && tpl.Supported && tpl.Notes != "" {
		fmt.Fprintf(c.stdout, "\n%s\n", clean(tpl.Notes))
	}
	return nil
}

func cycleCounts(n gatehouse.ProvisioningCounts) string {
	return fmt.Sprintf("%d created, %d updated, %d disabled, %d deleted, %d unchanged, %d skipped, %d failed",
		n.Created, n.Updated, n.Disabled, n.Deleted, n.Unchanged, n.Skipped, n.Failed)
}

func provisioningSet(c *cli, args []string) error {
	fs := c.newFlagSet()
	mode := fs.String("mode", "", "`MODE`: automatic turns provisioning on (and starts the initial cycle), off turns it off")
	url := fs.String("tenant-url", "", "the app's SCIM base `URL` (its tenant URL)")
	ask := fs.Bool("ask-token", false, "ask for the app's secret token (read from standard input when it is not a terminal); it is stored encrypted and never shown again")
	scope := fs.String("scope", "", "`SCOPE`: assigned (only assigned users and groups) or all")
	match := fs.String("match", "", "the `ATTRIBUTE` of the app's accounts that finds a user's account (userName by default)")
	groups := fs.Bool("groups", true, "provision groups in scope, with their members (--groups=false turns it off)")
	leave := fs.String("leave-action", "", "what happens to the account of a user who leaves the scope or is disabled: disable or delete")
	deleted := fs.String("delete-action", "", "what happens to the account of a deleted user: delete or disable")
	method := fs.String("update-method", "", "how changes are sent: auto, patch or put")
	userMaps := fs.String("user-mappings", "", "a JSON `FILE` with the user mappings, replacing them all")
	groupMaps := fs.String("group-mappings", "", "a JSON `FILE` with the group mappings, replacing them all")
	cl, a, _, err := c.parseApp(fs, args, 1, 1)
	if err != nil {
		return err
	}
	var in apiclient.ProvisioningPatch
	for _, f := range []struct {
		name string
		v    *string
		dst  **string
	}{{"mode", mode, &in.Mode}, {"tenant-url", url, &in.TenantURL}, {"scope", scope, &in.Scope}, {"match", match, &in.MatchAttribute},
		{"leave-action", leave, &in.LeaveAction}, {"delete-action", deleted, &in.DeleteAction}, {"update-method", method, &in.UpdateMethod}} {
		if isSet(fs, f.name) {
			*f.dst = f.v
		}
	}
	if isSet(fs, "groups") {
		in.Groups = groups
	}
	if *userMaps != "" {
		if in.UserMappings, err = readMappings(*userMaps); err != nil {
			return err
		}
	}
	if *groupMaps != "" {
		if in.GroupMappings, err = readMappings(*groupMaps); err != nil {
			return err
		}
	}
	if *ask {
		tok, err := c.askToken(a.Name)
		if err != nil {
			return err
		}
		in.Token = &tok
	}
	p, err := cl.UpdateProvisioning(c.ctx, c.directory, a.ID, in)
	if err != nil {
		return err
	}
	switch {
	case in.Mode != nil && *in.Mode == gatehouse.ProvisioningAutomatic:
		c.say("Provisioning of %s is on; the initial cycle starts now.", clean(a.Name))
	case in.Mode != nil && *in.Mode == gatehouse.ProvisioningOff:
		c.say("Provisioning of %s is off.", clean(a.Name))
	default:
		c.say("Saved the provisioning settings of %s.", clean(a.Name))
	}
	if c.json {
		return c.printJSON(p)
	}
	return nil
}

// errTestFailed is the exit of a connection test the app failed; the result says why.
var errTestFailed = errors.New("the connection test failed")

func provisioningTest(c *cli, args []string) error {
	fs := c.newFlagSet()
	url := fs.String("tenant-url", "", "test this SCIM base `URL` instead of the saved one")
	ask := fs.Bool("ask-token", false, "ask for a secret token to test instead of the saved one")
	cl, a, _, err := c.parseApp(fs, args, 1, 1)
	if err != nil {
		return err
	}
	in := apiclient.ConnectionTest{TenantURL: *url}
	if *ask {
		if in.Token, err = c.askToken(a.Name); err != nil {
			return err
		}
	}
	res, err := cl.TestProvisioning(c.ctx, c.directory, a.ID, in)
	if err != nil {
		return err
	}
	if c.json {
		if err := c.printJSON(res); err != nil {
			return err
		}
	} else {
		for _, s := range res.Steps {
			fmt.Fprintf(c.stdout, "%-13s %-8s %s\n", s.Name, s.Result, clean(s.Detail))
		}
		if res.OK {
			fmt.Fprintf(c.stdout, "The connection to %s works.\n", clean(a.Name))
		}
	}
	if !res.OK {
		fmt.Fprintf(c.stderr, "gatehouse: %s\n", clean(res.Message))
		return errTestFailed
	}
	return nil
}

func provisioningOnDemand(c *cli, args []string) error {
	fs := c.newFlagSet()
	user := fs.String("user", "", "provision this user (`NAME` or ID)")
	group := fs.String("group", "", "provision this group (`NAME` or ID) and its members, at most 5")
	cl, a, _, err := c.parseApp(fs, args, 1, 1)
	if err != nil {
		return err
	}
	var typ, id string
	switch {
	case (*user == "") == (*group == ""):
		return usagef("give --user or --group")
	case *user != "":
		u, err := c.resolveUser(cl, *user)
		if err != nil {
			return err
		}
		typ, id = gatehouse.ObjectUser, u.ID
	default:
		g, err := c.resolveGroup(cl, *group)
		if err != nil {
			return err
		}
		typ, id = gatehouse.ObjectGroup, g.ID
	}
	res, err := cl.ProvisionOnDemand(c.ctx, c.directory, a.ID, typ, id)
	if err != nil {
		return err
	}
	if c.json {
		return c.printJSON(res)
	}
	failed := false
	for _, e := range res.Events {
		fmt.Fprintf(c.stdout, "%s %s: %s — %s\n", e.ObjectType, clean(e.SourceName), e.Action, e.Result)
		for _, s := range e.Steps {
			fmt.Fprintf(c.stdout, "  %-11s %-8s %s\n", s.Name, s.Result, clean(s.Detail))
		}
		for _, ch := range e.Changes {
			fmt.Fprintf(c.stdout, "  %s: %s → %s\n", clean(ch.Attribute), orDash(ch.Before), clean(ch.After))
		}
		if e.HTTPStatus != 0 {
			fmt.Fprintf(c.stdout, "  the app answered HTTP %d: %s\n", e.HTTPStatus, clean(e.ErrorBody))
		}
		if e.Result == gatehouse.ResultFailure {
			failed = true
		}
	}
	if failed {
		return errors.New("provisioning on demand failed; the steps above say where")
	}
	return nil
}

func provisioningRetry(c *cli, args []string) error {
	fs := c.newFlagSet()
	cl, a, _, err := c.parseApp(fs, args, 1, 1)
	if err != nil {
		return err
	}
	if err := cl.RetryProvisioning(c.ctx, c.directory, a.ID); err != nil {
		return err
	}
	c.say("Provisioning of %s is tried again now.", clean(a.Name))
	return nil
}

func provisioningRestart(c *cli, args []string) error {
	fs := c.newFlagSet()
	cl, a, _, err := c.parseApp(fs, args, 1, 1)
	if err != nil {
		return err
	}
	if err := cl.RestartProvisioning(c.ctx, c.directory, a.ID); err != nil {
		return err
	}
	c.say("A full provisioning cycle of %s starts now.", clean(a.Name))
	return nil
}

// logFlags are the filters of the provisioning log commands.
type logFlags struct {
	object, action, result, since, until *string
	offset, limit                        *int
}

func addLogFlags(c *cli, fs interface {
	String(name, value, usage string) *string
	Int(name string, value int, usage string) *int
}) logFlags {
	return logFlags{
		object: fs.String("object", "", "only entries of this user or group (its ID, or part of its `NAME`)"),
		action: fs.String("action", "", "only this `ACTION`: create, update, disable, delete or skip"),
		result: fs.String("result", "", "only this `RESULT`: success, failure or skipped"),
		since:  fs.String("since", "", "only entries from this `TIME` on: 2026-03-01T09:00:00Z, or how long ago, such as 24h"),
		until:  fs.String("until", "", "only entries before this `TIME` (same forms)"),
		offset: fs.Int("offset", 0, "skip this `MANY` entries"),
		limit:  fs.Int("limit", 0, "list at most this `MANY` entries (the server's default is 100)"),
	}
}

// logTime reads a time of the log's filters: RFC 3339, or a duration before now.
func logTime(name, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return time.Now().Add(-d), nil
	}
	return time.Time{}, usagef("--%s %q: give a time such as 2026-03-01T09:00:00Z, or how long ago, such as 24h", name, s)
}

func (f logFlags) query() (apiclient.ProvisioningLogQuery, error) {
	q := apiclient.ProvisioningLogQuery{Object: *f.object, Action: *f.action, Result: *f.result, Offset: *f.offset, Limit: *f.limit}
	var err error
	if q.Since, err = logTime("since", *f.since); err != nil {
		return q, err
	}
	q.Until, err = logTime("until", *f.until)
	return q, err
}

// printProvisioningLog prints log entries as a table.
func printProvisioningLog(c *cli, events []*gatehouse.ProvisioningEvent, total int) error {
	return printList(c, events, total, "provisioning log entries",
		[]string{"TIME", "APP", "OBJECT", "ACTION", "RESULT", "CHANGES", "HTTP", "REASON", "ID"},
		func(e *gatehouse.ProvisioningEvent) []string {
			var ch []string
			for _, x := range e.Changes {
				if x.Before != "" {
					ch = append(ch, x.Attribute+": "+x.Before+" → "+x.After)
				} else {
					ch = append(ch, x.Attribute+": "+x.After)
				}
			}
			status := "-"
			if e.HTTPStatus != 0 {
				status = strconv.Itoa(e.HTTPStatus)
			}
			return []string{fmtTime(e.Time), e.AppName, e.ObjectType + " " + e.SourceName, e.Action, e.Result,
				orDash(strings.Join(ch, "; ")), status, orDash(e.Reason), e.ID}
		})
}

func provisioningAppLog(c *cli, args []string) error {
	fs := c.newFlagSet()
	f := addLogFlags(c, fs)
	cl, a, _, err := c.parseApp(fs, args, 1, 1)
	if err != nil {
		return err
	}
	q, err := f.query()
	if err != nil {
		return err
	}
	events, total, err := cl.AppProvisioningLog(c.ctx, c.directory, a.ID, q)
	if err != nil {
		return err
	}
	return printProvisioningLog(c, events, total)
}

func provisioningLog(c *cli, args []string) error {
	fs := c.newFlagSet()
	app := fs.String("app", "", "only entries of this app (`NAME` or ID)")
	f := addLogFlags(c, fs)
	if _, err := c.parse(fs, args, 0, 0); err != nil {
		return err
	}
	cl := c.client()
	q, err := f.query()
	if err != nil {
		return err
	}
	if q.App, err = c.appID(cl, *app); err != nil {
		return err
	}
	events, total, err := cl.ProvisioningLog(c.ctx, c.directory, q)
	if err != nil {
		return err
	}
	return printProvisioningLog(c, events, total)
}

func provisioningEventShow(c *cli, args []string) error {
	fs := c.newFlagSet()
	pos, err := c.parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	e, err := c.client().GetProvisioningEvent(c.ctx, c.directory, pos[0])
	if err != nil {
		return err
	}
	if c.json {
		return c.printJSON(e)
	}
	fields := [][2]string{{"ID", e.ID}, {"Time", fmtTime(e.Time)}, {"App", e.AppName}, {"Object", e.ObjectType + " " + e.SourceName},
		{"Source ID", e.SourceID}, {"Account at the app", orDash(e.TargetID)}, {"Action", e.Action}, {"Result", e.Result},
		{"Reason", orDash(e.Reason)}, {"Trigger", e.Trigger}, {"Requests went to", orDash(e.Target)},
		{"Took", fmt.Sprintf("%d ms", e.DurationMS)}}
	if e.HTTPStatus != 0 {
		fields = append(fields, [2]string{"HTTP status", strconv.Itoa(e.HTTPStatus)}, [2]string{"The app's answer", e.ErrorBody})
	}
	for _, ch := range e.Changes {
		fields = append(fields, [2]string{"Changed " + ch.Attribute, orDash(ch.Before) + " → " + ch.After})
	}
	for _, s := range e.Steps {
		fields = append(fields, [2]string{"Step " + s.Name, s.Result + ": " + s.Detail})
	}
	return c.printFields(e, fields)
}
