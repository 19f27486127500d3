package web_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"syscall"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/gatehouse-idp/gatehouse/idp"
)

// BenchmarkOIDC measures the OpenID Connect provider for a signed-in user, for each signing algorithm, against one
// bare signature of that algorithm in the same run: Authorize is the authorization round trip of a signed-in
// browser (request to the code at the redirect URI), Token the token endpoint's code exchange (the ID token, the
// access token and the refresh token, with client_secret_basic and PKCE), and Sign one signature of a SHA-256
// digest with a key of the kind the directory signs with (P-256, RSA 2048). Beside ns/op each reports cpu-ns/op,
// the CPU time of the process per operation (server and client share it: the client is the test's HTTP client and
// x/oauth2), and Token reports the ratio of its CPU to a bare signature's as sigs/op.
//
//	go test ./web -run '^$' -bench BenchmarkOIDC -benchtime 200x
func BenchmarkOIDC(b *testing.B) {
	for _, alg := range []string{"ES256", "RS256"} {
		e := newOIDCEnv(b, idp.OIDCPatch{SigningAlgorithm: &alg})
		br := e.browser()
		cfg := e.oauth2("offline_access")
		verifier := oauth2.GenerateVerifier()
		authURL := cfg.AuthCodeURL("st", oauth2.S256ChallengeOption(verifier))
		br.code(authURL, "alice@contoso.com") // signs alice in; the round trips below find her session
		sign := bareSigner(b, alg)
		var signCPU time.Duration
		b.Run(alg+"/Sign", func(b *testing.B) {
			b.ReportAllocs()
			start := cpuTime()
			for b.Loop() {
				sign()
			}
			signCPU = (cpuTime() - start) / time.Duration(b.N)
			b.ReportMetric(float64(signCPU), "cpu-ns/op")
		})
		b.Run(alg+"/Authorize", func(b *testing.B) {
			b.ReportAllocs()
			start := cpuTime()
			for b.Loop() {
				br.code(authURL, "alice@contoso.com")
			}
			b.ReportMetric(float64((cpuTime()-start)/time.Duration(b.N)), "cpu-ns/op")
		})
		b.Run(alg+"/Token", func(b *testing.B) {
			b.ReportAllocs()
			var cpu time.Duration
			for b.Loop() {
				b.StopTimer()
				code, _ := br.code(authURL, "alice@contoso.com")
				b.StartTimer()
				start := cpuTime()
				tok, err := cfg.Exchange(e.ctx, code, oauth2.VerifierOption(verifier))
				cpu += cpuTime() - start
				if err != nil || tok.Extra("id_token") == nil || tok.RefreshToken == "" {
					b.Fatalf("exchange: %v %v", tok, err)
				}
			}
			per := cpu / time.Duration(b.N)
			b.ReportMetric(float64(per), "cpu-ns/op")
			if signCPU > 0 {
				b.ReportMetric(float64(per)/float64(signCPU), "sigs/op")
			}
		})
	}
}

// bareSigner returns a function that makes one signature of alg over a SHA-256 digest, with a fresh key.
func bareSigner(b *testing.B, alg string) func() {
	b.Helper()
	digest := sha256.Sum256([]byte("header.payload"))
	switch alg {
	case "ES256":
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			b.Fatal(err)
		}
		return func() {
			if _, err := ecdsa.SignASN1(rand.Reader, key, digest[:]); err != nil {
				b.Fatal(err)
			}
		}
	default:
		key, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			b.Fatal(err)
		}
		return func() {
			if _, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, digest[:]); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// cpuTime returns the CPU time the process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
