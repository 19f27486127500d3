package certs_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/gatehouse-idp/gatehouse/certs"
)

func kek(b byte) []byte { return bytes.Repeat([]byte{b}, certs.KEKSize) }

func mustSealer(tb testing.TB, key []byte) *certs.Sealer {
	tb.Helper()
	s, err := certs.NewSealer(key)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func TestNewSealerKeySize(t *testing.T) {
	for _, n := range []int{0, 16, 24, 31, 33, 64} {
		if _, err := certs.NewSealer(make([]byte, n)); err == nil {
			t.Errorf("NewSealer(%d bytes): no error", n)
		}
	}
}

func TestSealOpenRoundTrip(t *testing.T) {
	s := mustSealer(t, kek(1))
	sealed, err := s.SealKey(testKey, "cert-1")
	if err != nil {
		t.Fatal(err)
	}
	if sealed[0] != 2 {
		t.Errorf("version byte = %d; want 2", sealed[0])
	}
	der := testKey.N.Bytes()
	if bytes.Contains(sealed, der[:32]) {
		t.Error("sealed key contains the modulus in clear")
	}
	got, err := s.OpenKey(sealed, "cert-1")
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equal(testKey) {
		t.Error("opened key differs from the sealed one")
	}
	again, err := s.SealKey(testKey, "cert-1")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(sealed[1:13], again[1:13]) {
		t.Error("two seals use the same nonce")
	}
}

// TestOpenKeyFails covers SECURITY-CASES 41: a sealed key opens only with the right key-encryption key and for the
// certificate it was sealed for.
func TestOpenKeyFails(t *testing.T) {
	s := mustSealer(t, kek(1))
	sealed, err := s.SealKey(testKey, "cert-1")
	if err != nil {
		t.Fatal(err)
	}
	flip := func(i int) []byte {
		b := bytes.Clone(sealed)
		b[i] ^= 1
		return b
	}
	tests := []struct {
		name    string
		sealer  *certs.Sealer
		sealed  []byte
		aad     string
		wantErr error
		wantMsg string
	}{
		{"wrong key-encryption key", mustSealer(t, kek(2)), sealed, "cert-1", certs.ErrOpen, "wrong --key"},
		{"other certificate", s, sealed, "cert-2", certs.ErrOpen, "another certificate"},
		{"empty aad", s, sealed, "", certs.ErrOpen, ""},
		{"flipped ciphertext bit", s, flip(len(sealed) - 20), "cert-1", certs.ErrOpen, ""},
		{"flipped nonce bit", s, flip(3), "cert-1", certs.ErrOpen, ""},
		{"truncated", s, sealed[:20], "cert-1", certs.ErrOpen, "truncated"},
		{"labelled version 1", s, append([]byte{1}, sealed[1:]...), "cert-1", certs.ErrOpen, ""},
		{"unknown version", s, append([]byte{3}, sealed[1:]...), "cert-1", nil, "unknown sealing version 3"},
		{"empty", s, nil, "cert-1", nil, "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := tt.sealer.OpenKey(tt.sealed, tt.aad)
			if err == nil {
				t.Fatalf("OpenKey: no error, key %v", k != nil)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("error %v; want it to wrap %v", err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q; want it to mention %q", err, tt.wantMsg)
			}
		})
	}
}

// TestOpenKeyVersion1 opens a key sealed by an earlier Gatehouse (version 1, AES-GCM under the key-encryption key
// itself; testdata/sealed-v1.txt, sealed with the key-encryption key of 32 bytes 0x01 for "cert-1"): keys sealed
// before version 2 still open, and only with their key-encryption key and certificate.
func TestOpenKeyVersion1(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "sealed-v1.txt"))
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(sealed) == 0 || sealed[0] != 1 {
		t.Fatalf("testdata/sealed-v1.txt is not a version 1 sealed key (%v)", err)
	}
	k, err := mustSealer(t, kek(1)).OpenKey(sealed, "cert-1")
	if err != nil {
		t.Fatal(err)
	}
	pub, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256(pub); hex.EncodeToString(sum[:]) != "857e16b5352016b6f187c064381b053974cb395fe66d3e66a0b779104d6e59a6" {
		t.Errorf("the opened key is not the one sealed: public key SHA-256 %x", sum)
	}
	if _, err := mustSealer(t, kek(2)).OpenKey(sealed, "cert-1"); !errors.Is(err, certs.ErrOpen) {
		t.Errorf("with another key-encryption key: %v, want ErrOpen", err)
	}
	if _, err := mustSealer(t, kek(1)).OpenKey(sealed, "cert-2"); !errors.Is(err, certs.ErrOpen) {
		t.Errorf("for another certificate: %v, want ErrOpen", err)
	}
}

func TestSealKeyNil(t *testing.T) {
	if _, err := mustSealer(t, kek(1)).SealKey(nil, "x"); err == nil {
		t.Error("SealKey(nil): no error")
	}
}

func BenchmarkSealKey(b *testing.B) {
	s := mustSealer(b, kek(1))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.SealKey(testKey, "cert-1"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpenKey(b *testing.B) {
	s := mustSealer(b, kek(1))
	sealed, err := s.SealKey(testKey, "cert-1")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.OpenKey(sealed, "cert-1"); err != nil {
			b.Fatal(err)
		}
	}
}

func TestLoadOrCreateKeyFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	path := filepath.Join(dir, "gatehouse.key")
	k1, err := certs.LoadOrCreateKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(k1) != certs.KEKSize {
		t.Fatalf("key is %d bytes; want %d", len(k1), certs.KEKSize)
	}
	for p, want := range map[string]os.FileMode{dir: 0o700, path: 0o600} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s: mode %04o; want %04o", p, got, want)
		}
	}
	k2, err := certs.LoadOrCreateKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(k1, k2) {
		t.Error("second load returned a different key")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("data directory holds %d entries; want only the key file", len(entries))
	}
}

func TestLoadOrCreateKeyFileConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gatehouse.key")
	const n = 8
	keys := make([][]byte, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { keys[i], errs[i] = certs.LoadOrCreateKeyFile(path) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("process %d: %v", i, errs[i])
		}
		if !bytes.Equal(keys[i], keys[0]) {
			t.Errorf("process %d got a different key", i)
		}
	}
}

func TestLoadKeyFileRefused(t *testing.T) {
	write := func(t *testing.T, content string, mode os.FileMode) string {
		t.Helper()
		p := filepath.Join(t.TempDir(), "gatehouse.key")
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\n"
	tests := []struct {
		name    string
		path    func(t *testing.T) string
		wantMsg string
	}{
		{"readable by others", func(t *testing.T) string { return write(t, good, 0o644) }, "chmod 600"},
		{"readable by group", func(t *testing.T) string { return write(t, good, 0o640) }, "mode 0640"},
		{"garbage", func(t *testing.T) string { return write(t, "not a key!", 0o600) }, "neither base64 nor hex"},
		{"short key", func(t *testing.T) string { return write(t, "AQEB", 0o600) }, "decodes to 3 bytes"},
		{"empty", func(t *testing.T) string { return write(t, "", 0o600) }, "empty"},
		{"huge", func(t *testing.T) string { return write(t, strings.Repeat("A", 5000), 0o600) }, "larger than"},
		{"directory", func(t *testing.T) string {
			p := filepath.Join(t.TempDir(), "k")
			if err := os.Mkdir(p, 0o700); err != nil {
				t.Fatal(err)
			}
			return p
		}, "not a regular file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.path(t)
			k, err := certs.LoadOrCreateKeyFile(p)
			if err == nil {
				t.Fatalf("no error; key of %d bytes", len(k))
			}
			if !strings.Contains(err.Error(), tt.wantMsg) || !strings.Contains(err.Error(), p) {
				t.Errorf("error %q; want it to name the file and mention %q", err, tt.wantMsg)
			}
			if strings.Contains(err.Error(), "AQEBAQEB") {
				t.Errorf("error %q reveals the key", err)
			}
		})
	}
}

func TestParseKey(t *testing.T) {
	want := kek(0xfb)
	tests := []struct {
		name, in string
		ok       bool
	}{
		{"std base64", "+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/s=", true},
		{"std base64 unpadded", "+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/s", true},
		{"URL base64", "-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_s=", true},
		{"URL base64 unpadded", "-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_s", true},
		{"hex", strings.Repeat("fb", 32), true},
		{"hex upper case", strings.Repeat("FB", 32), true},
		{"surrounding space", "  " + strings.Repeat("fb", 32) + "\n", true},
		{"empty", "", false},
		{"too short", "AAAA", false},
		{"16 bytes", strings.Repeat("fb", 16), false},
		{"not encoded", "correct horse battery staple", false},
		{"63 hex digits", strings.Repeat("f", 63), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := certs.ParseKey(tt.in)
			switch {
			case tt.ok && err != nil:
				t.Fatalf("ParseKey: %v", err)
			case tt.ok && !bytes.Equal(got, want):
				t.Errorf("ParseKey = %x; want %x", got, want)
			case !tt.ok && err == nil:
				t.Errorf("ParseKey(%q) = %x; want an error", tt.in, got)
			case !tt.ok && tt.in != "" && strings.Contains(err.Error(), tt.in):
				t.Errorf("error %q repeats the key", err)
			}
		})
	}
}

// TestSealSigner seals an ECDSA key (an OpenID Connect ES256 key) like an RSA one: it opens only for its own ID,
// and OpenKey, which wants an RSA key, refuses it.
func TestSealSigner(t *testing.T) {
	s := mustSealer(t, kek(3))
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := s.SealSigner(ec, "key-1")
	if err != nil {
		t.Fatal(err)
	}
	scalar, err := ec.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, scalar) {
		t.Error("the sealed key holds the private scalar in clear")
	}
	got, err := s.OpenSigner(sealed, "key-1")
	if err != nil {
		t.Fatal(err)
	}
	if k, ok := got.(*ecdsa.PrivateKey); !ok || !k.Equal(ec) {
		t.Errorf("opened %T, want the sealed ECDSA key", got)
	}
	if _, err := s.OpenSigner(sealed, "key-2"); !errors.Is(err, certs.ErrOpen) {
		t.Errorf("OpenSigner for another ID = %v, want ErrOpen", err)
	}
	if _, err := s.OpenKey(sealed, "key-1"); err == nil {
		t.Error("OpenKey opened an ECDSA key as RSA")
	}
	rsaSealed, err := s.SealSigner(testKey, "key-3")
	if err != nil {
		t.Fatal(err)
	}
	if k, err := s.OpenKey(rsaSealed, "key-3"); err != nil || !k.Equal(testKey) {
		t.Errorf("OpenKey of an RSA key sealed by SealSigner = %v, %v", k, err)
	}
	if _, err := s.SealSigner(nil, "x"); err == nil {
		t.Error("SealSigner(nil) gave no error")
	}
}
