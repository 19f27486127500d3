package interop

import (
	"bufio"
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse"
)

const (
	adminUser     = "admin@contoso.com"
	adminPassword = "Correct-Horse-Battery-9"
	userName      = "b.simon@contoso.com"
	userPassword  = "Blue-Ocean-Lantern-42"
	userGiven     = "Brenda"
	userSurname   = "Simon"
	directory     = "default"
)

// groupNames are the groups the test user is a member of, for group claims.
var groupNames = []string{"Finance Team", "Interop Admins"}

// gatehouseServer is the running gatehouse serve process that every test of the package shares.
type gatehouseServer struct {
	URL string
	api *apiClient
	// user is the signed-in test user, whose password is no longer temporary.
	user gatehouse.User
	// features are what this Gatehouse can do, found out when it started.
	features features

	cmd  *exec.Cmd
	data string
	// mu guards out.
	mu  sync.Mutex
	out bytes.Buffer
}

var (
	serverOnce sync.Once
	server     *gatehouseServer
	serverErr  error
)

// startGatehouse builds and starts Gatehouse once for the package, creates the test user and signs it in once to
// replace its temporary password. The server is stopped by TestMain.
func startGatehouse(t *testing.T) *gatehouseServer {
	t.Helper()
	serverOnce.Do(func() { server, serverErr = launch() })
	if serverErr != nil {
		t.Fatal(serverErr)
	}
	return server
}

func stopServer() {
	if server == nil || server.cmd == nil || server.cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-server.cmd.Process.Pid, syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = server.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-server.cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
	_ = os.RemoveAll(server.data)
	if failedAny {
		fmt.Fprintf(os.Stderr, "gatehouse output:\n%s\n", server.output())
	}
}

// failedAny is set by a failing check so that TestMain prints the server's output.
var failedAny bool

func (s *gatehouseServer) output() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.String()
}

func launch() (*gatehouseServer, error) {
	// GATEHOUSE_BIN runs a gatehouse binary built elsewhere instead of building cmd/gatehouse.
	bin := os.Getenv("GATEHOUSE_BIN")
	if bin == "" {
		binDir, err := os.MkdirTemp("", "gatehouse-interop-bin")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(binDir)
		bin = filepath.Join(binDir, "gatehouse")
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "../cmd/gatehouse").CombinedOutput(); err != nil {
			return nil, fmt.Errorf("go build: %v\n%s", err, out)
		}
	}
	data, err := os.MkdirTemp("", "gatehouse-interop-data")
	if err != nil {
		return nil, err
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	// The public URL names the host localhost, not 127.0.0.1: passkeys need a domain name as relying-party ID.
	_, port, _ := net.SplitHostPort(addr)
	s := &gatehouseServer{URL: "http://localhost:" + port, data: data}
	s.cmd = exec.Command(bin, "serve", "--addr", addr, "--data", data, "--log-level", "debug", "--rate-limit", "0")
	s.cmd.Env = append(os.Environ(), "GATEHOUSE_ADMIN_USER="+adminUser, "GATEHOUSE_ADMIN_PASSWORD="+adminPassword,
		"GATEHOUSE_PUBLIC_URL="+s.URL)
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	pr, pw := io.Pipe()
	s.cmd.Stdout, s.cmd.Stderr = pw, pw
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			s.mu.Lock()
			s.out.WriteString(sc.Text() + "\n")
			s.mu.Unlock()
		}
	}()
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	server = s
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(s.URL + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("gatehouse did not start: %v\n%s", err, s.output())
		}
		time.Sleep(50 * time.Millisecond)
	}

	s.api = &apiClient{base: s.URL}
	var tok struct {
		Token string `json:"token"`
	}
	if err := s.api.call("POST", "/api/v1/tokens", map[string]string{"directory": directory, "userName": adminUser, "password": adminPassword, "name": "interop"}, http.StatusCreated, &tok); err != nil {
		return nil, err
	}
	s.api.token = tok.Token
	var created struct {
		User              gatehouse.User `json:"user"`
		TemporaryPassword string         `json:"temporaryPassword"`
	}
	if err := s.api.call("POST", "/api/v1/directories/"+directory+"/users", map[string]string{
		"userName": userName, "firstName": userGiven, "lastName": userSurname, "displayName": userGiven + " " + userSurname + " (display)",
		"mail": userName, "role": "user",
	}, http.StatusCreated, &created); err != nil {
		return nil, err
	}
	s.user = created.User
	for _, name := range groupNames {
		var g struct {
			ID string `json:"id"`
		}
		if err := s.api.call("POST", "/api/v1/directories/"+directory+"/groups", map[string]string{"name": name}, http.StatusCreated, &g); err != nil {
			return nil, err
		}
		if err := s.api.call("PUT", "/api/v1/directories/"+directory+"/groups/"+g.ID+"/members/"+s.user.ID, nil, http.StatusNoContent, nil); err != nil {
			return nil, err
		}
	}
	if err := s.replaceTemporaryPassword(created.TemporaryPassword); err != nil {
		return nil, err
	}
	s.features, err = s.probeFeatures()
	matrix.mu.Lock()
	matrix.registration = "with the entity ID and reply URLs the tests read from each SP's metadata (Gatehouse has no metadata import yet)"
	if s.features.metadataImport {
		matrix.registration = "by Gatehouse's import of each SP's metadata"
	}
	matrix.mu.Unlock()
	fmt.Printf("interop: Gatehouse features: %s\n", s.features)
	return s, err
}

// replaceTemporaryPassword signs the user in once at the sign-in page and chooses userPassword.
func (s *gatehouseServer) replaceTemporaryPassword(temp string) error {
	b := newBrowser()
	p, err := b.post(s.URL+"/d/"+directory+"/login", "", map[string]string{"userName": userName, "password": temp})
	if err != nil {
		return err
	}
	if p.Status != http.StatusSeeOther || !strings.Contains(p.Location, "/password") {
		return fmt.Errorf("first sign-in: status %d location %q, want the password change", p.Status, p.Location)
	}
	p, err = b.post(s.URL+"/d/"+directory+"/password", "", map[string]string{"currentPassword": temp, "newPassword": userPassword, "confirmPassword": userPassword})
	if err != nil {
		return err
	}
	if p.Status != http.StatusSeeOther {
		return fmt.Errorf("password change: status %d, want a redirect:\n%s", p.Status, p.Body)
	}
	return nil
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// freePort returns a free loopback TCP port.
func freePort(t *testing.T) int {
	t.Helper()
	addr, err := freeAddr()
	if err != nil {
		t.Fatal(err)
	}
	return addr2port(addr)
}

func addr2port(addr string) int {
	var p int
	_, _ = fmt.Sscanf(addr[strings.LastIndex(addr, ":")+1:], "%d", &p)
	return p
}

// apiClient calls Gatehouse's REST API with a bearer token.
type apiClient struct {
	base  string
	token string
}

// apiError is an answer with an unexpected status.
type apiError struct {
	Status int
	Body   string
}

func (e *apiError) Error() string { return fmt.Sprintf("status %d: %s", e.Status, e.Body) }

// call sends a JSON request and decodes the JSON answer into out (when not nil); an answer whose status is not
// want is an *apiError.
func (c *apiClient) call(method, path string, body any, want int, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	hc := &http.Client{Timeout: 30 * time.Second}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: %w", method, path, &apiError{Status: resp.StatusCode, Body: string(data)})
	}
	if out != nil {
		if b, ok := out.(*[]byte); ok {
			*b = data
			return nil
		}
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("%s %s: decode %s: %w", method, path, data, err)
		}
	}
	return nil
}

// mustCall is call that fails the test on error.
func (c *apiClient) mustCall(t testing.TB, method, path string, body any, want int, out any) {
	t.Helper()
	if err := c.call(method, path, body, want, out); err != nil {
		t.Fatal(err)
	}
}

// spMetadata is what the tests read from an SP's metadata themselves, to register the SP where Gatehouse cannot
// import metadata yet and to check what Gatehouse imported.
type spMetadata struct {
	EntityID string
	// ACSURLs are the HTTP-POST assertion consumer services, ACSIndexes their indexes.
	ACSURLs    []string
	ACSIndexes []int
	// SLOURL is the single logout service by HTTP-Redirect, or else by HTTP-POST.
	SLOURL string
	// AuthnRequestsSigned is the SPSSODescriptor's AuthnRequestsSigned.
	AuthnRequestsSigned bool
	// SigningKeys and EncryptionKeys count the KeyDescriptors for each use (one without a use counts for both).
	SigningKeys, EncryptionKeys int
}

const (
	bindingPost     = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
	bindingRedirect = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
)

func parseSPMetadata(data []byte) (*spMetadata, error) {
	var ed struct {
		EntityID string `xml:"entityID,attr"`
		SP       struct {
			AuthnRequestsSigned string `xml:"AuthnRequestsSigned,attr"`
			Keys                []struct {
				Use string `xml:"use,attr"`
			} `xml:"KeyDescriptor"`
			ACS []struct {
				Binding  string `xml:"Binding,attr"`
				Location string `xml:"Location,attr"`
				Index    int    `xml:"index,attr"`
			} `xml:"AssertionConsumerService"`
			SLO []struct {
				Binding  string `xml:"Binding,attr"`
				Location string `xml:"Location,attr"`
			} `xml:"SingleLogoutService"`
		} `xml:"SPSSODescriptor"`
	}
	if err := xml.Unmarshal(data, &ed); err != nil {
		return nil, fmt.Errorf("SP metadata: %w", err)
	}
	md := &spMetadata{EntityID: ed.EntityID, AuthnRequestsSigned: ed.SP.AuthnRequestsSigned == "true" || ed.SP.AuthnRequestsSigned == "1"}
	for _, k := range ed.SP.Keys {
		if k.Use != "encryption" {
			md.SigningKeys++
		}
		if k.Use != "signing" {
			md.EncryptionKeys++
		}
	}
	for _, a := range ed.SP.ACS {
		if a.Binding == bindingPost {
			md.ACSURLs = append(md.ACSURLs, a.Location)
			md.ACSIndexes = append(md.ACSIndexes, a.Index)
		}
	}
	for _, binding := range []string{bindingRedirect, bindingPost} {
		for _, s := range ed.SP.SLO {
			if s.Binding == binding && md.SLOURL == "" {
				md.SLOURL = s.Location
			}
		}
	}
	if md.EntityID == "" || len(md.ACSURLs) == 0 {
		return nil, errors.New("SP metadata has no entityID or no HTTP-POST AssertionConsumerService")
	}
	return md, nil
}

// registeredApp is an SP registered in Gatehouse as a custom app with the test user assigned.
type registeredApp struct {
	App gatehouse.App
	// MetadataURL is the app's federation metadata (the IdP metadata with the app's certificate).
	MetadataURL string
	// UserAccessURL starts IdP-initiated sign-on.
	UserAccessURL string
	// SSOURL is the IdP's sign-on endpoint, EntityID the IdP's entity ID.
	SSOURL, EntityID string
	// CertPEM is the app's active signing certificate.
	CertPEM []byte
	Cert    *x509.Certificate
	// NextCertID and NextCertPEM are the app's next certificate, made before the SP reads the IdP metadata (when
	// Gatehouse has certificate rollover), so that the metadata the SP trusts publishes both.
	NextCertID  string
	NextCertPEM []byte
	// Imported reports whether Gatehouse registered the SP from its metadata (otherwise the tests set entity ID and
	// reply URLs from it).
	Imported bool
	SP       *spMetadata
}

func (r *registeredApp) path() string {
	return "/api/v1/directories/" + directory + "/apps/" + r.App.ID
}

// ecdsaSuffix ends the name of an SP instance whose app signs with an ECDSA P-256 key.
const ecdsaSuffix = "-ecdsa"

// createApp adds a custom SAML app named name, assigns the test user and returns it with its set-up values. An app
// whose name ends with ecdsaSuffix signs with an ECDSA P-256 key: chosen before anyone is assigned, so its first
// ECDSA certificate is active at once (and its next certificate is ECDSA too).
func (s *gatehouseServer) createApp(t *testing.T, name string) *registeredApp {
	t.Helper()
	r := &registeredApp{}
	s.api.mustCall(t, "POST", "/api/v1/directories/"+directory+"/apps", map[string]any{"galleryId": "custom", "name": name}, http.StatusCreated, &r.App)
	if strings.HasSuffix(name, ecdsaSuffix) {
		if !s.features.ecdsa {
			t.Fatalf("%s: Gatehouse cannot sign with ECDSA", name)
		}
		s.api.mustCall(t, "PATCH", r.path()+"/saml", map[string]any{"signingKeyType": "ecdsa-p256"}, http.StatusOK, nil)
	}
	s.api.mustCall(t, "POST", r.path()+"/assignments", map[string]string{"principalType": "user", "principalId": s.user.ID}, http.StatusCreated, nil)
	var setup map[string]any
	s.api.mustCall(t, "GET", r.path()+"/setup", nil, http.StatusOK, &setup)
	r.MetadataURL, _ = setup["metadataUrl"].(string)
	r.UserAccessURL, _ = setup["userAccessUrl"].(string)
	r.SSOURL, _ = setup["loginUrl"].(string)
	r.EntityID, _ = setup["identifier"].(string)
	s.api.mustCall(t, "GET", r.path()+"/certificates/active/download?format=pem", nil, http.StatusOK, &r.CertPEM)
	block, _ := pem.Decode(r.CertPEM)
	if block == nil {
		t.Fatalf("active certificate is not PEM:\n%s", r.CertPEM)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	r.Cert = cert
	if s.features.rollover {
		var next struct {
			ID string `json:"id"`
		}
		s.api.mustCall(t, "POST", r.path()+"/certificates", nil, http.StatusCreated, &next)
		r.NextCertID = next.ID
		s.api.mustCall(t, "GET", r.path()+"/certificates/"+next.ID+"/download?format=pem", nil, http.StatusOK, &r.NextCertPEM)
	}
	return r
}

// trustedCertsPEM returns the IdP certificates an SP configured with certificate files trusts: the active one and,
// during a rollover, the next one.
func (r *registeredApp) trustedCertsPEM() []byte {
	return append(append([]byte(nil), r.CertPEM...), r.NextCertPEM...)
}

// registerMetadata registers the SP from its metadata: through Gatehouse's metadata import when it has one,
// otherwise by setting the entity ID and reply URLs read from the metadata. settings are further SAML settings to
// PATCH afterwards (e.g. the signing option).
func (s *gatehouseServer) registerMetadata(t *testing.T, r *registeredApp, metadata []byte, settings map[string]any) {
	t.Helper()
	md, err := parseSPMetadata(metadata)
	if err != nil {
		t.Fatalf("%v\n%s", err, metadata)
	}
	r.SP = md
	if s.features.metadataImport {
		s.api.mustCall(t, "POST", r.path()+"/saml/metadata", map[string]string{"metadata": string(metadata)}, http.StatusOK, nil)
		r.Imported = true
	} else {
		s.api.mustCall(t, "PATCH", r.path()+"/saml", map[string]any{"entityId": md.EntityID, "replyUrls": md.ACSURLs}, http.StatusOK, nil)
	}
	if len(settings) > 0 {
		s.api.mustCall(t, "PATCH", r.path()+"/saml", settings, http.StatusOK, nil)
	}
	s.api.mustCall(t, "GET", r.path(), nil, http.StatusOK, &r.App)
	appsByHost.Store(hostOf(md.ACSURLs[0]), r)
	if r.App.SAML.EntityID != md.EntityID {
		t.Fatalf("registered entity ID = %q, want %q from the SP's metadata", r.App.SAML.EntityID, md.EntityID)
	}
	for _, u := range md.ACSURLs {
		if !contains(r.App.SAML.ReplyURLs, u) {
			t.Fatalf("registered reply URLs %v lack %q from the SP's metadata", r.App.SAML.ReplyURLs, u)
		}
	}
}

// appsByHost maps the host (and port) of each registered SP to its app, so that a message Gatehouse sends is
// checked against the certificate of the app it is for.
var appsByHost sync.Map

// appFor returns the app whose SP serves u, or nil.
func appFor(u string) *registeredApp {
	if v, ok := appsByHost.Load(hostOf(u)); ok {
		return v.(*registeredApp)
	}
	return nil
}

// idpMetadata returns the app's federation metadata.
func (r *registeredApp) idpMetadata(t testing.TB) []byte {
	t.Helper()
	hc := &http.Client{Timeout: 30 * time.Second}
	resp, err := hc.Get(r.MetadataURL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d %v", r.MetadataURL, resp.StatusCode, err)
	}
	return data
}
