package certs

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// maxKeyFileSize caps how much of a key file is read; a valid one is 45 bytes.
const maxKeyFileSize = 4096

// LoadOrCreateKeyFile returns the 32-byte key-encryption key stored base64-encoded in the file at path. When the
// file is missing it creates one with a new random key: the parent directory with mode 0700 if it is missing, the
// file with mode 0600, written completely and synced under a temporary name and then linked into place, so a crash
// never leaves a half-written key file and two processes starting at once end up with the same key. A key file that
// group or others can read or write is refused.
func LoadOrCreateKeyFile(path string) ([]byte, error) {
	key, err := readKeyFile(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	if err := createKeyFile(path); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, err
	}
	return readKeyFile(path)
}

func readKeyFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		return nil, fmt.Errorf("certs: open key file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("certs: key file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("certs: key file %s is not a regular file", path)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 && runtime.GOOS != "windows" {
		return nil, fmt.Errorf("certs: key file %s has mode %04o, so other users can read it; "+
			"restrict it with `chmod 600 %s` (and check that nobody copied it)", path, perm, path)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("certs: read key file: %w", err)
	}
	if len(data) > maxKeyFileSize {
		return nil, fmt.Errorf("certs: key file %s is larger than %d bytes; it should hold one base64 key", path, maxKeyFileSize)
	}
	key, err := parseKey(string(data))
	clear(data)
	if err != nil {
		return nil, fmt.Errorf("certs: key file %s: %w", path, err)
	}
	return key, nil
}

func createKeyFile(path string) (err error) {
	dir := filepath.Dir(path)
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("certs: create key directory: %w", err)
		}
	}
	key := make([]byte, KEKSize)
	if _, err := rand.Read(key); err != nil {
		return fmt.Errorf("certs: new key: %w", err)
	}
	defer clear(key)
	enc := []byte(base64.StdEncoding.EncodeToString(key) + "\n")
	defer clear(enc)

	suffix := make([]byte, 8)
	if _, err := rand.Read(suffix); err != nil {
		return fmt.Errorf("certs: new key: %w", err)
	}
	tmp := fmt.Sprintf("%s.%x.tmp", path, suffix)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("certs: create key file: %w", err)
	}
	defer os.Remove(tmp)
	if _, err := f.Write(enc); err != nil {
		f.Close()
		return fmt.Errorf("certs: write key file: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("certs: sync key file: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("certs: close key file: %w", err)
	}
	// Link fails if path exists, so a key created concurrently is never replaced.
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return err
		}
		return fmt.Errorf("certs: create key file: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // make the new name durable; not every platform can sync a directory
		d.Close()
	}
	return nil
}

// ParseKey decodes a 32-byte key-encryption key given as standard or URL-safe base64 (padded or not) or as 64
// hexadecimal digits, as passed with --key or GATEHOUSE_KEY. Surrounding white space is ignored. Errors never
// include the key.
func ParseKey(s string) ([]byte, error) {
	key, err := parseKey(s)
	if err != nil {
		return nil, fmt.Errorf("certs: key-encryption key: %w", err)
	}
	return key, nil
}

func parseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("the key is empty; generate one with `openssl rand -base64 32`")
	}
	if len(s) == 2*KEKSize {
		if b, err := hex.DecodeString(s); err == nil {
			return b, nil
		}
	}
	for _, enc := range []*base64.Encoding{
		base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding,
	} {
		b, err := enc.Strict().DecodeString(s)
		if err != nil {
			continue
		}
		if len(b) != KEKSize {
			return nil, fmt.Errorf("the key decodes to %d bytes; it must be %d bytes (base64 or hex), "+
				"e.g. from `openssl rand -base64 32`", len(b), KEKSize)
		}
		return bytes.Clone(b), nil
	}
	return nil, fmt.Errorf("the key is neither base64 nor hex; it must be %d bytes, e.g. from `openssl rand -base64 32`", KEKSize)
}
