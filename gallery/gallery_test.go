package gallery_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/gallery"
)

func TestLoad(t *testing.T) {
	g, err := gallery.Load()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, tpl := range g.Templates() {
		ids = append(ids, tpl.ID)
	}
	want := []string{
		"atlassian-cloud", "aws-iam-identity-center", "box", "custom-oidc", "custom", "dropbox-business", "gatehouse-demo",
		"github-enterprise-cloud", "google-workspace", "grafana", "mixpanel", "oauth2-proxy", "proxmox-ve", "salesforce",
		"slack", "zendesk", "zoom",
	}
	if diff := cmp.Diff(want, ids); diff != "" {
		t.Errorf("template IDs by name mismatch (-want +got):\n%s", diff)
	}
	files, err := filepath.Glob("apps/*.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(want) {
		t.Errorf("%d template files; want %d", len(files), len(want))
	}
}

func TestMustLoad(t *testing.T) {
	if g := gallery.MustLoad(); len(g.Templates()) == 0 {
		t.Error("MustLoad returned no templates")
	}
}

// TestTemplateJSON checks the REST API's GalleryTemplate shape.
func TestTemplateJSON(t *testing.T) {
	tpl, err := gallery.MustLoad().Find("mixpanel")
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(tpl)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range got {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	want := []string{"categories", "description", "id", "idpInitiated", "name", "notes", "parameters", "publisher", "requiredClaims", "saml", "scim"}
	if diff := cmp.Diff(want, keys); diff != "" {
		t.Errorf("JSON keys mismatch (-want +got):\n%s", diff)
	}
	p := got["parameters"].([]any)[0].(map[string]any)
	if diff := cmp.Diff(map[string]any{"name": "org_id", "label": "Mixpanel organization ID", "example": "1234567", "default": ""}, p); diff != "" {
		t.Errorf("parameter JSON mismatch (-want +got):\n%s", diff)
	}
}

func TestMixpanel(t *testing.T) {
	tpl, err := gallery.MustLoad().Find("mixpanel")
	if err != nil {
		t.Fatal(err)
	}
	s, missing, err := tpl.Settings(map[string]string{"org_id": "1234567"})
	if err != nil {
		t.Fatal(err)
	}
	want := gatehouse.SAMLSettings{
		EntityID:     "https://mixpanel.com/security/sso/v2/authorize/",
		ReplyURLs:    []string{"https://sso.mixpanel.com/sso/saml2"},
		SignOnURL:    "https://mixpanel.com/security/sso/v2/authorize/?org_id=1234567",
		NameIDFormat: gatehouse.NameIDEmail,
		NameIDSource: gatehouse.AttrUserName,
		Claims: []gatehouse.Claim{
			{Name: "email", Source: gatehouse.AttrMail},
			{Name: "firstName", Source: gatehouse.AttrGivenName},
			{Name: "lastName", Source: gatehouse.AttrSurname},
		},
		SigningOption:    gatehouse.SignAssertion,
		SigningAlgorithm: gatehouse.SHA256,
		SigningKeyType:   gatehouse.KeyRSA2048,
	}
	if diff := cmp.Diff(want, s); diff != "" {
		t.Errorf("Mixpanel settings mismatch (-want +got):\n%s", diff)
	}
	if len(missing) != 0 {
		t.Errorf("missing = %v; want none", missing)
	}
	if tpl.IdPInitiated {
		t.Error("Mixpanel is marked IdP-initiated; it supports only SP-initiated sign-on")
	}
	if diff := cmp.Diff([]string{"email"}, tpl.RequiredClaims); diff != "" {
		t.Errorf("Mixpanel's required claims mismatch (-want +got):\n%s", diff)
	}
}

func TestGatehouseDemo(t *testing.T) {
	tpl, err := gallery.MustLoad().Find("gatehouse-demo")
	if err != nil {
		t.Fatal(err)
	}
	s, missing, err := tpl.Settings(nil)
	if err != nil {
		t.Fatal(err)
	}
	got := []string{s.EntityID, strings.Join(s.ReplyURLs, " "), s.SignOnURL, s.NameIDSource, s.Claims[0].Name, s.Claims[0].Source}
	want := []string{"http://127.0.0.1:8090/saml/metadata", "http://127.0.0.1:8090/saml/acs", "http://127.0.0.1:8090/saml/login",
		gatehouse.AttrUserName, "email", gatehouse.AttrMail}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("demo settings with defaults mismatch (-want +got):\n%s", diff)
	}
	if len(missing) != 0 || !tpl.IdPInitiated {
		t.Errorf("missing = %v, IdPInitiated = %v; want none, true", missing, tpl.IdPInitiated)
	}
}

func TestCustom(t *testing.T) {
	tpl, err := gallery.MustLoad().Find("custom")
	if err != nil {
		t.Fatal(err)
	}
	s, missing, err := tpl.Settings(nil)
	if err != nil {
		t.Fatal(err)
	}
	want := gatehouse.DefaultSAMLSettings()
	want.ReplyURLs = []string{}
	if diff := cmp.Diff(want, s); diff != "" {
		t.Errorf("custom settings mismatch (-want +got):\n%s", diff)
	}
	if len(missing) != 0 {
		t.Errorf("missing = %v; want none", missing)
	}
}

func TestSettings(t *testing.T) {
	g := gallery.MustLoad()
	tests := []struct {
		name, id    string
		params      map[string]string
		wantEntity  string
		wantReply   []string
		wantSignOn  string
		wantMissing []string
		wantErr     string // field of the EINVALID error
	}{
		{name: "all given", id: "atlassian-cloud", params: map[string]string{"connection_id": "abc-123", "site": "contoso"},
			wantEntity: "https://auth.atlassian.com/saml/abc-123",
			wantReply:  []string{"https://auth.atlassian.com/login/callback?connection=saml-abc-123"},
			wantSignOn: "https://contoso.atlassian.net"},
		{name: "one placeholder used three times", id: "aws-iam-identity-center", params: map[string]string{"region": "eu-west-1", "instance_id": "XYZ"},
			wantEntity: "https://eu-west-1.signin.aws.amazon.com/platform/saml/XYZ",
			wantReply:  []string{"https://eu-west-1.signin.aws.amazon.com/platform/saml/acs/XYZ"},
			wantSignOn: "https://portal.sso.eu-west-1.amazonaws.com/saml/assertion/XYZ"},
		{name: "default used", id: "gatehouse-demo", params: map[string]string{},
			wantEntity: "http://127.0.0.1:8090/saml/metadata", wantReply: []string{"http://127.0.0.1:8090/saml/acs"},
			wantSignOn: "http://127.0.0.1:8090/saml/login"},
		{name: "empty value means default", id: "gatehouse-demo", params: map[string]string{"demo_url": ""},
			wantEntity: "http://127.0.0.1:8090/saml/metadata", wantReply: []string{"http://127.0.0.1:8090/saml/acs"},
			wantSignOn: "http://127.0.0.1:8090/saml/login"},
		{name: "given value overrides default", id: "gatehouse-demo", params: map[string]string{"demo_url": "https://demo.example.com"},
			wantEntity: "https://demo.example.com/saml/metadata", wantReply: []string{"https://demo.example.com/saml/acs"},
			wantSignOn: "https://demo.example.com/saml/login"},
		{name: "missing sign-on parameter", id: "mixpanel", params: nil,
			wantEntity: "https://mixpanel.com/security/sso/v2/authorize/", wantReply: []string{"https://sso.mixpanel.com/sso/saml2"},
			wantMissing: []string{"signOnUrl"}},
		{name: "missing everywhere, reply URL dropped", id: "zendesk", params: nil,
			wantReply: []string{}, wantMissing: []string{"entityId", "replyUrls", "signOnUrl"}},
		{name: "partly given", id: "atlassian-cloud", params: map[string]string{"site": "contoso"},
			wantReply: []string{}, wantSignOn: "https://contoso.atlassian.net", wantMissing: []string{"entityId", "replyUrls"}},
		{name: "unknown parameter", id: "mixpanel", params: map[string]string{"org": "1"}, wantErr: "parameters.org"},
		{name: "parameter for a template without any", id: "custom", params: map[string]string{"x": "1"}, wantErr: "parameters.x"},
		{name: "value with a space", id: "mixpanel", params: map[string]string{"org_id": "12 34"}, wantErr: "parameters.org_id"},
		{name: "value with a newline", id: "mixpanel", params: map[string]string{"org_id": "12\n34"}, wantErr: "parameters.org_id"},
		{name: "value with NUL", id: "mixpanel", params: map[string]string{"org_id": "12\x00"}, wantErr: "parameters.org_id"},
		{name: "value with markup", id: "mixpanel", params: map[string]string{"org_id": "<script>"}, wantErr: "parameters.org_id"},
		{name: "value with a placeholder", id: "salesforce", params: map[string]string{"subdomain": "{subdomain}"}, wantErr: "parameters.subdomain"},
		{name: "value over 256 bytes", id: "mixpanel", params: map[string]string{"org_id": strings.Repeat("1", 257)}, wantErr: "parameters.org_id"},
		{name: "value that breaks the URL", id: "gatehouse-demo", params: map[string]string{"demo_url": "javascript:alert(1)//"}, wantErr: "replyUrls"},
		{name: "value that breaks the host", id: "salesforce", params: map[string]string{"subdomain": "a:b"}, wantErr: "replyUrls"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tpl, err := g.Find(tt.id)
			if err != nil {
				t.Fatal(err)
			}
			s, missing, err := tpl.Settings(tt.params)
			if tt.wantErr != "" {
				if gatehouse.ErrorCode(err) != gatehouse.EINVALID || gatehouse.ErrorField(err) != tt.wantErr {
					t.Fatalf("Settings: %v (field %q); want EINVALID on %q", err, gatehouse.ErrorField(err), tt.wantErr)
				}
				if msg := gatehouse.ErrorMessage(err); strings.Contains(tt.wantErr, "parameters.") &&
					!strings.Contains(msg, strings.TrimPrefix(tt.wantErr, "parameters.")) {
					t.Errorf("message %q does not name the parameter", msg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := []any{s.EntityID, s.ReplyURLs, s.SignOnURL, missing}
			want := []any{tt.wantEntity, tt.wantReply, tt.wantSignOn, tt.wantMissing}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("entityId, replyUrls, signOnUrl, missing mismatch (-want +got):\n%s", diff)
			}
			if err := s.Validate(); err != nil {
				t.Errorf("settings do not validate: %v", err)
			}
		})
	}
}

// TestSettingsDoNotShareState checks that changing returned settings or templates leaves the gallery alone.
func TestSettingsDoNotShareState(t *testing.T) {
	g := gallery.MustLoad()
	tpl, _ := g.Find("zendesk")
	s, _, err := tpl.Settings(map[string]string{"subdomain": "a"})
	if err != nil {
		t.Fatal(err)
	}
	s.ReplyURLs[0] = "https://changed.example.com"
	s.Claims[0].Name = "changed"
	tpl.Name = "changed"
	tpl.SAML.ReplyURLs[0] = "changed"
	tpl.Categories[0] = "changed"
	again, _ := g.Find("zendesk")
	s2, _, err := again.Settings(map[string]string{"subdomain": "b"})
	if err != nil {
		t.Fatal(err)
	}
	if again.Name != "Zendesk" || again.SAML.ReplyURLs[0] != "https://{subdomain}.zendesk.com/access/saml" ||
		again.Categories[0] == "changed" || s2.ReplyURLs[0] != "https://b.zendesk.com/access/saml" || s2.Claims[0].Name == "changed" {
		t.Error("a change to returned values reached the gallery")
	}
}

// TestEveryTemplate checks each embedded template with its examples: complete, valid settings and notes.
func TestEveryTemplate(t *testing.T) {
	for _, tpl := range gallery.MustLoad().Templates() {
		if tpl.Protocol == gatehouse.ProtocolOIDC {
			continue // TestOIDCTemplates
		}
		t.Run(tpl.ID, func(t *testing.T) {
			params := map[string]string{}
			for _, p := range tpl.Parameters {
				params[p.Name] = p.Example
			}
			s, missing, err := tpl.Settings(params)
			if err != nil {
				t.Fatal(err)
			}
			if len(missing) != 0 {
				t.Errorf("missing %v with every example given", missing)
			}
			if tpl.ID != "custom" && (s.EntityID == "" || len(s.ReplyURLs) == 0) {
				t.Error("no Identifier or Reply URL with the examples")
			}
			if tpl.Notes == "" {
				t.Error("no setup notes")
			}
		})
	}
}

// TestNameIDFromMail checks the table of SAML-FACTS: these apps take the user's mail as NameID.
func TestNameIDFromMail(t *testing.T) {
	g := gallery.MustLoad()
	for _, id := range []string{"github-enterprise-cloud", "atlassian-cloud", "box", "google-workspace"} {
		tpl, err := g.Find(id)
		if err != nil {
			t.Fatal(err)
		}
		if tpl.SAML.NameIDSource != gatehouse.AttrMail {
			t.Errorf("%s: NameID source %q; want %q", id, tpl.SAML.NameIDSource, gatehouse.AttrMail)
		}
	}
}

func TestFind(t *testing.T) {
	g := gallery.MustLoad()
	if tpl, err := g.Find("mixpanel"); err != nil || tpl.Name != "Mixpanel" {
		t.Errorf("Find(mixpanel) = %v, %v", tpl, err)
	}
	for _, id := range []string{"", "nope", "Mixpanel", "../mixpanel", "mixpanel.json"} {
		if _, err := g.Find(id); gatehouse.ErrorCode(err) != gatehouse.ENOTFOUND {
			t.Errorf("Find(%q): %v; want ENOTFOUND", id, err)
		}
	}
}

func TestSearch(t *testing.T) {
	g := gallery.MustLoad()
	tests := []struct {
		q    string
		want []string
	}{
		{"mixpanel", []string{"mixpanel"}},
		{"MIXPANEL", []string{"mixpanel"}},
		{"  mix ", []string{"mixpanel"}},
		{"analytics", []string{"mixpanel"}},                                                  // category
		{"amazon", []string{"aws-iam-identity-center"}},                                      // publisher
		{"ticketing", []string{"zendesk"}},                                                   // description
		{"gatehouse", []string{"custom-oidc", "custom", "gatehouse-demo"}},                   // publisher, ordered by name
		{"openid connect", []string{"custom-oidc", "grafana", "oauth2-proxy", "proxmox-ve"}}, // category
		{"collaboration google", []string{"google-workspace"}},                               // every word
		{"content management", []string{"box", "dropbox-business"}},
		{"no such app", []string{}},
		{"%' OR 1=1 --", []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			var got []string = []string{}
			for _, tpl := range g.Search(tt.q) {
				got = append(got, tpl.ID)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Search(%q) mismatch (-want +got):\n%s", tt.q, diff)
			}
		})
	}
	if n, all := len(g.Search("")), len(g.Templates()); n != all {
		t.Errorf("Search(\"\") returned %d templates; want all %d", n, all)
	}
}

// validTemplate is a template file that loads; tests break one thing at a time.
const validTemplate = `{
  "id": "acme",
  "name": "Acme",
  "description": "Anvils as a service.",
  "publisher": "Acme Corp",
  "categories": ["Tools"],
  "parameters": [{"name": "tenant", "label": "Tenant", "example": "contoso", "default": ""}],
  "saml": {
    "entityId": "https://{tenant}.acme.example",
    "replyUrls": ["https://{tenant}.acme.example/saml/acs"],
    "signOnUrl": ""
  },
  "idpInitiated": true,
  "notes": "Paste the Login URL."
}`

// TestLoadRejects checks that a broken template stops loading with a message naming the file and the field.
func TestLoadRejects(t *testing.T) {
	edit := func(old, new string) string {
		if !strings.Contains(validTemplate, old) {
			t.Fatalf("test template lacks %q", old)
		}
		return strings.Replace(validTemplate, old, new, 1)
	}
	withEmail := edit(`"signOnUrl": ""`, `"signOnUrl": "", "claims": [{"name": "email", "source": "user.mail"}]`)
	tests := []struct {
		name  string
		files map[string]string
		want  []string // all in the error
	}{
		{"unknown field", map[string]string{"acme.json": edit(`"idpInitiated"`, `"idpInitated"`)}, []string{"apps/acme.json", "json", "idpInitated"}},
		{"unknown SAML field", map[string]string{"acme.json": edit(`"signOnUrl"`, `"signOnURI"`)}, []string{"apps/acme.json", "signOnURI"}},
		{"bad JSON", map[string]string{"acme.json": edit(`"Acme",`, `"Acme"`)}, []string{"apps/acme.json", "json"}},
		{"two objects", map[string]string{"acme.json": validTemplate + "{}"}, []string{"apps/acme.json", "after the template"}},
		{"empty file", map[string]string{"acme.json": ""}, []string{"apps/acme.json", "json"}},
		{"undeclared placeholder", map[string]string{"acme.json": edit(`"signOnUrl": ""`, `"signOnUrl": "https://{org}.acme.example"`)},
			[]string{"apps/acme.json", "saml.signOnUrl", "{org} is not a declared parameter"}},
		{"unclosed placeholder", map[string]string{"acme.json": edit(`"signOnUrl": ""`, `"signOnUrl": "https://{tenant.acme.example"`)},
			[]string{"apps/acme.json", "saml.signOnUrl", "not closed"}},
		{"stray brace", map[string]string{"acme.json": edit(`"signOnUrl": ""`, `"signOnUrl": "https://x}.acme.example"`)},
			[]string{"apps/acme.json", "saml.signOnUrl", "closes no placeholder"}},
		{"placeholder in a claim", map[string]string{"acme.json": edit(`"signOnUrl": ""`, `"signOnUrl": "", "claims": [{"name": "x", "value": "{tenant}"}]`)},
			[]string{"apps/acme.json", "saml.claims[0]"}},
		{"unused parameter", map[string]string{"acme.json": edit(`"example": "contoso", "default": ""}`, `"example": "contoso", "default": ""}, {"name": "spare", "label": "Spare", "example": "x", "default": ""}`)},
			[]string{"apps/acme.json", "parameters", `"spare" is not used`}},
		{"invalid URL", map[string]string{"acme.json": edit(`"https://{tenant}.acme.example/saml/acs"`, `"javascript:alert(1)//{tenant}"`)},
			[]string{"apps/acme.json", "saml.replyUrls", "absolute http or https URL"}},
		{"invalid URL only with the example", map[string]string{"acme.json": edit(`"example": "contoso"`, `"example": "a:b"`)},
			[]string{"apps/acme.json", "saml.replyUrls", "examples"}},
		{"invalid NameID source", map[string]string{"acme.json": edit(`"signOnUrl": ""`, `"signOnUrl": "", "nameIdSource": "user.password"`)},
			[]string{"apps/acme.json", "saml.nameIdSource"}},
		{"duplicate id (a copied file that keeps the old id)", map[string]string{"acme.json": validTemplate, "acme2.json": edit(`"id": "acme"`, `"id": "acme2"`),
			"acme3.json": edit(`"id": "acme"`, `"id": "acme"`)}, []string{"apps/acme3.json", "id", "does not match the file name"}},
		{"id differs from file name", map[string]string{"other.json": validTemplate}, []string{"apps/other.json", "id", "does not match the file name other.json"}},
		{"invalid id", map[string]string{"Acme.json": edit(`"id": "acme"`, `"id": "Acme"`)}, []string{"apps/Acme.json", "id", "lower-case"}},
		{"no name", map[string]string{"acme.json": edit(`"name": "Acme"`, `"name": " "`)}, []string{"apps/acme.json", "name"}},
		{"no categories", map[string]string{"acme.json": edit(`["Tools"]`, `[]`)}, []string{"apps/acme.json", "categories"}},
		{"bad parameter name", map[string]string{"acme.json": strings.ReplaceAll(validTemplate, "tenant", "Tenant-ID")}, []string{"apps/acme.json", "parameters[0].name"}},
		{"parameter declared twice", map[string]string{"acme.json": edit(`"default": ""}]`, `"default": ""}, {"name": "tenant", "label": "T", "example": "x", "default": ""}]`)},
			[]string{"apps/acme.json", "parameters[1].name", "declared twice"}},
		{"parameter without example or default", map[string]string{"acme.json": edit(`"example": "contoso"`, `"example": ""`)}, []string{"apps/acme.json", "parameters[0].example"}},
		{"bad default", map[string]string{"acme.json": edit(`"default": ""`, `"default": "a b"`)}, []string{"apps/acme.json", "parameters[0].default", "spaces"}},
		{"required claim the template lacks", map[string]string{"acme.json": edit(`"idpInitiated"`, `"requiredClaims": ["email"], "idpInitiated"`)},
			[]string{"apps/acme.json", "requiredClaims[0]", `"email" is not one of the template's claims`}},
		{"required claim listed twice", map[string]string{"acme.json": strings.Replace(withEmail, `"idpInitiated"`, `"requiredClaims": ["email", "email"], "idpInitiated"`, 1)},
			[]string{"apps/acme.json", "requiredClaims[1]", "listed twice"}},
		{"no templates", map[string]string{"README": "x"}, []string{"no templates"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			for name, data := range tt.files {
				fsys[name] = &fstest.MapFile{Data: []byte(data)}
			}
			_, err := gallery.LoadFS(fsys)
			if err == nil {
				t.Fatal("LoadFS: no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q; want it to contain %q", err, w)
				}
			}
		})
	}
}

func TestLoadFSValid(t *testing.T) {
	g, err := gallery.LoadFS(fstest.MapFS{"acme.json": &fstest.MapFile{Data: []byte(validTemplate)}})
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := g.Find("acme")
	if err != nil {
		t.Fatal(err)
	}
	// Fields the file leaves out take the defaults of a new custom app.
	if diff := cmp.Diff(gatehouse.DefaultClaims(), tpl.SAML.Claims); diff != "" {
		t.Errorf("claims mismatch (-want +got):\n%s", diff)
	}
	if tpl.SAML.SigningOption != gatehouse.SignBoth || tpl.SAML.NameIDFormat != gatehouse.NameIDEmail {
		t.Errorf("signing option %q, NameID format %q; want the defaults", tpl.SAML.SigningOption, tpl.SAML.NameIDFormat)
	}
}

// TestTemplateFilesAreTidy keeps the embedded files plain JSON with LF line endings and a final newline.
func TestTemplateFilesAreTidy(t *testing.T) {
	files, _ := filepath.Glob("apps/*.json")
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var v any
		if err := json.Unmarshal(data, &v); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if strings.Contains(string(data), "\r") || !strings.HasSuffix(string(data), "}\n") {
			t.Errorf("%s: want LF line endings and a final newline", f)
		}
	}
}

func FuzzSettings(f *testing.F) {
	g := gallery.MustLoad()
	f.Add("mixpanel", "org_id", "1234567")
	f.Add("gatehouse-demo", "demo_url", "https://demo.example.com:8443/x")
	f.Add("salesforce", "subdomain", "a{b}c")
	f.Add("custom", "", "")
	f.Fuzz(func(t *testing.T, id, name, value string) {
		tpl, err := g.Find(id)
		if err != nil {
			return
		}
		s, _, err := tpl.Settings(map[string]string{name: value})
		if err != nil {
			if gatehouse.ErrorCode(err) != gatehouse.EINVALID {
				t.Fatalf("Settings: %v; want EINVALID", err)
			}
			return
		}
		if err := s.Validate(); err != nil {
			t.Fatalf("Settings returned settings that do not validate: %v", err)
		}
		for _, v := range append([]string{s.EntityID, s.SignOnURL, s.RelayState, s.LogoutURL}, s.ReplyURLs...) {
			if strings.ContainsAny(v, "{} <>") {
				t.Fatalf("setting %q keeps a placeholder, a space or markup", v)
			}
		}
	})
}

func BenchmarkSettings(b *testing.B) {
	tpl, err := gallery.MustLoad().Find("aws-iam-identity-center")
	if err != nil {
		b.Fatal(err)
	}
	params := map[string]string{"region": "eu-west-1", "instance_id": "XYZ"}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := tpl.Settings(params); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLoad(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := gallery.Load(); err != nil {
			b.Fatal(err)
		}
	}
}

// TestTemplateSigningOptions: the custom template signs the response and the assertion, and every vendor template
// states the option its vendor documents in its file, so that a change of the custom default never changes it.
func TestTemplateSigningOptions(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("apps", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("template files: %v %v", files, err)
	}
	g := gallery.MustLoad()
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var file struct {
			ID       string                     `json:"id"`
			Protocol string                     `json:"protocol"`
			SAML     map[string]json.RawMessage `json:"saml"`
		}
		if err := json.Unmarshal(data, &file); err != nil {
			t.Fatal(err)
		}
		if file.Protocol == gatehouse.ProtocolOIDC {
			continue // OpenID Connect templates have no SAML settings
		}
		if _, ok := file.SAML["signingOption"]; !ok {
			t.Errorf("%s does not state its signing option", f)
		}
		tpl, err := g.Find(file.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := gatehouse.SignAssertion // what the vendors of the gallery's apps document
		if file.ID == "custom" {
			want = gatehouse.SignBoth
		}
		if tpl.SAML.SigningOption != want {
			t.Errorf("%s signs %q, want %q", file.ID, tpl.SAML.SigningOption, want)
		}
	}
}
