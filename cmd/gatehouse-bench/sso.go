package main

import (
	"bytes"
	"compress/flate"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gatehouse-idp/gatehouse/apiclient"
)

// The SP every server answers: its entity ID and ACS URL. Nothing listens there; the benchmark reads the form the
// IdP would post to it.
const (
	spEntityID = "https://sp.bench.test/metadata"
	spACS      = "https://sp.bench.test/acs"
)

// authnRequest returns a fresh AuthnRequest, deflated and base64-encoded for the Redirect binding.
func authnRequest(issuer, destination string) string {
	id := make([]byte, 16)
	rand.Read(id)
	xml := `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"` +
		` ID="_` + hex.EncodeToString(id) + `" Version="2.0" IssueInstant="` + time.Now().UTC().Format("2006-01-02T15:04:05.000Z") +
		`" Destination="` + destination + `" AssertionConsumerServiceURL="` + spACS +
		`" ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"><saml:Issuer>` + issuer + `</saml:Issuer></samlp:AuthnRequest>`
	var b bytes.Buffer
	w, _ := flate.NewWriter(&b, flate.BestSpeed)
	io.WriteString(w, xml)
	w.Close()
	return base64.StdEncoding.EncodeToString(b.Bytes())
}

// signOn returns a request function that sends a fresh AuthnRequest from issuer to the SSO URL with hc (which holds
// the session) and checks that the answer is a form carrying a SAMLResponse.
func signOn(hc *http.Client, ssoURL, issuer string) func(ctx context.Context, w int) error {
	return func(ctx context.Context, w int) error {
		u := ssoURL + "?SAMLRequest=" + url.QueryEscape(authnRequest(issuer, ssoURL)) + "&RelayState=bench"
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return err
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
		if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte(`name="SAMLResponse"`)) {
			return fmt.Errorf("GET %s: status %d, no SAMLResponse form: %.300s", ssoURL, resp.StatusCode, body)
		}
		return nil
	}
}

// spMetadata is the SP's metadata as crewjam's samlidp takes it.
const spMetadata = `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="` + spEntityID + `">
  <md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol" AuthnRequestsSigned="false" WantAssertionsSigned="true">
    <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>
    <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="` + spACS + `" index="0" isDefault="true"/>
  </md:SPSSODescriptor>
</md:EntityDescriptor>`

// do sends a request and fails unless the status is want.
func do(ctx context.Context, hc *http.Client, method, u, contentType string, body io.Reader, want int) error {
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: status %d, want %d: %.300s", method, u, resp.StatusCode, want, b)
	}
	return nil
}

// ssoTargets starts the servers and returns the targets: the ceiling, crewjam, and for each gatehouse binary its
// sign-ons signing the assertion and signing both.
func (e *env) ssoTargets(ctx context.Context, workers int) ([]*target, []*process, error) {
	var procs []*process
	fail := func(err error) ([]*target, []*process, error) {
		for _, p := range procs {
			p.stop()
		}
		return nil, nil, err
	}
	ref := func(name string) (*process, error) {
		addr, err := freeAddr()
		if err != nil {
			return nil, err
		}
		p, err := start(ctx, name, e.dir, addr, "/healthz", nil, e.self, name, "-addr", addr)
		if err == nil {
			procs = append(procs, p)
		}
		return p, err
	}
	signer, err := ref("ref-signer")
	if err != nil {
		return fail(err)
	}
	crewjam, err := ref("ref-crewjam")
	if err != nil {
		return fail(err)
	}
	// crewjam: the SP and a user through its REST interface, then a session.
	pw := randomPassword()
	admin := newClient(2, nil)
	if err := do(ctx, admin, http.MethodPut, crewjam.URL+"/services/sp", "application/xml", strings.NewReader(spMetadata), http.StatusNoContent); err != nil {
		return fail(err)
	}
	if err := do(ctx, admin, http.MethodPut, crewjam.URL+"/users/bench", "application/json",
		strings.NewReader(`{"name":"bench","password":"`+pw+`","email":"bench.user@bench.test","given_name":"Bench","surname":"User"}`), http.StatusNoContent); err != nil {
		return fail(err)
	}
	jar, _ := cookiejar.New(nil)
	crewjamClient := newClient(workers, jar)
	if err := do(ctx, crewjamClient, http.MethodPost, crewjam.URL+"/login", "application/x-www-form-urlencoded",
		strings.NewReader(url.Values{"user": {"bench"}, "password": {pw}}.Encode()), http.StatusOK); err != nil {
		return fail(err)
	}

	targets := []*target{
		{name: "ceiling: one RSA-2048 signature", proc: signer, do: signOn(newClient(workers, nil), signer.URL+"/sso", spEntityID)},
		{name: "crewjam samlidp (signs both)", proc: crewjam, do: signOn(crewjamClient, crewjam.URL+"/sso", spEntityID)},
	}
	for i, bin := range e.builds {
		ts, gh, err := e.gatehouseSSO(ctx, bin, e.labels[i], workers, pw)
		if gh != nil {
			procs = append(procs, gh.process)
		}
		if err != nil {
			return fail(err)
		}
		targets = append(targets, ts...)
	}
	return targets, procs, nil
}

// gatehouseSSO starts a gatehouse binary with a user assigned to two apps of the same SP, one per signing option,
// signs the user in, and returns a target per app and the server.
func (e *env) gatehouseSSO(ctx context.Context, bin, label string, workers int, pw string) (_ []*target, _ *gatehouseServer, err error) {
	name := "gatehouse"
	if label != "" {
		name += " " + label
	}
	var args []string
	pprofAddr := ""
	if e.profile != "" && label == "" {
		if pprofAddr, err = freeAddr(); err != nil {
			return nil, nil, err
		}
		args = append(args, "--pprof-addr", pprofAddr)
	}
	gh, err := e.startGatehouseBinary(ctx, bin, strings.ReplaceAll(name, " ", "-"), e.dir+"/data-"+strings.ReplaceAll(name, " ", "-"), randomPassword(), args...)
	if err != nil {
		return nil, nil, err
	}
	userID, err := gh.newUser(ctx, "bench.user@gatehouse.local", pw)
	if err != nil {
		return nil, gh, err
	}
	for _, opt := range []string{"assertion", "both"} {
		app, _, err := gh.api.AddApp(ctx, "default", apiclient.AppInput{GalleryID: "custom", Name: "Bench SP " + opt})
		if err != nil {
			return nil, gh, err
		}
		entityID, replyURLs, option := spEntityID+"/"+opt, []string{spACS}, opt
		if _, err := gh.api.PatchSAML(ctx, "default", app.ID, apiclient.SAMLPatch{EntityID: &entityID, ReplyURLs: &replyURLs, SigningOption: &option}); err != nil {
			return nil, gh, err
		}
		if _, err := gh.api.CreateAssignment(ctx, "default", app.ID, apiclient.AssignmentInput{PrincipalType: "user", PrincipalID: userID}); err != nil {
			return nil, gh, err
		}
	}
	jar, _ := cookiejar.New(nil)
	hc := newClient(workers, jar)
	if err := do(ctx, hc, http.MethodPost, gh.URL+"/d/default/login", "application/x-www-form-urlencoded",
		strings.NewReader(url.Values{"userName": {"bench.user@gatehouse.local"}, "password": {pw}}.Encode()), http.StatusSeeOther); err != nil {
		return nil, gh, err
	}
	sso := gh.URL + "/d/default/saml2"
	return []*target{
		{name: name + ", sign assertion", proc: gh.process, do: signOn(hc, sso, spEntityID+"/assertion"), pprofAddr: pprofAddr},
		{name: name + ", sign both", proc: gh.process, do: signOn(hc, sso, spEntityID+"/both")},
	}, gh, nil
}

func runSSO(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var e env
	fs := flag.NewFlagSet("gatehouse-bench sso", flag.ContinueOnError)
	fs.SetOutput(stderr)
	e.flags(fs, 5)
	requests := fs.Int("requests", 2000, "sign-ons per server and repetition, at most")
	duration := fs.Duration("duration", 10*time.Second, "time per server and repetition, at most")
	workers := fs.Int("workers", 8, "sign-ons in flight in the closed loop")
	rateDuration := fs.Duration("rate-duration", 5*time.Second, "time per server and repetition at the fixed rate (0 skips it)")
	e.compareFlags(fs, "such as a build with GOEXPERIMENT=boringcrypto")
	fs.StringVar(&e.profile, "profile", "", "after the measurements, write a CPU profile of gatehouse (the first binary) signing assertions in a closed loop for --duration to `FILE` (go tool pprof FILE)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cleanup, err := e.setup(ctx, stdout, stderr)
	if err != nil {
		return err
	}
	defer cleanup()
	targets, procs, err := e.ssoTargets(ctx, *workers)
	if err != nil {
		return err
	}
	defer func() {
		for _, p := range procs {
			p.stop()
		}
	}()
	load0 := machine()
	for _, t := range targets {
		if r, err := closedLoop(ctx, t, *workers, max(20, *workers*4), time.Minute); err != nil || r.check("warm-up of "+t.name) != nil {
			return fmt.Errorf("warm-up of %s: %v %v", t.name, err, r.check(t.name))
		}
	}

	rate, cpu, p50, p99 := series{}, series{}, series{}, series{}
	for rep := range e.reps {
		for _, t := range targets {
			r, err := closedLoop(ctx, t, *workers, *requests, *duration)
			if err != nil {
				return err
			}
			if err := r.check(t.name); err != nil {
				return err
			}
			rate.add(t.name, r.rate())
			cpu.add(t.name, r.cpuPer())
			p50.add(t.name, r.pct(50))
			p99.add(t.name, r.pct(99))
			if e.verbose {
				e.progress("rep %d %-32s %5d req %7.0f req/s  p50 %6.2f ms  p99 %6.2f ms  CPU %.3f ms/req", rep+1, t.name, r.n, r.rate(), r.pct(50), r.pct(99), r.cpuPer())
			}
		}
		e.progress("closed loop: repetition %d of %d done", rep+1, e.reps)
	}
	fixedP99, fixedRate_ := series{}, map[string]float64{}
	if *rateDuration > 0 {
		for rep := range e.reps {
			for _, t := range targets {
				half := rate.med(t.name) / 2
				fixedRate_[t.name] = half
				r, err := fixedRate(ctx, t, half, *requests, *rateDuration)
				if err != nil {
					return err
				}
				if err := r.check(t.name + " at a fixed rate"); err != nil {
					return err
				}
				fixedP99.add(t.name, r.pct(99))
				if e.verbose {
					e.progress("rep %d %-32s fixed %6.0f req/s: %5d req  p50 %6.2f ms  p99 %6.2f ms", rep+1, t.name, half, r.n, r.pct(50), r.pct(99))
				}
			}
			e.progress("fixed rate: repetition %d of %d done", rep+1, e.reps)
		}
	}

	if e.profile != "" {
		if err := e.writeProfile(ctx, targets, *workers, *duration); err != nil {
			return err
		}
	}

	w := e.out
	fmt.Fprintf(w, "gatehouse-bench sso: SP-initiated sign-on of a signed-in user, a fresh Redirect AuthnRequest each\n")
	fmt.Fprintf(w, "machine: %s at the start; load average %s at the end\n", load0, loadAverage())
	fmt.Fprintf(w, "%d repetitions interleaved; each: %d sign-ons or %v per server, %d in flight (closed loop); medians\n\n",
		e.reps, *requests, *duration, *workers)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%s\treq/s\tp50 ms\tp99 ms\tCPU ms/req\t", pad("server", targets))
	if *rateDuration > 0 {
		fmt.Fprintf(tw, "fixed req/s\tp99 ms at it\t")
	}
	fmt.Fprintln(tw)
	for _, t := range targets {
		fmt.Fprintf(tw, "%s\t%.0f\t%.2f\t%.2f\t%.3f\t", pad(t.name, targets), rate.med(t.name), p50.med(t.name), p99.med(t.name), cpu.med(t.name))
		if *rateDuration > 0 {
			fmt.Fprintf(tw, "%.0f\t%.2f\t", fixedRate_[t.name], fixedP99.med(t.name))
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
	ceiling, crewjam := targets[0].name, targets[1].name
	fmt.Fprintf(w, "\nratios of the medians:\n")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "\tCPU per sign-on / ceiling's\tthroughput / ceiling's\tthroughput / crewjam's\tCPU per sign-on / crewjam's\n")
	for _, t := range targets[1:] {
		fmt.Fprintf(tw, "%s\t%.2f×\t%.2f\t%.2f×\t%.2f×\n", t.name, cpu.med(t.name)/cpu.med(ceiling), rate.med(t.name)/rate.med(ceiling),
			rate.med(t.name)/rate.med(crewjam), cpu.med(t.name)/cpu.med(crewjam))
	}
	tw.Flush()
	if *rateDuration > 0 {
		fmt.Fprintf(w, "fixed rate: half of each server's median peak for %v per repetition; latency counts from when a request was due\n", *rateDuration)
	}
	return nil
}

// writeProfile runs a closed loop against the target that serves a profiler, for d, while the profiler records,
// and writes the CPU profile to e.profile.
func (e *env) writeProfile(ctx context.Context, targets []*target, workers int, d time.Duration) error {
	var t *target
	for _, c := range targets {
		if c.pprofAddr != "" {
			t = c
		}
	}
	if t == nil {
		return errors.New("--profile: no server has a profiler")
	}
	e.progress("profiling %s for %v …", t.name, d)
	type answer struct {
		b   []byte
		err error
	}
	got := make(chan answer, 1)
	go func() {
		u := fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", t.pprofAddr, max(1, int(d.Seconds())))
		hc := &http.Client{Timeout: d + time.Minute}
		resp, err := hc.Get(u)
		if err != nil {
			got <- answer{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err == nil && resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("GET %s: status %d: %.300s", u, resp.StatusCode, b)
		}
		got <- answer{b, err}
	}()
	r, err := closedLoop(ctx, t, workers, math.MaxInt, d)
	if err != nil {
		return err
	}
	if err := r.check(t.name + " while profiling"); err != nil {
		return err
	}
	a := <-got
	if a.err != nil {
		return fmt.Errorf("--profile: %w", a.err)
	}
	if err := os.WriteFile(e.profile, a.b, 0o644); err != nil {
		return err
	}
	e.progress("wrote the CPU profile of %d sign-ons to %s", r.n, e.profile)
	return nil
}
