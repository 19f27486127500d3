package storetest

import (
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse"
)

// sessionWorld creates directories d and e with the users alice and bob in d and dave in e.
func sessionWorld(t *testing.T, s gatehouse.Store) {
	t.Helper()
	must(t, s.CreateDirectory(ctx, newDirectory("d", t0)))
	must(t, s.CreateDirectory(ctx, newDirectory("e", t0)))
	must(t, s.CreateUser(ctx, newUser("d", "alice", "alice@contoso.com")))
	must(t, s.CreateUser(ctx, newUser("d", "bob", "bob@contoso.com")))
	must(t, s.CreateUser(ctx, newUser("e", "dave", "dave@fabrikam.com")))
	must(t, s.CreateApp(ctx, newApp("d", "app", "App", "https://app.example.com"), nil))
	must(t, s.CreateApp(ctx, newApp("e", "e-app", "App", "https://app.example.com"), nil))
}

func testSessions(t *testing.T, open Opener) {
	s := open(t)
	sessionWorld(t, s)
	sess := &gatehouse.Session{ID: "3q2+7w==sha256", DirectoryID: "d", UserID: "alice", CreatedAt: t0,
		AuthnInstant: t0.Add(time.Second), LastSeenAt: t0.Add(2 * time.Second), ExpiresAt: t0.Add(8 * time.Hour),
		MFA: true, ClientAddr: "2001:db8::1", UserAgent: "Mozilla/5.0 <script>"}
	must(t, s.CreateSession(ctx, sess))
	must(t, s.CreateSession(ctx, newSession("d", "alice", "alice-2", t0.Add(time.Hour))))
	must(t, s.CreateSession(ctx, newSession("d", "bob", "bob-1", t0.Add(time.Hour))))
	must(t, s.CreateSession(ctx, newSession("e", "dave", "dave-1", t0.Add(time.Hour))))

	t.Run("Find", func(t *testing.T) {
		for _, tc := range []struct {
			name, id string
			now      time.Time
			found    bool
		}{
			{"Fresh", sess.ID, t0, true},
			{"BeforeExpiry", sess.ID, t0.Add(8*time.Hour - time.Microsecond), true},
			{"Expired", sess.ID, t0.Add(9 * time.Hour), false},
			{"Missing", "nope", t0, false},
			{"Empty", "", t0, false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got, err := s.FindSession(ctx, tc.id, tc.now)
				if !tc.found {
					wantCode(t, "FindSession", err, gatehouse.ENOTFOUND)
					return
				}
				must(t, err)
				diff(t, "session", sess, got)
			})
		}
	})
	t.Run("IDTaken", func(t *testing.T) {
		wantCode(t, "CreateSession with a taken ID", s.CreateSession(ctx, newSession("d", "bob", sess.ID, t0.Add(time.Hour))),
			gatehouse.ECONFLICT)
		got, err := s.FindSession(ctx, sess.ID, t0)
		must(t, err)
		diff(t, "session after the conflict", sess, got)
	})
	t.Run("Update", func(t *testing.T) {
		u := *sess
		u.AuthnInstant, u.LastSeenAt, u.ExpiresAt, u.MFA = t0.Add(time.Hour), t0.Add(2*time.Hour), t0.Add(24*time.Hour), false
		// UpdateSession changes none of these.
		u.CreatedAt, u.ClientAddr, u.UserAgent, u.UserID = t0.Add(time.Hour), "198.51.100.7", "curl", "bob"
		must(t, s.UpdateSession(ctx, &u))
		want := *sess
		want.AuthnInstant, want.LastSeenAt, want.ExpiresAt, want.MFA = u.AuthnInstant, u.LastSeenAt, u.ExpiresAt, u.MFA
		// The new expiry is in force.
		got, err := s.FindSession(ctx, sess.ID, t0.Add(20*time.Hour))
		must(t, err)
		diff(t, "updated session", &want, got)
		wantCode(t, "UpdateSession of a missing session", s.UpdateSession(ctx, newSession("d", "alice", "nope", t0)),
			gatehouse.ENOTFOUND)
	})
	t.Run("Delete", func(t *testing.T) {
		must(t, s.DeleteSession(ctx, "alice-2"))
		_, err := s.FindSession(ctx, "alice-2", t0)
		wantCode(t, "FindSession after DeleteSession", err, gatehouse.ENOTFOUND)
		wantCode(t, "DeleteSession again", s.DeleteSession(ctx, "alice-2"), gatehouse.ENOTFOUND)
	})
	t.Run("DeleteUserSessions", func(t *testing.T) {
		must(t, s.CreateSession(ctx, newSession("d", "alice", "alice-3", t0.Add(time.Hour))))
		// Under another directory, alice has no sessions: nothing happens.
		must(t, s.DeleteUserSessions(ctx, "e", "alice"))
		_, err := s.FindSession(ctx, "alice-3", t0)
		must(t, err)

		must(t, s.DeleteUserSessions(ctx, "d", "alice"))
		for _, id := range []string{sess.ID, "alice-3"} {
			_, err := s.FindSession(ctx, id, t0)
			wantCode(t, "FindSession "+id+" after DeleteUserSessions", err, gatehouse.ENOTFOUND)
		}
		for _, id := range []string{"bob-1", "dave-1"} {
			_, err := s.FindSession(ctx, id, t0)
			wantCode(t, "FindSession "+id+" of another user", err, "")
		}
		must(t, s.DeleteUserSessions(ctx, "d", "alice"))
		must(t, s.DeleteUserSessions(ctx, "d", "nobody"))
	})
}

func testAPITokens(t *testing.T, open Opener) {
	s := open(t)
	sessionWorld(t, s)
	// Created an hour apart, IDs in the opposite order.
	forever := newToken("d", "alice", "t3", t0, nil)
	expiring := newToken("d", "alice", "t2", t0.Add(time.Hour), ptr(t0.Add(30*24*time.Hour)))
	expiring.LastUsedAt = ptr(t0.Add(90 * time.Minute))
	bobs := newToken("d", "bob", "t1", t0.Add(2*time.Hour), ptr(t0.Add(time.Hour)))
	daves := newToken("e", "dave", "t0", t0.Add(3*time.Hour), nil)
	for _, tok := range []*gatehouse.APIToken{forever, expiring, bobs, daves} {
		must(t, s.CreateAPIToken(ctx, tok))
	}

	t.Run("FindBySecretHash", func(t *testing.T) {
		for _, tc := range []struct {
			name, hash string
			now        time.Time
			want       *gatehouse.APIToken
		}{
			{"NeverExpires", forever.SecretHash, t0.AddDate(50, 0, 0), forever},
			{"BeforeExpiry", expiring.SecretHash, t0.Add(24 * time.Hour), expiring},
			{"Expired", expiring.SecretHash, t0.Add(31 * 24 * time.Hour), nil},
			{"ExpiredBeforeNow", bobs.SecretHash, t0.Add(2 * time.Hour), nil},
			{"Missing", "hash-nope", t0, nil},
			{"Empty", "", t0, nil},
			{"ByIDInsteadOfHash", forever.ID, t0, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got, err := s.FindAPITokenBySecretHash(ctx, tc.hash, tc.now)
				if tc.want == nil {
					wantCode(t, "FindAPITokenBySecretHash", err, gatehouse.ENOTFOUND)
					return
				}
				must(t, err)
				diff(t, "API token", tc.want, got)
			})
		}
	})
	t.Run("FindAPITokens", func(t *testing.T) {
		for _, tc := range []struct {
			name, directoryID, userID string
			want                      []*gatehouse.APIToken
		}{
			{"OfAUserNewestFirst", "d", "alice", []*gatehouse.APIToken{expiring, forever}},
			{"ExpiredIncluded", "d", "bob", []*gatehouse.APIToken{bobs}},
			{"OfTheDirectory", "d", "", []*gatehouse.APIToken{bobs, expiring, forever}},
			{"OtherDirectory", "e", "", []*gatehouse.APIToken{daves}},
			{"UserUnderAnotherDirectory", "e", "alice", nil},
			{"MissingUser", "d", "nope", nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				list, err := s.FindAPITokens(ctx, tc.directoryID, tc.userID)
				must(t, err)
				diff(t, "FindAPITokens", tc.want, list)
			})
		}
	})
	t.Run("IDTaken", func(t *testing.T) {
		tok := newToken("d", "bob", "t1", t0, nil)
		tok.SecretHash = "hash-other"
		wantCode(t, "CreateAPIToken with a taken ID", s.CreateAPIToken(ctx, tok), gatehouse.ECONFLICT)
	})
	t.Run("Touch", func(t *testing.T) {
		must(t, s.TouchAPIToken(ctx, "t3", t0.Add(5*time.Hour)))
		got, err := s.FindAPITokenBySecretHash(ctx, forever.SecretHash, t0)
		must(t, err)
		want := *forever
		want.LastUsedAt = ptr(t0.Add(5 * time.Hour))
		diff(t, "touched API token", &want, got)
	})
	t.Run("Delete", func(t *testing.T) {
		wantCode(t, "DeleteAPIToken under another directory", s.DeleteAPIToken(ctx, "e", "t3"), gatehouse.ENOTFOUND)
		must(t, s.DeleteAPIToken(ctx, "d", "t3"))
		_, err := s.FindAPITokenBySecretHash(ctx, forever.SecretHash, t0)
		wantCode(t, "FindAPITokenBySecretHash after DeleteAPIToken", err, gatehouse.ENOTFOUND)
		wantCode(t, "DeleteAPIToken again", s.DeleteAPIToken(ctx, "d", "t3"), gatehouse.ENOTFOUND)
		list, err := s.FindAPITokens(ctx, "d", "alice")
		must(t, err)
		diff(t, "tokens after DeleteAPIToken", []string{"t2"}, ids(list, tokenID))
	})
}

func testSignInRequests(t *testing.T, open Opener) {
	s := open(t)
	sessionWorld(t, s)
	r := &gatehouse.SignInRequest{ID: "req-1", DirectoryID: "d", AppID: "app", RequestID: "_a1b2c3",
		ACSURL: "https://app.example.com/saml/acs", RelayState: "<script>alert(1)</script>", ForceAuthn: true,
		NameIDFormat: gatehouse.NameIDEmail, AuthnContext: "https://refeds.org/profile/mfa", CreatedAt: t0,
		ExpiresAt: t0.Add(10 * time.Minute)}
	// IdP-initiated: no request ID, no format, no authentication context.
	idp := &gatehouse.SignInRequest{ID: "req-2", DirectoryID: "d", AppID: "app", ACSURL: "https://app.example.com/saml/acs",
		CreatedAt: t0, ExpiresAt: t0.Add(10 * time.Minute)}
	for _, x := range []*gatehouse.SignInRequest{r, idp, newSignInRequest("d", "app", "req-expired", t0.Add(time.Minute))} {
		must(t, s.CreateSignInRequest(ctx, x))
	}

	t.Run("FindDoesNotConsume", func(t *testing.T) {
		for range 2 {
			got, err := s.FindSignInRequest(ctx, "d", "req-1", t0)
			must(t, err)
			diff(t, "sign-in request", r, got)
		}
	})
	t.Run("NotFound", func(t *testing.T) {
		for _, tc := range []struct {
			name, directoryID, id string
			now                   time.Time
		}{
			{"Expired", "d", "req-expired", t0.Add(2 * time.Minute)},
			{"Missing", "d", "nope", t0},
			{"OtherDirectory", "e", "req-1", t0},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := s.FindSignInRequest(ctx, tc.directoryID, tc.id, tc.now)
				wantCode(t, "FindSignInRequest", err, gatehouse.ENOTFOUND)
				_, err = s.TakeSignInRequest(ctx, tc.directoryID, tc.id, tc.now)
				wantCode(t, "TakeSignInRequest", err, gatehouse.ENOTFOUND)
			})
		}
		// Neither the other directory's attempt nor the expiry check took the requests away.
		_, err := s.FindSignInRequest(ctx, "d", "req-1", t0)
		must(t, err)
		_, err = s.FindSignInRequest(ctx, "d", "req-expired", t0)
		must(t, err)
	})
	t.Run("IDTaken", func(t *testing.T) {
		wantCode(t, "CreateSignInRequest with a taken ID",
			s.CreateSignInRequest(ctx, newSignInRequest("d", "app", "req-1", t0.Add(time.Hour))), gatehouse.ECONFLICT)
	})
	t.Run("TakeOnce", func(t *testing.T) {
		for _, want := range []*gatehouse.SignInRequest{r, idp} {
			got, err := s.TakeSignInRequest(ctx, "d", want.ID, t0.Add(time.Minute))
			must(t, err)
			diff(t, "taken sign-in request", want, got)
			_, err = s.TakeSignInRequest(ctx, "d", want.ID, t0.Add(time.Minute))
			wantCode(t, "TakeSignInRequest again", err, gatehouse.ENOTFOUND)
			_, err = s.FindSignInRequest(ctx, "d", want.ID, t0)
			wantCode(t, "FindSignInRequest after TakeSignInRequest", err, gatehouse.ENOTFOUND)
		}
	})
}

func testUseOnce(t *testing.T, open Opener) {
	s := open(t)
	const key = "_8f1f0ba5c3b9d4e7a1e0"
	steps := []struct {
		name         string
		key          string
		now, expires time.Time
		code         string
	}{
		{"First", key, t0, t0.Add(5 * time.Minute), ""},
		{"Replay", key, t0.Add(time.Second), t0.Add(5 * time.Minute), gatehouse.ECONFLICT},
		{"ReplayJustBeforeExpiry", key, t0.Add(5*time.Minute - time.Microsecond), t0.Add(10 * time.Minute), gatehouse.ECONFLICT},
		{"OtherKey", key + "x", t0, t0.Add(5 * time.Minute), ""},
		{"CaseMatters", "_8F1F0BA5C3B9D4E7A1E0", t0, t0.Add(5 * time.Minute), ""},
		{"AfterExpiry", key, t0.Add(6 * time.Minute), t0.Add(11 * time.Minute), ""},
		{"ReplayOfTheNewUse", key, t0.Add(7 * time.Minute), t0.Add(12 * time.Minute), gatehouse.ECONFLICT},
		{"AfterTheNewExpiry", key, t0.Add(12*time.Minute + time.Second), t0.Add(20 * time.Minute), ""},
		{"QuoteInKey", "id' OR '1'='1", t0, t0.Add(time.Minute), ""},
		{"QuoteInKeyReplay", "id' OR '1'='1", t0, t0.Add(time.Minute), gatehouse.ECONFLICT},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			wantCode(t, "UseOnce", s.UseOnce(ctx, st.key, st.now, st.expires), st.code)
		})
	}
}

// testIsUsed checks that IsUsed answers what UseOnce recorded and records nothing itself, whatever order the times
// of the calls come in: a read at a later time followed by a use at an earlier one, as two nodes or two requests
// can commit, must leave the key free for that use.
func testIsUsed(t *testing.T, open Opener) {
	s := open(t)
	used := func(key string, at time.Time) func() (bool, error) {
		return func() (bool, error) { return s.IsUsed(ctx, key, at) }
	}
	use := func(key string, now, expires time.Time) func() (bool, error) {
		return func() (bool, error) { return true, s.UseOnce(ctx, key, now, expires) }
	}
	steps := []struct {
		name string
		call func() (bool, error)
		want bool
	}{
		{"NeverUsed", used("lock:a", t0), false},
		{"ReadAtALaterTime", used("lock:a", t0.Add(time.Minute)), false},
		{"UseAtAnEarlierTimeStillWorks", use("lock:a", t0, t0.Add(5*time.Minute)), true},
		{"Used", used("lock:a", t0.Add(time.Second)), true},
		{"UsedJustBeforeExpiry", used("lock:a", t0.Add(5*time.Minute-time.Microsecond)), true},
		{"NotUsedAtExpiry", used("lock:a", t0.Add(5*time.Minute)), false},
		{"NotUsedAfterExpiry", used("lock:a", t0.Add(6*time.Minute)), false},
		{"OtherKey", used("lock:b", t0.Add(time.Second)), false},
		{"CaseMatters", used("LOCK:A", t0.Add(time.Second)), false},
		{"QuoteInKey", used("lock:' OR '1'='1", t0.Add(time.Second)), false},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			got, err := st.call()
			must(t, err)
			if got != st.want {
				t.Errorf("got %v, want %v", got, st.want)
			}
		})
	}
	// The reads above recorded nothing: "lock:b" is still free to use at the earliest time.
	wantCode(t, "UseOnce of a key only read before", s.UseOnce(ctx, "lock:b", t0, t0.Add(time.Minute)), "")
}

func testCounters(t *testing.T, open Opener) {
	s := open(t)
	const window = time.Minute
	steps := []struct {
		name string
		key  string
		at   time.Duration // after t0
		want int
	}{
		{"First", "login:alice", 0, 1},
		{"Second", "login:alice", 30 * time.Second, 2},
		{"OtherKey", "login:bob", 30 * time.Second, 1},
		{"Third", "login:alice", 59 * time.Second, 3},
		// The window runs from the first increment: at 61 s it is over, however recent the last increment.
		{"WindowOver", "login:alice", 61 * time.Second, 1},
		{"NewWindow", "login:alice", 90 * time.Second, 2},
		{"NewWindowStill", "login:alice", 120 * time.Second, 3},
		{"NewWindowOver", "login:alice", 182 * time.Second, 1},
		{"OtherKeyUntouched", "login:bob", 40 * time.Second, 2},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			n, err := s.IncrementCounter(ctx, st.key, t0.Add(st.at), window)
			must(t, err)
			if n != st.want {
				t.Errorf("IncrementCounter(%s) at t0+%v = %d, want %d", st.key, st.at, n, st.want)
			}
		})
	}
	t.Run("Reset", func(t *testing.T) {
		for i := range 3 {
			n, err := s.IncrementCounter(ctx, "addr:192.0.2.1", t0, time.Hour)
			must(t, err)
			if n != i+1 {
				t.Fatalf("IncrementCounter = %d, want %d", n, i+1)
			}
		}
		must(t, s.ResetCounter(ctx, "addr:192.0.2.1"))
		n, err := s.IncrementCounter(ctx, "addr:192.0.2.1", t0.Add(time.Second), time.Hour)
		must(t, err)
		if n != 1 {
			t.Errorf("IncrementCounter after ResetCounter = %d, want 1", n)
		}
		must(t, s.ResetCounter(ctx, "never-incremented"))
		// Resetting one counter leaves the others alone.
		n, err = s.IncrementCounter(ctx, "login:bob", t0.Add(50*time.Second), window)
		must(t, err)
		if n != 3 {
			t.Errorf("IncrementCounter(login:bob) = %d, want 3", n)
		}
	})
}
