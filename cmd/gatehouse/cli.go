package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/gatehouse-idp/gatehouse/apiclient"
)

// command is one gatehouse <noun> <verb> command.
type command struct {
	// name is the command's words, such as "app saml set".
	name string
	// args describes the positional arguments in the usage line, such as "APP".
	args string
	// summary is one sentence of what the command does.
	summary string
	// run parses the arguments after the name and does the work.
	run func(c *cli, args []string) error
}

// cli is the state of one run: where input and output go, the common flags and the command being run.
type cli struct {
	ctx            context.Context
	stdin          io.Reader
	stdout, stderr io.Writer
	hc             *http.Client
	isTerminal     func(any) bool

	server, token, directory string
	json                     bool

	cmd *command
}

// commonFlagNames are the flags every command accepts; help lists them apart.
var commonFlagNames = map[string]bool{"server": true, "token": true, "directory": true, "json": true}

// commonFlags adds the flags every command accepts to fs, bound to c's fields.
func (c *cli) commonFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.server, "server", c.server, "the Gatehouse server `URL` (env GATEHOUSE_SERVER)")
	fs.StringVar(&c.token, "token", c.token, "an API `TOKEN` from gatehouse login (env GATEHOUSE_TOKEN)")
	fs.StringVar(&c.directory, "directory", c.directory, "the directory `ID` to work in (env GATEHOUSE_DIRECTORY)")
	fs.BoolVar(&c.json, "json", c.json, "print machine-readable JSON")
}

// newFlagSet returns the flag set of the command being run, with the common flags.
func (c *cli) newFlagSet() *flag.FlagSet {
	fs := flag.NewFlagSet("gatehouse "+c.cmd.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	c.commonFlags(fs)
	return fs
}

// errHelp is returned after help was printed on request; the exit code is 0.
var errHelp = errors.New("help shown")

// usageError is a mistake on the command line; the exit code is 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// usagef returns a usageError.
func usagef(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

// parse parses args with fs, allowing flags after positional arguments, and checks that there are between min and
// max positional arguments (max < 0 means any number). -h and --help print the command's help.
func (c *cli) parse(fs *flag.FlagSet, args []string, min, max int) ([]string, error) {
	var pos []string
	for {
		err := fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			c.commandHelp(c.stdout, fs)
			return nil, errHelp
		}
		if err != nil {
			return nil, &usageError{err.Error()}
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			pos = append(pos, rest...)
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	switch {
	case len(pos) < min:
		if c.cmd.args != "" {
			return nil, usagef("missing %s", strings.Fields(c.cmd.args)[len(pos)])
		}
		return nil, usagef("missing argument")
	case max >= 0 && len(pos) > max:
		return nil, usagef("unexpected argument %q", pos[max])
	}
	return pos, nil
}

// isSet reports whether the flag name was given on the command line.
func isSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == name {
			set = true
		}
	})
	return set
}

// usageLine returns the usage line of the command being run.
func (c *cli) usageLine() string {
	s := "gatehouse " + c.cmd.name
	if c.cmd.args != "" {
		s += " " + c.cmd.args
	}
	return s + " [flags]"
}

// commandHelp writes the usage line, the summary and the flags of the command being run.
func (c *cli) commandHelp(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprintf(w, "Usage: %s\n\n%s\n", c.usageLine(), c.cmd.summary)
	var own []*flag.Flag
	fs.VisitAll(func(f *flag.Flag) {
		if !commonFlagNames[f.Name] {
			own = append(own, f)
		}
	})
	if len(own) > 0 {
		fmt.Fprint(w, "\nFlags:\n")
		t := newTable(w)
		for _, f := range own {
			arg, usage := flag.UnquoteUsage(f)
			left := "  --" + f.Name
			if arg != "" {
				left += " " + arg
			}
			if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "[]" {
				usage += fmt.Sprintf(" (default %q)", f.DefValue)
			}
			t.row(left, usage)
		}
		t.flush()
	}
	if ex := examples(c.cmd.name); len(ex) > 0 {
		fmt.Fprint(w, "\nExamples:\n")
		for _, e := range ex {
			fmt.Fprintf(w, "  %s\n", e)
		}
	}
	fmt.Fprint(w, "\nCommon flags: --server URL, --token TOKEN, --directory ID, --json (see gatehouse --help).\n")
}

// client returns a client of the server with the token.
func (c *cli) client() *apiclient.Client {
	cl := apiclient.New(c.server, c.token, c.hc)
	cl.UserAgent = "gatehouse-cli/" + version()
	return cl
}

// exit renders err on stderr and returns the exit code for it.
func (c *cli) exit(err error) int {
	var usage *usageError
	var apiErr *apiclient.Error
	var netErr *net.OpError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errHelp):
		return exitOK
	case errors.As(err, &usage):
		fmt.Fprintf(c.stderr, "gatehouse %s: %s\n", c.cmd.name, usage.msg)
		fmt.Fprintf(c.stderr, "Usage: %s\n", c.usageLine())
		fmt.Fprintf(c.stderr, "Run 'gatehouse %s --help' for the flags.\n", c.cmd.name)
		return exitUsage
	case errors.As(err, &apiErr):
		c.renderAPIError(apiErr)
		return exitError
	case errors.As(err, &netErr):
		fmt.Fprintf(c.stderr, "gatehouse %s: cannot reach the Gatehouse server at %s: %v\n", c.cmd.name, c.server, netErr)
		fmt.Fprintln(c.stderr, "Is it running? Give its address with --server or GATEHOUSE_SERVER.")
		return exitError
	default:
		fmt.Fprintf(c.stderr, "gatehouse %s: %v\n", c.cmd.name, err)
		return exitError
	}
}

// renderAPIError writes an error from the server: as JSON with --json, otherwise as lines a person reads.
func (c *cli) renderAPIError(e *apiclient.Error) {
	if c.json {
		b, _ := json.Marshal(struct {
			Status int `json:"status"`
			*apiclient.Error
		}{e.Status, e})
		fmt.Fprintf(c.stderr, "%s\n", b)
		return
	}
	code := e.Code
	if code == "" {
		code = fmt.Sprintf("HTTP %d", e.Status)
	}
	fmt.Fprintf(c.stderr, "Error: %s\n", clean(e.Message))
	t := newTable(c.stderr)
	t.row("  Code:", code)
	if e.Field != "" {
		t.row("  Field:", clean(e.Field))
	}
	if e.CorrelationID != "" {
		t.row("  Correlation ID:", clean(e.CorrelationID))
	}
	t.flush()
	if e.Code == "unauthorized" && c.token == "" && c.cmd.name != "login" {
		fmt.Fprintln(c.stderr, "No API token was given: run 'gatehouse login --user NAME --export' and set GATEHOUSE_TOKEN, or pass --token.")
	}
}

// printJSON writes v as indented JSON.
func (c *cli) printJSON(v any) error {
	enc := json.NewEncoder(c.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// printList writes a list: with --json as the API's envelope, otherwise as a table of header and rows (one per
// item) with a count line when the list is partial or empty.
func printList[T any](c *cli, items []T, total int, noun string, header []string, row func(T) []string) error {
	if c.json {
		if items == nil {
			items = []T{}
		}
		return c.printJSON(apiclient.List[T]{Items: items, Total: total})
	}
	if len(items) == 0 {
		fmt.Fprintf(c.stdout, "No %s.\n", noun)
		return nil
	}
	t := newTable(c.stdout)
	t.row(header...)
	for _, it := range items {
		t.row(row(it)...)
	}
	t.flush()
	if total > len(items) {
		fmt.Fprintf(c.stdout, "(%d of %d %s; use --offset and --limit for more)\n", len(items), total, noun)
	}
	return nil
}

// printFields writes key-value lines with aligned values; with --json it writes v instead.
func (c *cli) printFields(v any, fields [][2]string) error {
	if c.json {
		return c.printJSON(v)
	}
	t := newTable(c.stdout)
	for _, f := range fields {
		t.row(f[0]+":", f[1])
	}
	t.flush()
	return nil
}

// say writes a confirmation for people; with --json it writes nothing.
func (c *cli) say(format string, args ...any) {
	if !c.json {
		fmt.Fprintf(c.stdout, format+"\n", args...)
	}
}

// table writes aligned columns.
type table struct{ tw *tabwriter.Writer }

func newTable(w io.Writer) *table {
	return &table{tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)}
}

// row writes one row; cells are cleaned of control characters.
func (t *table) row(cells ...string) {
	for i, s := range cells {
		if i > 0 {
			io.WriteString(t.tw, "\t")
		}
		io.WriteString(t.tw, clean(s))
	}
	io.WriteString(t.tw, "\n")
}

func (t *table) flush() { t.tw.Flush() }

// clean makes a value from the server safe to print on a terminal: control characters (escape sequences
// included) are shown quoted instead of acting on the terminal, and tabs cannot break the alignment.
func clean(s string) string {
	if strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) || r == unicode.ReplacementChar }) < 0 {
		return s
	}
	q := strconv.Quote(s)
	return q[1 : len(q)-1]
}

// fmtTime formats a time in UTC, or "-" for the zero time.
func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}

// fmtTimePtr formats an optional time.
func fmtTimePtr(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return fmtTime(*t)
}

// yesNo formats a boolean.
func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// orDash returns s, or "-" when it is empty.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// isTerminal reports whether w is a terminal.
func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }

func (l *stringList) Set(s string) error {
	*l = append(*l, s)
	return nil
}

// given returns v when the flag name was given on the command line, and nil otherwise: the value of a field of a
// partial update.
func given[T any](fs *flag.FlagSet, name string, v *T) *T {
	if isSet(fs, name) {
		return v
	}
	return nil
}
