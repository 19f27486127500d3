package main

import (
	"context"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gatehouse-idp/gatehouse/apiclient"
)

// scaleUser is the user of a scale run's directories who signs in with a password and signs on to the app.
const scaleUser = "bench.user@gatehouse.local"

// scaleSearch is what the searches of a scale run look for: the beginning of ten user names (user0000770 to
// user0000779), in either size of directory.
const scaleSearch = "user000077"

// scaleBroadSearch matches the beginning of many last names: Last77, Last770 to Last779, Last7700 to Last7799 and
// so on, as many as the directory is large (11,111 of a million users, 11 of a thousand).
const scaleBroadSearch = "last77"

// scaleOp is one kind of request a scale run measures on each server.
type scaleOp struct {
	name string
	// do returns the request function for the server of a directory of n users.
	do func(s *scaleServer, n int) func(ctx context.Context, w int) error
}

// scaleServer is a running gatehouse serve on a directory of many users, with a client signed in as the global
// admin (portal), one as the user (My Apps, sign-ons), and one without cookies for the API with its token.
type scaleServer struct {
	*gatehouseServer
	admin, user, bare *http.Client
	token             string
}

// get returns a request function that sends GET u with hc, and the API token when token is not empty, and fails
// unless the answer is 200 and holds want.
func get(hc *http.Client, u, token, want string) func(ctx context.Context, w int) error {
	return func(ctx context.Context, _ int) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return err
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), want) {
			return fmt.Errorf("GET %s: status %d, or no %q in: %.300s", u, resp.StatusCode, want, body)
		}
		return nil
	}
}

// scaleOps are the requests a scale run measures, in the order of its report.
func scaleOps(pw string) []scaleOp {
	middle := func(n int) string { return fmt.Sprintf("user%07d@bench.test", n/2) }
	return []scaleOp{
		{"password sign-in", func(s *scaleServer, n int) func(context.Context, int) error {
			return postLogin(newClient(1, nil), s.URL+"/d/default/login", []string{scaleUser}, pw)
		}},
		{"My Apps page", func(s *scaleServer, n int) func(context.Context, int) error {
			return get(s.user, s.URL+"/d/default/myapps", "", "Bench SP")
		}},
		{"SP-initiated sign-on", func(s *scaleServer, n int) func(context.Context, int) error {
			return signOn(s.user, s.URL+"/d/default/saml2", spEntityID)
		}},
		{"admin users, first page", func(s *scaleServer, n int) func(context.Context, int) error {
			return get(s.admin, s.URL+"/admin/d/default/users", "", `id="next-page"`)
		}},
		{"admin users, page by cursor", func(s *scaleServer, n int) func(context.Context, int) error {
			return get(s.admin, s.URL+"/admin/d/default/users?after="+url.QueryEscape(middle(n)), "", `id="prev-page"`)
		}},
		{"admin search (10 users)", func(s *scaleServer, n int) func(context.Context, int) error {
			return get(s.admin, s.URL+"/admin/d/default/users?q="+scaleSearch, "", "user0000779@bench.test")
		}},
		{"admin search, broad", func(s *scaleServer, n int) func(context.Context, int) error {
			return get(s.admin, s.URL+"/admin/d/default/users?q="+scaleBroadSearch, "", "Last77")
		}},
		{"API list (100 users)", func(s *scaleServer, n int) func(context.Context, int) error {
			return get(s.bare, s.URL+"/api/v1/directories/default/users?limit=100", s.token, `"next"`)
		}},
		{"API list by cursor", func(s *scaleServer, n int) func(context.Context, int) error {
			return get(s.bare, s.URL+"/api/v1/directories/default/users?limit=100&cursor="+
				base64.RawURLEncoding.EncodeToString([]byte(middle(n))), s.token, `"next"`)
		}},
		{"API search (10 users)", func(s *scaleServer, n int) func(context.Context, int) error {
			return get(s.bare, s.URL+"/api/v1/directories/default/users?q="+scaleSearch, s.token, "user0000779@bench.test")
		}},
	}
}

func runScale(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var e env
	fs := flag.NewFlagSet("gatehouse-bench scale", flag.ContinueOnError)
	fs.SetOutput(stderr)
	e.flags(fs, 5)
	sizes := fs.String("users", "1000,1000000", "the `SMALL,LARGE` sizes of the default directories to compare")
	perRequest := fs.Int("import-rows", 10_000, "rows per request of the bulk import that fills the directories")
	requests := fs.Int("requests", 20, "requests of each kind per repetition and directory, one after another")
	limit := fs.Duration("duration", 10*time.Minute, "stop starting repetitions after this long (the import not counted)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var ns []int
	for _, f := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1000 {
			return fmt.Errorf("--users: %q is not a number of users of at least 1000 (the searches look for user0000770 to user0000779)", f)
		}
		ns = append(ns, n)
	}
	if len(ns) != 2 || ns[0] >= ns[1] {
		return errors.New("--users takes two sizes, the smaller first")
	}
	if *requests < 1 {
		return errors.New("--requests must be at least 1")
	}
	cleanup, err := e.setup(ctx, stdout, stderr)
	if err != nil {
		return err
	}
	defer cleanup()

	adminPW, userPW := randomPassword(), randomPassword()
	servers := make([]*scaleServer, len(ns))
	defer func() {
		for _, s := range servers {
			if s != nil {
				s.stop()
			}
		}
	}()
	rates := make([]float64, len(ns))
	for i, n := range ns {
		if servers[i], rates[i], err = e.scaleServer(ctx, n, *perRequest, adminPW, userPW); err != nil {
			return err
		}
	}

	ops := scaleOps(userPW)
	lat := map[string][]float64{} // op and size → every latency, in ms
	start := time.Now()
	reps := 0
	for rep := range e.reps {
		if rep > 0 && time.Since(start) > *limit {
			e.progress("stopping after %d repetitions: --duration %v has passed", rep, *limit)
			break
		}
		for _, op := range ops {
			for i, s := range servers {
				do := op.do(s, ns[i])
				for range *requests {
					t0 := time.Now()
					if err := do(ctx, 0); err != nil {
						return fmt.Errorf("%s, %d users: %w", op.name, ns[i], err)
					}
					k := op.name + "/" + strconv.Itoa(ns[i])
					lat[k] = append(lat[k], float64(time.Since(t0).Microseconds())/1000)
				}
			}
		}
		reps++
		if e.verbose {
			e.progress("repetition %d done", rep+1)
		}
	}

	small, large := strconv.Itoa(ns[0]), strconv.Itoa(ns[1])
	w := e.out
	fmt.Fprintf(w, "gatehouse-bench scale: the same requests against a directory of %d users and one of %d (SQLite)\n", ns[0], ns[1])
	fmt.Fprintf(w, "machine: %s\n", machine())
	fmt.Fprintf(w, "bulk import: %.0f users/s (%d users), %.0f users/s (%d users)\n", rates[0], ns[0], rates[1], ns[1])
	fmt.Fprintf(w, "%d repetitions, each %d requests of every kind per directory, interleaved; latency in ms over all of them\n\n",
		reps, *requests)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	width := 0
	for _, op := range ops {
		width = max(width, len(op.name))
	}
	fmt.Fprintf(tw, "request%s\t%s: median\tp99\t%s: median\tp99\tratio: median\tp99\t\n", strings.Repeat(" ", width-7), small, large)
	for _, op := range ops {
		a, b := lat[op.name+"/"+small], lat[op.name+"/"+large]
		fmt.Fprintf(tw, "%s\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t\n", op.name+strings.Repeat(" ", width-len(op.name)), median(a), p99(a), median(b), p99(b),
			median(b)/median(a), p99(b)/p99(a))
	}
	return tw.Flush()
}

// scaleServer starts gatehouse serve on a new data directory of n users: the global admin, the user who signs in
// (assigned to one SAML app) and n-2 users from the bulk import. It returns the server, with its clients signed
// in, and the rate of the import.
func (e *env) scaleServer(ctx context.Context, n, perRequest int, adminPW, userPW string) (*scaleServer, float64, error) {
	gh, err := e.startGatehouse(ctx, fmt.Sprintf("gatehouse-%d", n), filepath.Join(e.dir, fmt.Sprintf("data-%d", n)), adminPW)
	if err != nil {
		return nil, 0, err
	}
	s := &scaleServer{gatehouseServer: gh, bare: newClient(1, nil)}
	fail := func(err error) (*scaleServer, float64, error) {
		gh.stop()
		return nil, 0, fmt.Errorf("%d users: %w", n, err)
	}
	e.progress("importing %d users …", n-2)
	rate, _, err := gh.importUsers(ctx, n-2, perRequest, e.progress)
	if err != nil {
		return fail(err)
	}
	userID, err := gh.newUser(ctx, scaleUser, userPW)
	if err != nil {
		return fail(err)
	}
	app, _, err := gh.api.AddApp(ctx, "default", apiclient.AppInput{GalleryID: "custom", Name: "Bench SP"})
	if err != nil {
		return fail(err)
	}
	entityID, replyURLs := spEntityID, []string{spACS}
	if _, err := gh.api.PatchSAML(ctx, "default", app.ID, apiclient.SAMLPatch{EntityID: &entityID, ReplyURLs: &replyURLs}); err != nil {
		return fail(err)
	}
	if _, err := gh.api.CreateAssignment(ctx, "default", app.ID, apiclient.AssignmentInput{PrincipalType: "user", PrincipalID: userID}); err != nil {
		return fail(err)
	}
	if s.token, _, err = apiclient.New(gh.URL, "", nil).CreateToken(ctx, apiclient.TokenInput{
		UserName: "admin@gatehouse.local", Password: adminPW, Name: "bench scale"}); err != nil {
		return fail(err)
	}
	for _, c := range []struct {
		hc       **http.Client
		name, pw string
	}{{&s.admin, "admin@gatehouse.local", adminPW}, {&s.user, scaleUser, userPW}} {
		jar, _ := cookiejar.New(nil)
		*c.hc = newClient(1, jar)
		if err := do(ctx, *c.hc, http.MethodPost, gh.URL+"/d/default/login", "application/x-www-form-urlencoded",
			strings.NewReader(url.Values{"userName": {c.name}, "password": {c.pw}}.Encode()), http.StatusSeeOther); err != nil {
			return fail(err)
		}
	}
	return s, rate, nil
}

// p99 returns the 99th percentile of xs (nearest rank).
func p99(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[max(int(math.Ceil(0.99*float64(len(s))))-1, 0)]
}
