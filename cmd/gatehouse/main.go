package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], system{
		stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv,
		hc: &http.Client{Timeout: 60 * time.Second}, isTerminal: isTerminal,
	})
	stop()
	os.Exit(code)
}

// Exit codes.
const (
	exitOK    = 0
	exitError = 1 // an error from the server or the network
	exitUsage = 2 // the command line is wrong
)

// system is what a run of the command line uses of the world around it.
type system struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	// hc talks to the server.
	hc *http.Client
	// isTerminal reports whether a reader or writer is a terminal.
	isTerminal func(any) bool
}

// run runs the command line args and returns the exit code.
func run(ctx context.Context, args []string, sys system) int {
	stdout, stderr, getenv := sys.stdout, sys.stderr, sys.getenv
	c := &cli{ctx: ctx, stdin: sys.stdin, stdout: stdout, stderr: stderr, hc: sys.hc, isTerminal: sys.isTerminal}
	c.server = envOr(getenv, "GATEHOUSE_SERVER", "http://127.0.0.1:8080")
	c.token = getenv("GATEHOUSE_TOKEN")
	c.directory = envOr(getenv, "GATEHOUSE_DIRECTORY", "default")

	// Common flags may come before the noun: gatehouse --server URL user list.
	fs := flag.NewFlagSet("gatehouse", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c.commonFlags(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			c.mainHelp(stdout)
			return exitOK
		}
		fmt.Fprintf(stderr, "gatehouse: %v\n", err)
		fmt.Fprintln(stderr, "Run 'gatehouse --help' for usage.")
		return exitUsage
	}
	args = fs.Args()
	if len(args) == 0 {
		c.mainHelp(stderr)
		return exitUsage
	}
	switch args[0] {
	case "serve":
		if err := runServe(ctx, args[1:], stdout, stderr); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return exitOK
			}
			fmt.Fprintf(stderr, "gatehouse serve: %v\n", err)
			return exitError
		}
		return exitOK
	case "migrate", "backup":
		return runOperation(ctx, args, sys)
	case "version", "--version":
		fmt.Fprintf(stdout, "gatehouse %s\n", version())
		return exitOK
	case "help":
		return c.help(args[1:])
	}
	cmd, rest := findCommand(args)
	if cmd == nil {
		return c.nounHelp(args)
	}
	c.cmd = cmd
	return c.exit(cmd.run(c, rest))
}

// envOr returns the environment variable key, or def when it is empty.
func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}

// findCommand returns the command named by the longest prefix of args, and the arguments after its name.
func findCommand(args []string) (*command, []string) {
	for n := min(3, len(args)); n > 0; n-- {
		name := strings.Join(args[:n], " ")
		for _, cmd := range commands() {
			if cmd.name == name {
				return cmd, args[n:]
			}
		}
	}
	return nil, nil
}

// help answers gatehouse help [noun [verb]].
func (c *cli) help(args []string) int {
	switch {
	case len(args) == 0:
		c.mainHelp(c.stdout)
		return exitOK
	case args[0] == "serve":
		if err := runServe(c.ctx, []string{"--help"}, c.stdout, c.stderr); err != nil && !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(c.stderr, "gatehouse serve: %v\n", err)
			return exitError
		}
		return exitOK
	case args[0] == "version":
		fmt.Fprintln(c.stdout, "Usage: gatehouse version\n\nPrints the version of gatehouse.")
		return exitOK
	case args[0] == "migrate" || args[0] == "backup":
		return runOperation(c.ctx, []string{args[0], "--help"}, system{stdout: c.stdout, stderr: c.stdout, getenv: func(string) string { return "" }})
	}
	if cmd, rest := findCommand(args); cmd != nil && len(rest) == 0 {
		c.cmd = cmd
		return c.exit(cmd.run(c, []string{"--help"}))
	}
	return c.nounHelp(append(args, "--help"))
}

// nounHelp lists the verbs of the noun args[0]. Asking for help exits 0; a missing or unknown verb is a usage error.
func (c *cli) nounHelp(args []string) int {
	noun := args[0]
	var verbs []*command
	for _, cmd := range commands() {
		if strings.HasPrefix(cmd.name, noun+" ") {
			verbs = append(verbs, cmd)
		}
	}
	if len(verbs) == 0 {
		fmt.Fprintf(c.stderr, "gatehouse: unknown command %q.\nRun 'gatehouse --help' for the list of commands.\n", noun)
		return exitUsage
	}
	// A known noun followed by a subnoun (app saml ...) lists the subnoun's verbs.
	if len(args) > 1 {
		sub := noun + " " + args[1]
		var subVerbs []*command
		for _, cmd := range verbs {
			if strings.HasPrefix(cmd.name, sub+" ") {
				subVerbs = append(subVerbs, cmd)
			}
		}
		if len(subVerbs) > 0 {
			noun, verbs, args = sub, subVerbs, args[1:]
		}
	}
	w, code := c.stderr, exitUsage
	switch {
	case len(args) > 1 && isHelp(args[1]):
		w, code = c.stdout, exitOK
	case len(args) > 1:
		fmt.Fprintf(c.stderr, "gatehouse %s: unknown command %q.\n\n", noun, args[1])
	}
	fmt.Fprintf(w, "Usage: gatehouse %s <command> [flags]\n\nCommands:\n", noun)
	t := newTable(w)
	for _, cmd := range verbs {
		t.row("  "+strings.TrimPrefix(cmd.name, noun+" "), cmd.summary)
	}
	t.flush()
	fmt.Fprintf(w, "\nRun 'gatehouse %s <command> --help' for a command's flags.\n", noun)
	return code
}

// isHelp reports whether arg asks for help.
func isHelp(arg string) bool {
	switch arg {
	case "-h", "--help", "-help", "help":
		return true
	}
	return false
}

// nouns describes the top-level commands in the order gatehouse --help lists them.
var nouns = [][2]string{
	{"serve", "Run the Gatehouse server (gatehouse serve --help lists its settings)."},
	{"login", "Create an API token from a user name and password."},
	{"password", "Change your password, a temporary one included."},
	{"token", "List or revoke API tokens."},
	{"whoami", "Show the user and directory your token acts for."},
	{"directory", "Manage directories (tenants)."},
	{"user", "Manage users: create, update, disable, reset passwords."},
	{"group", "Manage groups and their members."},
	{"gallery", "Browse the app gallery."},
	{"app", "Manage apps: add from the gallery, SAML or OpenID Connect settings, claims, certificates, secrets, assignments, provisioning."},
	{"provisioning", "Read the provisioning log: what was done to apps' accounts, and why."},
	{"oidc", "The directory's OpenID Connect signing keys: list them and roll them over."},
	{"scim", "The directory's SCIM 2.0 endpoint for provisioning clients: its URL and tokens."},
	{"signins", "Read the sign-in log."},
	{"audit", "Read the audit log of admin changes."},
	{"migrate", "Copy a SQLite deployment into PostgreSQL (gatehouse migrate --help)."},
	{"backup", "Write a copy of the SQLite database while the server runs (gatehouse backup --help)."},
	{"version", "Print the version."},
	{"help", "Show help for a command: gatehouse help <noun> [<verb>]."},
}

// mainHelp writes the list of nouns and the common flags.
func (c *cli) mainHelp(w io.Writer) {
	fmt.Fprint(w, `Gatehouse is a self-hosted SAML 2.0 identity provider.

Usage: gatehouse <command> [<subcommand>] [flags]

Commands:
`)
	t := newTable(w)
	for _, n := range nouns {
		t.row("  "+n[0], n[1])
	}
	t.flush()
	fmt.Fprint(w, `
Common flags (before or after the command):
  --server URL     the Gatehouse server (env GATEHOUSE_SERVER, default http://127.0.0.1:8080)
  --token TOKEN    an API token from gatehouse login (env GATEHOUSE_TOKEN)
  --directory ID   the directory to work in (env GATEHOUSE_DIRECTORY, default "default")
  --json           print machine-readable JSON instead of tables

Exit codes: 0 success, 1 error from the server or the network, 2 wrong command line.
Run 'gatehouse <command> --help' for the subcommands and flags of a command.
`)
}
