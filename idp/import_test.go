package idp_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/internal/testserver"
	"github.com/gatehouse-idp/gatehouse/password"
	"github.com/gatehouse-idp/gatehouse/sqlite"
)

// importErr is an ImportError without its message, which the tests check separately where it matters.
type importErr struct {
	Line           int
	UserName, Code string
	Field          string
}

func importErrs(res *idp.ImportResult) []importErr {
	var out []importErr
	for _, e := range res.Errors {
		out = append(out, importErr{e.Line, e.UserName, e.Code, e.Field})
	}
	return out
}

// userNames returns the user names of the directory's users, in order.
func (w *authWorld) userNames(t *testing.T) []string {
	t.Helper()
	us, _, err := w.store.FindUsers(context.Background(), gatehouse.DefaultDirectoryID, gatehouse.UserFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, u := range us {
		names = append(names, u.UserName)
	}
	return names
}

// TestImportUsers imports files with good and bad rows: every valid row is created, and every invalid one is
// listed with the line it starts on, its user name, code and field.
func TestImportUsers(t *testing.T) {
	tests := []struct {
		name    string
		format  idp.ImportFormat
		file    string
		created []string
		errs    []importErr
	}{
		{
			name: "csv", format: idp.ImportCSV,
			file: "userName,firstName,lastName,mail,role,disabled\n" +
				"adele.vance@contoso.com,Adele,Vance,adele.vance@contoso.com,user,\n" +
				"not a user name,No,Name,,user,\n" + // line 3
				"alex.wilber@contoso.com,Alex,Wilber,,app-admin,true\n" +
				"ADELE.VANCE@contoso.com,Adele,Again,,user,\n" + // line 5: taken by line 2
				"b.simon@contoso.com,B,Simon,,user,\n" + // line 6: an existing user
				"diego@contoso.com,Diego,Siciliani,,owner,\n" + // line 7: no such role
				"grady@contoso.com,Grady,,,user,maybe\n" + // line 8
				"henrietta@contoso.com,Henrietta\n" + // line 9: too few fields
				"\"isaiah@contoso.com\",\"Isaiah\nLanger\",Langer,,user,\n" + // lines 10-11: a line break in a field
				"johanna@contoso.com,Johanna,Lorenz,not-mail,user,\n" + // line 12
				"\n" +
				"lee@contoso.com,Lee,Gu,,,false\n", // line 14
			created: []string{"adele.vance@contoso.com", "alex.wilber@contoso.com", "lee@contoso.com"},
			errs: []importErr{
				{3, "not a user name", gatehouse.EINVALID, "userName"},
				{5, "ADELE.VANCE@contoso.com", gatehouse.ECONFLICT, "userName"},
				{6, "b.simon@contoso.com", gatehouse.ECONFLICT, "userName"},
				{7, "diego@contoso.com", gatehouse.EINVALID, "role"},
				{8, "grady@contoso.com", gatehouse.EINVALID, "disabled"},
				{9, "", gatehouse.EINVALID, ""},
				{10, "isaiah@contoso.com", gatehouse.EINVALID, "firstName"},
				{12, "johanna@contoso.com", gatehouse.EINVALID, "mail"},
			},
		},
		{
			name: "csv with a byte order mark, columns in any order and case", format: idp.ImportCSV,
			file:    "\ufeffMail, USERNAME ,displayname\r\nmegan@contoso.com,megan@contoso.com,Megan Bowen\r\n",
			created: []string{"megan@contoso.com"},
		},
		{
			name: "csv syntax error", format: idp.ImportCSV,
			file: "userName,lastName\n" +
				"nestor@contoso.com,Wil\"kes\n" + // line 2: a bare quote
				"patti@contoso.com,Fernandez\n",
			created: []string{"patti@contoso.com"},
			errs:    []importErr{{2, "", gatehouse.EINVALID, ""}},
		},
		{
			name: "csv invalid utf-8", format: idp.ImportCSV,
			file:    "userName,lastName\npradeep@contoso.com,Gupta\xff\nraul@contoso.com,Razo\n",
			created: []string{"raul@contoso.com"},
			errs:    []importErr{{2, "pradeep@contoso.com", gatehouse.EINVALID, ""}},
		},
		{
			name: "json lines", format: idp.ImportJSONL,
			file: `{"userName":"adele.vance@contoso.com","firstName":"Adele","lastName":"Vance"}` + "\n" +
				"\n" +
				`{"userName":"alex.wilber@contoso.com","role":"user-admin","disabled":true}` + "\r\n" +
				`{"userName":"bad name"}` + "\n" + // line 4
				`{"userName":"grady@contoso.com","shoeSize":44}` + "\n" + // line 5
				`{"userName":"henrietta@contoso.com"` + "\n" + // line 6
				`["isaiah@contoso.com"]` + "\n" + // line 7
				`{"userName":"johanna@contoso.com"} {"userName":"lee@contoso.com"}` + "\n" + // line 8
				`{"userName":"megan@contoso.com","disabled":"yes"}` + "\n" + // line 9
				`{"userName":"nestor@contoso.com","mail":"nestor@contoso.com"}`, // line 10, no final newline
			created: []string{"adele.vance@contoso.com", "alex.wilber@contoso.com", "nestor@contoso.com"},
			errs: []importErr{
				{4, "bad name", gatehouse.EINVALID, "userName"},
				{5, "", gatehouse.EINVALID, ""},
				{6, "", gatehouse.EINVALID, ""},
				{7, "", gatehouse.EINVALID, ""},
				{8, "", gatehouse.EINVALID, ""},
				{9, "", gatehouse.EINVALID, ""},
			},
		},
		{
			name: "json line over 64 KiB", format: idp.ImportJSONL,
			file: `{"userName":"adele.vance@contoso.com"}` + "\n" +
				`{"userName":"alex.wilber@contoso.com","lastName":"` + strings.Repeat("x", 70<<10) + `"}` + "\n" +
				`{"userName":"lee@contoso.com"}` + "\n",
			created: []string{"adele.vance@contoso.com", "lee@contoso.com"},
			errs:    []importErr{{2, "", gatehouse.EINVALID, ""}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newAuthWorld(t)
			before := w.userNames(t)
			res, err := w.svc.ImportUsers(context.Background(), w.admin, gatehouse.DefaultDirectoryID, tt.format, strings.NewReader(tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.errs, importErrs(res)); diff != "" {
				t.Errorf("refused rows mismatch (-want +got):\n%s\n%+v", diff, res.Errors)
			}
			if res.Created != len(tt.created) || res.Failed != len(tt.errs) {
				t.Errorf("created %d, failed %d; want %d, %d", res.Created, res.Failed, len(tt.created), len(tt.errs))
			}
			for _, e := range res.Errors {
				if e.Message == "" || e.Code == gatehouse.EINTERNAL {
					t.Errorf("line %d: error %+v lacks a message a person can act on", e.Line, e)
				}
			}
			var after []string
			for _, n := range w.userNames(t) {
				if !contains(before, n) {
					after = append(after, n)
				}
			}
			if diff := cmp.Diff(tt.created, after); diff != "" {
				t.Errorf("created users mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// TestImportUsersFields checks what an imported user is: the fields of the row, defaults for the rest, no password
// hash without a password (so no password signs in until an admin resets it), and a temporary password when the
// row has one.
func TestImportUsersFields(t *testing.T) {
	w := newAuthWorld(t)
	ctx := context.Background()
	file := "userName,firstName,lastName,mail,role,disabled,password\n" +
		"adele.vance@contoso.com,Adele,Vance,adele@contoso.com,user-admin,,\n" +
		"alex@contoso.com,,,,,true,\n" +
		"megan@contoso.com,Megan,Bowen,,,,Initial-Passw0rd-42\n" +
		"lee@contoso.com,Lee,Gu,,,,short\n"
	res, err := w.svc.ImportUsers(ctx, w.admin, gatehouse.DefaultDirectoryID, idp.ImportCSV, strings.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]importErr{{5, "lee@contoso.com", gatehouse.EINVALID, "password"}}, importErrs(res)); diff != "" {
		t.Errorf("refused rows mismatch (-want +got):\n%s", diff)
	}
	find := func(name string) *gatehouse.User {
		t.Helper()
		u, err := w.store.FindUserByName(ctx, gatehouse.DefaultDirectoryID, name)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	adele, alex, megan := find("adele.vance@contoso.com"), find("alex@contoso.com"), find("megan@contoso.com")
	type fields struct {
		First, Last, Display, Mail string
		Role                       gatehouse.Role
		Disabled, MustChange, Hash bool
	}
	got := func(u *gatehouse.User) fields {
		return fields{u.FirstName, u.LastName, u.DisplayName, u.Mail, u.Role, u.Disabled, u.MustChangePassword, u.PasswordHash != ""}
	}
	for _, tc := range []struct {
		u    *gatehouse.User
		want fields
	}{
		{adele, fields{"Adele", "Vance", "Adele Vance", "adele@contoso.com", gatehouse.RoleUserAdmin, false, false, false}},
		{alex, fields{"", "", "alex@contoso.com", "", gatehouse.RoleUser, true, false, false}},
		{megan, fields{"Megan", "Bowen", "Megan Bowen", "", gatehouse.RoleUser, false, true, true}},
	} {
		if diff := cmp.Diff(tc.want, got(tc.u)); diff != "" {
			t.Errorf("%s mismatch (-want +got):\n%s", tc.u.UserName, diff)
		}
		if !gatehouse.ValidID(tc.u.ID) || tc.u.CreatedAt.IsZero() {
			t.Errorf("%s: ID %q, created %v", tc.u.UserName, tc.u.ID, tc.u.CreatedAt)
		}
	}

	// No password signs Adele in, not even an empty one, until an admin gives her a temporary password.
	for _, pw := range []string{"", "anything-at-all-1A"} {
		if _, err := w.svc.Authenticate(from("198.51.100.20"), gatehouse.DefaultDirectoryID, adele.UserName, pw); gatehouse.ErrorCode(err) != gatehouse.EUNAUTHORIZED {
			t.Errorf("sign-in without a password with %q: %v; want EUNAUTHORIZED", pw, err)
		}
	}
	_, temp, err := w.svc.ResetPassword(ctx, w.admin, gatehouse.DefaultDirectoryID, adele.ID)
	if err != nil {
		t.Fatal(err)
	}
	if u, err := w.svc.Authenticate(from("198.51.100.21"), gatehouse.DefaultDirectoryID, adele.UserName, temp); err != nil || !u.MustChangePassword {
		t.Errorf("sign-in with the reset password: %v, %v; want a sign-in that must change the password", u, err)
	}
	// Megan signs in with the imported password and must change it.
	if u, err := w.svc.Authenticate(from("198.51.100.22"), gatehouse.DefaultDirectoryID, megan.UserName, "Initial-Passw0rd-42"); err != nil || !u.MustChangePassword {
		t.Errorf("sign-in with the imported password: %v, %v; want a sign-in that must change the password", u, err)
	}
}

// TestImportUsersBatches imports more rows than one transaction takes, with refused rows on both sides of the batch
// boundaries: every valid row is created, the line numbers stay right, and the audit log gets one entry.
func TestImportUsersBatches(t *testing.T) {
	w := newAuthWorld(t)
	ctx := context.Background()
	const rows = 2*idp.ImportBatch + 500
	var b strings.Builder
	b.WriteString("userName,lastName\n")
	var want []importErr
	for i := range rows {
		line := i + 2
		switch {
		case i%997 == 0:
			fmt.Fprintf(&b, "user %d,Bad\n", i)
			want = append(want, importErr{line, fmt.Sprintf("user %d", i), gatehouse.EINVALID, "userName"})
		case i%1000 == 999:
			fmt.Fprintf(&b, "user%d@contoso.com,Again\n", i-1) // the row before
			want = append(want, importErr{line, fmt.Sprintf("user%d@contoso.com", i-1), gatehouse.ECONFLICT, "userName"})
		default:
			fmt.Fprintf(&b, "user%d@contoso.com,Number %d\n", i, i)
		}
	}
	res, err := w.svc.ImportUsers(ctx, w.admin, gatehouse.DefaultDirectoryID, idp.ImportCSV, strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, importErrs(res)); diff != "" {
		t.Errorf("refused rows mismatch (-want +got):\n%s", diff)
	}
	if res.Created != rows-len(want) {
		t.Errorf("created %d; want %d", res.Created, rows-len(want))
	}
	total := countUsers(t, w.store)
	if total != res.Created+2 { // the admin and B. Simon were there before
		t.Errorf("the directory has %d users; want %d", total, res.Created+2)
	}
	events, _, err := w.store.FindAuditEvents(ctx, gatehouse.DefaultDirectoryID, gatehouse.AuditFilter{TargetType: "directory", Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var imports []*gatehouse.AuditEvent
	for _, e := range events {
		if e.Action == "user.import" {
			imports = append(imports, e)
		}
	}
	if len(imports) != 1 {
		t.Fatalf("%d audit events of the import; want 1", len(imports))
	}
	var summary struct {
		Format          string
		Created, Failed int
		Complete        bool
	}
	if err := json.Unmarshal([]byte(imports[0].After), &summary); err != nil {
		t.Fatal(err)
	}
	if summary.Format != "csv" || summary.Created != res.Created || summary.Failed != len(want) || !summary.Complete || imports[0].ActorID != w.admin.ID {
		t.Errorf("audit event %+v: %s; want the counts of the import by the admin", imports[0], imports[0].After)
	}
	// Only so many errors are listed; all are counted.
	if len(want) > idp.MaxImportErrors {
		t.Fatalf("the test lists %d errors, more than MaxImportErrors", len(want))
	}
}

// TestImportUsersRefused checks the requests refused as a whole, before any user is created: a file that cannot be
// read as its format, and a caller who may not create users.
func TestImportUsersRefused(t *testing.T) {
	w := newAuthWorld(t)
	ctx := context.Background()
	userAdmin := w.newUser(t, "user.admin@contoso.com", "Us3r-Admin-Passw0rd")
	if _, err := w.svc.UpdateUser(ctx, w.admin, gatehouse.DefaultDirectoryID, userAdmin.ID, idp.UserPatch{Role: ptr(gatehouse.RoleUserAdmin)}); err != nil {
		t.Fatal(err)
	}
	userAdmin.Role = gatehouse.RoleUserAdmin
	good := "userName\nadele.vance@contoso.com\n"
	tests := []struct {
		name    string
		actor   *gatehouse.User
		dir     string
		format  idp.ImportFormat
		file    string
		code    string
		message string
	}{
		{"empty csv", w.admin, "default", idp.ImportCSV, "", gatehouse.EINVALID, "empty"},
		{"unknown column", w.admin, "default", idp.ImportCSV, "userName,shoeSize\na@contoso.com,44\n", gatehouse.EINVALID, `"shoeSize"`},
		{"no userName column", w.admin, "default", idp.ImportCSV, "mail\na@contoso.com\n", gatehouse.EINVALID, "no userName column"},
		{"repeated column", w.admin, "default", idp.ImportCSV, "userName,mail,Mail\na@contoso.com,,\n", gatehouse.EINVALID, "twice"},
		{"header not csv", w.admin, "default", idp.ImportCSV, "userName,\"mail\n", gatehouse.EINVALID, "line 1"},
		{"unknown format", w.admin, "default", "xlsx", good, gatehouse.EINVALID, "xlsx"},
		{"plain user", w.user, "default", idp.ImportCSV, good, gatehouse.EFORBIDDEN, ""},
		{"no such directory", w.admin, "nowhere", idp.ImportCSV, good, gatehouse.ENOTFOUND, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := w.userNames(t)
			_, err := w.svc.ImportUsers(ctx, tt.actor, tt.dir, tt.format, strings.NewReader(tt.file))
			if gatehouse.ErrorCode(err) != tt.code || !strings.Contains(gatehouse.ErrorMessage(err), tt.message) {
				t.Errorf("ImportUsers = %v; want %s containing %q", err, tt.code, tt.message)
			}
			if diff := cmp.Diff(before, w.userNames(t)); diff != "" {
				t.Errorf("users changed (-before +after):\n%s", diff)
			}
		})
	}
	t.Run("user admin creating a global admin", func(t *testing.T) {
		res, err := w.svc.ImportUsers(ctx, userAdmin, gatehouse.DefaultDirectoryID, idp.ImportCSV,
			strings.NewReader("userName,role\nboss@contoso.com,global-admin\nclerk@contoso.com,user\n"))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]importErr{{2, "boss@contoso.com", gatehouse.EFORBIDDEN, "role"}}, importErrs(res)); diff != "" || res.Created != 1 {
			t.Errorf("created %d; refused rows mismatch (-want +got):\n%s", res.Created, diff)
		}
	})
}

// BenchmarkImportUsers measures the bulk import on SQLite, on disk with every commit synced, in users per second
// and in CPU time per user: a CSV file of 10,000 users without passwords per iteration, into a directory that grows
// as the benchmark runs.
func BenchmarkImportUsers(b *testing.B) {
	store, err := sqlite.Open(filepath.Join(b.TempDir(), "gatehouse.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	svc := serviceOn(b, store, password.NewHasher(testserver.TestHashParams, 2))
	ctx := context.Background()
	if _, _, err := svc.Bootstrap(ctx, testserver.AdminUser, testserver.AdminPassword); err != nil {
		b.Fatal(err)
	}
	admin, err := store.FindUserByName(ctx, gatehouse.DefaultDirectoryID, testserver.AdminUser)
	if err != nil {
		b.Fatal(err)
	}
	const perFile = 10_000
	var users int
	var elapsed, cpu time.Duration
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		var f strings.Builder
		f.WriteString("userName,firstName,lastName,mail\n")
		for j := range perFile {
			fmt.Fprintf(&f, "user%d.%d@contoso.com,First%d,Last%d,user%d.%d@contoso.com\n", i, j, j, j, i, j)
		}
		start, startCPU := time.Now(), processCPU(b)
		res, err := svc.ImportUsers(ctx, admin, gatehouse.DefaultDirectoryID, idp.ImportCSV, strings.NewReader(f.String()))
		elapsed, cpu = elapsed+time.Since(start), cpu+processCPU(b)-startCPU
		if err != nil || res.Failed > 0 {
			b.Fatalf("import: %v, %+v", err, res.Errors)
		}
		users += res.Created
	}
	b.ReportMetric(float64(users)/elapsed.Seconds(), "users/s")
	// On a busy machine the wall-clock rate depends on the neighbours; the CPU time per user does not.
	b.ReportMetric(float64(cpu.Microseconds())/float64(users), "cpu-µs/user")
}

// processCPU returns the CPU time the process has used, user and system.
func processCPU(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// countUsers counts the users of the default directory a page at a time, since FindUsers counts no further than
// gatehouse.UserCountLimit+1.
func countUsers(t *testing.T, store gatehouse.Store) int {
	t.Helper()
	total := 0
	for after := ""; ; {
		us, _, err := store.FindUsers(context.Background(), gatehouse.DefaultDirectoryID, gatehouse.UserFilter{After: after, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		total += len(us)
		if len(us) < 1000 {
			return total
		}
		after = us[len(us)-1].UserName
	}
}
