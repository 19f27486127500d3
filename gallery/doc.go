// Package gallery is Gatehouse's app gallery: the templates an administrator picks from to add an enterprise app,
// each with the app's SAML settings, the parameters that complete them (such as an organization ID or a
// subdomain) and notes on what to configure on the app's side.
//
// Templates are data, one JSON file per app under apps/, embedded in the binary. Load reads and checks all of them
// at start-up so that a broken template stops the server instead of failing when an administrator picks it. A
// template's URLs may hold placeholders such as {org_id}; Template.Settings fills them from the administrator's
// values or the parameters' defaults:
//
//	g := gallery.MustLoad()
//	t, err := g.Find("mixpanel")
//	settings, missing, err := t.Settings(map[string]string{"org_id": "1234567"})
package gallery
