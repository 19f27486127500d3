package idp

import (
	"os"
	"regexp"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gatehouse-idp/gatehouse"
)

// TestSignInLabels checks that the metrics labels of a sign-in come from bounded sets whatever the request sent: an
// app ID only for an app that exists, a code only from the known codes.
func TestSignInLabels(t *testing.T) {
	const app = "abcdefghijklmnopqrstuvwxyz"
	for _, tc := range []struct {
		name string
		e    gatehouse.SignInEvent
		want SignInLabels
	}{
		{"Password", gatehouse.SignInEvent{Result: gatehouse.ResultSuccess}, SignInLabels{Result: "success", App: AppNone}},
		{"WrongPassword", gatehouse.SignInEvent{Result: gatehouse.ResultFailure, Code: CodeBadCredentials}, SignInLabels{Result: "failure", App: AppNone, Code: "GH6001"}},
		{"SignOn", gatehouse.SignInEvent{Result: gatehouse.ResultSuccess, AppID: app, AppName: "Wiki"}, SignInLabels{Result: "success", App: app, SignOn: true}},
		{"SignOnRefused", gatehouse.SignInEvent{Result: gatehouse.ResultFailure, AppID: app, AppName: "Wiki", Code: CodeNotAssigned}, SignInLabels{Result: "failure", App: app, Code: "GH5001", SignOn: true}},
		{"AppThatDoesNotExist", gatehouse.SignInEvent{Result: gatehouse.ResultFailure, AppID: "made-up-by-the-client", Code: CodeAppNotFound}, SignInLabels{Result: "failure", App: AppOther, Code: "GH5007", SignOn: true}},
		{"AppIDNotAnID", gatehouse.SignInEvent{Result: gatehouse.ResultFailure, AppID: "<script>", AppName: "x", Code: CodeAppNotFound}, SignInLabels{Result: "failure", App: AppOther, Code: "GH5007", SignOn: true}},
		{"UnknownCode", gatehouse.SignInEvent{Result: gatehouse.ResultFailure, Code: "GH9999"}, SignInLabels{Result: "failure", App: AppNone, Code: CodeOther}},
		{"ApplicationErrorCode", gatehouse.SignInEvent{Result: gatehouse.ResultFailure, Code: gatehouse.EINTERNAL}, SignInLabels{Result: "failure", App: AppNone, Code: "internal"}},
		{"UnknownResult", gatehouse.SignInEvent{Result: "maybe"}, SignInLabels{Result: "failure", App: AppNone}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if d := cmp.Diff(tc.want, signInLabels(&tc.e)); d != "" {
				t.Errorf("labels mismatch (-want +got):\n%s", d)
			}
		})
	}
}

// TestKnownCodesMatchTheDocs checks that KnownCodes holds exactly the GH codes docs/errors.md lists, so that a new
// code gets its own label value once it is documented.
func TestKnownCodesMatchTheDocs(t *testing.T) {
	doc, err := os.ReadFile("../docs/errors.md")
	if err != nil {
		t.Fatal(err)
	}
	var documented []string
	for _, m := range regexp.MustCompile(`(?m)^\| (GH\d{4}) \|`).FindAllStringSubmatch(string(doc), -1) {
		documented = append(documented, m[1])
	}
	var known []string
	for _, c := range KnownCodes {
		if regexp.MustCompile(`^GH\d{4}$`).MatchString(c) {
			known = append(known, c)
		}
	}
	slices.Sort(documented)
	slices.Sort(known)
	if len(documented) < 30 {
		t.Fatalf("only %d codes found in docs/errors.md", len(documented))
	}
	if d := cmp.Diff(documented, known); d != "" {
		t.Errorf("KnownCodes and docs/errors.md differ (-docs +KnownCodes):\n%s", d)
	}
}
