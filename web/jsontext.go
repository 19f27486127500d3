package web

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gatehouse-idp/gatehouse"
)

// checkJSONText returns EINVALID, naming the field, when a string of the JSON document data (a value or a field
// name) is not Unicode text: it holds bytes that are not UTF-8, or an escaped lone surrogate such as \ud800.
// encoding/json would replace either with U+FFFD without a word, and the API would store what nobody sent. Syntax
// errors are left to the decoder, which names them.
func checkJSONText(data []byte) error {
	if utf8.Valid(data) && !bytes.Contains(data, []byte(`\u`)) {
		return nil // the common case: nothing to replace
	}
	// Each frame is an object or array being read: its field name or index is part of the path.
	type frame struct {
		object  bool
		key     string
		index   int
		wantKey bool
	}
	var stack []frame
	pathOf := func(frames []frame) string {
		var b strings.Builder
		for _, f := range frames {
			switch {
			case f.object && b.Len() > 0:
				b.WriteString("." + f.key)
			case f.object:
				b.WriteString(f.key)
			default:
				b.WriteString("[" + strconv.Itoa(f.index) + "]")
			}
		}
		return b.String()
	}
	// next moves the innermost object or array past the value just read.
	next := func() {
		if n := len(stack); n > 0 {
			if stack[n-1].object {
				stack[n-1].wantKey = true
			} else {
				stack[n-1].index++
			}
		}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	for {
		start := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return nil // the end, or a syntax error for the decoder to report
		}
		top := len(stack) - 1
		isKey := top >= 0 && stack[top].object && stack[top].wantKey
		if s, ok := tok.(string); ok {
			text := isText(data[start:dec.InputOffset()], s)
			switch {
			case isKey && !text:
				return gatehouse.FieldErrorf(pathOf(stack[:top]), "A field name in the request body is not valid UTF-8 text. Send the body in UTF-8.")
			case isKey:
				stack[top].key, stack[top].wantKey = s, false
				continue
			case !text && len(stack) == 0:
				return gatehouse.Errorf(gatehouse.EINVALID, "The request body is not valid UTF-8 text. Send it in UTF-8.")
			case !text:
				field := pathOf(stack)
				return gatehouse.FieldErrorf(field, "%s is not valid UTF-8 text: it holds bytes that are not UTF-8 characters. Send the request body in UTF-8.", field)
			}
			next()
			continue
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, frame{object: true, wantKey: true})
		case json.Delim('['):
			stack = append(stack, frame{})
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:top]
			next()
		default:
			next()
		}
	}
}

// isText reports whether raw, the bytes a JSON string was decoded from (with the separators before it), is Unicode
// text: valid UTF-8 whose every U+FFFD in decoded was sent as one, not made up for a lone surrogate escape.
func isText(raw []byte, decoded string) bool {
	if !utf8.Valid(raw) {
		return false
	}
	replaced := strings.Count(decoded, "\uFFFD")
	if replaced == 0 {
		return true
	}
	lower := bytes.ToLower(raw)
	sent := bytes.Count(raw, []byte("\uFFFD")) + bytes.Count(lower, []byte(`\ufffd`))
	return replaced <= sent
}
