package storetest

import (
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse"
)

// newPasskey returns a passkey of the user with the credential ID cred.
func newPasskey(directoryID, userID, id, cred string, created time.Time) *gatehouse.Passkey {
	return &gatehouse.Passkey{ID: id, DirectoryID: directoryID, UserID: userID, Name: "Key " + id,
		CredentialID: []byte(cred), PublicKey: []byte("cose-" + id), AAGUID: "00000000-0000-0000-0000-000000000000",
		AttestationType: "none", AttestationFormat: "none", CreatedAt: created}
}

func passkeyID(p *gatehouse.Passkey) string { return p.ID }

// testPasskeys stores, finds, renames, uses and deletes passkeys: a credential ID is unique within a directory
// only, the counter only goes up, and a directory's passkeys are invisible from another.
func testPasskeys(t *testing.T, open Opener) {
	s := open(t)
	sessionWorld(t, s)
	used := t0.Add(time.Minute)
	full := &gatehouse.Passkey{ID: "pk-1", DirectoryID: "d", UserID: "alice", Name: "Work laptop <b>",
		CredentialID: []byte{0, 1, 2, 0xff}, PublicKey: []byte{0xa5, 1, 2, 3, 0}, AAGUID: "ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4",
		SignCount: 7, Transports: []string{"internal", "hybrid"}, AttestationType: "self", AttestationFormat: "packed",
		BackupEligible: true, BackupState: true, CreatedAt: t0, LastUsedAt: &used}
	must(t, s.CreatePasskey(ctx, full))
	must(t, s.CreatePasskey(ctx, newPasskey("d", "alice", "pk-2", "second", t0.Add(time.Second))))
	must(t, s.CreatePasskey(ctx, newPasskey("d", "bob", "pk-3", "bobs", t0)))
	// The same credential ID in another directory is another passkey.
	must(t, s.CreatePasskey(ctx, newPasskey("e", "dave", "pk-4", "bobs", t0)))

	t.Run("Find", func(t *testing.T) {
		got, err := s.FindPasskey(ctx, "d", "pk-1")
		must(t, err)
		diff(t, "passkey", full, got)
		got, err = s.FindPasskeyByCredentialID(ctx, "d", []byte{0, 1, 2, 0xff})
		must(t, err)
		diff(t, "passkey by credential ID", full, got)
		got, err = s.FindPasskeyByCredentialID(ctx, "e", []byte("bobs"))
		must(t, err)
		diff(t, "the other directory's passkey", "pk-4", got.ID)
		list, err := s.FindPasskeys(ctx, "d", "alice")
		must(t, err)
		diff(t, "alice's passkeys, oldest first", []string{"pk-1", "pk-2"}, ids(list, passkeyID))
		list, err = s.FindPasskeys(ctx, "d", "nobody")
		must(t, err)
		diff(t, "passkeys of no user", []string(nil), ids(list, passkeyID))
	})
	t.Run("Missing", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			err  error
		}{
			{"FindPasskey of another directory", func() error { _, err := s.FindPasskey(ctx, "e", "pk-1"); return err }()},
			{"FindPasskeyByCredentialID of another directory", func() error {
				_, err := s.FindPasskeyByCredentialID(ctx, "e", []byte{0, 1, 2, 0xff})
				return err
			}()},
			{"FindPasskeyByCredentialID empty", func() error { _, err := s.FindPasskeyByCredentialID(ctx, "d", nil); return err }()},
			{"UpdatePasskey of another directory", s.UpdatePasskey(ctx, &gatehouse.Passkey{DirectoryID: "e", ID: "pk-1", Name: "x"})},
			{"UsePasskey of another directory", s.UsePasskey(ctx, "e", "pk-1", 100, false, t0)},
			{"DeletePasskey of another directory", s.DeletePasskey(ctx, "e", "pk-1")},
			{"CreatePasskey of a user of another directory", s.CreatePasskey(ctx, newPasskey("e", "alice", "pk-x", "x", t0))},
		} {
			wantCode(t, tc.name, tc.err, gatehouse.ENOTFOUND)
		}
	})
	t.Run("Conflict", func(t *testing.T) {
		wantCode(t, "CreatePasskey with a taken credential ID", s.CreatePasskey(ctx, newPasskey("d", "bob", "pk-5", "second", t0)),
			gatehouse.ECONFLICT)
		wantCode(t, "CreatePasskey with a taken ID", s.CreatePasskey(ctx, newPasskey("d", "bob", "pk-1", "fresh", t0)),
			gatehouse.ECONFLICT)
	})
	t.Run("Update", func(t *testing.T) {
		must(t, s.UpdatePasskey(ctx, &gatehouse.Passkey{DirectoryID: "d", ID: "pk-2", Name: "Phone", SignCount: 99}))
		got, err := s.FindPasskey(ctx, "d", "pk-2")
		must(t, err)
		want := newPasskey("d", "alice", "pk-2", "second", t0.Add(time.Second))
		want.Name = "Phone"
		diff(t, "renamed passkey (only the name changes)", want, got)
	})
	t.Run("Use", func(t *testing.T) {
		at := t0.Add(time.Hour)
		for _, tc := range []struct {
			name  string
			id    string
			count uint32
			code  string
			want  uint32
		}{
			{"Up", "pk-1", 8, "", 8},
			{"Same", "pk-1", 8, gatehouse.ECONFLICT, 8},
			{"Back", "pk-1", 3, gatehouse.ECONFLICT, 8},
			{"Zero after a count", "pk-1", 0, gatehouse.ECONFLICT, 8},
			{"Zero and zero", "pk-3", 0, "", 0},
			{"Zero and zero again", "pk-3", 0, "", 0},
			{"First count", "pk-3", 1, "", 1},
		} {
			t.Run(tc.name, func(t *testing.T) {
				err := s.UsePasskey(ctx, "d", tc.id, tc.count, true, at)
				if tc.code != "" {
					wantCode(t, "UsePasskey", err, tc.code)
				} else {
					must(t, err)
				}
				got, err := s.FindPasskey(ctx, "d", tc.id)
				must(t, err)
				diff(t, "sign count", tc.want, got.SignCount)
				if tc.code == "" && (got.LastUsedAt == nil || !got.LastUsedAt.Equal(at) || !got.BackupState) {
					t.Errorf("after a use: last used %v, backup state %v; want %v, true", got.LastUsedAt, got.BackupState, at)
				}
			})
		}
	})
	t.Run("Delete", func(t *testing.T) {
		must(t, s.DeletePasskey(ctx, "d", "pk-2"))
		wantCode(t, "DeletePasskey twice", s.DeletePasskey(ctx, "d", "pk-2"), gatehouse.ENOTFOUND)
		// Its credential ID can be registered again.
		must(t, s.CreatePasskey(ctx, newPasskey("d", "bob", "pk-6", "second", t0)))
	})
	t.Run("Cascade", func(t *testing.T) {
		must(t, s.DeleteUser(ctx, "d", "alice"))
		_, err := s.FindPasskey(ctx, "d", "pk-1")
		wantCode(t, "FindPasskey of a deleted user", err, gatehouse.ENOTFOUND)
		must(t, s.CreateUser(ctx, newUser("d", "alice", "alice@contoso.com")))
		list, err := s.FindPasskeys(ctx, "d", "alice")
		must(t, err)
		diff(t, "passkeys of the new alice", []string(nil), ids(list, passkeyID))
		must(t, s.DeleteDirectory(ctx, "e"))
		_, err = s.FindPasskey(ctx, "e", "pk-4")
		wantCode(t, "FindPasskey of a deleted directory", err, gatehouse.ENOTFOUND)
	})
}

// testPasskeyPolicies reads the default policy of a directory that never set one, replaces it, and keeps it per
// directory.
func testPasskeyPolicies(t *testing.T, open Opener) {
	s := open(t)
	must(t, s.CreateDirectory(ctx, newDirectory("d", t0)))
	must(t, s.CreateDirectory(ctx, newDirectory("e", t0)))
	got, err := s.FindPasskeyPolicy(ctx, "d")
	must(t, err)
	diff(t, "default policy", &gatehouse.PasskeyPolicy{DirectoryID: "d"}, got)

	set := &gatehouse.PasskeyPolicy{DirectoryID: "d", Passkeys: gatehouse.PasskeysSecondFactor, RequirePhishingResistant: true,
		RecoveryCodes: gatehouse.RecoveryCodesOff, AAGUIDs: []string{"ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4"}, UpdatedAt: t0}
	must(t, s.SetPasskeyPolicy(ctx, set))
	got, err = s.FindPasskeyPolicy(ctx, "d")
	must(t, err)
	diff(t, "policy as set", set, got)

	again := &gatehouse.PasskeyPolicy{DirectoryID: "d", Passkeys: gatehouse.PasskeysPasswordless, UpdatedAt: t0.Add(time.Hour)}
	must(t, s.SetPasskeyPolicy(ctx, again))
	got, err = s.FindPasskeyPolicy(ctx, "d")
	must(t, err)
	diff(t, "policy replaced", again, got)

	got, err = s.FindPasskeyPolicy(ctx, "e")
	must(t, err)
	diff(t, "the other directory's policy", &gatehouse.PasskeyPolicy{DirectoryID: "e"}, got)

	_, err = s.FindPasskeyPolicy(ctx, "nope")
	wantCode(t, "FindPasskeyPolicy of no directory", err, gatehouse.ENOTFOUND)
	wantCode(t, "SetPasskeyPolicy of no directory", s.SetPasskeyPolicy(ctx, &gatehouse.PasskeyPolicy{DirectoryID: "nope", UpdatedAt: t0}),
		gatehouse.ENOTFOUND)
	must(t, s.DeleteDirectory(ctx, "d"))
	must(t, s.CreateDirectory(ctx, newDirectory("d", t0)))
	got, err = s.FindPasskeyPolicy(ctx, "d")
	must(t, err)
	diff(t, "policy of a directory made again", &gatehouse.PasskeyPolicy{DirectoryID: "d"}, got)
}

// testSessionMethods stores how a session was made and reads it back.
func testSessionMethods(t *testing.T, open Opener) {
	s := open(t)
	sessionWorld(t, s)
	sess := newSession("d", "alice", "with-methods", t0.Add(time.Hour))
	sess.MFA, sess.Methods = true, []gatehouse.AuthMethod{gatehouse.MethodPassword, gatehouse.MethodPasskey}
	must(t, s.CreateSession(ctx, sess))
	got, err := s.FindSession(ctx, sess.ID, t0)
	must(t, err)
	diff(t, "session with methods", sess, got)
	plain := newSession("d", "alice", "without", t0.Add(time.Hour))
	must(t, s.CreateSession(ctx, plain))
	got, err = s.FindSession(ctx, plain.ID, t0)
	must(t, err)
	diff(t, "session without methods", []gatehouse.AuthMethod(nil), got.Methods)
}
