package web_test

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/internal/browsertest"
	"github.com/gatehouse-idp/gatehouse/internal/testserver"
	"github.com/gatehouse-idp/gatehouse/web"
	"github.com/pquerna/otp/totp"
)

// phoneTitleTop is how far down, at most, a portal page's title may start on a phone: the header and the
// navigation take no more than a quarter of an 844-pixel screen.
const phoneTitleTop = 211

// phoneCellWidth is the narrowest column a sentence or a value may wrap in on a phone: a third of the screen.
const phoneCellWidth = 130

// TestBrowserEveryPageAccessible visits every page Gatehouse has — the sign-in pages, My Apps, the Security page,
// error pages, and every page and form of the admin portal — and checks each one with axe-core (WCAG 2 A and AA:
// colour contrast, labels, landmarks, …), with the keyboard (a skip link first, a focus ring on every stop) and, at a
// phone's 390 pixels, that it does not scroll sideways; and that it shows times, roles, badges and links as every
// other page does (see oneLook).
func TestBrowserEveryPageAccessible(t *testing.T) {
	ctx := browsertest.New(t, 8*time.Minute)
	clock := &signinClock{t: time.Now().UTC().Truncate(time.Second)}
	srv := testserver.Start(t, testserver.Options{Configure: func(c *idp.Config, _ *web.Server) {
		c.Now = clock.Now
		l := idp.DefaultLockout
		l.Delay = 0
		c.Lockout = l
	}})
	admin, err := srv.Store.FindUserByName(context.Background(), "default", testserver.AdminUser)
	if err != nil {
		t.Fatal(err)
	}
	w := &signinWorld{t: t, srv: srv, clock: clock, admin: admin, ctx: ctx}
	// The first action starts the browser, which lives as long as the context it ran on: run it on ctx itself.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start the browser: %v", err)
	}
	checked := 0
	check := func(name string) {
		t.Helper()
		browsertest.CheckPage(ctx, t, name)
		oneLook(ctx, t, name)
		checked++
	}
	// do runs a step's actions, bounded so that a missing element fails the step, not the test's deadline.
	do := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, portalStep)
		defer cancel()
		if err := chromedp.Do(sctx, actions...); err != nil {
			loc, _ := chromedp.Run(ctx, chromedp.Location())
			t.Fatalf("%s: %v (the browser is at %s)", step, err, loc)
		}
	}
	open := func(path, sel string) {
		t.Helper()
		do("open "+path, chromedp.Navigate(srv.URL+path), chromedp.WaitVisible(chromedp.CSS(sel)))
	}
	sp := newSigninSP(t)

	// The pages anyone sees.
	open("/", "main")
	check("home")
	open("/d/default/login", "#userName")
	check("sign-in")
	do("a wrong password", signinType("#userName", "nobody@contoso.com"), signinType("#password", "wrong-password"), signinClick("#sign-in"),
		chromedp.WaitVisible(chromedp.CSS("#login-error")))
	check("sign-in with an error")
	open("/d/default/saml2?SAMLRequest=not-base64!", "#error-code")
	check("error page")

	// A new user's way in: the temporary password, My Apps, the Security page and two-step verification.
	u, temp := w.newUser("b.simon@contoso.com")
	w.newApp("Mixpanel", "https://mixpanel.example/", sp, true, u)
	open("/d/default/myapps", "#userName")
	do("sign in with the temporary password", signinType("#userName", u.UserName), signinType("#password", temp), signinClick("#sign-in"),
		chromedp.WaitVisible(chromedp.CSS("#password-required")))
	check("password change")
	do("choose a password", signinType("#currentPassword", temp), signinType("#newPassword", "Correct-Horse-42"), signinType("#confirmPassword", "Correct-Horse-42"),
		signinClick("#change-password"), chromedp.WaitVisible(chromedp.CSS("#tiles")))
	check("My Apps")
	browsertest.Screenshot(ctx, t, "myapps")
	do("narrow the window", chromedp.EmulateViewport(browsertest.PhoneWidth, 844))
	browsertest.Screenshot(ctx, t, "myapps-phone")
	do("widen the window", chromedp.EmulateViewport(1280, 1000))
	open("/d/default/security", "#mfa-status")
	check("Security")
	do("set up two-step verification", signinClick("#setup-mfa"), chromedp.WaitVisible(chromedp.CSS("#mfa-qr")))
	check("two-step verification set-up")
	code, err := totp.GenerateCode(strings.ReplaceAll(w.text("#mfa-secret"), " ", ""), clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	do("turn it on", signinType("#code", code), signinClick("#confirm-mfa"), chromedp.WaitVisible(chromedp.CSS("#recovery-codes")))
	check("recovery codes")
	do("continue and sign out", signinClick("#continue"), chromedp.WaitVisible(chromedp.CSS("#mfa-status")), signinClick("#sign-out"), chromedp.WaitVisible(chromedp.CSS("#login-notice")))
	check("signed out")
	do("sign in again", signinType("#userName", u.UserName), signinType("#password", "Correct-Horse-42"), signinClick("#sign-in"),
		chromedp.WaitVisible(chromedp.CSS("#code")))
	check("verification code")

	// The admin: an error page with the hint, then every page of the portal.
	do("switch user", signinClick("#switch-user"), chromedp.WaitVisible(chromedp.CSS("#userName")))
	open("/admin/", "#userName")
	do("sign in as the admin", signinType("#userName", testserver.AdminUser), signinType("#password", testserver.AdminPassword),
		signinClick("#sign-in"), chromedp.WaitVisible(chromedp.CSS("#count-users")))
	q := signinAuthnRequest(srv.URL, "https://mixpanel.example/wrong", sp.URL+"/acs", false, clock.Now())
	open("/d/default/saml2?"+q, "#error-hint")
	check("error page for an admin")
	open("/admin/d/default/users/nosuchuser", "#error-code")
	check("portal error page")

	ctxb := context.Background()
	app := mustApp(t, srv, "mixpanel", map[string]string{"org_id": "1234567"})
	if _, err := srv.Service.Assign(ctxb, admin, "default", app.ID, gatehouse.PrincipalUser, u.ID); err != nil {
		t.Fatal(err)
	}
	g, err := srv.Service.CreateGroup(ctxb, admin, "default", idp.GroupInput{Name: "Sales", Description: "Everyone in sales"})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Service.AddGroupMember(ctxb, admin, "default", g.ID, u.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Service.Assign(ctxb, admin, "default", app.ID, gatehouse.PrincipalGroup, g.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Service.CreateNextCertificate(ctxb, admin, "default", app.ID); err != nil {
		t.Fatal(err)
	}
	_, token, err := srv.Service.CreateSCIMToken(ctxb, admin, "default", "Entra ID")
	if err != nil {
		t.Fatal(err)
	}
	events, _, err := srv.Store.FindSignInEvents(ctxb, "default", gatehouse.SignInFilter{Result: gatehouse.ResultFailure, Limit: 1})
	if err != nil || len(events) == 0 {
		t.Fatalf("no failed sign-in: %v", err)
	}
	// The audit entry shown is one with an admin's role among its values, which the page must name in words.
	audit, _, err := srv.Store.FindAuditEvents(ctxb, "default", gatehouse.AuditFilter{Limit: 1000})
	audit = slices.DeleteFunc(audit, func(e *gatehouse.AuditEvent) bool {
		return !strings.Contains(e.After, `"role":"global-admin"`) && !strings.Contains(e.After, `"role":"user-admin"`) && !strings.Contains(e.After, `"role":"app-admin"`)
	})
	if err != nil || len(audit) == 0 {
		t.Fatalf("no audit entry that gives an admin role: %v", err)
	}
	base := "/admin/d/default"
	appBase := base + "/apps/" + app.ID
	pages := []struct{ path, sel string }{
		{"/admin/directories", "#new-directory-id"},
		{base + "/", "#count-users"},
		{base + "/users", "#user-search"},
		{base + "/users/new", "#create-user"},
		{base + "/users/" + u.ID, "#save-user"},
		{base + "/users/" + u.ID + "/delete", "#confirm-delete"},
		{base + "/users/" + u.ID + "/password", "#password-gone"},
		{base + "/groups", "#create-group"},
		{base + "/groups/" + g.ID, "#add-member"},
		{base + "/apps", "#add-from-gallery"},
		{base + "/apps/gallery", "#gallery-search"},
		{base + "/apps/gallery/mixpanel", "#add-app"},
		{appBase + "/sso", "#edit-basic"},
		{appBase + "/sso?edit=basic", "#save-basic"},
		{appBase + "/sso?edit=metadata", "#import-metadata"},
		{appBase + "/sso?edit=nameid", "#save-nameid"},
		{appBase + "/sso?edit=claim", "#add-claim"},
		{appBase + "/sso?edit=signing", "#save-signing"},
		{appBase + "/sso?edit=protocol", "#save-protocol"},
		{appBase + "/sso?edit=sp-certificate", "#add-sp-certificate"},
		{appBase + "/sso/claim?name=email", "#save-claim"},
		{appBase + "/users", "#assign"},
		{appBase + "/preview?user=" + u.ID, "#preview-nameid"},
		{appBase + "/properties", "#save-properties"},
		{appBase + "/delete", "#confirm-delete"},
		{appBase + "/provisioning", "#save-provisioning"},
		{base + "/provisioning", "#filter-app"},
		{base + "/sign-ins", "#apply-filters"},
		{base + "/sign-ins/" + events[0].ID, "#signin-code"},
		{base + "/audit?event=" + url.QueryEscape(audit[0].ID), "#audit-detail"},
		{base + "/settings", "#save-settings"},
		{base + "/settings/passkeys", "#save-passkey-policy"},
		{base + "/settings/scim-tokens/" + token.ID, "#secret-gone"},
	}
	for _, p := range pages {
		open(p.path, p.sel)
		check(p.path)
	}
	// A page with a notice, and the one that shows a new user's temporary password.
	open(base+"/users/new", "#create-user")
	do("create a user", signinType("#userName", "new.hire@contoso.com"), signinType("#displayName", "New Hire"), signinClick("#create-user"),
		chromedp.WaitVisible(chromedp.CSS("#temporary-password")))
	check("user created")
	open(appBase+"/users", "#assign-search")
	do("assign the user", signinType("#assign-search", "new.hire@contoso.com"), signinClick("#assign"), chromedp.WaitVisible(chromedp.CSS("#notice")))
	check("assigned, with a warning")
	open(appBase+"/sso", "#edit-basic")
	do("narrow the window", chromedp.EmulateViewport(browsertest.PhoneWidth, 844))
	browsertest.Screenshot(ctx, t, "portal-sso-phone")
	// On a phone the navigation leaves the page's title on the first screen, and the text in the claims and
	// certificate tables, captions and notes keeps a readable width instead of wrapping word by word.
	type phone struct {
		Title     int
		Narrowest int
		Cell      string
	}
	ph, err := chromedp.Run(ctx, chromedp.Evaluate[phone](`(() => {
		// Every shown block with a sentence or a value of its own (table cells, captions, notes) that wraps.
		let narrowest = 1e9, cell = "";
		for (const c of document.querySelectorAll("main *")) {
			const own = [...c.childNodes].filter(n => n.nodeType === Node.TEXT_NODE).map(n => n.textContent).join("").trim();
			const r = c.getBoundingClientRect();
			if (own.length < 12 || r.width < 2 || r.height < 2 || getComputedStyle(c).display.startsWith("inline") || c.closest("thead, .visually-hidden")) continue;
			// Squeezed: narrow, and wrapped onto three lines or more.
			const st = getComputedStyle(c), line = parseFloat(st.lineHeight) || 1.2 * parseFloat(st.fontSize);
			if (r.height < 3 * line) continue;
			if (r.width < narrowest) { narrowest = Math.round(r.width); cell = own.slice(0, 40); }
		}
		return {Title: Math.round(document.querySelector("main h1").getBoundingClientRect().top), Narrowest: narrowest, Cell: cell};
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	if ph.Title > phoneTitleTop {
		t.Errorf("on a phone the single sign-on page's title is %dpx down, under the navigation; want at most %dpx", ph.Title, phoneTitleTop)
	}
	if ph.Narrowest < phoneCellWidth {
		t.Errorf("on a phone the text %q wraps in a column %dpx wide; want at least %dpx", ph.Cell, ph.Narrowest, phoneCellWidth)
	}
	do("widen the window", chromedp.EmulateViewport(1280, 1000))
	if checked < 45 {
		t.Errorf("checked %d pages, want every page", checked)
	}
}

// oneLook fails t unless the page ctx shows writes what every page has the way every other page does: each time as
// a <time> in one format (2026-01-02 15:04 UTC) and no time outside one (code, XML and form fields aside), roles in
// words (never their identifiers such as global-admin), every status marker as a .badge of one shape and size, and
// every link in running text underlined in the one link colour, and fields side by side in a form lined up.
func oneLook(ctx context.Context, t *testing.T, page string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, portalStep)
	defer cancel()
	problems, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(() => {
		const out = [];
		const name = e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "");
		for (const e of document.querySelectorAll("time")) {
			if (!/^\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC$/.test(e.textContent.trim()) || !e.dateTime) out.push("time " + JSON.stringify(e.textContent) + " is not in the one format");
		}
		const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
		for (let n = walker.nextNode(); n; n = walker.nextNode()) {
			if (n.parentElement.closest("time, code, pre, textarea, script, style, option, .mono")) continue;
			const text = n.textContent;
			const when = text.match(/\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}|\d{1,2}\/\d{1,2}\/\d{4}|\d{2}:\d{2}:\d{2}/);
			if (when) out.push("a time outside <time> in " + name(n.parentElement) + ": " + JSON.stringify(when[0]));
			const role = text.match(/\b(global-admin|user-admin|app-admin)\b/);
			if (role) out.push("the role identifier " + role[1] + " in " + name(n.parentElement) + " instead of its name");
		}
		for (const e of document.querySelectorAll("[class*=pill], [class*=chip], [class~=tag], [class~=label], [class~=status]")) out.push(name(e) + " is a status marker that is not a .badge: " + e.className);
		let badge = null;
		for (const e of document.querySelectorAll(".badge")) {
			const st = getComputedStyle(e), shape = [st.borderRadius, st.fontSize, st.paddingLeft, st.fontWeight].join(" ");
			if (badge === null) badge = shape; else if (shape !== badge) out.push(name(e) + " is a badge of another shape: " + shape + ", not " + badge);
		}
		let link = null;
		for (const e of document.querySelectorAll("main a[href], main button.link")) {
			const st = getComputedStyle(e);
			if (st.display !== "inline" || e.closest("nav")) continue; // buttons, tiles and cards that are links
			if (!st.textDecorationLine.includes("underline")) out.push("link " + name(e) + " " + JSON.stringify(e.textContent.trim()) + " is not underlined");
			if (link === null) link = st.color; else if (st.color !== link) out.push("link " + name(e) + " " + JSON.stringify(e.textContent.trim()) + " is " + st.color + ", not the link colour " + link);
		}
		// Fields side by side in a .form-grid line up: the controls of fields whose boxes start on one row start on one
		// line, however long their labels.
		for (const g of document.querySelectorAll(".form-grid")) {
			const rows = new Map();
			for (const f of g.children) {
				const c = f.querySelector("input:not([type=hidden]):not([type=checkbox]):not([type=radio]), select, textarea");
				if (!c) continue;
				const top = Math.round(f.getBoundingClientRect().top);
				if (!rows.has(top)) rows.set(top, []);
				rows.get(top).push(c);
			}
			for (const cs of rows.values()) {
				const tops = cs.map(c => Math.round(c.getBoundingClientRect().top));
				if (Math.max(...tops) - Math.min(...tops) > 1) out.push("fields side by side do not line up: " + cs.map(c => name(c) + " at " + Math.round(c.getBoundingClientRect().top) + "px").join(", "));
			}
		}
		return out;
	})()`))
	if err != nil {
		t.Fatalf("%s: look at the page: %v", page, err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", page, p)
	}
}
