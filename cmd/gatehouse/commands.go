package main

// commands returns every gatehouse <noun> <verb> command, in the order help lists them.
func commands() []*command {
	return []*command{
		{"login", "", "Creates an API token from a user name and password and prints it.", login},
		{"password change", "", "Changes your password (a temporary one included) with the current one; needs no token.", passwordChange},
		{"whoami", "", "Shows the user and directory the API token acts for.", whoami},
		{"token list", "", "Lists your API tokens (with --all, every token of the directory).", tokenList},
		{"token revoke", "ID...", "Revokes API tokens.", tokenRevoke},

		{"directory list", "", "Lists the directories you administer.", directoryList},
		{"directory create", "ID", "Creates a directory, a tenant with its own users, apps and signing keys.", directoryCreate},
		{"directory show", "[ID]", "Shows a directory (by default the one selected by --directory).", directoryShow},
		{"directory update", "[ID]", "Changes a directory's name, domain or MFA requirement.", directoryUpdate},
		{"directory delete", "ID", "Deletes a directory and everything in it.", directoryDelete},
		{"directory notifications show", "", "Shows the directory's default list of addresses e-mailed before a signing certificate expires.", directoryNotificationsShow},
		{"directory passkeys show", "[ID]", "Shows the directory's passkey policy.", passkeyPolicyShow},
		{"directory passkeys set", "[ID]", "Changes what passkeys may do, whether every sign-in needs one, recovery codes and allowed authenticators.", passkeyPolicySet},
		{"directory notifications set", "[ADDRESS...]", "Sets the directory's default list (up to 5 addresses), used by its own certificate and apps without a list.", directoryNotificationsSet},

		{"user create", "USERNAME", "Creates a user with a temporary password that is shown once and must be changed at first sign-in.", userCreate},
		{"user import", "FILE", "Creates many users from a CSV or JSON-lines file (- for standard input) with the columns userName (required), firstName, lastName, displayName, mail, role, disabled and password (a temporary one; without it the user gets none); valid rows are created, refused ones listed by line.", userImport},
		{"user list", "", "Lists and searches the users of the directory.", userList},
		{"user show", "USER", "Shows a user, named by user name or ID.", userShow},
		{"user update", "USER", "Changes the fields of a user that the flags give.", userUpdate},
		{"user disable", "USER", "Blocks a user's sign-in.", userDisable},
		{"user enable", "USER", "Allows a disabled user to sign in again.", userEnable},
		{"user delete", "USER", "Deletes a user with their sessions, tokens, memberships and assignments.", userDelete},
		{"user reset-password", "USER", "Gives a user a new temporary password, shown once.", userResetPassword},
		{"user reset-mfa", "USER", "Turns off a user's two-step verification and removes their passkeys (e.g. after a lost phone); they enrol again.", userResetMFA},
		{"user passkeys", "USER", "Lists a user's passkeys with when each was last used.", userPasskeys},
		{"user remove-passkey", "USER PASSKEY", "Removes a user's passkey (a lost device) and ends their sessions; it may be their last way to sign in.", userRemovePasskey},
		{"user apps", "USER", "Lists the apps assigned to a user, directly or through a group.", userApps},
		{"user groups", "USER", "Lists the groups a user is a member of.", userGroups},

		{"group create", "NAME", "Creates a group.", groupCreate},
		{"group list", "", "Lists and searches the groups of the directory.", groupList},
		{"group show", "GROUP", "Shows a group, named by name or ID.", groupShow},
		{"group update", "GROUP", "Renames a group or changes its description.", groupUpdate},
		{"group delete", "GROUP", "Deletes a group with its memberships and assignments.", groupDelete},
		{"group members", "GROUP", "Lists a group's members.", groupMembers},
		{"group add-member", "GROUP USER...", "Adds users, named by user name or ID, to a group.", groupAddMember},
		{"group remove-member", "GROUP USER...", "Removes users, named by user name or ID, from a group.", groupRemoveMember},

		{"gallery list", "", "Lists and searches the app gallery.", galleryList},
		{"gallery show", "TEMPLATE", "Shows a gallery template: its parameters and default SAML or OpenID Connect settings.", galleryShow},

		{"app add", "", "Adds an app from a gallery template: a SAML app gets a signing certificate, an OpenID Connect app a client ID.", appAdd},
		{"app list", "", "Lists and searches the apps of the directory.", appList},
		{"app show", "APP", "Shows an app and its SAML settings; apps are named by name or ID.", appShow},
		{"app update", "APP", "Changes an app's name, notes, or whether it is enabled, visible or needs assignment.", appUpdate},
		{"app delete", "APP", "Deletes an app with its certificates and assignments.", appDelete},
		{"app saml show", "APP", "Shows an app's SAML settings.", samlShow},
		{"app saml set", "APP", "Changes an app's basic SAML configuration, NameID and signing options.", samlSet},
		{"app oidc show", "APP", "Shows an OpenID Connect app's settings: client ID, redirect URIs, grants, lifetimes, claims.", oidcShow},
		{"app oidc set", "APP", "Changes an OpenID Connect app's client ID, redirect URIs, grants, PKCE, signing and token lifetimes.", oidcSet},
		{"app secret create", "APP", "Creates a client secret for an OpenID Connect app, shown once; --rotate retires the others after an overlap.", secretCreate},
		{"app secret list", "APP", "Lists an OpenID Connect app's client secrets (their hints, never the secrets).", secretList},
		{"app secret delete", "APP ID", "Deletes a client secret; it stops working at once.", secretDelete},
		{"app claim list", "APP", "Lists the claims (SAML attributes, or OpenID Connect claims) an app receives.", claimList},
		{"app claim set", "APP NAME", "Adds a claim to an app, or changes the claim with that name.", claimSet},
		{"app claim remove", "APP NAME", "Removes a claim from an app.", claimRemove},
		{"app setup", "APP", "Shows the values to enter in the app to set up single sign-on with Gatehouse.", appSetup},
		{"app cert list", "APP", "Lists an app's signing certificates.", certList},
		{"app cert download", "APP", "Downloads an app's signing certificate or federation metadata.", certDownload},
		{"app cert new", "APP", "Creates the app's next signing certificate, published in metadata before it signs.", certNew},
		{"app cert activate", "APP CERT", "Makes a certificate sign the app's sign-ins; the replaced one stays published for a grace period.", certActivate},
		{"app notifications show", "APP", "Shows who is e-mailed 60, 30 and 7 days before the app's signing certificate expires.", appNotificationsShow},
		{"app notifications set", "APP [ADDRESS...]", "Sets the addresses (up to 5) e-mailed before the app's signing certificate expires.", appNotificationsSet},
		{"app preview", "APP", "Shows the assertion a user would receive at the app now, without signing them in.", appPreview},
		{"app metadata import", "APP", "Configures an app from its SP's metadata, from a file or a URL the server refreshes.", metadataImport},
		{"app assign", "APP", "Assigns users or groups to an app.", appAssign},
		{"app unassign", "APP", "Removes users or groups from an app's assignments.", appUnassign},
		{"app assignments", "APP", "Lists the users and groups assigned to an app.", appAssignments},
		{"app provisioning show", "APP", "Shows an app's automatic provisioning (SCIM 2.0): settings, mappings, status and quarantine; never the token.", provisioningShow},
		{"app provisioning set", "APP", "Changes an app's provisioning: mode, tenant URL, secret token (asked for), scope, matching, mappings and actions.", provisioningSet},
		{"app provisioning test", "APP", "Tests the connection to the app's SCIM service with the saved (or given) tenant URL and token.", provisioningTest},
		{"app provisioning on-demand", "APP", "Provisions one user, or one group of at most 5 members, now and shows each step.", provisioningOnDemand},
		{"app provisioning retry", "APP", "Tries the app's provisioning again now; an app in quarantine is probed at once.", provisioningRetry},
		{"app provisioning restart", "APP", "Starts a new full provisioning cycle of the app now.", provisioningRestart},
		{"app provisioning log", "APP", "Lists the app's provisioning log (what was done to its accounts), newest first.", provisioningAppLog},

		{"oidc key list", "", "Lists the keys that sign the directory's OpenID Connect tokens, with their rollover state.", oidcKeyList},
		{"oidc key new", "", "Creates the directory's next signing key, published in its JWKS before it signs.", oidcKeyNew},
		{"oidc key activate", "KEY", "Makes a key sign the directory's tokens; the replaced key stays in the JWKS for 7 days.", oidcKeyActivate},

		{"scim url", "", "Shows the directory's SCIM 2.0 tenant URL, for Entra ID, Okta and other provisioning clients.", scimURL},
		{"scim token create", "NAME", "Creates a SCIM token named after the client that uses it; the secret is shown once.", scimTokenCreate},
		{"scim token list", "", "Lists the directory's SCIM tokens.", scimTokenList},
		{"scim token revoke", "ID...", "Revokes SCIM tokens; they stop working at once.", scimTokenRevoke},

		{"provisioning log", "", "Lists the provisioning log of every app of the directory, newest first.", provisioningLog},
		{"provisioning show", "ID", "Shows one provisioning log entry: changes (before → after), steps, HTTP status and the app's answer.", provisioningEventShow},

		{"signins list", "", "Lists sign-in events, newest first.", signinsList},
		{"signins show", "ID", "Shows one sign-in event.", signinsShow},
		{"audit list", "", "Lists audit events (admin changes), newest first.", auditList},
	}
}

// examples returns example command lines for the command named name, shown in its help.
func examples(name string) []string {
	switch name {
	case "login":
		return []string{
			`eval "$(gatehouse login --user admin@contoso.com --export)"`,
			`printf '%s\n' "$PASSWORD" | gatehouse login --user admin@contoso.com --password-stdin`,
		}
	case "password change":
		return []string{
			`gatehouse password change --user b.simon@contoso.com`,
			`printf '%s\n%s\n' "$OLD" "$NEW" | gatehouse password change --user b.simon@contoso.com --password-stdin`,
		}
	case "directory create":
		return []string{"gatehouse directory create contoso --name Contoso --domain contoso.com"}
	case "user create":
		return []string{"gatehouse user create b.simon@contoso.com --first-name B --last-name Simon --display-name B.Simon --mail b.simon@contoso.com"}
	case "user import":
		return []string{
			"gatehouse user import users.csv",
			"gatehouse user import --format jsonl - < users.jsonl",
		}
	case "user list":
		return []string{"gatehouse user list --query simon", "gatehouse user list --role global-admin --json"}
	case "group add-member":
		return []string{"gatehouse group add-member Sales b.simon@contoso.com"}
	case "app provisioning set":
		return []string{
			"gatehouse app provisioning set Mixpanel --tenant-url https://mixpanel.com/api/app/scim/v2 --ask-token --mode automatic",
			"gatehouse app provisioning set Mixpanel --scope all --leave-action delete",
			"gatehouse app provisioning set Mixpanel --user-mappings user-mappings.json",
		}
	case "app provisioning on-demand":
		return []string{"gatehouse app provisioning on-demand Mixpanel --user b.simon@contoso.com", "gatehouse app provisioning on-demand Mixpanel --group Sales"}
	case "app provisioning log":
		return []string{"gatehouse app provisioning log Mixpanel --result failure --since 24h"}
	case "app add":
		return []string{"gatehouse app add --gallery mixpanel --param org_id=123456", "gatehouse app add --gallery custom --name \"Contoso Wiki\"",
			"gatehouse app add --gallery grafana --param grafana_url=https://grafana.contoso.com"}
	case "app oidc set":
		return []string{
			"gatehouse app oidc set Grafana --add-redirect-uri https://grafana.contoso.com/login/generic_oauth",
			"gatehouse app oidc set \"Team SPA\" --public --grant authorization_code --grant refresh_token",
			"gatehouse app oidc set Grafana --signing-algorithm ES256 --access-token-lifetime 15m --refresh-token-lifetime 7d",
		}
	case "app secret create":
		return []string{"gatehouse app secret create Grafana --expires 365d", "gatehouse app secret create Grafana --rotate 24h"}
	case "oidc key new":
		return []string{"gatehouse oidc key new --algorithm ES256"}
	case "app update":
		return []string{"gatehouse app update Mixpanel --assignment-required=false"}
	case "app saml set":
		return []string{
			"gatehouse app saml set Mixpanel --relay-state https://mixpanel.com/report",
			"gatehouse app saml set \"Contoso Wiki\" --identifier https://wiki.contoso.com/saml --reply-url https://wiki.contoso.com/saml/acs",
			"gatehouse app saml set Mixpanel --add-reply-url https://eu.mixpanel.com/sso/saml2",
			"gatehouse app saml set Mixpanel --nameid-format persistent --nameid-source objectid --signing-option both",
		}
	case "app claim set":
		return []string{
			"gatehouse app claim set Mixpanel email --source mail",
			"gatehouse app claim set Mixpanel department --value Sales --name-format basic",
		}
	case "app cert download":
		return []string{
			"gatehouse app cert download Mixpanel --format base64 --out Mixpanel.cer",
			"gatehouse app cert download Mixpanel --format metadata > Mixpanel.xml",
		}
	case "app notifications set":
		return []string{
			"gatehouse app notifications set Mixpanel ops@contoso.com analytics@contoso.com",
			"gatehouse app notifications set Mixpanel --none",
		}
	case "directory notifications set":
		return []string{"gatehouse directory notifications set --directory contoso it-ops@contoso.com"}
	case "app assign":
		return []string{"gatehouse app assign Mixpanel --user b.simon@contoso.com --group Sales"}
	case "signins list":
		return []string{"gatehouse signins list --user b.simon@contoso.com --result failure"}
	}
	return nil
}
