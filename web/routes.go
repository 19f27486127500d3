package web

import (
	"io/fs"
	"net/http"
)

// routes registers every route of the server in one place.
func (s *Server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	s.patterns = nil
	handle := func(pattern string, h http.Handler) {
		mux.Handle(pattern, h)
		s.patterns = append(s.patterns, pattern)
	}
	static, _ := fs.Sub(assets, "static")
	handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	handle("GET /healthz", http.HandlerFunc(s.healthz))
	handle("GET /{$}", s.page(s.home))

	// SAML endpoints and the pages users see, per directory.
	handle("GET /d/{dir}/saml2", s.page(s.ssoRedirect))
	handle("POST /d/{dir}/saml2", s.page(s.ssoPost))
	handle("GET /d/{dir}/sso/continue", s.page(s.ssoContinue))
	handle("GET /d/{dir}/federationmetadata/2007-06/federationmetadata.xml", s.page(s.metadata))
	handle("GET /d/{dir}/apps/{app}/signin", s.page(s.idpInitiated))
	handle("GET /d/{dir}/login", s.page(s.loginForm))
	handle("POST /d/{dir}/login", s.page(s.login))
	handle("GET /d/{dir}/password", s.page(s.passwordForm))
	handle("POST /d/{dir}/password", s.page(s.changePassword))
	handle("POST /d/{dir}/logout", s.page(s.logout))
	handle("GET /d/{dir}/myapps", s.page(s.myApps))
	handle("GET /d/{dir}/{$}", s.page(s.directoryHome))

	// The admin portal: pages for signed-in admins, every change a POST (portal*.go).
	handle("GET /admin/{$}", s.admin(s.portalDirectories))
	handle("POST /admin/directories", s.admin(s.portalCreateDirectory))
	handle("GET /admin/switch", s.admin(s.portalSwitch))
	handle("GET /admin/d/{dir}/{$}", s.admin(s.portalOverview))
	handle("GET /admin/d/{dir}/users", s.admin(s.portalUsers))
	handle("GET /admin/d/{dir}/users/new", s.admin(s.portalNewUser))
	handle("POST /admin/d/{dir}/users", s.admin(s.portalCreateUser))
	handle("GET /admin/d/{dir}/users/{id}", s.admin(s.portalUser))
	handle("POST /admin/d/{dir}/users/{id}", s.admin(s.portalSaveUser))
	handle("POST /admin/d/{dir}/users/{id}/disable", s.admin(s.portalSetDisabled(true)))
	handle("POST /admin/d/{dir}/users/{id}/enable", s.admin(s.portalSetDisabled(false)))
	handle("POST /admin/d/{dir}/users/{id}/reset-password", s.admin(s.portalResetPassword))
	handle("GET /admin/d/{dir}/users/{id}/delete", s.admin(s.portalConfirmDeleteUser))
	handle("POST /admin/d/{dir}/users/{id}/delete", s.admin(s.portalDeleteUser))
	handle("GET /admin/d/{dir}/groups", s.admin(s.portalGroups))
	handle("POST /admin/d/{dir}/groups", s.admin(s.portalCreateGroup))
	handle("GET /admin/d/{dir}/groups/{id}", s.admin(s.portalGroup))
	handle("POST /admin/d/{dir}/groups/{id}/members", s.admin(s.portalAddMember))
	handle("POST /admin/d/{dir}/groups/{id}/members/{userId}/remove", s.admin(s.portalRemoveMember))
	handle("POST /admin/d/{dir}/groups/{id}/delete", s.admin(s.portalDeleteGroup))
	handle("GET /admin/d/{dir}/apps", s.admin(s.portalApps))
	handle("GET /admin/d/{dir}/apps/gallery", s.admin(s.portalGallery))
	// An app's pages (sso, users, preview, properties, logo, delete) and the gallery's apps (apps/gallery/{id})
	// share the pattern apps/{id}/{page}: see appPages in portal_apps.go.
	handle("GET /admin/d/{dir}/apps/{id}/{page}", s.admin(s.portalAppPage))
	handle("POST /admin/d/{dir}/apps/{id}/{page}", s.admin(s.portalAppPage))
	handle("POST /admin/d/{dir}/apps/{id}/sso/basic", s.admin(s.portalSaveBasic))
	handle("POST /admin/d/{dir}/apps/{id}/sso/nameid", s.admin(s.portalSaveNameID))
	handle("POST /admin/d/{dir}/apps/{id}/sso/claims", s.admin(s.portalAddClaim))
	handle("POST /admin/d/{dir}/apps/{id}/sso/claims/remove", s.admin(s.portalRemoveClaim))
	handle("GET /admin/d/{dir}/apps/{id}/sso/claim", s.admin(s.portalClaim))
	handle("POST /admin/d/{dir}/apps/{id}/sso/claim", s.admin(s.portalSaveClaim))
	handle("POST /admin/d/{dir}/apps/{id}/sso/signing", s.admin(s.portalSaveSigning))
	handle("GET /admin/d/{dir}/apps/{id}/certificates/{certId}/download", s.admin(s.portalDownload))
	handle("POST /admin/d/{dir}/apps/{id}/users/{assignmentId}/remove", s.admin(s.portalUnassign))

	// The REST API.
	handle("GET /api/v1/openapi.yaml", http.HandlerFunc(s.openAPIDoc))
	handle("POST /api/v1/tokens", s.api(s.createToken))
	handle("POST /api/v1/password", s.api(s.apiChangePassword))
	handle("GET /api/v1/tokens", s.api(s.authed(s.listTokens)))
	handle("DELETE /api/v1/tokens/{id}", s.api(s.authed(s.revokeToken)))
	handle("GET /api/v1/me", s.api(s.authed(s.me)))
	handle("GET /api/v1/gallery", s.api(s.authed(s.listGallery)))
	handle("GET /api/v1/gallery/{id}", s.api(s.authed(s.getGallery)))

	handle("GET /api/v1/directories", s.api(s.authed(s.listDirectories)))
	handle("POST /api/v1/directories", s.api(s.authed(s.createDirectory)))
	handle("GET /api/v1/directories/{dir}", s.api(s.authed(s.getDirectory)))
	handle("PATCH /api/v1/directories/{dir}", s.api(s.authed(s.patchDirectory)))
	handle("DELETE /api/v1/directories/{dir}", s.api(s.authed(s.deleteDirectory)))

	handle("GET /api/v1/directories/{dir}/users", s.api(s.authed(s.listUsers)))
	handle("POST /api/v1/directories/{dir}/users", s.api(s.authed(s.createUser)))
	handle("GET /api/v1/directories/{dir}/users/{id}", s.api(s.authed(s.getUser)))
	handle("PATCH /api/v1/directories/{dir}/users/{id}", s.api(s.authed(s.patchUser)))
	handle("DELETE /api/v1/directories/{dir}/users/{id}", s.api(s.authed(s.deleteUser)))
	handle("POST /api/v1/directories/{dir}/users/{id}/reset-password", s.api(s.authed(s.resetPassword)))
	handle("GET /api/v1/directories/{dir}/users/{id}/apps", s.api(s.authed(s.listUserApps)))
	handle("GET /api/v1/directories/{dir}/users/{id}/groups", s.api(s.authed(s.listUserGroups)))

	handle("GET /api/v1/directories/{dir}/groups", s.api(s.authed(s.listGroups)))
	handle("POST /api/v1/directories/{dir}/groups", s.api(s.authed(s.createGroup)))
	handle("GET /api/v1/directories/{dir}/groups/{id}", s.api(s.authed(s.getGroup)))
	handle("PATCH /api/v1/directories/{dir}/groups/{id}", s.api(s.authed(s.patchGroup)))
	handle("DELETE /api/v1/directories/{dir}/groups/{id}", s.api(s.authed(s.deleteGroup)))
	handle("GET /api/v1/directories/{dir}/groups/{id}/members", s.api(s.authed(s.listMembers)))
	handle("PUT /api/v1/directories/{dir}/groups/{id}/members/{userId}", s.api(s.authed(s.addMember)))
	handle("DELETE /api/v1/directories/{dir}/groups/{id}/members/{userId}", s.api(s.authed(s.removeMember)))

	handle("GET /api/v1/directories/{dir}/apps", s.api(s.authed(s.listApps)))
	handle("POST /api/v1/directories/{dir}/apps", s.api(s.authed(s.addApp)))
	handle("GET /api/v1/directories/{dir}/apps/{id}", s.api(s.authed(s.getApp)))
	handle("PATCH /api/v1/directories/{dir}/apps/{id}", s.api(s.authed(s.patchApp)))
	handle("DELETE /api/v1/directories/{dir}/apps/{id}", s.api(s.authed(s.deleteApp)))
	handle("GET /api/v1/directories/{dir}/apps/{id}/saml", s.api(s.authed(s.getSAML)))
	handle("PATCH /api/v1/directories/{dir}/apps/{id}/saml", s.api(s.authed(s.patchSAML)))
	handle("POST /api/v1/directories/{dir}/apps/{id}/saml/metadata", s.api(s.authed(s.importMetadata)))
	handle("GET /api/v1/directories/{dir}/apps/{id}/setup", s.api(s.authed(s.getSetup)))
	handle("GET /api/v1/directories/{dir}/apps/{id}/certificates", s.api(s.authed(s.listCertificates)))
	handle("GET /api/v1/directories/{dir}/apps/{id}/certificates/{certId}/download", s.api(s.authed(s.downloadCertificate)))
	handle("GET /api/v1/directories/{dir}/apps/{id}/assignments", s.api(s.authed(s.listAssignments)))
	handle("POST /api/v1/directories/{dir}/apps/{id}/assignments", s.api(s.authed(s.assign)))
	handle("DELETE /api/v1/directories/{dir}/apps/{id}/assignments/{assignmentId}", s.api(s.authed(s.unassign)))

	handle("GET /api/v1/directories/{dir}/sign-ins", s.api(s.authed(s.listSignIns)))
	handle("GET /api/v1/directories/{dir}/sign-ins/{id}", s.api(s.authed(s.getSignIn)))
	handle("GET /api/v1/directories/{dir}/audit", s.api(s.authed(s.listAudit)))
	handle("/api/", s.api(s.apiNotFound))
	return mux
}
