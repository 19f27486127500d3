package gallery_test

import (
	"testing"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/gallery"
)

// TestWithDefault changes the demo app's default address in a copy of the gallery and leaves the original alone.
func TestWithDefault(t *testing.T) {
	g := gallery.MustLoad()
	moved, err := g.WithDefault("gatehouse-demo", "demo_url", "http://127.0.0.1:9191")
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := moved.Find("gatehouse-demo")
	if err != nil {
		t.Fatal(err)
	}
	s, missing, err := tmpl.Settings(nil)
	if err != nil || len(missing) != 0 || s.EntityID != "http://127.0.0.1:9191/saml/metadata" {
		t.Errorf("settings with the new default: %q %v %v", s.EntityID, missing, err)
	}
	orig, _ := g.Find("gatehouse-demo")
	if s, _, _ := orig.Settings(nil); s.EntityID != "http://127.0.0.1:8090/saml/metadata" {
		t.Errorf("the original gallery changed: %q", s.EntityID)
	}
	if len(moved.Search("")) != len(g.Search("")) {
		t.Error("the copy lost templates")
	}
	for _, tt := range []struct{ id, param, value string }{
		{"nope", "demo_url", "http://x"},
		{"gatehouse-demo", "nope", "http://x"},
		{"gatehouse-demo", "demo_url", "not a url <b>"},
	} {
		if _, err := g.WithDefault(tt.id, tt.param, tt.value); err == nil {
			t.Errorf("WithDefault(%q, %q, %q) accepted", tt.id, tt.param, tt.value)
		} else if c := gatehouse.ErrorCode(err); c != gatehouse.EINVALID && c != gatehouse.ENOTFOUND {
			t.Errorf("WithDefault(%q, %q, %q) = %v", tt.id, tt.param, tt.value, err)
		}
	}
}
