package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/apiclient"
)

// maxPassword caps the password read from standard input; the server refuses longer ones anyway.
const maxPassword = 4096

func login(c *cli, args []string) error {
	fs := c.newFlagSet()
	user := fs.String("user", "", "the user `NAME` to sign in as, such as admin@contoso.com (required)")
	stdin := fs.Bool("password-stdin", false, "read the password from standard input instead of prompting (without a terminal, the way to give it)")
	export := fs.Bool("export", false, "print a shell command that sets GATEHOUSE_TOKEN")
	name := fs.String("name", "cli", "a `LABEL` to tell the token apart from others")
	code := fs.String("code", "", "the verification `CODE` from your authenticator app (or a recovery code), for an account with two-step verification")
	if _, err := c.parse(fs, args, 0, 0); err != nil {
		return err
	}
	if *user == "" {
		return usagef("--user is required")
	}
	if !*stdin && !c.isTerminal(c.stdin) {
		// Without a terminal there is nobody to prompt; reading a line from whatever standard input is would fail
		// later, or wait for ever.
		return usagef("standard input is not a terminal, so the password cannot be asked for: pass it on standard "+
			"input with --password-stdin, as in\n  printf '%%s\\n' \"$PASSWORD\" | gatehouse login --user %s --password-stdin",
			shellQuote(clean(*user)))
	}
	var password string
	var err error
	if *stdin {
		password, err = readPasswordStdin(c.stdin)
	} else {
		fmt.Fprintf(c.stderr, "Password for %s: ", clean(*user))
		password, err = readPasswordPrompt(c.stdin)
		fmt.Fprintln(c.stderr)
	}
	if err != nil {
		return fmt.Errorf("read the password: %w", err)
	}
	if password == "" {
		return usagef("the password is empty")
	}
	token, t, err := c.client().CreateToken(c.ctx, apiclient.TokenInput{
		Directory: c.directory, UserName: *user, Password: password, Code: *code, Name: *name,
	})
	if err != nil {
		return err
	}
	switch {
	case c.json:
		return c.printJSON(apiclient.NewToken{Token: token, APIToken: *t})
	case *export:
		fmt.Fprintf(c.stdout, "export GATEHOUSE_TOKEN=%s\n", shellQuote(token))
		if c.directory != gatehouse.DefaultDirectoryID {
			fmt.Fprintf(c.stdout, "export GATEHOUSE_DIRECTORY=%s\n", shellQuote(c.directory))
		}
	default:
		fmt.Fprintln(c.stdout, token)
		fmt.Fprintln(c.stderr, "Keep this token secret; it is not shown again. Set GATEHOUSE_TOKEN to it, or pass --token.")
	}
	return nil
}

// passwordChange changes the caller's own password through the API, prompting for the current and the new one.
func passwordChange(c *cli, args []string) error {
	fs := c.newFlagSet()
	user := fs.String("user", "", "your user `NAME`, such as b.simon@contoso.com (required)")
	stdin := fs.Bool("password-stdin", false, "read the current and the new password from standard input, one per line")
	if _, err := c.parse(fs, args, 0, 0); err != nil {
		return err
	}
	if *user == "" {
		return usagef("--user is required")
	}
	var current, next string
	if *stdin {
		r := bufio.NewReaderSize(io.LimitReader(c.stdin, 2*maxPassword+4), 2*maxPassword+4)
		lines := make([]string, 2)
		for i := range lines {
			l, err := r.ReadString('\n')
			if err != nil && (err != io.EOF || l == "") {
				return usagef("--password-stdin needs two lines: the current password and the new one")
			}
			lines[i] = strings.TrimRight(l, "\r\n")
		}
		current, next = lines[0], lines[1]
	} else {
		r := bufio.NewReader(c.stdin)
		ask := func(prompt string) (string, error) {
			fmt.Fprint(c.stderr, prompt)
			defer fmt.Fprintln(c.stderr)
			if f, ok := c.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
				return readPasswordPrompt(f)
			}
			l, err := r.ReadString('\n')
			if err != nil && err != io.EOF {
				return "", err
			}
			return strings.TrimRight(l, "\r\n"), nil
		}
		var err error
		if current, err = ask("Current password for " + clean(*user) + ": "); err != nil {
			return err
		}
		if next, err = ask("New password: "); err != nil {
			return err
		}
		again, err := ask("New password again: ")
		if err != nil {
			return err
		}
		if again != next {
			return usagef("the new passwords differ")
		}
	}
	if current == "" || next == "" {
		return usagef("the current and the new password are both required")
	}
	err := c.client().ChangePassword(c.ctx, apiclient.PasswordChange{
		Directory: c.directory, UserName: *user, CurrentPassword: current, NewPassword: next,
	})
	if err != nil {
		return err
	}
	fmt.Fprintln(c.stderr, "Your password is changed; sign in with the new one.")
	return nil
}

// readPasswordStdin reads the whole of standard input as the password, without its final line break.
func readPasswordStdin(r io.Reader) (string, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxPassword+1))
	if err != nil {
		return "", err
	}
	if len(b) > maxPassword {
		return "", fmt.Errorf("the password is longer than %d bytes", maxPassword)
	}
	return strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r"), nil
}

// readPasswordPrompt reads the password typed at a terminal without echoing it, or one line from anything else.
func readPasswordPrompt(r io.Reader) (string, error) {
	if f, ok := r.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		b, err := term.ReadPassword(int(f.Fd()))
		if err != nil {
			return "", err
		}
		if len(b) > maxPassword {
			return "", fmt.Errorf("the password is longer than %d bytes", maxPassword)
		}
		return string(b), nil
	}
	return readLine(r)
}

// readLine reads one line without its line break.
func readLine(r io.Reader) (string, error) {
	line, err := bufio.NewReaderSize(io.LimitReader(r, maxPassword+2), maxPassword+2).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// shellQuote quotes s for a POSIX shell when it holds anything but letters, digits and _-.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.')
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func whoami(c *cli, args []string) error {
	fs := c.newFlagSet()
	if _, err := c.parse(fs, args, 0, 0); err != nil {
		return err
	}
	me, err := c.client().Me(c.ctx)
	if err != nil {
		return err
	}
	return c.printFields(me, [][2]string{
		{"User name", me.User.UserName},
		{"Display name", me.User.DisplayName},
		{"User ID", me.User.ID},
		{"Role", string(me.User.Role)},
		{"Directory", me.Directory.ID},
		{"Directory name", me.Directory.Name},
		{"Server", c.server},
	})
}

func tokenList(c *cli, args []string) error {
	fs := c.newFlagSet()
	all := fs.Bool("all", false, "list every token of the directory (admins only)")
	if _, err := c.parse(fs, args, 0, 0); err != nil {
		return err
	}
	tokens, total, err := c.client().ListTokens(c.ctx, *all)
	if err != nil {
		return err
	}
	return printList(c, tokens, total, "tokens", []string{"ID", "NAME", "PREFIX", "USER ID", "CREATED", "EXPIRES", "LAST USED"},
		func(t *gatehouse.APIToken) []string {
			return []string{t.ID, t.Name, t.Prefix, t.UserID, fmtTime(t.CreatedAt), fmtTimePtr(t.ExpiresAt), fmtTimePtr(t.LastUsedAt)}
		})
}

func tokenRevoke(c *cli, args []string) error {
	fs := c.newFlagSet()
	ids, err := c.parse(fs, args, 1, -1)
	if err != nil {
		return err
	}
	cl := c.client()
	for _, id := range ids {
		if err := cl.DeleteToken(c.ctx, id); err != nil {
			return err
		}
		c.say("Revoked token %s.", id)
	}
	return nil
}
