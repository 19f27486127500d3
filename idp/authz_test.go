package idp_test

import (
	"context"
	"testing"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/internal/testserver"
)

// admin returns the test server's bootstrap admin, a global admin of the default directory.
func admin(t *testing.T, srv *testserver.Server) *gatehouse.User {
	t.Helper()
	u, err := srv.Store.FindUserByName(context.Background(), gatehouse.DefaultDirectoryID, testserver.AdminUser)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// userWithRole creates a user with the role in directory dirID and returns them.
func userWithRole(t *testing.T, srv *testserver.Server, actor *gatehouse.User, dirID, name string, role gatehouse.Role) *gatehouse.User {
	t.Helper()
	u, _, err := srv.Service.CreateUser(context.Background(), actor, dirID, idp.UserInput{UserName: name, FirstName: "T", LastName: "User", Role: role})
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	return u
}

func TestAuthorize(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	ctx := context.Background()
	root := admin(t, srv)
	if err := srv.Service.CreateDirectory(ctx, root, &gatehouse.Directory{ID: "fabrikam", Name: "Fabrikam"}); err != nil {
		t.Fatal(err)
	}
	plain := userWithRole(t, srv, root, "default", "plain@contoso.com", gatehouse.RoleUser)
	userAdmin := userWithRole(t, srv, root, "default", "ua@contoso.com", gatehouse.RoleUserAdmin)
	appAdmin := userWithRole(t, srv, root, "default", "aa@contoso.com", gatehouse.RoleAppAdmin)
	fabAdmin := userWithRole(t, srv, root, "fabrikam", "admin@fabrikam.com", gatehouse.RoleGlobalAdmin)
	disabled := *root
	disabled.Disabled = true

	tests := []struct {
		name  string
		actor *gatehouse.User
		dir   string
		perm  idp.Permission
		code  string
	}{
		{"nobody", nil, "default", idp.ReadDirectory, gatehouse.EUNAUTHORIZED},
		{"disabled admin", &disabled, "default", idp.ReadDirectory, gatehouse.EUNAUTHORIZED},
		{"plain user reads", plain, "default", idp.ReadDirectory, gatehouse.EFORBIDDEN},
		{"user admin manages users", userAdmin, "default", idp.ManageUsers, ""},
		{"user admin manages apps", userAdmin, "default", idp.ManageApps, gatehouse.EFORBIDDEN},
		{"app admin manages apps", appAdmin, "default", idp.ManageApps, ""},
		{"app admin manages users", appAdmin, "default", idp.ManageUsers, gatehouse.EFORBIDDEN},
		{"app admin manages the directory", appAdmin, "default", idp.ManageDirectory, gatehouse.EFORBIDDEN},
		{"global admin of another directory (case 34)", fabAdmin, "default", idp.ReadDirectory, gatehouse.EFORBIDDEN},
		{"global admin of its own directory", fabAdmin, "fabrikam", idp.ManageDirectory, ""},
		{"instance admin in another directory", root, "fabrikam", idp.ManageUsers, ""},
		{"instance admin, no such directory", root, "nope", idp.ReadDirectory, gatehouse.ENOTFOUND},
		{"other admin, no such directory: not revealed", fabAdmin, "nope", idp.ReadDirectory, gatehouse.EFORBIDDEN},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := srv.Service.Authorize(ctx, tt.actor, tt.dir, tt.perm)
			if got := gatehouse.ErrorCode(err); err != nil && got != tt.code || err == nil && tt.code != "" {
				t.Errorf("Authorize = %v (code %q), want code %q", err, got, tt.code)
			}
		})
	}
}

// TestDirectoryIsolation holds SECURITY-CASES 34 and 35 at the service: an admin of one directory reaches nothing
// of another, even with the other's IDs in hand.
func TestDirectoryIsolation(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	ctx := context.Background()
	root := admin(t, srv)
	if err := srv.Service.CreateDirectory(ctx, root, &gatehouse.Directory{ID: "fabrikam", Name: "Fabrikam"}); err != nil {
		t.Fatal(err)
	}
	fabAdmin := userWithRole(t, srv, root, "fabrikam", "admin@fabrikam.com", gatehouse.RoleGlobalAdmin)
	victim := userWithRole(t, srv, root, "default", "victim@contoso.com", gatehouse.RoleUser)
	app, _, err := srv.Service.AddApp(ctx, root, "default", idp.AppInput{GalleryID: "custom", Name: "Wiki"})
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name string
		err  error
	}{
		{"FindUser in the victim's directory", func() error { _, err := srv.Service.FindUser(ctx, fabAdmin, "default", victim.ID); return err }()},
		{"FindUser by ID under its own directory", func() error { _, err := srv.Service.FindUser(ctx, fabAdmin, "fabrikam", victim.ID); return err }()},
		{"FindApp by ID under its own directory", func() error { _, err := srv.Service.FindApp(ctx, fabAdmin, "fabrikam", app.ID); return err }()},
		{"Assign the victim to its own app", func() error {
			fab, _, err := srv.Service.AddApp(ctx, fabAdmin, "fabrikam", idp.AppInput{GalleryID: "custom", Name: "Fab app"})
			if err != nil {
				return nil // a failure here must not count as isolation
			}
			_, err = srv.Service.Assign(ctx, fabAdmin, "fabrikam", fab.ID, gatehouse.PrincipalUser, victim.ID)
			return err
		}()},
		{"UpdateUser in the victim's directory", func() error {
			off := true
			_, err := srv.Service.UpdateUser(ctx, fabAdmin, "default", victim.ID, idp.UserPatch{Disabled: &off})
			return err
		}()},
		{"DeleteApp in the victim's directory", srv.Service.DeleteApp(ctx, fabAdmin, "default", app.ID)},
	}
	for _, c := range checks {
		if code := gatehouse.ErrorCode(c.err); code != gatehouse.EFORBIDDEN && code != gatehouse.ENOTFOUND {
			t.Errorf("%s: err = %v, want forbidden or not found", c.name, c.err)
		}
	}
	got, err := srv.Store.FindUser(ctx, "default", victim.ID)
	if err != nil || got.Disabled {
		t.Errorf("victim after the attempts: %+v, %v; want unchanged", got, err)
	}
	if _, err := srv.Store.FindApp(ctx, "default", app.ID); err != nil {
		t.Errorf("app after the attempts: %v; want it still there", err)
	}
}
