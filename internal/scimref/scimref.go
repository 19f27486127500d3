// Package scimref runs independent SCIM implementations from npm — scim-patch (PATCH), scim2-parse-filter
// (filters) and scimmy (schema validation) — for Gatehouse's differential tests. The packages are installed from
// testdata's lockfile with npm ci into the user's cache directory, once per lockfile, as scripts/test.sh does.
// Without Node.js the tests that need it skip with a loud message, and fail when CI is "true".
package scimref

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/gatehouse-idp/gatehouse/internal/tooltest"
)

// Ref is a running reference process. Its methods may be called from several goroutines.
type Ref struct {
	// mu guards the process's pipes: one request and its answer at a time.
	mu  sync.Mutex
	in  io.Writer
	out *bufio.Reader
}

var (
	once    sync.Once
	shared  *Ref
	initErr error
)

// Dir returns the directory holding reference.mjs and its package files.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "testdata")
}

// Get returns the reference process, starting it on first use; it skips the test when Node.js or npm is missing
// (fails under CI=true).
func Get(tb testing.TB) *Ref {
	tb.Helper()
	node, err := exec.LookPath("node")
	if err == nil {
		_, err = exec.LookPath("npm")
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("scimref: node and npm are required under CI=true (scripts/test.sh installs them): %v", err)
		}
		tb.Skipf("scimref: SKIPPING the SCIM differential checks: node or npm is not installed: %v", err)
	}
	once.Do(func() { shared, initErr = start(node) })
	if initErr != nil {
		tb.Fatalf("scimref: %v", initErr)
	}
	return shared
}

// Modules installs the packages with npm ci, once per lockfile, and returns their node_modules directory.
func Modules() (string, error) {
	return tooltest.NPMInstall(Dir(), "gatehouse-scim/reference", "scimmy/package.json")
}

func start(node string) (*Ref, error) {
	modules, err := Modules()
	if err != nil {
		return nil, err
	}
	// An ES module resolves packages from its own directory upwards, so the script runs from a copy beside
	// node_modules.
	script, err := os.ReadFile(filepath.Join(Dir(), "reference.mjs"))
	if err != nil {
		return nil, err
	}
	path := filepath.Join(filepath.Dir(modules), "reference.mjs")
	if err := os.WriteFile(path, script, 0o644); err != nil {
		return nil, err
	}
	cmd := exec.Command(node, path)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return &Ref{in: in, out: bufio.NewReaderSize(out, 1<<20)}, nil
}

// call sends one request and returns the reference's result, or its error message as refErr.
func (r *Ref) call(req map[string]any) (result json.RawMessage, refErr string, err error) {
	b, err := json.Marshal(req)
	if err != nil {
		return nil, "", err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, err := r.in.Write(append(b, '\n')); err != nil {
		return nil, "", err
	}
	line, err := r.out.ReadBytes('\n')
	if err != nil {
		return nil, "", fmt.Errorf("scimref: read answer: %w", err)
	}
	var a struct {
		Result json.RawMessage `json:"result"`
		Error  string          `json:"error"`
	}
	if err := json.Unmarshal(line, &a); err != nil {
		return nil, "", err
	}
	return a.Result, a.Error, nil
}

// Patch applies a PatchOp body to resource with scim-patch and returns the result, or scim-patch's error message.
func (r *Ref) Patch(tb testing.TB, resource map[string]any, patch any) (map[string]any, string) {
	tb.Helper()
	res, refErr, err := r.call(map[string]any{"op": "patch", "resource": resource, "patch": patch})
	if err != nil {
		tb.Fatal(err)
	}
	if refErr != "" {
		return nil, refErr
	}
	var out map[string]any
	if err := json.Unmarshal(res, &out); err != nil {
		tb.Fatal(err)
	}
	return out, ""
}

// ParseFilter parses a filter with scim2-parse-filter and returns its syntax tree, or the parser's error.
func (r *Ref) ParseFilter(tb testing.TB, f string) (any, string) {
	tb.Helper()
	res, refErr, err := r.call(map[string]any{"op": "parse", "filter": f})
	if err != nil {
		tb.Fatal(err)
	}
	var out any
	if refErr == "" {
		_ = json.Unmarshal(res, &out)
	}
	return out, refErr
}

// Match returns the indexes of the resources the filter matches, evaluated by scim2-parse-filter.
func (r *Ref) Match(tb testing.TB, f string, resources []map[string]any) ([]int, string) {
	tb.Helper()
	res, refErr, err := r.call(map[string]any{"op": "match", "filter": f, "resources": resources})
	if err != nil {
		tb.Fatal(err)
	}
	var out []int
	if refErr == "" {
		_ = json.Unmarshal(res, &out)
	}
	return out, refErr
}

// Validate coerces resource of type typ ("User" or "Group") with scimmy's core schema definitions and returns the
// coerced resource, or scimmy's error.
func (r *Ref) Validate(tb testing.TB, typ string, resource map[string]any) (map[string]any, string) {
	tb.Helper()
	res, refErr, err := r.call(map[string]any{"op": "validate", "type": typ, "resource": resource})
	if err != nil {
		tb.Fatal(err)
	}
	var out map[string]any
	if refErr == "" {
		_ = json.Unmarshal(res, &out)
	}
	return out, refErr
}
