package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse"
)

func testSignInEvents(t *testing.T, open Opener) {
	s := open(t)
	must(t, s.CreateDirectory(ctx, newDirectory("d", t0)))
	must(t, s.CreateDirectory(ctx, newDirectory("e", t0)))
	// Twelve events a minute apart, IDs in the opposite order of time; newest first is the reverse of creation.
	var events []*gatehouse.SignInEvent
	for i := range 12 {
		e := &gatehouse.SignInEvent{ID: fmt.Sprintf("ev%02d", 20-i), DirectoryID: "d", Time: t0.Add(time.Duration(i) * time.Minute),
			UserID: []string{"alice", "bob", ""}[i%3], UserName: []string{"alice@contoso.com", "bob@contoso.com", "<script>"}[i%3],
			AppID: []string{"zoom", ""}[i%2], AppName: []string{"Zoom", ""}[i%2], Result: gatehouse.ResultSuccess,
			CorrelationID: fmt.Sprintf("corr-%d", i), ClientAddr: "192.0.2.1"}
		if i%4 == 3 {
			e.Result, e.Code, e.Reason = gatehouse.ResultFailure, gatehouse.EUNAUTHORIZED, "Wrong password."
		}
		if i%2 == 0 {
			e.Protocol = gatehouse.ProtocolSAML
		}
		if i == 11 {
			e.Code, e.Reason = "GH3001", "The reply URL is not registered. Received: <https://evil.example/acs>."
			e.Hint, e.Setting = `Add "https://evil.example/acs" to the app's Reply URLs, or fix the SP.`, "app.basic"
		}
		if i%4 == 0 {
			e.SessionID = "sess-a"
		}
		must(t, s.CreateSignInEvent(ctx, e))
		events = append(events, e)
	}
	other := &gatehouse.SignInEvent{ID: "e-ev", DirectoryID: "e", Time: t0, UserID: "alice", Result: gatehouse.ResultSuccess}
	must(t, s.CreateSignInEvent(ctx, other))
	newest := slices.Clone(events)
	slices.Reverse(newest)
	where := func(keep func(e *gatehouse.SignInEvent) bool) []*gatehouse.SignInEvent {
		var out []*gatehouse.SignInEvent
		for _, e := range newest {
			if keep(e) {
				out = append(out, e)
			}
		}
		return out
	}
	byUser := where(func(e *gatehouse.SignInEvent) bool { return e.UserID == "alice" })
	failures := where(func(e *gatehouse.SignInEvent) bool { return e.Result == gatehouse.ResultFailure })

	t.Run("FindSignInEvent", func(t *testing.T) {
		got, err := s.FindSignInEvent(ctx, "d", events[3].ID)
		must(t, err)
		diff(t, "sign-in event", events[3], got)
		_, err = s.FindSignInEvent(ctx, "d", "nope")
		wantCode(t, "FindSignInEvent of a missing event", err, gatehouse.ENOTFOUND)
		_, err = s.FindSignInEvent(ctx, "e", events[3].ID)
		wantCode(t, "FindSignInEvent under another directory", err, gatehouse.ENOTFOUND)
	})
	t.Run("IDTaken", func(t *testing.T) {
		e := *events[0]
		wantCode(t, "CreateSignInEvent with a taken ID", s.CreateSignInEvent(ctx, &e), gatehouse.ECONFLICT)
	})
	for _, tc := range []struct {
		name   string
		filter gatehouse.SignInFilter
		want   []*gatehouse.SignInEvent
		total  int
	}{
		{"NewestFirst", gatehouse.SignInFilter{}, newest, 12},
		{"User", gatehouse.SignInFilter{UserID: "alice"}, byUser, len(byUser)},
		{"App", gatehouse.SignInFilter{AppID: "zoom"}, where(func(e *gatehouse.SignInEvent) bool { return e.AppID == "zoom" }), 6},
		{"Result", gatehouse.SignInFilter{Result: gatehouse.ResultFailure}, failures, 3},
		{"Session", gatehouse.SignInFilter{SessionID: "sess-a"}, where(func(e *gatehouse.SignInEvent) bool { return e.SessionID == "sess-a" }), 3},
		{"Since", gatehouse.SignInFilter{Since: t0.Add(8*time.Minute + 30*time.Second)}, newest[:3], 3},
		{"UserAndResult", gatehouse.SignInFilter{UserID: "alice", Result: gatehouse.ResultFailure},
			where(func(e *gatehouse.SignInEvent) bool { return e.UserID == "alice" && e.Result == gatehouse.ResultFailure }), 1},
		{"FirstPage", gatehouse.SignInFilter{Limit: 5}, newest[:5], 12},
		{"SecondPage", gatehouse.SignInFilter{Offset: 5, Limit: 5}, newest[5:10], 12},
		{"LastPage", gatehouse.SignInFilter{Offset: 10, Limit: 5}, newest[10:], 12},
		{"PastTheEnd", gatehouse.SignInFilter{Offset: 20, Limit: 5}, nil, 12},
		{"FilterAndPage", gatehouse.SignInFilter{UserID: "alice", Offset: 1, Limit: 2}, byUser[1:3], len(byUser)},
		{"NoMatch", gatehouse.SignInFilter{UserID: "nobody"}, nil, 0},
		{"InjectionIsLiteral", gatehouse.SignInFilter{UserID: "' OR '1'='1"}, nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, total, err := s.FindSignInEvents(ctx, "d", tc.filter)
			must(t, err)
			diff(t, "FindSignInEvents", tc.want, got)
			if total != tc.total {
				t.Errorf("FindSignInEvents total = %d, want %d", total, tc.total)
			}
		})
	}
	t.Run("OtherDirectory", func(t *testing.T) {
		got, total, err := s.FindSignInEvents(ctx, "e", gatehouse.SignInFilter{})
		must(t, err)
		diff(t, "FindSignInEvents", []*gatehouse.SignInEvent{other}, got)
		if total != 1 {
			t.Errorf("FindSignInEvents total = %d, want 1", total)
		}
	})
}

func testAuditEvents(t *testing.T, open Opener) {
	s := open(t)
	must(t, s.CreateDirectory(ctx, newDirectory("d", t0)))
	must(t, s.CreateDirectory(ctx, newDirectory("e", t0)))
	var events []*gatehouse.AuditEvent
	for i := range 9 {
		target := []string{"app", "user", "group"}[i%3]
		e := &gatehouse.AuditEvent{ID: fmt.Sprintf("au%02d", 20-i), DirectoryID: "d", Time: t0.Add(time.Duration(i) * time.Second),
			ActorID: []string{"admin", "ops"}[i%2], ActorName: "Admin <b>", Action: target + ".update", TargetType: target,
			TargetID: fmt.Sprintf("%s-%d", target, i%2), Before: fmt.Sprintf(`{"n":%d,"s":"a\"b"}`, i),
			After: fmt.Sprintf(`{"n":%d}`, i+1), CorrelationID: fmt.Sprintf("corr-%d", i)}
		must(t, s.CreateAuditEvent(ctx, e))
		events = append(events, e)
	}
	// An event without Before or After (a creation, a deletion).
	bare := &gatehouse.AuditEvent{ID: "au00", DirectoryID: "d", Time: t0.Add(time.Hour), ActorID: "admin",
		Action: "directory.create", TargetType: "directory", TargetID: "d"}
	must(t, s.CreateAuditEvent(ctx, bare))
	events = append(events, bare)
	must(t, s.CreateAuditEvent(ctx, &gatehouse.AuditEvent{ID: "e-au", DirectoryID: "e", Time: t0, ActorID: "admin",
		TargetType: "app", TargetID: "app-0"}))
	newest := slices.Clone(events)
	slices.Reverse(newest)
	where := func(keep func(e *gatehouse.AuditEvent) bool) []*gatehouse.AuditEvent {
		var out []*gatehouse.AuditEvent
		for _, e := range newest {
			if keep(e) {
				out = append(out, e)
			}
		}
		return out
	}
	byOps := where(func(e *gatehouse.AuditEvent) bool { return e.ActorID == "ops" })
	apps := where(func(e *gatehouse.AuditEvent) bool { return e.TargetType == "app" })
	for _, tc := range []struct {
		name   string
		filter gatehouse.AuditFilter
		want   []*gatehouse.AuditEvent
		total  int
	}{
		{"NewestFirst", gatehouse.AuditFilter{}, newest, 10},
		{"Actor", gatehouse.AuditFilter{ActorID: "ops"}, byOps, len(byOps)},
		{"TargetType", gatehouse.AuditFilter{TargetType: "app"}, apps, 3},
		{"Target", gatehouse.AuditFilter{TargetType: "app", TargetID: "app-0"},
			where(func(e *gatehouse.AuditEvent) bool { return e.TargetType == "app" && e.TargetID == "app-0" }), 2},
		{"TargetIDAlone", gatehouse.AuditFilter{TargetID: "d"}, []*gatehouse.AuditEvent{bare}, 1},
		{"FirstPage", gatehouse.AuditFilter{Limit: 4}, newest[:4], 10},
		{"SecondPage", gatehouse.AuditFilter{Offset: 4, Limit: 4}, newest[4:8], 10},
		{"PastTheEnd", gatehouse.AuditFilter{Offset: 10, Limit: 4}, nil, 10},
		{"FilterAndPage", gatehouse.AuditFilter{TargetType: "app", Offset: 1, Limit: 1}, apps[1:2], 3},
		{"NoMatch", gatehouse.AuditFilter{ActorID: "nobody"}, nil, 0},
		{"InjectionIsLiteral", gatehouse.AuditFilter{TargetType: "app' OR '1'='1"}, nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, total, err := s.FindAuditEvents(ctx, "d", tc.filter)
			must(t, err)
			diff(t, "FindAuditEvents", tc.want, got)
			if total != tc.total {
				t.Errorf("FindAuditEvents total = %d, want %d", total, tc.total)
			}
		})
	}
	t.Run("IDTaken", func(t *testing.T) {
		e := *bare
		wantCode(t, "CreateAuditEvent with a taken ID", s.CreateAuditEvent(ctx, &e), gatehouse.ECONFLICT)
	})
	t.Run("OtherDirectory", func(t *testing.T) {
		got, total, err := s.FindAuditEvents(ctx, "e", gatehouse.AuditFilter{})
		must(t, err)
		if total != 1 || len(got) != 1 || got[0].ID != "e-au" {
			t.Errorf("FindAuditEvents of the other directory = %d events of %d, want e-au alone", len(got), total)
		}
	})
}
