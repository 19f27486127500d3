package textdiff

// Part is a run of characters of a value: Same reports whether the value it was compared with has the run at the
// same place (in their common prefix or suffix).
type Part struct {
	Text string
	Same bool
}

// Split returns a as up to three parts: the prefix it shares with b, the middle where they differ and the suffix
// they share. Equal values are one part that is the Same; empty parts are left out. Runs are cut between
// characters, never inside one.
func Split(a, b string) []Part {
	ra, rb := []rune(a), []rune(b)
	pre := 0
	for pre < len(ra) && pre < len(rb) && ra[pre] == rb[pre] {
		pre++
	}
	suf := 0
	for suf < len(ra)-pre && suf < len(rb)-pre && ra[len(ra)-1-suf] == rb[len(rb)-1-suf] {
		suf++
	}
	var out []Part
	add := func(rs []rune, same bool) {
		if len(rs) > 0 {
			out = append(out, Part{Text: string(rs), Same: same})
		}
	}
	add(ra[:pre], true)
	add(ra[pre:len(ra)-suf], false)
	add(ra[len(ra)-suf:], true)
	return out
}
