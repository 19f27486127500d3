package password

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/argon2"

	"github.com/gatehouse-idp/gatehouse"
)

// MaxLength is the longest password in bytes; longer ones are rejected before any hashing (SECURITY-CASES 32).
const MaxLength = 1024

// Params are the argon2id parameters of a hash.
type Params struct {
	// Time is the number of passes over the memory.
	Time uint32
	// MemoryKiB is the memory used by one hash, in KiB.
	MemoryKiB uint32
	// Threads is the degree of parallelism inside one hash.
	Threads uint8
	// KeyLen is the length of the derived key in bytes.
	KeyLen uint32
	// SaltLen is the length of the random salt in bytes.
	SaltLen int
}

// DefaultParams are the parameters of new hashes: argon2id with 19 MiB, 2 passes and 1 lane, a 16-byte salt and a
// 32-byte key, one of the settings the OWASP Password Storage Cheat Sheet recommends. One lane keeps each hash on
// one core, so a Hasher with one slot per core never oversubscribes the CPU, and the peak memory of hashing is the
// Hasher's concurrency times 19 MiB. A hash takes roughly 15-30 ms on a current server core (see BenchmarkHash).
var DefaultParams = Params{Time: 2, MemoryKiB: 19 * 1024, Threads: 1, KeyLen: 32, SaltLen: 16}

// MinCostKiB is the least product of memory (KiB) and passes that CheckStrength accepts: that of the weakest
// argon2id setting the OWASP Password Storage Cheat Sheet recommends (m=7 MiB, t=5). Each of its settings (46 MiB
// and 1 pass, 19 MiB and 2, 12 MiB and 3, 9 MiB and 4, 7 MiB and 5) reaches it.
const MinCostKiB = 7 * 1024 * 5

// MinMemoryKiB is the least memory per hash CheckStrength accepts, that of the same weakest setting.
const MinMemoryKiB = 7 * 1024

// Bounds on parameters read from stored hashes, so that a damaged or hostile hash cannot make Verify allocate
// gigabytes or spin for minutes.
const (
	maxMemoryKiB = 1 << 20 // 1 GiB
	maxTime      = 64
	minKeyLen    = 16
	maxKeyLen    = 128
	minSaltLen   = 8
	maxSaltLen   = 64
)

// Validate returns an error, naming the parameter, when p is outside the bounds every Hasher keeps: 1 to 64
// passes, at least 1 lane, 8 KiB per lane to 1 GiB of memory, a key of 16 to 128 bytes and a salt of 8 to 64.
func (p Params) Validate() error { return p.validate() }

// CheckStrength returns an error when p is out of bounds (see Validate) or weaker than every argon2id setting the
// OWASP Password Storage Cheat Sheet recommends: less than MinMemoryKiB of memory, or memory times passes below
// MinCostKiB. It is the check of parameters an operator configures.
func (p Params) CheckStrength() error {
	if err := p.validate(); err != nil {
		return err
	}
	if p.MemoryKiB < MinMemoryKiB || uint64(p.MemoryKiB)*uint64(p.Time) < MinCostKiB {
		return fmt.Errorf("memory %d MiB with %d passes is weaker than the OWASP Password Storage Cheat Sheet's settings "+
			"(at least 7 MiB, and memory in MiB times passes at least 35, e.g. 19 MiB with 2 passes or 46 MiB with 1)",
			p.MemoryKiB/1024, p.Time)
	}
	return nil
}

// String describes p as in the PHC format, e.g. "argon2id m=19456,t=2,p=1".
func (p Params) String() string {
	return fmt.Sprintf("argon2id m=%d,t=%d,p=%d", p.MemoryKiB, p.Time, p.Threads)
}

func (p Params) validate() error {
	switch {
	case p.Time < 1 || p.Time > maxTime:
		return fmt.Errorf("time %d is outside 1..%d", p.Time, maxTime)
	case p.Threads < 1:
		return errors.New("threads must be at least 1")
	case p.MemoryKiB < 8*uint32(p.Threads) || p.MemoryKiB > maxMemoryKiB:
		return fmt.Errorf("memory %d KiB is outside %d..%d", p.MemoryKiB, 8*uint32(p.Threads), maxMemoryKiB)
	case p.KeyLen < minKeyLen || p.KeyLen > maxKeyLen:
		return fmt.Errorf("key length %d is outside %d..%d", p.KeyLen, minKeyLen, maxKeyLen)
	case p.SaltLen < minSaltLen || p.SaltLen > maxSaltLen:
		return fmt.Errorf("salt length %d is outside %d..%d", p.SaltLen, minSaltLen, maxSaltLen)
	}
	return nil
}

// Hasher hashes and verifies passwords with argon2id, running at most a fixed number of hashes at once. It is safe
// for concurrent use.
type Hasher struct {
	// Rand is the source of new hashes' salts, crypto/rand when nil. Set it before the Hasher is used.
	Rand io.Reader

	params Params
	// slots holds one token per running hash; its capacity is the concurrency.
	slots chan struct{}
	// dummySalt is the salt VerifyDummy hashes with.
	dummySalt []byte
	// waiting counts the calls waiting for a slot.
	waiting atomic.Int64
	// freeOSMemory returns freed memory to the operating system: debug.FreeOSMemory, replaced in tests.
	freeOSMemory func()

	// mu guards idle.
	mu sync.Mutex
	// idle fires ReleaseAfter after the last hash of a burst ended; nil until the first burst ends.
	idle *time.Timer
}

// ReleaseAfter is how long a Hasher waits after the last hash of a burst before it returns the memory the hashes
// used to the operating system. Without it the Go runtime keeps most of it mapped until the heap next grows: after
// a burst of sign-ins the process would stay tens of MiB larger than at rest.
const ReleaseAfter = time.Second

// NewHasher returns a Hasher that makes new hashes with p and runs at most concurrency hashes at once (hash and
// verify alike); concurrency <= 0 means runtime.NumCPU(). It panics if p is out of bounds (a programming error).
func NewHasher(p Params, concurrency int) *Hasher {
	if err := p.validate(); err != nil {
		panic("password: NewHasher: " + err.Error())
	}
	if concurrency <= 0 {
		concurrency = runtime.NumCPU()
	}
	salt := make([]byte, p.SaltLen)
	rand.Read(salt) // never fails since Go 1.24
	return &Hasher{params: p, slots: make(chan struct{}, concurrency), dummySalt: salt, freeOSMemory: debug.FreeOSMemory}
}

// Params returns the parameters of new hashes.
func (h *Hasher) Params() Params { return h.params }

// Running returns the number of hashes running now.
func (h *Hasher) Running() int { return len(h.slots) }

// Waiting returns the number of hash or verify calls waiting for a free slot.
func (h *Hasher) Waiting() int { return int(h.waiting.Load()) }

// derive runs argon2id once a slot is free, or returns the context's error if it ends first.
func (h *Hasher) derive(ctx context.Context, pw string, salt []byte, p Params) ([]byte, error) {
	h.waiting.Add(1)
	select {
	case h.slots <- struct{}{}:
		h.waiting.Add(-1)
	case <-ctx.Done():
		h.waiting.Add(-1)
		return nil, &gatehouse.Error{Code: gatehouse.EUNAVAILABLE, Message: "The server is busy; try again in a moment.", Err: ctx.Err()}
	}
	defer h.release()
	return argon2.IDKey([]byte(pw), salt, p.Time, p.MemoryKiB, p.Threads, p.KeyLen), nil
}

// release frees a slot. When it was the last running hash and none waits, the burst may be over: once no hash has
// started for ReleaseAfter, the memory the hashes used goes back to the operating system.
func (h *Hasher) release() {
	<-h.slots
	if len(h.slots) > 0 || h.waiting.Load() > 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.idle == nil {
		h.idle = time.AfterFunc(ReleaseAfter, h.releaseMemory)
	} else {
		h.idle.Reset(ReleaseAfter)
	}
}

// releaseMemory returns freed memory to the operating system unless hashing is going on.
func (h *Hasher) releaseMemory() {
	if len(h.slots) > 0 || h.waiting.Load() > 0 {
		return // the hash running now arms the timer again when it ends
	}
	h.freeOSMemory()
}

func checkLength(pw string) error {
	if len(pw) > MaxLength {
		return gatehouse.FieldErrorf("password", "Passwords are at most %d bytes.", MaxLength)
	}
	return nil
}

// Hash returns the PHC-format argon2id hash of pw with a new random salt:
// $argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<key> (unpadded base64). A password over MaxLength bytes is
// EINVALID (field "password") without hashing; a context that ends while waiting for a slot gives EUNAVAILABLE.
func (h *Hasher) Hash(ctx context.Context, pw string) (string, error) {
	if err := checkLength(pw); err != nil {
		return "", err
	}
	salt := make([]byte, h.params.SaltLen)
	if h.Rand == nil {
		rand.Read(salt) // never fails since Go 1.24
	} else if _, err := io.ReadFull(h.Rand, salt); err != nil {
		return "", gatehouse.Internal(fmt.Errorf("password: read salt: %w", err))
	}
	key, err := h.derive(ctx, pw, salt, h.params)
	if err != nil {
		return "", err
	}
	return encode(h.params, salt, key), nil
}

// Verify reports whether pw matches the encoded hash, using the parameters stored in it and a constant-time
// comparison. An empty encoded hash (no password set) never matches but takes as long as a real check. A password
// over MaxLength bytes is EINVALID; a malformed hash is an internal error; a context that ends while waiting is
// EUNAVAILABLE.
func (h *Hasher) Verify(ctx context.Context, encoded, pw string) (bool, error) {
	if err := checkLength(pw); err != nil {
		return false, err
	}
	if encoded == "" {
		h.VerifyDummy(ctx, pw)
		return false, nil
	}
	p, salt, want, err := decode(encoded)
	if err != nil {
		return false, gatehouse.Internal(err)
	}
	got, err := h.derive(ctx, pw, salt, p)
	if err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// VerifyDummy spends the time of one Verify with the current parameters and discards the result, so that a sign-in
// with an unknown user name takes as long as one with a wrong password (SECURITY-CASES 26).
func (h *Hasher) VerifyDummy(ctx context.Context, pw string) {
	if len(pw) > MaxLength {
		return // Verify rejects these without hashing, too.
	}
	_, _ = h.derive(ctx, pw, h.dummySalt, h.params)
}

// NeedsRehash reports whether encoded was made with other parameters than the Hasher's, or cannot be read, so
// that it should be replaced by a new hash at the next successful sign-in.
func (h *Hasher) NeedsRehash(encoded string) bool {
	p, _, _, err := decode(encoded)
	return err != nil || p != h.params
}

var b64 = base64.RawStdEncoding

func encode(p Params, salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.MemoryKiB, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// decode parses a PHC-format argon2id hash. The returned Params have KeyLen and SaltLen set from the decoded
// lengths.
func decode(encoded string) (p Params, salt, key []byte, err error) {
	defer func() {
		if err != nil {
			err = fmt.Errorf("password: malformed argon2id hash: %w", err)
		}
	}()
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" {
		return p, nil, nil, errors.New("want $argon2id$v=..$m=..,t=..,p=..$salt$key")
	}
	if parts[1] != "argon2id" {
		return p, nil, nil, fmt.Errorf("algorithm %q is not argon2id", parts[1])
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return p, nil, nil, fmt.Errorf("version %q is not v=%d", parts[2], argon2.Version)
	}
	var m, t, th uint64
	fields := strings.Split(parts[3], ",")
	if len(fields) != 3 {
		return p, nil, nil, fmt.Errorf("parameters %q are not of the form m=<KiB>,t=<passes>,p=<lanes>", parts[3])
	}
	for i, f := range []struct {
		prefix string
		dst    *uint64
		bits   int
	}{{"m=", &m, 32}, {"t=", &t, 32}, {"p=", &th, 8}} {
		v, ok := strings.CutPrefix(fields[i], f.prefix)
		if !ok {
			return p, nil, nil, fmt.Errorf("parameters %q are not of the form m=<KiB>,t=<passes>,p=<lanes>", parts[3])
		}
		if *f.dst, err = strconv.ParseUint(v, 10, f.bits); err != nil {
			return p, nil, nil, fmt.Errorf("parameter %s%s: %w", f.prefix, v, err)
		}
	}
	if salt, err = b64.Strict().DecodeString(parts[4]); err != nil {
		return p, nil, nil, fmt.Errorf("salt: %w", err)
	}
	if key, err = b64.Strict().DecodeString(parts[5]); err != nil {
		return p, nil, nil, fmt.Errorf("key: %w", err)
	}
	p = Params{Time: uint32(t), MemoryKiB: uint32(m), Threads: uint8(th), KeyLen: uint32(len(key)), SaltLen: len(salt)}
	if err := p.validate(); err != nil {
		return p, nil, nil, err
	}
	return p, salt, key, nil
}

// Concurrency returns the number of hashes the Hasher runs at once at most.
func (h *Hasher) Concurrency() int { return cap(h.slots) }
