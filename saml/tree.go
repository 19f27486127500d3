package saml

import "github.com/beevik/etree"

// tree hands out the elements, attribute lists, child lists and texts of one document from a few blocks, instead
// of one allocation each. Blocks are sliced, never appended to past their capacity, so the pointers it has handed
// out stay valid; when a block runs out, a new one is started. Child and attribute lists get exactly the capacity
// asked for, so a later append by anyone reallocates rather than overwriting a neighbour.
//
// Namespace declarations and attributes are added in canonical order, so that exclusive canonicalization, which
// goxmldsig applies in place to the element it signs, leaves the document as built.
type tree struct {
	elems []etree.Element
	attrs []etree.Attr
	kids  []etree.Token
	texts []etree.CharData
}

// newTree returns a tree with room for the given numbers of elements, attributes, children and texts.
func newTree(elems, attrs, kids, texts int) *tree {
	return &tree{
		elems: make([]etree.Element, 0, elems),
		attrs: make([]etree.Attr, 0, attrs),
		kids:  make([]etree.Token, 0, kids),
		texts: make([]etree.CharData, 0, texts),
	}
}

// element returns a new element space:tag, appended to parent's children unless parent is nil, with room for
// nattr attributes and nchild children.
func (t *tree) element(parent *etree.Element, space, tag string, nattr, nchild int) *etree.Element {
	el := &take(&t.elems, 1)[:1][0]
	el.Space, el.Tag = space, tag
	el.Attr = take(&t.attrs, nattr)
	el.Child = take(&t.kids, nchild)
	if parent != nil {
		parent.AddChild(el)
	}
	return el
}

// text appends s as character data to parent.
func (t *tree) text(parent *etree.Element, s string) {
	cd := &take(&t.texts, 1)[:1][0]
	cd.Data = s
	parent.AddChild(cd)
}

// take returns an empty slice with capacity n cut from the block, starting a new block when it is full.
func take[T any](block *[]T, n int) []T {
	if n == 0 {
		return nil
	}
	if cap(*block)-len(*block) < n {
		*block = make([]T, 0, max(n, 8))
	}
	l := len(*block)
	*block = (*block)[:l+n]
	return (*block)[l:l:(l + n)]
}
