package saml

import (
	"bytes"
	"encoding/xml"
	"io"
	"unicode/utf8"
)

// scanXML reads raw once, token by token, and refuses it before anything interprets it when it is not UTF-8, holds
// a DOCTYPE, an entity declaration or a processing instruction other than the XML declaration, nests deeper than
// lim.MaxDepth, has more than lim.MaxElements elements, an attribute or a text longer than lim.MaxAttrLen, or more
// than one root element. It returns the root element's name. code is the error code of malformed input and field
// the field errors name.
func scanXML(raw []byte, lim Limits, code, field string) (xml.Name, error) {
	if !utf8.Valid(raw) {
		return xml.Name{}, requesterError(code, field, "The %s is not valid UTF-8 text.", field)
	}
	d := xml.NewDecoder(bytes.NewReader(bytes.TrimPrefix(raw, []byte("\ufeff"))))
	var (
		root            xml.Name
		depth, elements int
		first           = true
	)
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			e := malformed(field, err, "The "+field+" is not well-formed XML.")
			e.Code = code
			return xml.Name{}, e
		}
		wasFirst := first
		first = false
		switch t := tok.(type) {
		case xml.ProcInst:
			if t.Target == "xml" && wasFirst {
				continue
			}
			return xml.Name{}, requesterError(CodeForbiddenDTD, field, "The %s contains a processing instruction (<?%s?>), which is not allowed.", field, t.Target)
		case xml.Directive:
			return xml.Name{}, requesterError(CodeForbiddenDTD, field, "The %s contains a DOCTYPE or entity declaration, which is not allowed.", field)
		case xml.StartElement:
			elements++
			depth++
			if elements > lim.MaxElements {
				return xml.Name{}, tooLarge(field, "The %s has more than %d elements.", field, lim.MaxElements)
			}
			if depth > lim.MaxDepth {
				return xml.Name{}, tooLarge(field, "The %s nests elements more than %d levels deep.", field, lim.MaxDepth)
			}
			for _, a := range t.Attr {
				if len(a.Value) > lim.MaxAttrLen {
					return xml.Name{}, tooLarge(field, "The attribute %s of <%s> is %d bytes long, more than the %d bytes allowed.", a.Name.Local, t.Name.Local, len(a.Value), lim.MaxAttrLen)
				}
			}
			if depth == 1 {
				if elements > 1 {
					return xml.Name{}, requesterError(code, field, "The %s has more than one root element.", field)
				}
				root = t.Name
			}
		case xml.EndElement:
			depth--
		case xml.CharData:
			if len(t) > lim.MaxAttrLen {
				return xml.Name{}, tooLarge(field, "An element's text in the %s is more than %d bytes long.", field, lim.MaxAttrLen)
			}
		}
	}
	if elements == 0 {
		return xml.Name{}, requesterError(code, field, "The %s holds no XML element.", field)
	}
	return root, nil
}
