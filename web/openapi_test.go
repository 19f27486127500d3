package web

import (
	"bufio"
	"bytes"
	"regexp"
	"strings"
	"testing"
)

// TestOpenAPICoversEveryRoute checks that every /api/v1 route the server registers is described, with its method,
// in openapi.yaml, and that the document describes no route the server lacks.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	s := &Server{}
	s.routes()
	doc, err := assets.ReadFile("openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	described := map[string]bool{} // "GET /api/v1/..."
	pathRE := regexp.MustCompile(`^  (/api/v1/\S*):\s*$`)
	methodRE := regexp.MustCompile(`^    (get|put|post|patch|delete):\s*$`)
	var path string
	sc := bufio.NewScanner(bytes.NewReader(doc))
	for sc.Scan() {
		line := sc.Text()
		if m := pathRE.FindStringSubmatch(line); m != nil {
			path = m[1]
			continue
		}
		if len(line) > 0 && line[0] != ' ' {
			path = ""
		}
		if m := methodRE.FindStringSubmatch(line); m != nil && path != "" {
			described[strings.ToUpper(m[1])+" "+path] = true
		}
	}
	registered := map[string]bool{}
	for _, p := range s.patterns {
		method, path, ok := strings.Cut(p, " ")
		if !ok || !strings.HasPrefix(path, "/api/v1/") {
			continue
		}
		registered[p] = true
		if !described[method+" "+path] {
			t.Errorf("route %s is not described in openapi.yaml", p)
		}
	}
	for d := range described {
		if !registered[d] {
			t.Errorf("openapi.yaml describes %s, which the server does not serve", d)
		}
	}
	if len(registered) < 40 {
		t.Errorf("only %d API routes registered; the route table was not read", len(registered))
	}
}
