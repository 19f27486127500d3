package web

import (
	"bytes"
	"encoding/base64"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/saml"
)

// The front-channel logout page loads one LogoutRequest per app in its own iframe (iframe.slo: a src for the
// HTTP-Redirect binding, a srcdoc auto-posting form for the HTTP-POST binding), so that an app that fails or hangs
// does not stop the others. When every frame has loaded, or after a few seconds, the page continues: by
// a#slo-continue to a Redirect-binding LogoutResponse or the sign-in page, or by submitting form#slo-done (the
// POST binding). Without JavaScript the same link or button is there to press.
var logoutPage = template.Must(template.New("logout").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="referrer" content="no-referrer"><meta name="robots" content="noindex">
<title>Signing out</title><link rel="stylesheet" href="/static/style.css"></head>
<body><main class="card"><h1>Signing out</h1>
{{if .Frames}}<p>Signing you out of {{len .Frames}} app{{if gt (len .Frames) 1}}s{{end}}:</p><ul id="slo-apps">{{range .Frames}}<li>{{.AppName}}</li>{{end}}</ul>
{{range .Frames}}<iframe class="slo" title="Sign out of {{.AppName}}" width="1" height="1" hidden sandbox="allow-forms allow-scripts allow-same-origin" {{if .URL}}src="{{.URL}}"{{else}}srcdoc="{{.Srcdoc}}"{{end}}></iframe>
{{end}}{{else}}<p>You are signed out.</p>{{end}}
{{if .Form}}<form method="post" action="{{.Form.PostURL}}" id="slo-done"><input type="hidden" name="{{.Form.Param}}" value="{{.Form.Value}}">{{if .Form.RelayState}}<input type="hidden" name="RelayState" value="{{.Form.RelayState}}">{{end}}<button type="submit">Continue</button></form>
{{else}}<p><a id="slo-continue" href="{{.Continue}}">Continue</a></p>{{end}}
</main>
<script nonce="{{.Nonce}}">(function(){var fs=document.querySelectorAll("iframe.slo"),left=0,done=false;function go(){if(done)return;done=true;var f=document.getElementById("slo-done");if(f){f.submit()}else{window.location.assign(document.getElementById("slo-continue").href)}}fs.forEach(function(f){left+=f.hasAttribute("srcdoc")?2:1;f.addEventListener("load",function(){if(--left<=0)go()})});if(left===0)go();setTimeout(go,5000)})();</script>
</body></html>
`))

type logoutFrame struct {
	AppName string
	URL     template.URL
	Srcdoc  string
}

type logoutForm struct {
	PostURL    string
	Param      string
	Value      string
	RelayState string
}

type logoutView struct {
	Nonce    string
	Frames   []logoutFrame
	Form     *logoutForm
	Continue template.URL
}

// writeLogout writes the front-channel logout page for l, ending at the LogoutResponse or at done. Its
// Content-Security-Policy allows frames and form posts to exactly the apps' logout URLs.
func (s *Server) writeLogout(w http.ResponseWriter, r *http.Request, l *idp.Logout, done string) error {
	v := logoutView{Nonce: nonce(r), Continue: template.URL(done)}
	var frameSrc, formAction []string
	add := func(list *[]string, u string) {
		if src := cspSource(u); src != "" && !slices.Contains(*list, src) {
			*list = append(*list, src)
		}
	}
	for _, m := range l.Requests {
		f := logoutFrame{AppName: m.AppName}
		if m.URL != "" {
			f.URL = template.URL(m.URL)
		} else {
			var b bytes.Buffer
			if err := saml.WritePostFormParam(&b, m.PostURL, m.Param, m.Message, m.RelayState, nonce(r)); err != nil {
				s.Logger.Warn("single logout: post form", "app", m.AppID, "err", err)
				continue
			}
			f.Srcdoc = b.String()
			add(&formAction, m.PostURL)
		}
		add(&frameSrc, m.Target())
		v.Frames = append(v.Frames, f)
	}
	if m := l.Response; m != nil {
		if m.URL != "" {
			v.Continue = template.URL(m.URL)
		} else {
			v.Form = &logoutForm{PostURL: m.PostURL, Param: m.Param, Value: base64.StdEncoding.EncodeToString(m.Message), RelayState: m.RelayState}
			add(&formAction, m.PostURL)
		}
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	policy := "default-src 'self'; script-src 'nonce-" + nonce(r) + "'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
	slices.Sort(frameSrc)
	slices.Sort(formAction)
	policy += "; frame-src " + orNone(frameSrc)
	policy += "; form-action " + strings.Join(append([]string{"'self'"}, formAction...), " ")
	h.Set("Content-Security-Policy", policy)
	var b bytes.Buffer
	if err := logoutPage.Execute(&b, v); err != nil {
		return err
	}
	_, err := w.Write(b.Bytes())
	return err
}

// cspSource returns a CSP source expression that matches exactly the URL u without its query: scheme, host and
// path. Characters a policy cannot hold make it "".
func cspSource(u string) string {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return ""
	}
	src := p.Scheme + "://" + p.Host + p.EscapedPath()
	if strings.ContainsAny(src, " ;,'\"\t\r\n") {
		return ""
	}
	return src
}

func orNone(list []string) string {
	if len(list) == 0 {
		return "'none'"
	}
	return strings.Join(list, " ")
}

// writeNotice writes a short page that Gatehouse's own pages may frame: the answer to an app's LogoutResponse in
// its logout frame.
func writeNotice(w http.ResponseWriter, n *idp.Notice) error {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "SAMEORIGIN")
	h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'self'")
	w.WriteHeader(n.Status)
	_, err := w.Write([]byte("<!DOCTYPE html><title>Signed out</title><p>" + template.HTMLEscapeString(n.Text) + "</p>\n"))
	return err
}

// idpLogout serves the IdP-initiated single logout: it ends the browser's session, clears the cookie and sends a
// LogoutRequest to each app the session signed in to, then continues to the sign-in page.
func (s *Server) idpLogout(w http.ResponseWriter, r *http.Request) error {
	dir := r.PathValue("dir")
	done := "/d/" + url.PathEscape(dir) + "/login"
	if handled, err := s.frontChannelLogout(w, r, done); err != nil || handled {
		return err
	}
	return s.writeLogout(w, r, &idp.Logout{}, done)
}

// frontChannelLogout ends the browser's session and clears its cookie; when apps of the session have a logout URL
// it writes the logout page that sends them LogoutRequests and then goes to done, and reports true. With nothing to
// propagate it writes nothing and reports false, so a sign-out handler can answer as it always does:
//
//	if handled, err := s.frontChannelLogout(w, r, doneURL); err != nil || handled {
//		return err
//	}
func (s *Server) frontChannelLogout(w http.ResponseWriter, r *http.Request, done string) (bool, error) {
	l, err := s.Service.IdPLogout(r.Context(), r.PathValue("dir"), s.sessionToken(r))
	if err != nil {
		return false, err
	}
	s.clearSessionCookie(w)
	if len(l.Requests) == 0 {
		return false, nil
	}
	return true, s.writeLogout(w, r, l, done)
}
