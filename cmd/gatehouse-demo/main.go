package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/gatehouse-idp/gatehouse/demoapp"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr, nil)
	stop()
	os.Exit(code)
}

// Exit codes.
const (
	exitOK    = 0
	exitError = 1 // the app could not start or stopped with an error
	exitUsage = 2 // the command line is wrong
)

// config is the command line, after flags and environment.
type config struct {
	addr          string
	publicURL     string
	data          string
	ownerEmail    string
	ownerPassword string
	gatehouseURL  string
}

const usageText = `gatehouse-demo runs a small analytics team app that plays the service provider's side of
Gatehouse's SAML tutorial (Mixpanel's part), so the whole sign-on flow runs on one machine.

Usage:
  gatehouse-demo [flags]

Flags (each may also be set by the environment variable shown):
  --addr HOST:PORT          address to listen on (GATEHOUSE_DEMO_ADDR; default 127.0.0.1:8090)
  --public-url URL          URL people and the IdP reach the app at; the SAML values derive from it
                            (GATEHOUSE_DEMO_PUBLIC_URL; default http://<addr>)
  --data DIR                directory of the app's SQLite database (GATEHOUSE_DEMO_DATA;
                            default ./gatehouse-demo-data)
  --owner-email EMAIL       e-mail of the organization owner, created on an empty database
                            (GATEHOUSE_DEMO_OWNER_EMAIL; default owner@example.com)
  --owner-password PASS     the owner's password, also only on an empty database; when empty a
                            password is generated and printed once (GATEHOUSE_DEMO_OWNER_PASSWORD)
  --gatehouse-url URL       the Gatehouse to connect to, whose addresses the Access security page's
                            examples show (GATEHOUSE_DEMO_GATEHOUSE_URL; default http://127.0.0.1:8080)
  -h, --help                show this help

The app's SAML values, to enter in Gatehouse (the gallery template "gatehouse-demo" uses them):
  Identifier (entity ID)    <public-url>/saml/metadata   (also serves the SP metadata XML)
  Reply URL (ACS)           <public-url>/saml/acs        (HTTP-POST)
  Sign-on URL               <public-url>/saml/login      (starts SP-initiated sign-on)
Claims read: email (required), firstName, lastName (no namespace); the NameID when there is no email.

Pages: /signin, /dashboard, /team, /settings (Access security), /saml/metadata, /saml/login,
/saml/acs (POST), /healthz (JSON).

Example:
  gatehouse-demo --owner-email owner@example.com --owner-password 'correct horse battery'
`

// parseConfig reads flags over environment variables over defaults.
func parseConfig(args []string, getenv func(string) string) (config, error) {
	c := config{
		addr:          envOr(getenv, "GATEHOUSE_DEMO_ADDR", "127.0.0.1:8090"),
		publicURL:     getenv("GATEHOUSE_DEMO_PUBLIC_URL"),
		data:          envOr(getenv, "GATEHOUSE_DEMO_DATA", "./gatehouse-demo-data"),
		ownerEmail:    envOr(getenv, "GATEHOUSE_DEMO_OWNER_EMAIL", "owner@example.com"),
		ownerPassword: getenv("GATEHOUSE_DEMO_OWNER_PASSWORD"),
		gatehouseURL:  envOr(getenv, "GATEHOUSE_DEMO_GATEHOUSE_URL", demoapp.DefaultGatehouseURL),
	}
	fs := flag.NewFlagSet("gatehouse-demo", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&c.addr, "addr", c.addr, "address to listen on")
	fs.StringVar(&c.publicURL, "public-url", c.publicURL, "public URL")
	fs.StringVar(&c.data, "data", c.data, "data directory")
	fs.StringVar(&c.ownerEmail, "owner-email", c.ownerEmail, "owner e-mail")
	fs.StringVar(&c.ownerPassword, "owner-password", c.ownerPassword, "owner password")
	fs.StringVar(&c.gatehouseURL, "gatehouse-url", c.gatehouseURL, "Gatehouse URL")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if c.publicURL == "" {
		host, port, err := net.SplitHostPort(c.addr)
		if err != nil {
			return c, fmt.Errorf("--addr %q: %w", c.addr, err)
		}
		if host == "" || host == "0.0.0.0" || host == "::" {
			host = "127.0.0.1"
		}
		c.publicURL = "http://" + net.JoinHostPort(host, port)
	}
	return c, nil
}

func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}

// run runs the app until ctx ends and returns the exit code. ready, when not nil, is called with the address
// listened on once the server accepts connections.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, ready func(addr string)) int {
	cfg, err := parseConfig(args, getenv)
	if errors.Is(err, flag.ErrHelp) {
		io.WriteString(stdout, usageText)
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "gatehouse-demo: %v\nRun 'gatehouse-demo --help' for usage.\n", err)
		return exitUsage
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	if err := serve(ctx, cfg, logger, stdout, ready); err != nil {
		fmt.Fprintf(stderr, "gatehouse-demo: %v\n", err)
		return exitError
	}
	return exitOK
}

func serve(ctx context.Context, cfg config, logger *slog.Logger, stdout io.Writer, ready func(string)) error {
	app, err := demoapp.Open(ctx, demoapp.Config{PublicURL: cfg.publicURL, DataDir: cfg.data, Logger: logger, GatehouseURL: cfg.gatehouseURL})
	if err != nil {
		return err
	}
	defer app.Close()
	generated, created, err := app.EnsureOwner(ctx, cfg.ownerEmail, cfg.ownerPassword)
	if err != nil {
		return err
	}
	switch {
	case created:
		fmt.Fprintf(stdout, "Created the organization owner %s.\n", cfg.ownerEmail)
		if generated != "" {
			fmt.Fprintf(stdout, "Generated password (shown only once): %s\n", generated)
		}
	case cfg.ownerPassword != "":
		fmt.Fprintln(stdout, "The organization already has an owner; --owner-email and --owner-password are not used.")
	}

	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{
		Handler:           app.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	fmt.Fprintf(stdout, "gatehouse-demo listening on %s, reachable at %s\n", ln.Addr(), cfg.publicURL)
	fmt.Fprintf(stdout, "  entity ID   %s\n  ACS URL     %s\n  sign-on URL %s\n", app.EntityID(), app.ACSURL(), app.SignOnURL())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	if ready != nil {
		ready(ln.Addr().String())
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shut down: %w", err)
	}
	return nil
}
