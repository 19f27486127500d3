package main

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"html"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	"github.com/crewjam/saml/samlidp"
	"golang.org/x/crypto/argon2"
)

// serveRef serves h on addr with the HTTP server settings of gatehouse serve, until SIGTERM or SIGINT.
func serveRef(addr string, h http.Handler) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second, MaxHeaderBytes: 64 << 10}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return hs.Shutdown(shutdown)
}

func healthz(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{"status":"ok"}`) }

// refSigner is the ceiling of a sign-on: a server that answers each request for GET /sso with one RSA-2048
// PKCS#1 v1.5 SHA-256 signature (over the request and a random nonce) in an auto-POST form, and does nothing else.
func refSigner(args []string) error {
	fs := flag.NewFlagSet("ref-signer", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "address to listen on")
	if err := fs.Parse(args); err != nil {
		return err
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", healthz)
	mux.HandleFunc("GET /sso", func(w http.ResponseWriter, r *http.Request) {
		req := r.URL.Query().Get("SAMLRequest")
		if req == "" {
			http.Error(w, "no SAMLRequest", http.StatusBadRequest)
			return
		}
		nonce := make([]byte, 16)
		rand.Read(nonce)
		digest := sha256.Sum256(append([]byte(req), nonce...))
		sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, digest[:])
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!DOCTYPE html><html><body><form method="post" action="https://sp.bench.test/acs">`+
			`<input type="hidden" name="SAMLResponse" value="%s"></form></body></html>`, base64.StdEncoding.EncodeToString(sig))
	})
	return serveRef(*addr, mux)
}

// refArgon2 is the ceiling of a password sign-in: POST /login checks the password against one stored argon2id
// hash made with the given parameters, at most -concurrency hashes at once, and answers 303 with a session cookie
// or 200 with the form again.
func refArgon2(args []string) error {
	fs := flag.NewFlagSet("ref-argon2", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "address to listen on")
	memory := fs.Int("memory", 19, "memory of a hash in MiB")
	passes := fs.Int("time", 2, "passes of a hash")
	lanes := fs.Int("lanes", 1, "lanes of a hash")
	concurrency := fs.Int("concurrency", runtime.NumCPU(), "hashes at once")
	pw := fs.String("password", "", "the password that signs in")
	if err := fs.Parse(args); err != nil {
		return err
	}
	salt := make([]byte, 16)
	rand.Read(salt)
	hash := func(p string) []byte {
		return argon2.IDKey([]byte(p), salt, uint32(*passes), uint32(*memory)<<10, uint8(*lanes), 32)
	}
	stored := hash(*pw)
	slots := make(chan struct{}, *concurrency)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", healthz)
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		if err := r.ParseForm(); err != nil || r.PostForm.Get("userName") == "" {
			http.Error(w, "bad form", http.StatusBadRequest)
			return
		}
		select {
		case slots <- struct{}{}:
		case <-r.Context().Done():
			return
		}
		got := hash(r.PostForm.Get("password"))
		<-slots
		if subtle.ConstantTimeCompare(got, stored) != 1 {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprintf(w, `<!DOCTYPE html><p>The user name or password is incorrect.</p><form method="post"><input name="userName" value="%s"></form>`,
				html.EscapeString(r.PostForm.Get("userName")))
			return
		}
		token := make([]byte, 32)
		rand.Read(token)
		http.SetCookie(w, &http.Cookie{Name: "session", Value: base64.RawURLEncoding.EncodeToString(token), Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
		http.Redirect(w, r, "/myapps", http.StatusSeeOther)
	})
	return serveRef(*addr, mux)
}

// refCrewjam runs crewjam/saml's samlidp with an RSA-2048 key and an in-memory store; the benchmark registers the
// SP and the user through its REST interface.
func refCrewjam(args []string) error {
	fs := flag.NewFlagSet("ref-crewjam", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "address to listen on")
	if err := fs.Parse(args); err != nil {
		return err
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	tpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "crewjam samlidp"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return err
	}
	idp, err := samlidp.New(samlidp.Options{
		URL: url.URL{Scheme: "http", Host: *addr}, Key: key, Certificate: cert, Store: &samlidp.MemoryStore{},
		Logger: log.New(os.Stderr, "crewjam ", log.LstdFlags),
	})
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", healthz)
	mux.Handle("/", idp)
	return serveRef(*addr, mux)
}

// refCommands are the reference servers, run as processes of their own.
var refCommands = map[string]func([]string) error{
	"ref-signer":  refSigner,
	"ref-argon2":  refArgon2,
	"ref-crewjam": refCrewjam,
	"ref-scim":    refSCIM,
}

// runRef runs a reference server subcommand and returns the exit code.
func runRef(name string, args []string) int {
	if err := refCommands[name](args); err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintf(os.Stderr, "gatehouse-bench %s: %v\n", name, err)
		return 1
	}
	return 0
}
