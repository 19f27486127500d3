package saml

import (
	"bytes"
	"encoding/xml"
	"io"
	"strings"
	"unicode/utf8"
)

// comments says where a document may hold XML comments.
type comments int

const (
	// noComments refuses a comment anywhere, as in protocol messages: exclusive canonicalization drops comments
	// before a signature is computed, so a comment inside a value (an Issuer of https://sp<!---->.example) is a
	// difference between what was signed and what a parser that reads only the first text node sees.
	noComments comments = iota
	// commentsBetweenElements allows comments between elements but not next to an element's text, where they
	// would split a value. SP metadata carries such comments in the wild (Shibboleth SP writes one), and nothing
	// of SP metadata is read as signed content.
	commentsBetweenElements
)

// scanner reads an XML document token by token and checks each token before the caller sees it, so that one set of
// rules and one set of limits (a Limits value) applies to every document the package reads. It refuses, before
// anything interprets the document: text that is not UTF-8; a DOCTYPE or entity declaration; a processing
// instruction other than the XML declaration at the very start; a comment where its comments rule forbids one; an
// element that carries the same attribute twice (by its expanded name, so p:a and q:a with p and q bound to one
// namespace are the same attribute, and so is a namespace prefix declared twice); more than lim.MaxNamespaces
// namespace declarations in the document; more than lim.MaxElements elements; nesting deeper than lim.MaxDepth; an
// attribute value or a text longer than lim.MaxAttrLen; and more than one root element.
type scanner struct {
	d        *xml.Decoder
	lim      Limits
	code     string // the code of malformed input
	field    string // what errors call the document ("SAMLRequest", "metadata")
	comments comments

	depth, elements, namespaces int
	started, rootSeen           bool
	// afterText and afterComment report whether the previous token was text that is not only white space, or a
	// comment: a comment next to text splits it.
	afterText, afterComment bool
	// names is reused to find duplicate attributes on elements with more than 16.
	names map[xml.Name]struct{}
}

// newScanner returns a scanner of raw, or an error when raw is not UTF-8. A byte order mark before the XML
// declaration is skipped: some SPs write one, and it is not content.
func newScanner(raw []byte, lim Limits, code, field string, c comments) (*scanner, error) {
	if !utf8.Valid(raw) {
		return nil, requesterError(code, field, "The %s is not valid UTF-8 text.", field)
	}
	return &scanner{
		d:   xml.NewDecoder(bytes.NewReader(bytes.TrimPrefix(raw, []byte("\ufeff")))),
		lim: lim, code: code, field: field, comments: c,
	}, nil
}

// next returns the next token that passed every check: a StartElement, EndElement, CharData, or (where comments
// are allowed) Comment. At the end of a well-formed document with one root element it returns io.EOF.
func (s *scanner) next() (xml.Token, error) {
	for {
		tok, err := s.d.Token()
		if err == io.EOF {
			if !s.rootSeen {
				return nil, requesterError(s.code, s.field, "The %s holds no XML element.", s.field)
			}
			return nil, io.EOF
		}
		if err != nil {
			e := malformed(s.field, err, "The "+s.field+" is not well-formed XML.")
			e.Code = s.code
			return nil, e
		}
		first := !s.started
		s.started = true
		switch t := tok.(type) {
		case xml.ProcInst:
			if t.Target == "xml" && first {
				continue
			}
			return nil, requesterError(CodeForbiddenDTD, s.field, "The %s contains a processing instruction (<?%s?>), which is not allowed.", s.field, clipName(t.Target))
		case xml.Directive:
			return nil, requesterError(CodeForbiddenDTD, s.field, "The %s contains a DOCTYPE or entity declaration, which is not allowed.", s.field)
		case xml.Comment:
			if s.comments == noComments {
				return nil, requesterError(CodeXMLComment, s.field, "The %s contains an XML comment (<!--…-->), which is not allowed in a SAML message.", s.field)
			}
			if s.afterText {
				return nil, s.splitText()
			}
			s.afterText, s.afterComment = false, true
			return tok, nil
		case xml.StartElement:
			if err := s.start(t); err != nil {
				return nil, err
			}
			s.afterText, s.afterComment = false, false
			return tok, nil
		case xml.EndElement:
			s.depth--
			s.afterText, s.afterComment = false, false
			return tok, nil
		case xml.CharData:
			if len(t) > s.lim.MaxAttrLen {
				return nil, tooLarge(s.field, "An element's text in the %s is more than %d bytes long.", s.field, s.lim.MaxAttrLen)
			}
			if len(bytes.TrimSpace(t)) > 0 {
				if s.afterComment {
					return nil, s.splitText()
				}
				s.afterText = true
			}
			s.afterComment = false
			return tok, nil
		}
	}
}

// splitText is the error of a comment next to an element's text.
func (s *scanner) splitText() error {
	return requesterError(CodeXMLComment, s.field, "The %s has an XML comment inside an element's text, where it would split the value; comments are allowed only between elements.", s.field)
}

// start checks a start element.
func (s *scanner) start(t xml.StartElement) error {
	s.elements++
	s.depth++
	if s.elements > s.lim.MaxElements {
		return tooLarge(s.field, "The %s has more than %d elements.", s.field, s.lim.MaxElements)
	}
	if s.depth > s.lim.MaxDepth {
		return tooLarge(s.field, "The %s nests elements more than %d levels deep.", s.field, s.lim.MaxDepth)
	}
	if s.depth == 1 {
		if s.rootSeen {
			return requesterError(s.code, s.field, "The %s has more than one root element.", s.field)
		}
		s.rootSeen = true
	}
	for _, a := range t.Attr {
		if len(a.Value) > s.lim.MaxAttrLen {
			return tooLarge(s.field, "The attribute %s of <%s> is %d bytes long, more than the %d bytes allowed.",
				clipName(a.Name.Local), clipName(t.Name.Local), len(a.Value), s.lim.MaxAttrLen)
		}
		if a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns") {
			s.namespaces++
			if s.namespaces > s.lim.MaxNamespaces {
				return tooLarge(s.field, "The %s declares more than %d namespaces (xmlns attributes).", s.field, s.lim.MaxNamespaces)
			}
		}
	}
	if dup, ok := s.duplicate(t.Attr); ok {
		return &Error{Code: CodeDuplicateAttribute, Field: s.field, Status: StatusRequester, Received: clipName(dup),
			Message: "The element <" + clipName(t.Name.Local) + "> of the " + s.field + " carries the attribute " + clipName(dup) +
				" more than once; a parser that takes the first and one that takes the last would read different messages."}
	}
	return nil
}

// duplicate returns the name of an attribute that attrs holds twice, if any. Names are compared after namespace
// translation, so p:a and q:a are the same attribute when p and q name the same namespace.
func (s *scanner) duplicate(attrs []xml.Attr) (string, bool) {
	if len(attrs) <= 16 { // at most 120 comparisons; a map costs more below that
		for i := 1; i < len(attrs); i++ {
			for j := range i {
				if attrs[i].Name == attrs[j].Name {
					return attrName(attrs[i].Name), true
				}
			}
		}
		return "", false
	}
	if s.names == nil {
		s.names = make(map[xml.Name]struct{}, len(attrs))
	}
	defer clear(s.names)
	for _, a := range attrs {
		if _, seen := s.names[a.Name]; seen {
			return attrName(a.Name), true
		}
		s.names[a.Name] = struct{}{}
	}
	return "", false
}

// attrName writes an attribute's name for a message: xmlns:p for a namespace declaration, {namespace}local for a
// qualified attribute.
func attrName(n xml.Name) string {
	switch n.Space {
	case "":
		return n.Local
	case "xmlns":
		return "xmlns:" + n.Local
	}
	return "{" + n.Space + "}" + n.Local
}

// clipName shortens a name taken from a document to at most 64 bytes for a message.
func clipName(s string) string {
	if len(s) <= 64 {
		return s
	}
	return strings.ToValidUTF8(s[:64], "") + "…"
}

// scanXML checks the whole of raw with a scanner and returns its root element's name.
func scanXML(raw []byte, lim Limits, code, field string, c comments) (xml.Name, error) {
	s, err := newScanner(raw, lim, code, field, c)
	if err != nil {
		return xml.Name{}, err
	}
	var root xml.Name
	for {
		tok, err := s.next()
		if err == io.EOF {
			return root, nil
		}
		if err != nil {
			return xml.Name{}, err
		}
		if t, ok := tok.(xml.StartElement); ok && s.depth == 1 {
			root = t.Name
		}
	}
}
