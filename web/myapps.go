package web

import (
	"net/http"
	"strconv"
	"strings"
	"unicode"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/idp"
)

// myAppsTile is one tile of My Apps.
type myAppsTile struct {
	ID   string
	Name string
	// URL opens the app the right way: its Sign-on URL (SP-initiated) or its user access URL (IdP-initiated).
	URL string
	// LogoURL is the app's uploaded logo, or "" for an initials tile.
	LogoURL string
	// Initials are up to two letters or digits of the name, for a tile without a logo.
	Initials string
}

// tileInitials returns the first letter or digit of the first two words of name that have one, upper-cased.
func tileInitials(name string) string {
	var out []rune
	for _, w := range strings.Fields(name) {
		for _, r := range w {
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				out = append(out, unicode.ToUpper(r))
				break
			}
		}
		if len(out) == 2 {
			break
		}
	}
	return string(out)
}

type myAppsPage struct {
	Brand *idp.Branding
	Name  string
	Query string
	// Total is the number of the user's apps, before the search.
	Total int
	Tiles []myAppsTile
}

// Directory returns the directory of the page, for templates.
func (p myAppsPage) Directory() *gatehouse.Directory { return p.Brand.Directory }

// myApps shows the signed-in user's apps: assigned, enabled and visible ones only. The search box filters the
// tiles as the user types (static/signin.js); without JavaScript it is a GET form whose q the server applies.
func (s *Server) myApps(w http.ResponseWriter, r *http.Request) error {
	b, err := s.branding(r)
	if err != nil {
		return err
	}
	dir := b.Directory.ID
	_, u, step := s.signingIn(r, dir)
	switch {
	case u == nil:
		http.Redirect(w, r, loginURL(dir, "", r.URL.Path, false), http.StatusSeeOther)
		return nil
	case step != idp.StepDone:
		http.Redirect(w, r, stepURL(dir, step, flow{Next: r.URL.Path}), http.StatusSeeOther)
		return nil
	}
	tiles, err := s.Service.MyApps(r.Context(), u)
	if err != nil {
		return err
	}
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if len(q) > 200 {
		q = q[:200]
	}
	p := myAppsPage{Brand: b, Name: u.Name(), Query: q, Total: len(tiles)}
	for _, t := range tiles {
		if q != "" && !strings.Contains(strings.ToLower(t.App.Name), strings.ToLower(q)) {
			continue
		}
		tile := myAppsTile{ID: t.App.ID, Name: t.App.Name, URL: t.URL, Initials: tileInitials(t.App.Name)}
		if len(t.App.Logo) > 0 && t.App.LogoType != "" {
			tile.LogoURL = "/d/" + dir + "/apps/" + t.App.ID + "/logo"
		}
		p.Tiles = append(p.Tiles, tile)
	}
	s.render(w, withUser(r, u), http.StatusOK, "myapps.html", p)
	return nil
}

// writeImage serves an uploaded image. The type is one the upload checked; the CSP of the response forbids
// anything active inside it (an SVG's scripts) and nosniff keeps browsers from guessing another type.
func writeImage(w http.ResponseWriter, data []byte, typ string) error {
	h := w.Header()
	h.Set("Content-Type", typ)
	h.Set("Content-Length", strconv.Itoa(len(data)))
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; sandbox")
	h.Set("Cache-Control", "private, max-age=300")
	_, err := w.Write(data)
	return err
}

// appLogo serves an app's logo to a user who sees the app in My Apps.
func (s *Server) appLogo(w http.ResponseWriter, r *http.Request) error {
	dir := r.PathValue("dir")
	_, u := s.signedIn(r, dir)
	if u == nil {
		return gatehouse.Errorf(gatehouse.ENOTFOUND, "There is no such logo.")
	}
	data, typ, err := s.Service.AppLogo(r.Context(), u, r.PathValue("app"))
	if err != nil {
		return err
	}
	return writeImage(w, data, typ)
}

// directoryLogo serves the logo of a directory's sign-in page; it is public, as the page is.
func (s *Server) directoryLogo(w http.ResponseWriter, r *http.Request) error {
	b, err := s.branding(r)
	if err != nil {
		return err
	}
	d := b.Directory
	if len(d.Logo) == 0 || d.LogoType == "" {
		return gatehouse.Errorf(gatehouse.ENOTFOUND, "Directory %s has no logo.", d.ID)
	}
	return writeImage(w, d.Logo, d.LogoType)
}
