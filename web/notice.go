package web

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"time"
)

// A notice is what the page after a change says about it: every portal form posts, changes something and
// redirects (POST/redirect/GET), and the page it lands on shows the notice once, so that reloading it neither
// repeats the change nor the message. A temporary password travels the same way to the one page that shows it.
//
// The notice rides in a cookie sealed (AES-256-GCM) with a key derived from the browser's session token, which the
// server never stores: only the browser that made the change can have it read, only while its session lasts, and
// nobody can forge one. It expires after noticeTTL and is cleared when a page shows it.
type notice struct {
	// Kind is "" for a change that was made, or "warn" for one that was made but needs attention.
	Kind string `json:"k,omitempty"`
	// Section is the id of the part of the page the notice belongs beside (a card of the Single sign-on page); ""
	// puts it at the top of the page.
	Section string `json:"s,omitempty"`
	Message string `json:"m"`
	// Details are lines under the message, such as what a metadata import changed.
	Details []string `json:"d,omitempty"`
	// Warnings are lines that need attention, shown as such even when Kind is "".
	Warnings []string `json:"w,omitempty"`
	// Password is a temporary password, shown once on the page of the user PasswordUser.
	Password     string `json:"p,omitempty"`
	PasswordUser string `json:"u,omitempty"`
	// At is when the notice was made, in Unix seconds.
	At int64 `json:"t"`
}

const (
	// noticeTTL bounds how long a notice waits for its page.
	noticeTTL = 5 * time.Minute
	// maxNoticeLines bounds Details and Warnings, so that the cookie stays well under browsers' 4 KiB.
	maxNoticeLines = 8
	// maxNoticeLine bounds each line in bytes.
	maxNoticeLine = 200
)

// noticeCookie returns the notice cookie's name: __Host- prefixed on https, as the session cookie is.
func (s *Server) noticeCookie() string {
	if s.secure {
		return "__Host-gatehouse_notice"
	}
	return "gatehouse_notice"
}

// noticeAEAD returns the cipher of a session's notices.
func noticeAEAD(sessionToken string) (cipher.AEAD, error) {
	key, err := hkdf.Key(sha256.New, []byte(sessionToken), nil, "gatehouse notice v1", 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// clip returns lines cut to maxNoticeLines lines of at most maxNoticeLine bytes each.
func clip(lines []string) []string {
	if len(lines) > maxNoticeLines {
		lines = append(lines[:maxNoticeLines-1:maxNoticeLines-1], "…")
	}
	for i, l := range lines {
		if len(l) > maxNoticeLine {
			lines[i] = truncate(l, maxNoticeLine)
		}
	}
	return lines
}

// truncate cuts s to at most n bytes on a rune boundary, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "…"
}

// notify sets the notice the next page of the request's session shows. Without a session there is no one to tell,
// and nothing is set.
func (s *Server) notify(w http.ResponseWriter, r *http.Request, n notice) {
	token := s.sessionToken(r)
	if token == "" {
		return
	}
	n.Message = truncate(n.Message, 2*maxNoticeLine)
	n.Details, n.Warnings = clip(n.Details), clip(n.Warnings)
	n.At = time.Now().Unix()
	plain, err := json.Marshal(n)
	if err != nil {
		return
	}
	aead, err := noticeAEAD(token)
	if err != nil {
		return
	}
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return
	}
	sealed := aead.Seal(nonce, nonce, plain, []byte(s.noticeCookie()))
	http.SetCookie(w, &http.Cookie{Name: s.noticeCookie(), Value: base64.RawURLEncoding.EncodeToString(sealed), Path: "/",
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode, MaxAge: int(noticeTTL.Seconds())})
}

// noticeSlot keeps the notice a request took, so that the handler and the page it renders see the same one.
type noticeSlot struct {
	taken  bool
	notice *notice
}

// takeNotice returns the request's notice and clears its cookie, or returns nil when there is none that this
// session sealed within noticeTTL. Later calls for the same request return the same notice.
func (s *Server) takeNotice(w http.ResponseWriter, r *http.Request) *notice {
	slot, _ := r.Context().Value(noticeKey).(*noticeSlot)
	if slot == nil {
		return s.openNotice(w, r)
	}
	if !slot.taken {
		slot.taken, slot.notice = true, s.openNotice(w, r)
	}
	return slot.notice
}

func (s *Server) openNotice(w http.ResponseWriter, r *http.Request) *notice {
	c, err := r.Cookie(s.noticeCookie())
	if err != nil {
		return nil
	}
	http.SetCookie(w, &http.Cookie{Name: s.noticeCookie(), Value: "", Path: "/", HttpOnly: true, Secure: s.secure,
		SameSite: http.SameSiteLaxMode, MaxAge: -1})
	token := s.sessionToken(r)
	sealed, err := base64.RawURLEncoding.DecodeString(c.Value)
	if token == "" || err != nil {
		return nil
	}
	aead, err := noticeAEAD(token)
	if err != nil || len(sealed) < aead.NonceSize() {
		return nil
	}
	plain, err := aead.Open(nil, sealed[:aead.NonceSize()], sealed[aead.NonceSize():], []byte(s.noticeCookie()))
	if err != nil {
		return nil
	}
	var n notice
	if json.Unmarshal(plain, &n) != nil {
		return nil
	}
	if age := time.Since(time.Unix(n.At, 0)); age < -time.Minute || age > noticeTTL {
		return nil
	}
	return &n
}

// done redirects to a page after a change, which shows message at the top.
func (s *Server) done(w http.ResponseWriter, r *http.Request, to, message string, warnings ...string) error {
	n := notice{Message: message, Warnings: warnings}
	if len(warnings) > 0 {
		n.Kind = "warn"
	}
	s.notify(w, r, n)
	return redirect(w, r, to)
}
