// Package tooltest finds the external programs some tests run (promtool, Prometheus, Python with aiosmtpd). A test
// whose program is missing skips with a loud message, except when the environment variable CI is "true": then it
// fails, so that CI never passes without running it. scripts/test.sh installs them.
package tooltest

import (
	"os"
	"os/exec"
	"testing"
)

// Require returns the path of the program named name (a command looked up in PATH, or an absolute path), or skips
// or fails the test as described above, naming the Debian package that provides it.
func Require(tb testing.TB, name, debianPackage string) string {
	tb.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	Missing(tb, name+" is not installed", debianPackage)
	return ""
}

// Missing skips the test, or fails it when CI is "true", because what it needs is missing.
func Missing(tb testing.TB, what, debianPackage string) {
	tb.Helper()
	if os.Getenv("CI") == "true" {
		tb.Fatalf("%s (Debian package %s), and CI=true requires this test to run: scripts/test.sh installs it", what, debianPackage)
	}
	tb.Skipf("SKIPPING: %s (Debian package %s; scripts/test.sh installs it)", what, debianPackage)
}
