package gallery

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/gatehouse-idp/gatehouse"
)

// MaxValueLength is the longest parameter value in bytes.
const MaxValueLength = 256

// field is the value of one SAML setting that may hold placeholders, with the setting's JSON name.
type field struct {
	field string
	value string
}

// placeholderFields lists the settings that may hold placeholders, reply URLs once per URL.
func (t *Template) placeholderFields() []field {
	s := &t.SAML
	fs := []field{{"entityId", s.EntityID}}
	for _, u := range s.ReplyURLs {
		fs = append(fs, field{"replyUrls", u})
	}
	return append(fs, field{"signOnUrl", s.SignOnURL}, field{"relayState", s.RelayState}, field{"logoutUrl", s.LogoutURL})
}

// placeholders returns the parameter names referred to in s as {name}, in order.
func placeholders(s string) ([]string, error) {
	var names []string
	for {
		open := strings.IndexAny(s, "{}")
		if open < 0 {
			return names, nil
		}
		if s[open] == '}' {
			return nil, errors.New("a '}' closes no placeholder")
		}
		end := strings.IndexAny(s[open+1:], "{}")
		if end < 0 || s[open+1+end] == '{' {
			return nil, errors.New("a '{' is not closed by '}'")
		}
		name := s[open+1 : open+1+end]
		if !parameterName.MatchString(name) {
			return nil, fmt.Errorf("placeholder {%s} is not a parameter name", name)
		}
		names = append(names, name)
		s = s[open+1+end+1:]
	}
}

// substitute replaces the placeholders of s with values; ok is false if one has no value. Values hold no braces
// (checkValue), so a substituted value is never read as a placeholder.
func substitute(s string, values map[string]string) (string, bool) {
	names, err := placeholders(s)
	if err != nil {
		return "", false
	}
	for _, n := range names {
		v := values[n]
		if v == "" {
			return "", false
		}
		s = strings.Replace(s, "{"+n+"}", v, 1)
	}
	return s, true
}

// checkValue returns why v cannot be a parameter value, or nil.
func checkValue(v string) error {
	switch {
	case len(v) > MaxValueLength:
		return fmt.Errorf("is longer than %d bytes", MaxValueLength)
	case strings.ContainsFunc(v, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) || r == '\uFFFD' }):
		return errors.New("may not contain spaces or control characters")
	case strings.ContainsAny(v, "{}<>\"'`\\"):
		return errors.New("may not contain any of { } < > \" ' ` \\")
	}
	return nil
}

// Settings returns the template's SAML settings with its placeholders filled from params, or from the parameters'
// defaults where params gives no (or an empty) value. A setting whose placeholders cannot all be filled is left
// empty (an unfilled reply URL is dropped) and its JSON name ("entityId", "replyUrls", "signOnUrl", "relayState",
// "logoutUrl") is listed in missing, once, so the administrator knows what to complete. An unknown parameter name or
// a bad value (spaces, control characters, markup or over MaxValueLength bytes) is EINVALID with the field
// "parameters.<name>"; settings that do not pass gatehouse.SAMLSettings.Validate with the values given are
// EINVALID naming the setting.
func (t *Template) Settings(params map[string]string) (settings gatehouse.SAMLSettings, missing []string, err error) {
	if t.Protocol == gatehouse.ProtocolOIDC {
		return settings, nil, gatehouse.Errorf(gatehouse.EINVALID, "%s is an OpenID Connect app, not a SAML app.", t.Name)
	}
	values, err := t.values(params)
	if err != nil {
		return settings, nil, err
	}
	settings = t.clone().SAML
	fill := func(jsonName string, s string) string {
		out, ok := substitute(s, values)
		if !ok && !slices.Contains(missing, jsonName) {
			missing = append(missing, jsonName)
		}
		return out
	}
	settings.EntityID = fill("entityId", settings.EntityID)
	urls := make([]string, 0, len(settings.ReplyURLs))
	for _, u := range settings.ReplyURLs {
		if u = fill("replyUrls", u); u != "" {
			urls = append(urls, u)
		}
	}
	settings.ReplyURLs = urls
	settings.SignOnURL = fill("signOnUrl", settings.SignOnURL)
	settings.RelayState = fill("relayState", settings.RelayState)
	settings.LogoutURL = fill("logoutUrl", settings.LogoutURL)
	if err := settings.Validate(); err != nil {
		return gatehouse.SAMLSettings{}, nil, err
	}
	return settings, missing, nil
}

// values returns the value of each of the template's parameters: from params, or the parameter's default where
// params gives none (or an empty one). An unknown parameter name or a bad value is EINVALID with the field
// "parameters.<name>".
func (t *Template) values(params map[string]string) (map[string]string, error) {
	values := map[string]string{}
	for _, p := range t.Parameters {
		values[p.Name] = p.Default
	}
	for _, name := range sortedKeys(params) {
		v := params[name]
		if _, ok := values[name]; !ok {
			name = shorten(name)
			return nil, &gatehouse.Error{Code: gatehouse.EINVALID, Field: "parameters." + name,
				Message: fmt.Sprintf("%s has no parameter %q; %s.", t.Name, name, t.parameterList())}
		}
		if v == "" {
			continue
		}
		if err := checkValue(v); err != nil {
			return nil, &gatehouse.Error{Code: gatehouse.EINVALID, Field: "parameters." + name,
				Message: fmt.Sprintf("%s (%s) %v.", t.label(name), name, err)}
		}
		values[name] = v
	}
	return values, nil
}

// shorten cuts an untrusted name to 64 bytes for messages.
func shorten(s string) string {
	if len(s) <= 64 {
		return s
	}
	return strings.ToValidUTF8(s[:64], "") + "..."
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// parameterList describes the template's parameters for an error message.
func (t *Template) parameterList() string {
	if len(t.Parameters) == 0 {
		return "it takes no parameters"
	}
	names := make([]string, len(t.Parameters))
	for i, p := range t.Parameters {
		names[i] = p.Name
	}
	return "it takes " + strings.Join(names, ", ")
}

func (t *Template) label(name string) string {
	for _, p := range t.Parameters {
		if p.Name == name {
			return p.Label
		}
	}
	return name
}
