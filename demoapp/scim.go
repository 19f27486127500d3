package demoapp

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/scim"
)

// The demo app's SCIM 2.0 service, as Mixpanel's: a bearer token created under Settings → Access security → SCIM
// (shown once), Users whose userName is an e-mail in the organization's claimed domain, and Groups that are Teams,
// matched by name. A provisioned user is a member at once; active=false deactivates them (they cannot sign in), and
// DELETE removes them. Resources are read and written with package scim, which also parses PATCH and filters.

// scimSettings is the organization's SCIM configuration.
type scimSettings struct {
	ClaimedDomain string
	TokenHash     string
	TokenPrefix   string
	TokenCreated  time.Time
}

func (a *App) loadSCIM(ctx context.Context) (*scimSettings, error) {
	var s scimSettings
	var created sql.NullInt64
	err := a.db.QueryRowContext(ctx, `SELECT claimed_domain, token_hash, token_prefix, token_created FROM scim_settings WHERE id = 1`).
		Scan(&s.ClaimedDomain, &s.TokenHash, &s.TokenPrefix, &created)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("demoapp: load SCIM settings: %w", err)
	}
	if created.Valid {
		s.TokenCreated = time.Unix(created.Int64, 0).UTC()
	}
	return &s, nil
}

// SCIMBaseURL returns the base URL of the app's SCIM service.
func (a *App) SCIMBaseURL() string { return a.public.String() + "/scim/v2" }

// scimTokenPrefix starts every SCIM token of the demo app.
const scimTokenPrefix = "dsk_"

// maxSCIMBody bounds a SCIM request body.
const maxSCIMBody = 1 << 20

// scimHandler is a SCIM endpoint: it returns the status and the resource to answer with, or a *scim.Error.
type scimHandler func(r *http.Request, body []byte) (int, any, error)

// serveSCIM authenticates the bearer token and answers as SCIM does, errors in the SCIM error schema.
func (a *App) serveSCIM(h scimHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		write := func(status int, v any) {
			w.Header().Set("Content-Type", "application/scim+json")
			w.Header().Set("Cache-Control", "no-store")
			w.WriteHeader(status)
			if v != nil {
				_ = json.NewEncoder(w).Encode(v)
			}
		}
		fail := func(err error) {
			var se *scim.Error
			if !errors.As(err, &se) {
				a.log.Error("SCIM request failed", "method", r.Method, "path", r.URL.Path, "err", err)
				se = &scim.Error{Status: http.StatusInternalServerError, Detail: "Internal error."}
			} else {
				a.log.Info("SCIM request refused", "method", r.Method, "path", r.URL.Path, "status", se.Status, "detail", se.Detail)
			}
			write(se.Status, se.Body())
		}
		s, err := a.loadSCIM(r.Context())
		if err != nil {
			fail(err)
			return
		}
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || s.TokenHash == "" || subtle.ConstantTimeCompare([]byte(tokenHash(strings.TrimSpace(token))), []byte(s.TokenHash)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="scim"`)
			fail(&scim.Error{Status: http.StatusUnauthorized,
				Detail: "The bearer token is missing, or it is not the organization's SCIM token (Settings → Access security → SCIM)."})
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxSCIMBody))
		if err != nil {
			fail(&scim.Error{Status: http.StatusRequestEntityTooLarge, Detail: "The request body is larger than 1 MiB."})
			return
		}
		status, v, err := h(r, body)
		if err != nil {
			fail(err)
			return
		}
		write(status, v)
	})
}

// scimRoutes registers the SCIM service on mux.
func (a *App) scimRoutes(mux *http.ServeMux) {
	mux.Handle("GET /scim/v2/ServiceProviderConfig", a.serveSCIM(func(*http.Request, []byte) (int, any, error) {
		return http.StatusOK, map[string]any{
			"schemas":        []string{scim.SPConfigSchema},
			"patch":          map[string]any{"supported": true},
			"bulk":           map[string]any{"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
			"filter":         map[string]any{"supported": true, "maxResults": 200},
			"changePassword": map[string]any{"supported": false},
			"sort":           map[string]any{"supported": false},
			"etag":           map[string]any{"supported": false},
			"authenticationSchemes": []any{map[string]any{"type": "oauthbearertoken", "name": "Bearer token",
				"description": "The organization's SCIM token, from Settings → Access security → SCIM."}},
		}, nil
	}))
	mux.Handle("GET /scim/v2/Users", a.serveSCIM(a.scimListUsers))
	mux.Handle("POST /scim/v2/Users", a.serveSCIM(a.scimCreateUser))
	mux.Handle("GET /scim/v2/Users/{id}", a.serveSCIM(a.scimGetUser))
	mux.Handle("PUT /scim/v2/Users/{id}", a.serveSCIM(a.scimChangeUser(false)))
	mux.Handle("PATCH /scim/v2/Users/{id}", a.serveSCIM(a.scimChangeUser(true)))
	mux.Handle("DELETE /scim/v2/Users/{id}", a.serveSCIM(a.scimDeleteUser))
	mux.Handle("GET /scim/v2/Groups", a.serveSCIM(a.scimListTeams))
	mux.Handle("POST /scim/v2/Groups", a.serveSCIM(a.scimCreateTeam))
	mux.Handle("GET /scim/v2/Groups/{id}", a.serveSCIM(a.scimGetTeam))
	mux.Handle("PUT /scim/v2/Groups/{id}", a.serveSCIM(a.scimChangeTeam(false)))
	mux.Handle("PATCH /scim/v2/Groups/{id}", a.serveSCIM(a.scimChangeTeam(true)))
	mux.Handle("DELETE /scim/v2/Groups/{id}", a.serveSCIM(a.scimDeleteTeam))
	mux.Handle("/scim/v2/", a.serveSCIM(func(r *http.Request, _ []byte) (int, any, error) {
		return 0, nil, &scim.Error{Status: http.StatusNotFound, Detail: "The demo app serves /Users, /Groups and /ServiceProviderConfig."}
	}))
}

// userResource returns the SCIM User resource of u.
func (a *App) userResource(u *User) map[string]any {
	id := strconv.FormatInt(u.ID, 10)
	doc := map[string]any{"schemas": []any{scim.UserSchema}, "id": id, "userName": u.Email, "active": !u.Deactivated,
		"displayName": u.Name(), "emails": []any{map[string]any{"value": u.Email, "type": "work", "primary": true}},
		"meta": map[string]any{"resourceType": "User", "location": a.SCIMBaseURL() + "/Users/" + id}}
	if name := map[string]any{}; u.FirstName != "" || u.LastName != "" {
		if u.FirstName != "" {
			name["givenName"] = u.FirstName
		}
		if u.LastName != "" {
			name["familyName"] = u.LastName
		}
		doc["name"] = name
	}
	if u.ExternalID != "" {
		doc["externalId"] = u.ExternalID
	}
	return doc
}

// scimNotFound is the SCIM error of a resource that does not exist.
func scimNotFound(kind, id string) *scim.Error {
	return &scim.Error{Status: http.StatusNotFound, Detail: fmt.Sprintf("There is no %s %s.", kind, id)}
}

// userOf returns the user with the SCIM id.
func (a *App) userOf(ctx context.Context, id string) (*User, error) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return nil, scimNotFound("user", id)
	}
	u, err := a.findUser(ctx, n)
	if errors.Is(err, errNoRows) {
		return nil, scimNotFound("user", id)
	}
	return u, err
}

// listParams reads startIndex and count.
func listParams(r *http.Request) (start, count int) {
	start, count = 1, 100
	if n, err := strconv.Atoi(r.URL.Query().Get("startIndex")); err == nil && n > 1 {
		start = n
	}
	if n, err := strconv.Atoi(r.URL.Query().Get("count")); err == nil && n >= 0 {
		count = min(n, 200)
	}
	return start, count
}

// matches reports whether the resource attributes (by query attribute) satisfy f, the parsed filter; the demo app
// filters only with eq, and, or on id, userName, externalId and displayName.
func matches(f *gatehouse.Filter, attrs map[gatehouse.QueryAttr]string) (bool, error) {
	switch f.Op {
	case gatehouse.FilterAnd, gatehouse.FilterOr:
		l, err := matches(f.Left, attrs)
		if err != nil {
			return false, err
		}
		r, err := matches(f.Right, attrs)
		if err != nil {
			return false, err
		}
		if f.Op == gatehouse.FilterAnd {
			return l && r, nil
		}
		return l || r, nil
	case gatehouse.FilterEq:
		v, ok := attrs[f.Attr]
		want, isString := f.Value.(string)
		if !ok || !isString {
			break
		}
		if f.Attr == gatehouse.QueryID || f.Attr == gatehouse.QueryExternalID {
			return v == want, nil
		}
		return strings.EqualFold(v, want), nil
	}
	return false, &scim.Error{Status: http.StatusBadRequest, Type: scim.TypeInvalidFilter,
		Detail: "The demo app filters only with eq (and, or) on id, userName, externalId and displayName."}
}

// listResources answers a list request over the resources, filtered and paged.
func listResources(r *http.Request, rt *scim.ResourceType, docs []map[string]any, attrs func(map[string]any) map[gatehouse.QueryAttr]string) (int, any, error) {
	var f *gatehouse.Filter
	if q := r.URL.Query().Get("filter"); q != "" {
		var err error
		if f, err = scim.ParseFilter(rt, q); err != nil {
			return 0, nil, err
		}
	}
	var hits []map[string]any
	for _, d := range docs {
		if f != nil {
			ok, err := matches(f, attrs(d))
			if err != nil {
				return 0, nil, err
			}
			if !ok {
				continue
			}
		}
		hits = append(hits, d)
	}
	start, count := listParams(r)
	page := []map[string]any{}
	if start <= len(hits) {
		page = hits[start-1 : min(len(hits), start-1+count)]
	}
	return http.StatusOK, scim.ListResponse(page, len(hits), start), nil
}

func (a *App) scimListUsers(r *http.Request, _ []byte) (int, any, error) {
	users, err := a.usersFiltered(r)
	if err != nil {
		return 0, nil, err
	}
	docs := make([]map[string]any, len(users))
	for i, u := range users {
		docs[i] = a.userResource(u)
	}
	return listResources(r, scim.Users, docs, func(d map[string]any) map[gatehouse.QueryAttr]string {
		s := func(k string) string { v, _ := d[k].(string); return v }
		return map[gatehouse.QueryAttr]string{gatehouse.QueryID: s("id"), gatehouse.QueryUserName: s("userName"),
			gatehouse.QueryExternalID: s("externalId"), gatehouse.QueryDisplayName: s("displayName")}
	})
}

// usersFiltered returns the users a list request may match: for the filter `userName eq "…"` (how provisioning
// clients find an account) only the user with that e-mail, from the index, otherwise every user.
func (a *App) usersFiltered(r *http.Request) ([]*User, error) {
	if q := r.URL.Query().Get("filter"); q != "" {
		f, err := scim.ParseFilter(scim.Users, q)
		if err != nil {
			return nil, err
		}
		if v, ok := f.Value.(string); ok && f.Op == gatehouse.FilterEq && f.Attr == gatehouse.QueryUserName {
			u, err := a.findUserByEmail(r.Context(), v)
			if errors.Is(err, sql.ErrNoRows) {
				return nil, nil
			}
			if err != nil {
				return nil, err
			}
			return []*User{u}, nil
		}
	}
	return a.listUsers(r.Context())
}

func (a *App) scimGetUser(r *http.Request, _ []byte) (int, any, error) {
	u, err := a.userOf(r.Context(), r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, a.userResource(u), nil
}

// readUser reads a User resource into the fields the app keeps and checks the userName against the claimed
// domain.
func (a *App) readUser(ctx context.Context, doc, cur map[string]any) (*gatehouse.User, error) {
	var gu gatehouse.User
	if err := scim.ReadUser(doc, cur, &gu); err != nil {
		return nil, err
	}
	email, err := normalizeEmail(gu.UserName)
	if err != nil {
		return nil, scim.InvalidValue("userName must be the user's e-mail address: %v.", err)
	}
	s, err := a.loadSCIM(ctx)
	if err != nil {
		return nil, err
	}
	_, domain, _ := strings.Cut(email, "@")
	switch {
	case s.ClaimedDomain == "":
		return nil, scim.InvalidValue("The organization has not claimed a domain yet: claim one under Settings → Access security → SCIM before provisioning users.")
	case !strings.EqualFold(domain, s.ClaimedDomain):
		return nil, scim.InvalidValue("userName %s is not in a domain the organization claimed (%s); only users of claimed domains can be provisioned.", email, s.ClaimedDomain)
	}
	gu.UserName = email
	return &gu, nil
}

func (a *App) scimCreateUser(r *http.Request, body []byte) (int, any, error) {
	doc, err := scim.ParseResource(scim.Users, body)
	if err != nil {
		return 0, nil, err
	}
	gu, err := a.readUser(r.Context(), doc, nil)
	if err != nil {
		return 0, nil, err
	}
	u := &User{Email: gu.UserName, FirstName: gu.FirstName, LastName: gu.LastName, DisplayName: gu.DisplayName,
		ExternalID: gu.ExternalID, Deactivated: gu.Disabled, Role: RoleMember, Status: StatusPending, InvitedAt: a.now(),
		Source: "scim"}
	if u.DisplayName == u.Email {
		u.DisplayName = ""
	}
	if err := a.createUser(r.Context(), u); err != nil {
		if errors.Is(err, errEmailTaken) {
			return 0, nil, &scim.Error{Status: http.StatusConflict, Type: scim.TypeUniqueness,
				Detail: fmt.Sprintf("%s is already a member of the organization.", u.Email)}
		}
		return 0, nil, err
	}
	a.log.Info("member provisioned", "email", u.Email, "id", u.ID)
	return http.StatusCreated, a.userResource(u), nil
}

// scimChangeUser replaces a user (PUT) or applies PATCH operations to it.
func (a *App) scimChangeUser(patch bool) scimHandler {
	return func(r *http.Request, body []byte) (int, any, error) {
		ctx := r.Context()
		u, err := a.userOf(ctx, r.PathValue("id"))
		if err != nil {
			return 0, nil, err
		}
		cur := a.userResource(u)
		var doc map[string]any
		if patch {
			ops, err := scim.ParsePatch(body)
			if err != nil {
				return 0, nil, err
			}
			if doc, err = scim.Apply(scim.Users, cur, ops); err != nil {
				return 0, nil, err
			}
		} else if doc, err = scim.ParseResource(scim.Users, body); err != nil {
			return 0, nil, err
		}
		gu, err := a.readUser(ctx, doc, cur)
		if err != nil {
			return 0, nil, err
		}
		if u.IsOwner() && (gu.Disabled || !strings.EqualFold(gu.UserName, u.Email)) {
			return 0, nil, scim.Mutability("The organization's owner cannot be deactivated or renamed over SCIM.")
		}
		display := gu.DisplayName
		if display == gu.UserName || display == strings.TrimSpace(gu.FirstName+" "+gu.LastName) {
			display = ""
		}
		_, err = a.db.ExecContext(ctx, `UPDATE users SET email = ?, first_name = ?, last_name = ?, display_name = ?,
			external_id = ?, deactivated = ? WHERE id = ?`, gu.UserName, gu.FirstName, gu.LastName, display, gu.ExternalID,
			gu.Disabled, u.ID)
		if err != nil {
			if strings.Contains(err.Error(), "UNIQUE") {
				return 0, nil, &scim.Error{Status: http.StatusConflict, Type: scim.TypeUniqueness,
					Detail: fmt.Sprintf("%s is already a member of the organization.", gu.UserName)}
			}
			return 0, nil, fmt.Errorf("demoapp: change user: %w", err)
		}
		if gu.Disabled && !u.Deactivated {
			if _, err := a.db.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ?`, u.ID); err != nil {
				return 0, nil, fmt.Errorf("demoapp: end sessions: %w", err)
			}
			a.log.Info("member deactivated", "email", u.Email)
		}
		if u, err = a.findUser(ctx, u.ID); err != nil {
			return 0, nil, err
		}
		return http.StatusOK, a.userResource(u), nil
	}
}

func (a *App) scimDeleteUser(r *http.Request, _ []byte) (int, any, error) {
	u, err := a.userOf(r.Context(), r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	if u.IsOwner() {
		return 0, nil, scim.Mutability("The organization's owner cannot be removed over SCIM.")
	}
	if _, err := a.db.ExecContext(r.Context(), `DELETE FROM users WHERE id = ? AND role = 'member'`, u.ID); err != nil {
		return 0, nil, fmt.Errorf("demoapp: remove member: %w", err)
	}
	a.log.Info("member removed by provisioning", "email", u.Email)
	return http.StatusNoContent, nil, nil
}

// team is one of the organization's Teams.
type team struct {
	ID         int64
	Name       string
	ExternalID string
	Members    []*User
}

func (a *App) listTeams(ctx context.Context) ([]*team, error) {
	rows, err := a.db.QueryContext(ctx, `SELECT id, name, external_id FROM teams ORDER BY name COLLATE NOCASE`)
	if err != nil {
		return nil, fmt.Errorf("demoapp: list teams: %w", err)
	}
	var teams []*team
	for rows.Next() {
		var t team
		if err := rows.Scan(&t.ID, &t.Name, &t.ExternalID); err != nil {
			rows.Close()
			return nil, fmt.Errorf("demoapp: list teams: %w", err)
		}
		teams = append(teams, &t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, t := range teams {
		if t.Members, err = a.teamMembers(ctx, t.ID); err != nil {
			return nil, err
		}
	}
	return teams, nil
}

func (a *App) teamMembers(ctx context.Context, teamID int64) ([]*User, error) {
	rows, err := a.db.QueryContext(ctx, `SELECT `+prefixed("u.", userColumns)+` FROM users u
		JOIN team_members m ON m.user_id = u.id WHERE m.team_id = ? ORDER BY u.email COLLATE NOCASE`, teamID)
	if err != nil {
		return nil, fmt.Errorf("demoapp: team members: %w", err)
	}
	defer rows.Close()
	var out []*User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// prefixed qualifies each column of a column list with a table alias.
func prefixed(alias, columns string) string {
	parts := strings.Split(columns, ",")
	for i, p := range parts {
		parts[i] = alias + strings.TrimSpace(p)
	}
	return strings.Join(parts, ", ")
}

func (a *App) teamResource(t *team) map[string]any {
	id := strconv.FormatInt(t.ID, 10)
	members := []any{}
	for _, u := range t.Members {
		members = append(members, map[string]any{"value": strconv.FormatInt(u.ID, 10), "display": u.Name(), "type": "User"})
	}
	doc := map[string]any{"schemas": []any{scim.GroupSchema}, "id": id, "displayName": t.Name, "members": members,
		"meta": map[string]any{"resourceType": "Group", "location": a.SCIMBaseURL() + "/Groups/" + id}}
	if t.ExternalID != "" {
		doc["externalId"] = t.ExternalID
	}
	return doc
}

func (a *App) teamOf(ctx context.Context, id string) (*team, error) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return nil, scimNotFound("team", id)
	}
	var t team
	err = a.db.QueryRowContext(ctx, `SELECT id, name, external_id FROM teams WHERE id = ?`, n).Scan(&t.ID, &t.Name, &t.ExternalID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, scimNotFound("team", id)
	}
	if err != nil {
		return nil, fmt.Errorf("demoapp: find team: %w", err)
	}
	if t.Members, err = a.teamMembers(ctx, t.ID); err != nil {
		return nil, err
	}
	return &t, nil
}

func (a *App) scimListTeams(r *http.Request, _ []byte) (int, any, error) {
	teams, err := a.listTeams(r.Context())
	if err != nil {
		return 0, nil, err
	}
	docs := make([]map[string]any, len(teams))
	for i, t := range teams {
		docs[i] = a.teamResource(t)
	}
	return listResources(r, scim.Groups, docs, func(d map[string]any) map[gatehouse.QueryAttr]string {
		s := func(k string) string { v, _ := d[k].(string); return v }
		return map[gatehouse.QueryAttr]string{gatehouse.QueryID: s("id"), gatehouse.QueryDisplayName: s("displayName"),
			gatehouse.QueryExternalID: s("externalId")}
	})
}

func (a *App) scimGetTeam(r *http.Request, _ []byte) (int, any, error) {
	t, err := a.teamOf(r.Context(), r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, a.teamResource(t), nil
}

// saveTeam writes a team's name, external ID and members (by SCIM id) in one transaction; t.ID 0 creates it.
func (a *App) saveTeam(ctx context.Context, t *team, memberIDs []string) error {
	tx, err := a.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("demoapp: save team: %w", err)
	}
	defer tx.Rollback()
	if t.ID == 0 {
		res, err := tx.ExecContext(ctx, `INSERT INTO teams (name, external_id, created_at) VALUES (?, ?, ?)`, t.Name, t.ExternalID, a.now().Unix())
		if err != nil {
			if strings.Contains(err.Error(), "UNIQUE") {
				return &scim.Error{Status: http.StatusConflict, Type: scim.TypeUniqueness, Detail: fmt.Sprintf("A team named %s exists already.", t.Name)}
			}
			return fmt.Errorf("demoapp: create team: %w", err)
		}
		if t.ID, err = res.LastInsertId(); err != nil {
			return err
		}
	} else if _, err := tx.ExecContext(ctx, `UPDATE teams SET name = ?, external_id = ? WHERE id = ?`, t.Name, t.ExternalID, t.ID); err != nil {
		if strings.Contains(err.Error(), "UNIQUE") {
			return &scim.Error{Status: http.StatusConflict, Type: scim.TypeUniqueness, Detail: fmt.Sprintf("A team named %s exists already.", t.Name)}
		}
		return fmt.Errorf("demoapp: rename team: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM team_members WHERE team_id = ?`, t.ID); err != nil {
		return fmt.Errorf("demoapp: set team members: %w", err)
	}
	for _, id := range memberIDs {
		n, err := strconv.ParseInt(id, 10, 64)
		if err == nil {
			_, err = tx.ExecContext(ctx, `INSERT INTO team_members (team_id, user_id) SELECT ?, id FROM users WHERE id = ?`, t.ID, n)
		}
		var exists bool
		if err == nil {
			err = tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE id = ?)`, n).Scan(&exists)
		}
		if err != nil || !exists {
			return scim.InvalidValue("There is no member %s to add to the team.", id)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("demoapp: save team: %w", err)
	}
	return nil
}

func (a *App) scimCreateTeam(r *http.Request, body []byte) (int, any, error) {
	doc, err := scim.ParseResource(scim.Groups, body)
	if err != nil {
		return 0, nil, err
	}
	var g gatehouse.Group
	ids, err := scim.ReadGroup(doc, nil, &g)
	if err != nil {
		return 0, nil, err
	}
	t := &team{Name: g.Name, ExternalID: g.ExternalID}
	if err := a.saveTeam(r.Context(), t, ids); err != nil {
		return 0, nil, err
	}
	a.log.Info("team provisioned", "team", t.Name, "members", len(ids))
	if t, err = a.teamOf(r.Context(), strconv.FormatInt(t.ID, 10)); err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, a.teamResource(t), nil
}

// scimChangeTeam replaces a team (PUT) or applies PATCH operations (rename, members added and removed) to it.
func (a *App) scimChangeTeam(patch bool) scimHandler {
	return func(r *http.Request, body []byte) (int, any, error) {
		ctx := r.Context()
		t, err := a.teamOf(ctx, r.PathValue("id"))
		if err != nil {
			return 0, nil, err
		}
		cur := a.teamResource(t)
		var doc map[string]any
		if patch {
			ops, err := scim.ParsePatch(body)
			if err != nil {
				return 0, nil, err
			}
			if doc, err = scim.Apply(scim.Groups, cur, ops); err != nil {
				return 0, nil, err
			}
		} else if doc, err = scim.ParseResource(scim.Groups, body); err != nil {
			return 0, nil, err
		}
		var g gatehouse.Group
		ids, err := scim.ReadGroup(doc, cur, &g)
		if err != nil {
			return 0, nil, err
		}
		t.Name, t.ExternalID = g.Name, g.ExternalID
		if err := a.saveTeam(ctx, t, ids); err != nil {
			return 0, nil, err
		}
		if t, err = a.teamOf(ctx, strconv.FormatInt(t.ID, 10)); err != nil {
			return 0, nil, err
		}
		return http.StatusOK, a.teamResource(t), nil
	}
}

func (a *App) scimDeleteTeam(r *http.Request, _ []byte) (int, any, error) {
	t, err := a.teamOf(r.Context(), r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	if _, err := a.db.ExecContext(r.Context(), `DELETE FROM teams WHERE id = ?`, t.ID); err != nil {
		return 0, nil, fmt.Errorf("demoapp: delete team: %w", err)
	}
	return http.StatusNoContent, nil, nil
}

// scimPage is Settings → Access security → SCIM.
func (a *App) scimPage(w http.ResponseWriter, r *http.Request) error {
	u, err := a.requireOwner(r)
	if err != nil {
		return err
	}
	return a.renderSCIM(w, r, http.StatusOK, u, "", "", "")
}

func (a *App) renderSCIM(w http.ResponseWriter, r *http.Request, status int, u *User, token, domain, msg string) error {
	s, err := a.loadSCIM(r.Context())
	if err != nil {
		return err
	}
	if domain == "" {
		domain = s.ClaimedDomain
	}
	a.render(w, r, status, "scim", map[string]any{"Title": "SCIM", "User": u, "S": s, "BaseURL": a.SCIMBaseURL(),
		"Token": token, "Domain": domain, "Error": msg, "Saved": r.URL.Query().Get("saved") == "1", "Nav": "settings"})
	return nil
}

// claimDomain sets the organization's claimed e-mail domain. Mixpanel verifies a claim with a DNS record; the demo
// app takes the owner's word.
func (a *App) claimDomain(w http.ResponseWriter, r *http.Request) error {
	u, err := a.requireOwner(r)
	if err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		return &Error{Code: ETOOLARGE, Message: "The form is too large.", Err: err}
	}
	domain := strings.ToLower(strings.TrimSpace(r.PostForm.Get("domain")))
	if _, err := normalizeEmail("x@" + domain); err != nil || domain == "" || strings.ContainsAny(domain, "@/ ") || !strings.Contains(domain, ".") && domain != "localhost" {
		return a.renderSCIM(w, r, http.StatusBadRequest, u, "", r.PostForm.Get("domain"), "Enter a domain such as contoso.com.")
	}
	if _, err := a.db.ExecContext(r.Context(), `INSERT INTO scim_settings (id, claimed_domain) VALUES (1, ?)
		ON CONFLICT (id) DO UPDATE SET claimed_domain = excluded.claimed_domain`, domain); err != nil {
		return fmt.Errorf("demoapp: claim domain: %w", err)
	}
	a.log.Info("domain claimed", "by", u.Email, "domain", domain)
	http.Redirect(w, r, "/settings/scim?saved=1", http.StatusSeeOther)
	return nil
}

// generateSCIMToken makes a new SCIM token, replacing the last, and shows it once.
func (a *App) generateSCIMToken(w http.ResponseWriter, r *http.Request) error {
	u, err := a.requireOwner(r)
	if err != nil {
		return err
	}
	token := scimTokenPrefix + a.randomToken(32)
	if _, err := a.db.ExecContext(r.Context(), `INSERT INTO scim_settings (id, token_hash, token_prefix, token_created) VALUES (1, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET token_hash = excluded.token_hash, token_prefix = excluded.token_prefix,
			token_created = excluded.token_created`, tokenHash(token), token[:len(scimTokenPrefix)+4], a.now().Unix()); err != nil {
		return fmt.Errorf("demoapp: save SCIM token: %w", err)
	}
	a.log.Info("SCIM token generated", "by", u.Email)
	return a.renderSCIM(w, r, http.StatusOK, u, token, "", "")
}
