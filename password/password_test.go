package password_test

import (
	"bytes"
	"context"
	"errors"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/password"
)

// tiny keeps tests fast; DefaultParams are measured by the benchmarks.
var tiny = password.Params{Time: 1, MemoryKiB: 64, Threads: 1, KeyLen: 32, SaltLen: 16}

func TestHashVerify(t *testing.T) {
	ctx := context.Background()
	h := password.NewHasher(tiny, 2)
	enc, err := h.Hash(ctx, "Correct-Horse-42")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Errorf("encoded hash %q lacks the argon2id PHC prefix with its parameters", enc)
	}
	tests := []struct {
		name, pw string
		want     bool
	}{
		{"right password", "Correct-Horse-42", true},
		{"wrong password", "Correct-Horse-43", false},
		{"other case", "correct-horse-42", false},
		{"prefix", "Correct-Horse-4", false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := h.Verify(ctx, enc, tt.pw)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Verify(%q) = %v; want %v", tt.pw, got, tt.want)
			}
		})
	}
	again, err := h.Hash(ctx, "Correct-Horse-42")
	if err != nil {
		t.Fatal(err)
	}
	if again == enc {
		t.Error("two hashes of the same password are equal; the salt is not random")
	}
}

// TestVerifyUsesStoredParams checks that a hash made with other parameters still verifies and needs a rehash.
func TestVerifyUsesStoredParams(t *testing.T) {
	ctx := context.Background()
	old := password.NewHasher(password.Params{Time: 2, MemoryKiB: 32, Threads: 2, KeyLen: 16, SaltLen: 8}, 1)
	enc, err := old.Hash(ctx, "an old password")
	if err != nil {
		t.Fatal(err)
	}
	h := password.NewHasher(tiny, 1)
	ok, err := h.Verify(ctx, enc, "an old password")
	if err != nil || !ok {
		t.Fatalf("Verify of a hash with other parameters = %v, %v; want true", ok, err)
	}
	if !h.NeedsRehash(enc) {
		t.Error("NeedsRehash = false for a hash with other parameters")
	}
	if old.NeedsRehash(enc) {
		t.Error("NeedsRehash = true for a hash with the current parameters")
	}
	if !h.NeedsRehash("garbage") {
		t.Error("NeedsRehash = false for garbage")
	}
}

// TestVerifyKnownVector checks the encoding against a hash made by the reference implementation
// (the argon2 command of Debian's argon2 package: echo -n password | argon2 somesalt -id -t 2 -m 6 -p 1 -l 32 -e).
func TestVerifyKnownVector(t *testing.T) {
	const enc = "$argon2id$v=19$m=64,t=2,p=1$c29tZXNhbHQ$FqGkmHNGCd0BRW2kBt6fPZ2pPmyGwwChL8FGUhTOSSI"
	ok, err := password.NewHasher(tiny, 1).Verify(context.Background(), enc, "password")
	if err != nil || !ok {
		t.Fatalf("Verify(reference vector) = %v, %v; want true", ok, err)
	}
}

func TestVerifyMalformed(t *testing.T) {
	ctx := context.Background()
	h := password.NewHasher(tiny, 1)
	good, err := h.Hash(ctx, "x")
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, "$")
	with := func(i int, v string) string {
		p := append([]string(nil), parts...)
		p[i] = v
		return strings.Join(p, "$")
	}
	tests := []struct{ name, enc string }{
		{"garbage", "garbage"},
		{"bcrypt", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"},
		{"argon2i", with(1, "argon2i")},
		{"old version", with(2, "v=16")},
		{"missing parameter", with(3, "m=64,t=1")},
		{"parameters out of order", with(3, "t=1,m=64,p=1")},
		{"non-numeric parameter", with(3, "m=x,t=1,p=1")},
		{"negative parameter", with(3, "m=-64,t=1,p=1")},
		{"huge memory", with(3, "m=4294967295,t=1,p=1")},
		{"huge time", with(3, "m=64,t=100000,p=1")},
		{"zero threads", with(3, "m=64,t=1,p=0")},
		{"threads over 255", with(3, "m=64,t=1,p=256")},
		{"bad salt base64", with(4, "!!!")},
		{"short salt", with(4, "AAAA")},
		{"padded key", with(5, parts[5]+"=")},
		{"short key", with(5, "AAAA")},
		{"extra field", good + "$x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, err := h.Verify(ctx, tt.enc, "x")
			if ok || err == nil {
				t.Fatalf("Verify = %v, %v; want false and an error", ok, err)
			}
			if got := gatehouse.ErrorCode(err); got != gatehouse.EINTERNAL {
				t.Errorf("code %q; want internal", got)
			}
			if !h.NeedsRehash(tt.enc) {
				t.Error("NeedsRehash = false")
			}
		})
	}
}

func TestVerifyEmptyHash(t *testing.T) {
	ok, err := password.NewHasher(tiny, 1).Verify(context.Background(), "", "anything")
	if ok || err != nil {
		t.Errorf("Verify with no stored hash = %v, %v; want false, nil", ok, err)
	}
}

// TestLongPasswordRejected covers SECURITY-CASES 32: passwords over 1024 bytes are refused before hashing.
func TestLongPasswordRejected(t *testing.T) {
	ctx := context.Background()
	h := password.NewHasher(tiny, 1)
	long := strings.Repeat("a", 1025)
	enc, err := h.Hash(ctx, strings.Repeat("a", 1024))
	if err != nil {
		t.Fatalf("a 1024-byte password: %v", err)
	}
	checks := map[string]error{}
	_, checks["Hash"] = h.Hash(ctx, long)
	_, checks["Verify"] = h.Verify(ctx, enc, long)
	for name, err := range checks {
		if gatehouse.ErrorCode(err) != gatehouse.EINVALID || gatehouse.ErrorField(err) != "password" {
			t.Errorf("%s of 1025 bytes: %v; want EINVALID on field password", name, err)
		}
	}
	// The slot is taken, so any hashing would block; the length check must not wait for it.
	full := password.NewHasher(tiny, 1)
	full.Acquire()
	defer full.Release()
	if _, err := full.Hash(ctx, long); gatehouse.ErrorCode(err) != gatehouse.EINVALID {
		t.Errorf("Hash of 1025 bytes with no free slot: %v; want EINVALID at once", err)
	}
	full.VerifyDummy(ctx, long) // returns at once, too
}

// TestQueueHonoursContext covers SECURITY-CASES 31: with every slot busy, a hash waits, and gives up with
// EUNAVAILABLE when its context ends.
func TestQueueHonoursContext(t *testing.T) {
	h := password.NewHasher(tiny, 1)
	h.Acquire()
	defer h.Release()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	checks := map[string]error{}
	_, checks["Hash"] = h.Hash(ctx, "pw")
	_, checks["Verify"] = h.Verify(ctx, "$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc", "pw")
	for name, err := range checks {
		if gatehouse.ErrorCode(err) != gatehouse.EUNAVAILABLE || !errors.Is(err, context.Canceled) {
			t.Errorf("%s with every slot busy and a cancelled context: %v; want EUNAVAILABLE wrapping context.Canceled", name, err)
		}
	}
	h.VerifyDummy(ctx, "pw") // returns rather than waiting forever
	if n := h.Waiting(); n != 0 {
		t.Errorf("Waiting = %d after the cancelled calls returned; want 0", n)
	}
}

// TestConcurrencyBounded covers SECURITY-CASES 31: with more callers than slots, the rest queue and all finish
// once slots free up.
func TestConcurrencyBounded(t *testing.T) {
	const limit, callers = 2, 6
	h := password.NewHasher(tiny, limit)
	for range limit {
		h.Acquire()
	}
	var wg sync.WaitGroup
	errs := make([]error, callers)
	for i := range callers {
		wg.Go(func() { _, errs[i] = h.Hash(context.Background(), "pw") })
	}
	for i := 0; h.Waiting() < callers; i++ {
		if i == 100000 {
			t.Fatalf("Waiting = %d; want %d callers queued", h.Waiting(), callers)
		}
		runtime.Gosched()
	}
	if n := h.Running(); n != limit {
		t.Errorf("Running = %d with every slot taken; want %d", n, limit)
	}
	for range limit {
		h.Release()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("caller %d: %v", i, err)
		}
	}
	if h.Running() != 0 || h.Waiting() != 0 {
		t.Errorf("Running, Waiting = %d, %d after all returned; want 0, 0", h.Running(), h.Waiting())
	}
}

// TestVerifyDummyHashes covers SECURITY-CASES 26: for an unknown user name the hasher does the work of a real
// check (it queues for a slot like Verify and then hashes), so the answer takes the same time as a wrong password.
func TestVerifyDummyHashes(t *testing.T) {
	h := password.NewHasher(tiny, 1)
	h.Acquire()
	done := make(chan struct{})
	go func() {
		h.VerifyDummy(context.Background(), "guess")
		close(done)
	}()
	for i := 0; h.Waiting() < 1; i++ {
		if i == 100000 {
			t.Fatal("VerifyDummy never queued for a hashing slot")
		}
		runtime.Gosched()
	}
	h.Release()
	<-done
}

func TestNewHasherDefaults(t *testing.T) {
	h := password.NewHasher(password.DefaultParams, 0)
	if h.Params() != password.DefaultParams {
		t.Errorf("Params = %+v; want DefaultParams", h.Params())
	}
	defer func() {
		if recover() == nil {
			t.Error("NewHasher with zero params did not panic")
		}
	}()
	password.NewHasher(password.Params{}, 1)
}

func TestGenerate(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		pw, err := password.Generate(nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(pw) != 19 || pw[4] != '-' || pw[9] != '-' || pw[14] != '-' {
			t.Fatalf("%q is not four hyphenated groups of four", pw)
		}
		if strings.ContainsAny(pw, "0O1lIo") {
			t.Errorf("%q has a look-alike character", pw)
		}
		if !strings.ContainsAny(pw, "ABCDEFGHJKLMNPQRSTUVWXYZ") || !strings.ContainsAny(pw, "abcdefghijkmnpqrstuvwxyz") ||
			!strings.ContainsAny(pw, "23456789") {
			t.Errorf("%q lacks an upper-case letter, a lower-case letter or a digit", pw)
		}
		if err := password.CheckPolicy(pw, "b.simon@contoso.com"); err != nil {
			t.Errorf("a generated password fails the policy: %v", err)
		}
		if seen[pw] {
			t.Errorf("%q generated twice", pw)
		}
		seen[pw] = true
	}
}

func TestGenerateBadSource(t *testing.T) {
	tests := []struct {
		name string
		rnd  *bytes.Reader
	}{
		{"short", bytes.NewReader([]byte{1, 2, 3})},
		{"constant", bytes.NewReader(bytes.Repeat([]byte{7}, 1<<16))},
		{"all rejected", bytes.NewReader(bytes.Repeat([]byte{255}, 1<<16))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if pw, err := password.Generate(tt.rnd); err == nil {
				t.Errorf("Generate = %q; want an error", pw)
			}
		})
	}
}

// TestHashSaltSource checks that a new hash takes its salt from Rand, and that a source that fails is an internal
// error rather than a hash with a weak salt.
func TestHashSaltSource(t *testing.T) {
	ctx := context.Background()
	salt := bytes.Repeat([]byte{0xA5}, tiny.SaltLen)
	tests := []struct {
		name     string
		rnd      *bytes.Reader
		wantSalt string
		wantCode string
	}{
		{"salt read from Rand", bytes.NewReader(salt), "paWlpaWlpaWlpaWlpaWlpQ", ""},
		{"short source", bytes.NewReader(salt[:3]), "", gatehouse.EINTERNAL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := password.NewHasher(tiny, 1)
			h.Rand = tt.rnd
			hash, err := h.Hash(ctx, "correct horse")
			if got := gatehouse.ErrorCode(err); got != tt.wantCode {
				t.Fatalf("Hash: %v, want code %q", err, tt.wantCode)
			}
			if err != nil {
				return
			}
			if parts := strings.Split(hash, "$"); len(parts) != 6 || parts[4] != tt.wantSalt {
				t.Errorf("Hash = %q, want the salt %q", hash, tt.wantSalt)
			}
		})
	}
}

func TestCheckPolicy(t *testing.T) {
	const user = "b.simon@contoso.com"
	tests := []struct {
		name, pw string
		wantMsg  string // "" means accepted
	}{
		{"three classes, 12 characters", "Blue-Kettle9", ""},
		{"four classes", "Tr0ub4dor&3x", ""},
		{"long lower-case passphrase", "orange kettle staircase", ""},
		{"16 lower-case letters", "qpzmwnxbtyvrkcjd", ""},
		{"temporary password shape", "Kpqr-7tnw-Xz4m-Hd9c", ""},
		{"unicode letters and a digit", "ÄÖÜäöüßéèêà1", ""},
		{"unicode counted in characters, not bytes", "Äb1Äb1Äb1Äb", "at least 12 characters; it has 11"},
		{"exactly 1024 bytes", strings.Repeat("Ab1-", 256), ""},
		{"too short", "Ab1-Ab1-Ab1", "at least 12 characters; it has 11"},
		{"empty", "", "at least 12 characters"},
		{"too long", strings.Repeat("Ab1-", 256) + "x", "longer than 1024 bytes"},
		{"two classes only", "bluekettle99", "at least 3 of"},
		{"one class, 15 characters", "qpzmwnxbtyvrkcj", "at least 3 of"},
		{"contains user name", "My-b.simon-Pass1", "may not contain your user name"},
		{"contains user name, other case", "B.SIMON-2026-xyz", "may not contain your user name"},
		{"common password", "123456789012", "most commonly used"},
		{"common word with digits", "Password1234", "most commonly used"},
		{"common word with symbols", "!!Welcome2026!!", "most commonly used"},
		{"leet common word", "P@ssw0rd-2026", "most commonly used"},
		{"keyboard walk", "Qwerty123456!", "most commonly used"},
		{"one repeated character", "aaaaaaaaaaaaaaaaaa", "most commonly used"},
		{"control character", "Blue-Kettle9\x00", "control characters"},
		{"invalid UTF-8", "Blue-Kettle9\xff", "invalid text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := password.CheckPolicy(tt.pw, user)
			if tt.wantMsg == "" {
				if err != nil {
					t.Fatalf("CheckPolicy(%q): %v", tt.pw, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("CheckPolicy(%q) = nil; want %q", tt.pw, tt.wantMsg)
			}
			if gatehouse.ErrorCode(err) != gatehouse.EINVALID || gatehouse.ErrorField(err) != "newPassword" {
				t.Errorf("error %v; want EINVALID on field newPassword", err)
			}
			if msg := gatehouse.ErrorMessage(err); !strings.Contains(msg, tt.wantMsg) {
				t.Errorf("message %q; want it to contain %q", msg, tt.wantMsg)
			}
		})
	}
}

// TestMemoryReleasedAfterBurst checks that the memory of a burst of hashes goes back to the operating system once
// the burst is over: once per burst, after the last hash.
func TestMemoryReleasedAfterBurst(t *testing.T) {
	h := password.NewHasher(tiny, 2)
	released := make(chan struct{}, 10)
	h.SetFreeOSMemory(func() { released <- struct{}{} })
	ctx := context.Background()
	for burst := range 2 {
		var wg sync.WaitGroup
		for range 6 {
			wg.Go(func() {
				if _, err := h.Hash(ctx, "Correct-Horse-42"); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		select {
		case <-released:
		case <-time.After(30 * time.Second):
			t.Fatalf("burst %d: memory not released %v after its last hash", burst, 30*time.Second)
		}
		if n := len(released); n != 0 {
			t.Errorf("burst %d: memory released %d more times; want once per burst", burst, n)
		}
	}
}

// TestCheckStrength checks the floor on configured parameters: every OWASP setting passes, anything weaker fails.
func TestCheckStrength(t *testing.T) {
	p := func(mib, time uint32) password.Params {
		return password.Params{Time: time, MemoryKiB: mib * 1024, Threads: 1, KeyLen: 32, SaltLen: 16}
	}
	tests := []struct {
		name string
		p    password.Params
		ok   bool
	}{
		{"default", password.DefaultParams, true},
		{"owasp 46 MiB t=1", p(46, 1), true},
		{"owasp 19 MiB t=2", p(19, 2), true},
		{"owasp 12 MiB t=3", p(12, 3), true},
		{"owasp 9 MiB t=4", p(9, 4), true},
		{"owasp 7 MiB t=5", p(7, 5), true},
		{"19 MiB t=1", p(19, 1), false},
		{"6 MiB t=10", p(6, 10), false},
		{"zero passes", p(19, 0), false},
		{"2 GiB", p(2048, 2), false},
		{"no lanes", password.Params{Time: 2, MemoryKiB: 19 * 1024, KeyLen: 32, SaltLen: 16}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.p.CheckStrength()
			if (err == nil) != tt.ok {
				t.Errorf("CheckStrength(%v) = %v; want ok=%v", tt.p, err, tt.ok)
			}
		})
	}
}

func BenchmarkHash(b *testing.B) {
	h := password.NewHasher(password.DefaultParams, 0)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.Hash(ctx, "Correct-Horse-42"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyWrong and BenchmarkVerifyDummy compare the time of a wrong password with that of an unknown user
// (SECURITY-CASES 26); they should be equal within noise.
func BenchmarkVerifyWrong(b *testing.B) {
	h := password.NewHasher(password.DefaultParams, 0)
	ctx := context.Background()
	enc, err := h.Hash(ctx, "Correct-Horse-42")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if ok, err := h.Verify(ctx, enc, "wrong"); ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}

func BenchmarkVerifyDummy(b *testing.B) {
	h := password.NewHasher(password.DefaultParams, 0)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		h.VerifyDummy(ctx, "wrong")
	}
}

func BenchmarkCheckPolicy(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = password.CheckPolicy("Blue-Kettle9-Staircase", "b.simon@contoso.com")
	}
}

func FuzzNeedsRehash(f *testing.F) {
	h := password.NewHasher(tiny, 1)
	enc, err := h.Hash(context.Background(), "x")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(enc)
	f.Add("$argon2id$v=19$m=64,t=2,p=1$c29tZXNhbHQ$FqGkmHNGCd0BRW2kBt6fPZ2pPmyGwwChL8FGUhTOSSI")
	f.Add("$argon2id$v=19$m=,t=,p=$$")
	f.Fuzz(func(t *testing.T, encoded string) {
		if h.NeedsRehash(encoded) {
			return
		}
		// A hash that needs no rehash has the hasher's cheap parameters, so verifying it is safe and must work.
		if _, err := h.Verify(context.Background(), encoded, "x"); err != nil {
			t.Errorf("NeedsRehash(%q) = false, but Verify: %v", encoded, err)
		}
	})
}

func BenchmarkVerifyParallel(b *testing.B) {
	h := password.NewHasher(password.DefaultParams, 0)
	ctx := context.Background()
	enc, err := h.Hash(ctx, "Correct-Horse-42")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if ok, err := h.Verify(ctx, enc, "Correct-Horse-42"); !ok || err != nil {
				b.Fatal(ok, err)
			}
		}
	})
}
