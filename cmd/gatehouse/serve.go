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
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/certs"
	"github.com/gatehouse-idp/gatehouse/demoapp"
	"github.com/gatehouse-idp/gatehouse/gallery"
	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/metrics"
	"github.com/gatehouse-idp/gatehouse/password"
	"github.com/gatehouse-idp/gatehouse/postgres"
	"github.com/gatehouse-idp/gatehouse/smtp"
	"github.com/gatehouse-idp/gatehouse/sqlite"
	"github.com/gatehouse-idp/gatehouse/web"
)

// serveConfig is the configuration of `gatehouse serve`. Every field has a flag and an environment variable.
type serveConfig struct {
	Addr              string
	PublicURL         string
	Data              string
	DatabaseURL       string
	Key               string
	AdminUser         string
	AdminPassword     string
	LogLevel          string
	LogFormat         string
	RateLimit         float64
	RateBurst         int
	SCIMRateLimit     float64
	SCIMRateBurst     int
	TrustedProxies    string
	SessionIdle       time.Duration
	SessionMax        time.Duration
	AssertionLifetime time.Duration
	MetadataRefresh   time.Duration
	HashConcurrency   int
	ReadyTimeout      time.Duration

	// MetricsAddr, when set, is a second listener that serves GET /metrics without a token; MetricsAllowRemote
	// lets it be an address other than loopback.
	MetricsAddr        string
	MetricsAllowRemote bool

	// The SMTP server of the certificate expiry notices; none are sent without SMTPHost.
	SMTPHost           string
	SMTPPort           int
	SMTPTLS            string
	SMTPUser           string
	SMTPPassword       string
	SMTPFrom           string
	CertNoticeInterval time.Duration

	// HashMemoryMiB, HashTime and HashLanes are the argon2id parameters of new password hashes.
	HashMemoryMiB int
	HashTime      int
	HashLanes     int
	// envErrors are environment variables whose values could not be read; serve refuses to start with any.
	envErrors []error

	// WithDemo runs the demo app (gatehouse-demo) in the same process, for a quick look at single sign-on.
	WithDemo          bool
	DemoAddr          string
	DemoOwnerEmail    string
	DemoOwnerPassword string
}

// serveFlags defines the flags of `gatehouse serve`, with defaults taken from the environment.
func serveFlags(fs *flag.FlagSet, c *serveConfig, getenv func(string) string) {
	str := func(p *string, name, env, def, usage string) {
		fs.StringVar(p, name, envOr(getenv, env, def), usage+" (env "+env+")")
	}
	dur := func(p *time.Duration, name, env string, def time.Duration, usage string) {
		if v, err := time.ParseDuration(getenv(env)); err == nil {
			def = v
		}
		fs.DurationVar(p, name, def, usage+" (env "+env+")")
	}
	str(&c.Addr, "addr", "GATEHOUSE_ADDR", "127.0.0.1:8080", "address to listen on")
	str(&c.PublicURL, "public-url", "GATEHOUSE_PUBLIC_URL", "", "externally visible base URL, used in SAML endpoints and metadata (default http://<addr>)")
	str(&c.Data, "data", "GATEHOUSE_DATA", "./gatehouse-data", "data directory: the SQLite database and the key file")
	str(&c.DatabaseURL, "database-url", "GATEHOUSE_DATABASE_URL", "", "postgres://… to use PostgreSQL instead of SQLite in the data directory")
	str(&c.Key, "key", "GATEHOUSE_KEY", "", "32-byte key (base64 or hex) that encrypts private keys at rest; default: the key file <data>/gatehouse.key, created on first start")
	str(&c.AdminUser, "admin-user", "GATEHOUSE_ADMIN_USER", "admin@gatehouse.local", "user name of the first global admin, created on an empty database")
	str(&c.AdminPassword, "admin-password", "GATEHOUSE_ADMIN_PASSWORD", "", "password of the first global admin; when empty one is generated and printed once")
	str(&c.LogLevel, "log-level", "GATEHOUSE_LOG_LEVEL", "info", "log level: debug, info, warn or error")
	str(&c.LogFormat, "log-format", "GATEHOUSE_LOG_FORMAT", "text", "log format: text or json")
	rate, _ := strconv.ParseFloat(envOr(getenv, "GATEHOUSE_RATE_LIMIT", "50"), 64)
	fs.Float64Var(&c.RateLimit, "rate-limit", rate, "requests per second allowed per client address, 0 for no limit (env GATEHOUSE_RATE_LIMIT)")
	burst, _ := strconv.Atoi(envOr(getenv, "GATEHOUSE_RATE_BURST", "200"))
	fs.IntVar(&c.RateBurst, "rate-burst", burst, "requests a client may send in a burst above the rate (env GATEHOUSE_RATE_BURST)")
	scimRate, _ := strconv.ParseFloat(envOr(getenv, "GATEHOUSE_SCIM_RATE_LIMIT", "50"), 64)
	fs.Float64Var(&c.SCIMRateLimit, "scim-rate-limit", scimRate, "SCIM requests per second allowed per SCIM token, 0 for no limit (env GATEHOUSE_SCIM_RATE_LIMIT)")
	scimBurst, _ := strconv.Atoi(envOr(getenv, "GATEHOUSE_SCIM_RATE_BURST", "200"))
	fs.IntVar(&c.SCIMRateBurst, "scim-rate-burst", scimBurst, "SCIM requests a token may send in a burst above the rate (env GATEHOUSE_SCIM_RATE_BURST)")
	str(&c.TrustedProxies, "trusted-proxies", "GATEHOUSE_TRUSTED_PROXIES", "", "comma-separated addresses or CIDR ranges of reverse proxies and load balancers whose X-Forwarded-For names the client (default: none, the connection's address is the client's)")
	dur(&c.SessionIdle, "session-idle", "GATEHOUSE_SESSION_IDLE", time.Hour, "sign-in session idle timeout")
	dur(&c.SessionMax, "session-max", "GATEHOUSE_SESSION_MAX", 12*time.Hour, "sign-in session absolute timeout")
	dur(&c.MetadataRefresh, "metadata-refresh", "GATEHOUSE_METADATA_REFRESH", idp.MetadataRefreshInterval, "how often SP metadata URLs are fetched again")
	dur(&c.AssertionLifetime, "assertion-lifetime", "GATEHOUSE_ASSERTION_LIFETIME", 5*time.Minute, "how long an assertion is valid after issue")
	num := func(p *int, name, env string, def int, usage string) {
		if v := getenv(env); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				c.envErrors = append(c.envErrors, fmt.Errorf("%s=%q is not a whole number", env, v))
			}
			def = n
		}
		fs.IntVar(p, name, def, usage+" (env "+env+")")
	}
	num(&c.HashConcurrency, "hash-concurrency", "GATEHOUSE_HASH_CONCURRENCY", runtime.NumCPU(),
		"password hashes computed at once; more wait, so hashing holds at most this many times --hash-memory")
	num(&c.HashMemoryMiB, "hash-memory", "GATEHOUSE_HASH_MEMORY", int(password.DefaultParams.MemoryKiB/1024),
		"memory of one argon2id password hash in MiB")
	num(&c.HashTime, "hash-time", "GATEHOUSE_HASH_TIME", int(password.DefaultParams.Time),
		"passes of one argon2id password hash over its memory")
	num(&c.HashLanes, "hash-lanes", "GATEHOUSE_HASH_LANES", int(password.DefaultParams.Threads),
		"lanes (parallelism) of one argon2id password hash")
	dur(&c.ReadyTimeout, "ready-timeout", "GATEHOUSE_READY_TIMEOUT", 2*time.Second, "how long GET /healthz/ready (and /healthz) waits for the database before it answers 503")
	str(&c.MetricsAddr, "metrics-addr", "GATEHOUSE_METRICS_ADDR", "", "also serve GET /metrics, without a token, on this address, e.g. 127.0.0.1:9464 (default: off; /metrics on --addr needs an instance admin's token)")
	allowRemote, _ := strconv.ParseBool(getenv("GATEHOUSE_METRICS_ALLOW_REMOTE"))
	fs.BoolVar(&c.MetricsAllowRemote, "metrics-allow-remote", allowRemote, "let --metrics-addr be an address other than loopback; anyone who reaches it reads the metrics (env GATEHOUSE_METRICS_ALLOW_REMOTE)")
	str(&c.SMTPHost, "smtp-host", "GATEHOUSE_SMTP_HOST", "", "SMTP server that sends the certificate expiry e-mails (default: none, no e-mails)")
	port, _ := strconv.Atoi(envOr(getenv, "GATEHOUSE_SMTP_PORT", "587"))
	fs.IntVar(&c.SMTPPort, "smtp-port", port, "SMTP server port: 587 for starttls, 465 for tls (env GATEHOUSE_SMTP_PORT)")
	str(&c.SMTPTLS, "smtp-tls", "GATEHOUSE_SMTP_TLS", "starttls", "SMTP encryption: starttls, tls (implicit, SMTPS) or none (only for a server on this machine)")
	str(&c.SMTPUser, "smtp-user", "GATEHOUSE_SMTP_USER", "", "SMTP user name; no authentication when empty")
	c.SMTPPassword = getenv("GATEHOUSE_SMTP_PASSWORD")
	fs.Var(secretValue{&c.SMTPPassword}, "smtp-password", "SMTP `password`; prefer the environment variable to the flag, which other users of the machine can see (env GATEHOUSE_SMTP_PASSWORD)")
	str(&c.SMTPFrom, "smtp-from", "GATEHOUSE_SMTP_FROM", "", "sender of the e-mails, e.g. \"Gatehouse <gatehouse@contoso.com>\"")
	dur(&c.CertNoticeInterval, "cert-notice-interval", "GATEHOUSE_CERT_NOTICE_INTERVAL", time.Hour, "how often the certificate expiry e-mails that are due are sent (also at start); each is sent once")
	withDemo, _ := strconv.ParseBool(getenv("GATEHOUSE_WITH_DEMO"))
	fs.BoolVar(&c.WithDemo, "with-demo", withDemo, "also run the demo app (gatehouse-demo) in this process, with its data under <data>/demo (env GATEHOUSE_WITH_DEMO)")
	str(&c.DemoAddr, "demo-addr", "GATEHOUSE_DEMO_ADDR", defaultDemoAddr, "address the demo app listens on with --with-demo")
	str(&c.DemoOwnerEmail, "demo-owner-email", "GATEHOUSE_DEMO_OWNER_EMAIL", "owner@example.com", "e-mail of the demo app's owner, created on its first start")
	str(&c.DemoOwnerPassword, "demo-owner-password", "GATEHOUSE_DEMO_OWNER_PASSWORD", "", "password of the demo app's owner; when empty one is generated and printed once")
}

// runServe runs the Gatehouse server until ctx is done.
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c serveConfig
	fs := flag.NewFlagSet("gatehouse serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	serveFlags(fs, &c, os.Getenv)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: gatehouse serve [flags]\n\n"+
			"Runs the Gatehouse identity provider: the SAML endpoints, sign-in pages, My Apps and the REST API, the\n"+
			"health checks (/healthz/live, /healthz/ready), metrics, and the certificate expiry e-mails (with --smtp-host).\n"+
			"On an empty database it creates the default directory and its first global admin.\n"+
			"With --with-demo it also runs the demo app (gatehouse-demo) for the tutorial in docs/tutorial.md.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if len(c.envErrors) > 0 {
		return errors.Join(c.envErrors...)
	}
	hashParams, err := c.hashParams()
	if err != nil {
		return err
	}
	logger, err := newLogger(c.LogLevel, c.LogFormat, stderr)
	if err != nil {
		return err
	}
	if c.PublicURL == "" {
		c.PublicURL = "http://" + c.Addr
	}

	if err := os.MkdirAll(c.Data, 0o700); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	kek, err := loadKey(c)
	if err != nil {
		return err
	}
	sealer, err := certs.NewSealer(kek)
	if err != nil {
		return err
	}
	store, err := openStore(ctx, c)
	if err != nil {
		return err
	}
	defer store.Close()
	g, err := gallery.Load()
	if err != nil {
		return err
	}
	if c.WithDemo {
		// The gallery proposes the demo app's address, wherever --demo-addr puts it.
		demoURL, err := demoPublicURL(c.DemoAddr)
		if err != nil {
			return err
		}
		if g, err = g.WithDefault("gatehouse-demo", "demo_url", demoURL); err != nil {
			return fmt.Errorf("--demo-addr %q: %w", c.DemoAddr, err)
		}
	}
	nameIDs, err := nameIDKey(kek)
	if err != nil {
		return err
	}
	hasher := password.NewHasher(hashParams, c.HashConcurrency)
	svc, err := idp.New(idp.Config{
		Store: store, Gallery: g, Hasher: hasher, Sealer: sealer,
		PublicURL: c.PublicURL, NameIDKey: nameIDs, Logger: logger,
		SessionIdle: c.SessionIdle, SessionMax: c.SessionMax, AssertionLifetime: c.AssertionLifetime,
	})
	if err != nil {
		return err
	}
	m, err := metrics.New(metrics.Options{Certificates: svc.CertificateMetrics, Hasher: hasher, Version: version(), Logger: logger})
	if err != nil {
		return err
	}
	svc.SetObserver(m)
	var mailer *smtp.Sender
	if c.SMTPHost != "" {
		if mailer, err = smtp.New(smtp.Config{Host: c.SMTPHost, Port: c.SMTPPort, TLS: c.SMTPTLS, Username: c.SMTPUser,
			Password: c.SMTPPassword, From: c.SMTPFrom}); err != nil {
			return err
		}
		if c.CertNoticeInterval <= 0 {
			return fmt.Errorf("--cert-notice-interval %s: want a positive duration such as 1h", c.CertNoticeInterval)
		}
	}
	created, generated, err := svc.Bootstrap(ctx, c.AdminUser, c.AdminPassword)
	if err != nil {
		return fmt.Errorf("bootstrap: %w", err)
	}
	if created {
		fmt.Fprintf(stdout, "Created the default directory and its global admin %s.\n", c.AdminUser)
		if generated != "" {
			fmt.Fprintf(stdout, "Generated password (shown once, keep it safe): %s\n", generated)
		}
	}

	proxies, err := parsePrefixes(c.TrustedProxies)
	if err != nil {
		return fmt.Errorf("--trusted-proxies: %w", err)
	}
	srv := &web.Server{Service: svc, Logger: logger, PublicURL: c.PublicURL, RateLimit: c.RateLimit, RateBurst: c.RateBurst,
		SCIMRateLimit: c.SCIMRateLimit, SCIMRateBurst: c.SCIMRateBurst,
		TrustedProxies: proxies, Metrics: m.Handler(), Instrument: m.Instrument, ReadyTimeout: c.ReadyTimeout}
	if err := srv.Init(); err != nil {
		return err
	}
	var mln net.Listener
	if c.MetricsAddr != "" {
		if mln, err = listenMetrics(c.MetricsAddr, c.MetricsAllowRemote); err != nil {
			return err
		}
		defer mln.Close()
	}
	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return err
	}
	hs := &http.Server{
		Handler: srv.Handler(),
		// Timeouts against slow clients (SECURITY-CASES 44).
		ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 60 * time.Second,
		IdleTimeout: 120 * time.Second, MaxHeaderBytes: 64 << 10,
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	go cleanup(ctx, store, logger)
	go refreshMetadata(ctx, svc, c.MetadataRefresh, logger)
	if mailer != nil {
		job, err := newNoticeJob(svc, mailer, m, logger)
		if err != nil {
			hs.Close()
			return err
		}
		go job.run(ctx, c.CertNoticeInterval)
	} else {
		logger.Info("certificate expiry e-mails are off: no --smtp-host")
	}
	errc := make(chan error, 3)
	// The addresses are printed before the first request is served (the sockets are bound already), so whoever
	// waits for the server to answer can read them.
	_, sso, _ := svc.Endpoints(gatehouse.DefaultDirectoryID)
	fmt.Fprintf(stdout, "Gatehouse is listening on %s\n"+
		"  Admin portal: %s/admin/\n"+
		"  My Apps:      %s/d/default/myapps\n"+
		"  SSO URL:      %s\n"+
		"  API:          %s/api/v1 (description at /api/v1/openapi.yaml)\n",
		ln.Addr(), c.PublicURL, c.PublicURL, sso, c.PublicURL)
	if mln != nil {
		fmt.Fprintf(stdout, "  Metrics:      http://%s/metrics (no token)\n", mln.Addr())
		logger.Info("metrics listening", "addr", mln.Addr().String())
	}
	logger.Info("listening", "addr", ln.Addr().String(), "public_url", c.PublicURL)
	logger.Info("password hashing", "params", hashParams.String(), "concurrency", c.HashConcurrency,
		"peak_mib", c.HashConcurrency*c.HashMemoryMiB)
	logger.Info("signatures", "library", cryptoLibrary())
	go func() { errc <- hs.Serve(ln) }()
	var ms *http.Server
	if mln != nil {
		ms = metricsServer(m, logger)
		go func() { errc <- ms.Serve(mln) }()
		defer ms.Close()
	}
	var demo *demoServer
	if c.WithDemo {
		if demo, err = startDemo(ctx, c, logger.With("app", "gatehouse-demo"), errc); err != nil {
			hs.Close()
			return fmt.Errorf("demo app: %w", err)
		}
		defer demo.app.Close()
		demo.print(stdout, c, created, generated != "")
	}
	select {
	case err := <-errc:
		hs.Close()
		if demo != nil {
			demo.hs.Close()
		}
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if demo != nil {
		if err := demo.hs.Shutdown(shutdown); err != nil && !errors.Is(err, context.DeadlineExceeded) {
			return err
		}
	}
	if err := hs.Shutdown(shutdown); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	logger.Info("stopped")
	return nil
}

// hashParams returns the argon2id parameters of new password hashes that the flags give, or an error naming the
// flag when they are out of bounds or weaker than the OWASP Password Storage Cheat Sheet's settings. Hashes made
// with other parameters are replaced at their users' next sign-in.
func (c serveConfig) hashParams() (password.Params, error) {
	if c.HashConcurrency < 1 {
		return password.Params{}, fmt.Errorf("--hash-concurrency %d: compute at least 1 hash at once", c.HashConcurrency)
	}
	if c.HashMemoryMiB < 1 || c.HashMemoryMiB > 1024 {
		return password.Params{}, fmt.Errorf("--hash-memory %d: choose 7 to 1024 MiB", c.HashMemoryMiB)
	}
	if c.HashLanes < 1 || c.HashLanes > 255 {
		return password.Params{}, fmt.Errorf("--hash-lanes %d: choose 1 to 255", c.HashLanes)
	}
	if c.HashTime < 1 || c.HashTime > 64 {
		return password.Params{}, fmt.Errorf("--hash-time %d: choose 1 to 64 passes", c.HashTime)
	}
	p := password.DefaultParams
	p.MemoryKiB, p.Time, p.Threads = uint32(c.HashMemoryMiB)*1024, uint32(c.HashTime), uint8(c.HashLanes)
	if err := p.CheckStrength(); err != nil {
		return password.Params{}, fmt.Errorf("--hash-memory %d --hash-time %d --hash-lanes %d: %w", c.HashMemoryMiB, c.HashTime, c.HashLanes, err)
	}
	return p, nil
}

// defaultDemoAddr is the demo app's default address. The "gatehouse-demo" gallery template's default demo_url is
// http://<defaultDemoAddr>, so that with the defaults the admin accepts the value the gallery proposes.
const defaultDemoAddr = "127.0.0.1:8090"

// demoServer is the demo app run by `gatehouse serve --with-demo`.
type demoServer struct {
	app       *demoapp.App
	hs        *http.Server
	addr      string
	publicURL string
	dataDir   string
	// ownerCreated reports whether this start created the owner; generated is the owner's generated password.
	ownerCreated bool
	generated    string
}

// startDemo opens the demo app with its data under <data>/demo, creates its owner on first start and serves it on
// c.DemoAddr, sending the server's end to errc. Nothing is configured between the two: connecting them is what the
// tutorial teaches.
func startDemo(ctx context.Context, c serveConfig, logger *slog.Logger, errc chan<- error) (*demoServer, error) {
	publicURL, err := demoPublicURL(c.DemoAddr)
	if err != nil {
		return nil, err
	}
	d := &demoServer{publicURL: publicURL, dataDir: filepath.Join(c.Data, "demo")}
	d.app, err = demoapp.Open(ctx, demoapp.Config{PublicURL: publicURL, DataDir: d.dataDir, Logger: logger})
	if err != nil {
		return nil, err
	}
	d.generated, d.ownerCreated, err = d.app.EnsureOwner(ctx, c.DemoOwnerEmail, c.DemoOwnerPassword)
	if err != nil {
		d.app.Close()
		return nil, err
	}
	ln, err := net.Listen("tcp", c.DemoAddr)
	if err != nil {
		d.app.Close()
		return nil, err
	}
	d.addr = ln.Addr().String()
	d.hs = &http.Server{
		Handler:           d.app.Handler(),
		ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second,
		IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 32 << 10,
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	go func() { errc <- d.hs.Serve(ln) }()
	logger.Info("listening", "addr", d.addr, "public_url", publicURL)
	return d, nil
}

// demoPublicURL returns the URL the demo app is reached at when it listens on addr: a wildcard host reads as
// 127.0.0.1.
func demoPublicURL(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("--demo-addr %q: %w", addr, err)
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port), nil
}

// print tells where the demo app is and who signs in to each of the two apps.
func (d *demoServer) print(w io.Writer, c serveConfig, adminCreated, adminGenerated bool) {
	fmt.Fprintf(w, "Demo app (gatehouse-demo) is listening on %s\n  Sign in:   %s/signin\n"+
		"  Its SAML values: Identifier %s, Reply URL %s, Sign-on URL %s\n  Owner:     %s\n",
		d.addr, d.publicURL, d.app.EntityID(), d.app.ACSURL(), d.app.SignOnURL(), c.DemoOwnerEmail)
	switch {
	case d.generated != "":
		fmt.Fprintf(w, "  Generated owner password (shown once, keep it safe): %s\n", d.generated)
	case d.ownerCreated:
		fmt.Fprintf(w, "  Owner password: the one given with --demo-owner-password\n")
	default:
		fmt.Fprintf(w, "  (the demo app's owner was created on its first start; its data is in %s)\n", d.dataDir)
	}
	admin := "password as printed above"
	switch {
	case !adminCreated:
		admin = "password as chosen after the first start"
	case !adminGenerated:
		admin = "password as given with --admin-password"
	}
	fmt.Fprintf(w, "Gatehouse admin portal: %s/admin/\n  Admin:     %s (%s)\n", c.PublicURL, c.AdminUser, admin)
	fmt.Fprintf(w, "Nothing connects the two yet: docs/tutorial.md walks through it. In the gallery, add %q (it\n"+
		"proposes the demo app base URL %s), then enter Gatehouse's values in the demo app under Settings → Access security.\n",
		"Gatehouse Demo App", d.publicURL)
}

// openStore opens PostgreSQL when a database URL is given, and SQLite in the data directory otherwise.
func openStore(ctx context.Context, c serveConfig) (gatehouse.Store, error) {
	if c.DatabaseURL != "" {
		if !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
			return nil, fmt.Errorf("--database-url must start with postgres:// or postgresql://")
		}
		return postgres.Open(ctx, c.DatabaseURL)
	}
	return sqlite.Open(filepath.Join(c.Data, "gatehouse.db"))
}

// loadKey returns the key-encryption key from --key, or from the key file in the data directory.
func loadKey(c serveConfig) ([]byte, error) {
	if c.Key != "" {
		return certs.ParseKey(c.Key)
	}
	return certs.LoadOrCreateKeyFile(filepath.Join(c.Data, "gatehouse.key"))
}

// nameIDKey returns the key of persistent NameIDs, derived from the key-encryption key. It must never change:
// service providers keep the NameIDs it makes as their users' identifiers, so it is derived as it always was
// (certs.LegacyKey).
func nameIDKey(kek []byte) ([]byte, error) {
	return certs.LegacyKey(kek, "gatehouse persistent NameID v1")
}

func newLogger(level, format string, w io.Writer) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: choose debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: l}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: choose text or json", format)
}

// cleanup deletes expired sessions, pending sign-ins and replay-cache entries every few minutes.
func cleanup(ctx context.Context, store gatehouse.Store, logger *slog.Logger) {
	t := time.NewTicker(5 * time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			if err := store.DeleteExpired(ctx, now.UTC()); err != nil && ctx.Err() == nil {
				logger.Warn("delete expired rows", "err", err)
			}
		}
	}
}

// parsePrefixes parses a comma-separated list of IP addresses and CIDR ranges; an address is a range of one.
func parsePrefixes(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(list, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("%q is neither an IP address nor a CIDR range such as 10.0.0.0/8", f)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}
