package idp_test

import (
	"context"
	"crypto/rand"
	"testing"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/certs"
	"github.com/gatehouse-idp/gatehouse/gallery"
	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/password"
)

// newerParams are the parameters a server is restarted with after the users' hashes were made.
var newerParams = password.Params{Time: 2, MemoryKiB: 2048, Threads: 1, KeyLen: 32, SaltLen: 16}

// serviceOn returns a second service on store, as a server restarted with other hashing parameters would be.
func serviceOn(t testing.TB, store gatehouse.Store, h *password.Hasher) *idp.Service {
	t.Helper()
	kek := make([]byte, 32)
	rand.Read(kek)
	sealer, err := certs.NewSealer(kek)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := idp.New(idp.Config{Store: store, Gallery: gallery.MustLoad(), Hasher: h, Sealer: sealer,
		PublicURL: "http://127.0.0.1:1", NameIDKey: kek})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// TestPasswordHashUpgradedAtSignIn checks that a hash made with older parameters is replaced by one with the
// current parameters at the next successful sign-in, and only then: a wrong password changes nothing, and the new
// hash verifies the same password and is kept at later sign-ins.
func TestPasswordHashUpgradedAtSignIn(t *testing.T) {
	w := newAuthWorld(t)
	ctx := context.Background()
	h := password.NewHasher(newerParams, 2)
	svc := serviceOn(t, w.store, h)
	stored := func() *gatehouse.User {
		t.Helper()
		u, err := w.store.FindUser(ctx, w.user.DirectoryID, w.user.ID)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	before := stored()
	if !h.NeedsRehash(before.PasswordHash) {
		t.Fatalf("the user's hash %q already has the newer parameters", before.PasswordHash)
	}

	if _, err := svc.Authenticate(from("198.51.100.7"), gatehouse.DefaultDirectoryID, userName, "wrong password"); err == nil {
		t.Fatal("a wrong password signed in")
	}
	if got := stored().PasswordHash; got != before.PasswordHash {
		t.Errorf("after a wrong password the hash changed from %q to %q", before.PasswordHash, got)
	}

	if _, err := svc.Authenticate(from("198.51.100.7"), gatehouse.DefaultDirectoryID, userName, userPassword); err != nil {
		t.Fatal(err)
	}
	after := stored()
	if h.NeedsRehash(after.PasswordHash) {
		t.Fatalf("after a sign-in the hash %q still has the old parameters", after.PasswordHash)
	}
	if ok, err := h.Verify(ctx, after.PasswordHash, userPassword); err != nil || !ok {
		t.Errorf("the new hash does not verify the password: %v, %v", ok, err)
	}
	if !after.PasswordChangedAt.Equal(before.PasswordChangedAt) || after.MustChangePassword != before.MustChangePassword {
		t.Errorf("the upgrade changed the password's state: changed at %v → %v, must change %v → %v",
			before.PasswordChangedAt, after.PasswordChangedAt, before.MustChangePassword, after.MustChangePassword)
	}

	if _, err := svc.Authenticate(from("198.51.100.7"), gatehouse.DefaultDirectoryID, userName, userPassword); err != nil {
		t.Fatal(err)
	}
	if got := stored().PasswordHash; got != after.PasswordHash {
		t.Errorf("a sign-in with current parameters replaced the hash again")
	}
}

// staleStore answers FindUserByName with a copy of the user read earlier, as when the password changes between the
// read of a sign-in and its upgrade of the hash.
type staleStore struct {
	gatehouse.Store
	stale *gatehouse.User
}

func (s staleStore) FindUserByName(ctx context.Context, dirID, userName string) (*gatehouse.User, error) {
	u := *s.stale
	return &u, nil
}

// TestPasswordHashUpgradeKeepsNewerPassword checks that the upgrade of a hash never overwrites a password changed
// after the sign-in read the user: the upgrade stores its hash only if the stored one is still the one that matched.
func TestPasswordHashUpgradeKeepsNewerPassword(t *testing.T) {
	w := newAuthWorld(t)
	ctx := context.Background()
	stale, err := w.store.FindUser(ctx, w.user.DirectoryID, w.user.ID)
	if err != nil {
		t.Fatal(err)
	}
	const next = "Correct-Horse-Battery-9"
	if err := w.svc.ChangePassword(from("203.0.113.250"), w.user, userPassword, next); err != nil {
		t.Fatal(err)
	}
	changed, err := w.store.FindUser(ctx, w.user.DirectoryID, w.user.ID)
	if err != nil {
		t.Fatal(err)
	}

	svc := serviceOn(t, staleStore{Store: w.store, stale: stale}, password.NewHasher(newerParams, 2))
	if _, err := svc.Authenticate(from("198.51.100.7"), gatehouse.DefaultDirectoryID, userName, userPassword); err != nil {
		t.Fatal(err) // the stale copy still has the old password
	}
	got, err := w.store.FindUser(ctx, w.user.DirectoryID, w.user.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.PasswordHash != changed.PasswordHash {
		t.Errorf("the upgrade overwrote the changed password's hash %q with %q", changed.PasswordHash, got.PasswordHash)
	}
}
