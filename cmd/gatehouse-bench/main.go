package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"syscall"

	"github.com/gatehouse-idp/gatehouse/apiclient"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

const usage = `Usage: gatehouse-bench sso|password|start|busy|scale [flags]

Measures Gatehouse against reference servers on loopback, interleaved, and prints medians and ratios:
  sso        SP-initiated sign-ons of a signed-in user vs one RSA signature per request and crewjam/saml samlidp
  password   password sign-ins vs a bare argon2id server; peak RSS under a flood of wrong passwords
  start      cold start to the first /healthz answer and idle RSS, with directories of many users
  busy       sign-ons at a steady rate alone, while users are bulk-imported and while an app's provisioning
             cycle runs: p99 and the ratios
  scale      sign-in, My Apps, sign-on, users list and search (portal, API) with 1,000 and 1,000,000 users

Run it inside the repository (it builds ./cmd/gatehouse) or give --gatehouse. gatehouse-bench CMD --help lists
the flags of each.
`

// run runs the command line and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	if _, ok := refCommands[args[0]]; ok {
		return runRef(args[0], args[1:])
	}
	var err error
	switch args[0] {
	case "sso":
		err = runSSO(ctx, args[1:], stdout, stderr)
	case "password":
		err = runPassword(ctx, args[1:], stdout, stderr)
	case "start":
		err = runStart(ctx, args[1:], stdout, stderr)
	case "busy":
		err = runBusy(ctx, args[1:], stdout, stderr)
	case "scale":
		err = runScale(ctx, args[1:], stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "gatehouse-bench: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0
	case err != nil:
		fmt.Fprintf(stderr, "gatehouse-bench %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

// env is what every subcommand sets up: flags they share, a temporary directory, the binaries.
type env struct {
	gatehouse string // the gatehouse binary; built when empty
	reps      int
	keep      bool
	verbose   bool

	// profile is the file an sso run writes a CPU profile of gatehouse to; "" for none.
	profile string

	// compare and compareLabel are the second binary an sso or busy run measures and its name (compareFlags).
	compare, compareLabel string
	// builds and labels are the gatehouse binaries an sso or busy run measures, and their names in the report:
	// the one measured, and the one to compare with it when given. setup fills them.
	builds, labels []string
	// serveArgs are added to every gatehouse serve command line.
	serveArgs []string

	dir  string // temporary directory: data directories and the servers' logs
	self string // this binary, which runs the reference servers
	out  io.Writer
	log  io.Writer // progress, on standard error
}

func (e *env) flags(fs *flag.FlagSet, reps int) {
	fs.StringVar(&e.gatehouse, "gatehouse", "", "the gatehouse `BINARY` to measure (default: go build ./cmd/gatehouse)")
	fs.IntVar(&e.reps, "reps", reps, "repetitions, interleaved across the servers")
	fs.BoolVar(&e.keep, "keep", false, "keep the temporary directory with the data and the servers' logs")
	fs.BoolVar(&e.verbose, "v", false, "print every repetition")
}

// compareFlags defines --compare and --compare-label, for a subcommand that measures a second binary in the same
// run; example says what such a binary may be.
func (e *env) compareFlags(fs *flag.FlagSet, example string) {
	fs.StringVar(&e.compare, "compare", "", "a second gatehouse `BINARY` ("+example+") measured in the same run")
	fs.StringVar(&e.compareLabel, "compare-label", "", "the `NAME` of the second binary in the report (default: its file name)")
}

// setup makes the temporary directory and finds the binaries; the returned function removes the directory.
func (e *env) setup(ctx context.Context, stdout, stderr io.Writer) (func(), error) {
	if e.reps < 1 {
		return nil, errors.New("--reps must be at least 1")
	}
	e.out, e.log = stdout, stderr
	var err error
	if e.dir, err = os.MkdirTemp("", "gatehouse-bench"); err != nil {
		return nil, err
	}
	cleanup := func() {
		if e.keep {
			fmt.Fprintf(e.log, "kept %s\n", e.dir)
			return
		}
		os.RemoveAll(e.dir)
	}
	if e.self, err = os.Executable(); err != nil {
		cleanup()
		return nil, err
	}
	if e.gatehouse == "" {
		fmt.Fprintln(e.log, "building ./cmd/gatehouse …")
		if e.gatehouse, err = buildGatehouse(ctx, e.dir); err != nil {
			cleanup()
			return nil, err
		}
	}
	e.builds, e.labels = []string{e.gatehouse}, []string{""}
	if e.compare != "" {
		e.builds, e.labels = append(e.builds, e.compare), append(e.labels, cmp.Or(e.compareLabel, filepath.Base(e.compare)))
	}
	return cleanup, nil
}

// progress reports what the benchmark is doing, on standard error.
func (e *env) progress(format string, args ...any) { fmt.Fprintf(e.log, format+"\n", args...) }

// machine describes the machine for the report's first line.
func machine() string {
	return fmt.Sprintf("%d CPUs, %s/%s, %s, load average %s", runtime.NumCPU(), runtime.GOOS, runtime.GOARCH,
		runtime.Version(), loadAverage())
}

// randomPassword returns a password that meets Gatehouse's policy.
func randomPassword() string {
	b := make([]byte, 12)
	rand.Read(b)
	return "Bench-" + hex.EncodeToString(b) + "-Aa1"
}

// gatehouseServer is a running gatehouse serve and a client of its API as the first global admin.
type gatehouseServer struct {
	*process
	api *apiclient.Client
}

// startGatehouse starts gatehouse serve on a data directory (created on first start with an admin whose
// password is adminPassword) and signs in to the API.
func (e *env) startGatehouse(ctx context.Context, name, data, adminPassword string, args ...string) (*gatehouseServer, error) {
	return e.startGatehouseBinary(ctx, e.gatehouse, name, data, adminPassword, args...)
}

// startGatehouseBinary is startGatehouse with another gatehouse binary.
func (e *env) startGatehouseBinary(ctx context.Context, bin, name, data, adminPassword string, args ...string) (*gatehouseServer, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	p, err := start(ctx, name, e.dir, addr, "/healthz", []string{"GATEHOUSE_ADMIN_PASSWORD=" + adminPassword}, bin,
		append(append([]string{"serve", "--addr", addr, "--data", data, "--rate-limit", "0"}, e.serveArgs...), args...)...)
	if err != nil {
		return nil, err
	}
	token, _, err := apiclient.New(p.URL, "", nil).CreateToken(ctx, apiclient.TokenInput{
		UserName: "admin@gatehouse.local", Password: adminPassword, Name: "bench"})
	if err != nil {
		p.stop()
		return nil, fmt.Errorf("sign in to the API: %w", err)
	}
	return &gatehouseServer{process: p, api: apiclient.New(p.URL, token, newClient(4, nil))}, nil
}

// newUser creates a user with a password that is not temporary and returns the user's ID.
func (g *gatehouseServer) newUser(ctx context.Context, name, pw string) (string, error) {
	u, temp, err := g.api.CreateUser(ctx, "default", apiclient.UserInput{UserName: name, FirstName: "Bench", LastName: "User"})
	if err != nil {
		return "", err
	}
	err = apiclient.New(g.URL, "", nil).ChangePassword(ctx, apiclient.PasswordChange{UserName: name, CurrentPassword: temp, NewPassword: pw})
	return u.ID, err
}
