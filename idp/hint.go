package idp

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/gatehouse-idp/gatehouse/saml"
)

// hint sets f's Hint and Setting: how an admin fixes the failure of attempt at, naming the setting to change and
// the values on both sides. It runs when the failure happens, while the request and the app are at hand; for an
// unknown Issuer it looks for the app that registers the request's reply URL, which becomes the failure's app.
func (s *Service) hint(ctx context.Context, at *attempt, f *Failure) {
	if s.hintOIDC(ctx, at, f) {
		return
	}
	app, u := at.app, at.user()
	appName := "the app"
	if app != nil {
		appName = app.Name
	}
	set := func(setting, format string, args ...any) {
		f.Setting, f.Hint = setting, fmt.Sprintf(format, args...)
	}
	switch f.Code {
	case saml.CodeMalformedRequest, saml.CodeForbiddenDTD, saml.CodeUnsupportedVersion:
		set("", "The app's SAML message is refused before Gatehouse reads who sent it: %s Fix the SAML library or settings of the app that sent it.", f.Message)
	case saml.CodeRequestTooLarge:
		set("", "The app's SAML message is over a size limit: %s Check that the app sends a plain AuthnRequest.", f.Message)
	case saml.CodeRequestExpired:
		set("", "Compare the clock of the app's server with Gatehouse's (both should use NTP). The app sent %s %s; Gatehouse expected %s.",
			f.Field, quote(f.Received), orWord(f.Expected, "a time within minutes of its own"))
	case saml.CodeWrongDestination:
		set(SettingSetup, "The app sent Destination %s; this directory's Login URL is %s. Set the app's IdP sign-in URL to the Login URL shown under \"Set up %s\".",
			quote(f.Received), quote(f.Expected), appName)
	case saml.CodeRequestReplayed:
		set("", "The app sent request ID %s a second time. Each sign-in needs a new request; check that nothing (a proxy, a cache, a browser's back button) resends an old one.", quote(f.Received))
	case saml.CodeSubjectNotAllowed:
		set("", "Configure the app not to name a Subject in its AuthnRequests: Gatehouse signs in whoever is at the browser.")
	case saml.CodeRelayStateInvalid:
		set("", "The app sent a RelayState of %s. Make the app send a shorter one (Gatehouse accepts %d bytes).", f.Received, s.limits.MaxRelayState)
	case saml.CodeBadSignature:
		set(SettingBasic, "The request's signature does not verify with the SP signing certificates registered for %s. Import the SP's current metadata under Basic SAML configuration, or check that the SP signs with the key its metadata publishes.", appName)
	case saml.CodeUnsignedRequest:
		set(SettingBasic, "%s requires signed requests and this one is not signed. Configure the SP to sign its requests, or turn off \"require signed requests\" for the app (gatehouse app saml set %s --require-signed-requests=false).", appName, quote(appName))
	case saml.CodeWeakSignatureAlgorithm:
		set(SettingBasic, "The SP signed with %s. Configure it to sign with RSA-SHA256, or allow SHA-1 for %s (gatehouse app saml set %s --allow-sha1-requests).", quote(f.Received), appName, quote(appName))
	case saml.CodeUnknownIssuer:
		s.hintUnknownIssuer(ctx, at, f)
	case saml.CodeReplyURLMismatch:
		set(SettingBasic, "The app asked for the answer at %s, which is not one of %s's Reply URLs (%s). Add it to Reply URLs in Basic SAML configuration (it must match byte for byte), or make the app send a registered one.",
			quote(f.Received), appName, f.Expected)
	case saml.CodeBadACSIndex:
		set(SettingBasic, "The app asked for the answer at AssertionConsumerServiceIndex %s; %s has %s. Import the SP's metadata again under Basic SAML configuration, or make the app send a registered index or URL (not both).",
			quote(f.Received), appName, orWord(f.Expected, "no indexed reply URLs"))
	case saml.CodeUnsupportedBinding:
		set("", "The app asked for the Response by %s. Configure it to receive the Response by HTTP-POST, the only binding Gatehouse answers with.", quote(f.Received))
	case saml.CodeNoReplyURL:
		set(SettingBasic, "Add the app's ACS URL to Reply URLs in %s's Basic SAML configuration (or import the SP's metadata there).", appName)
	case CodeNoLogoutURL:
		set(SettingBasic, "Add the SP's single logout URL as %s's Logout URL in Basic SAML configuration (or import the SP's metadata there).", appName)
	case saml.CodeNoPassive:
		set("", "Nothing to fix in Gatehouse: the app asked to sign the user in without a page (IsPassive) and there was no session, so it got the NoPassive answer. The app should then send a normal request.")
	case saml.CodeInvalidNameIDPolicy:
		set(SettingClaims, "The app asked for NameID format %s; %s is set up for %s. Choose that format under Attributes & claims, or configure the app to ask for the app's format.",
			quote(f.Received), appName, quote(f.Expected))
	case saml.CodeNoAuthnContext:
		if f.Field == "RequestedAuthnContext" && f.Received != "" && at.needsMFA {
			who := "The user"
			if u != nil {
				who = u.UserName
			}
			set(SettingDirectory, "%s asked for a sign-in with a second factor (%s) and %s signed in with a password only. Have the user set up two-step verification on their Security page, or require it for everyone in the directory's settings.",
				appName, quote(f.Received), who)
			return
		}
		set("", "The app asked for %s, which Gatehouse cannot satisfy. Configure the app to ask for Password or PasswordProtectedTransport (or a second factor), or to send no RequestedAuthnContext.", quote(f.Received))
	case CodeNotAssigned:
		set(SettingAssignments, "Assign %s (or a group of theirs) to %s under Users and groups, or turn off \"Assignment required\" in the app's properties.", f.Received, appName)
	case CodeAppDisabled:
		set(SettingProperties, "Turn on \"Enabled for users to sign in\" in %s's properties.", appName)
	case CodeUserDisabled:
		set(SettingUser, "%s is disabled. Enable the user on their page if they should sign in again.", orWord(f.Received, "The user"))
	case CodeSignInExpired:
		set("", "The user took longer than %s to sign in, or finished this sign-in already (in another tab). They start again from the app.", s.signInRequestTTL)
	case CodeNoNameIDValue:
		who := "the user"
		if u != nil {
			who = u.UserName
		}
		set(SettingUser, "Fill in %s on %s, or choose another NameID source under %s's Attributes & claims.", f.Received, who, appName)
	case CodeNoCertificate:
		set(SettingCertificate, "Create a SAML signing certificate for %s and make it active, on the app's Single sign-on page.", appName)
	case CodeAppNotFound:
		set(SettingApps, "The link names app %s, which this directory does not have (it may have been deleted). Give users the app's user access URL from its Properties, or have them use My Apps.", quote(f.Received))
	case CodeNoEncryptionCertificate:
		set(SettingBasic, "%s encrypts assertions but has no usable SP encryption certificate. Import the SP's metadata again under Basic SAML configuration, or turn encryption off.", appName)
	default:
		if f.Field == "" || !strings.HasPrefix(f.Code, "GH") {
			return
		}
		h := "Check the setting \"" + f.Field + "\"."
		if f.Received != "" {
			h += " Received: " + quote(f.Received) + "."
		}
		if f.Expected != "" {
			h += " Expected: " + f.Expected + "."
		}
		set("", "%s", h)
	}
}

// hintUnknownIssuer explains an Issuer that no app has: when an app registers the reply URL the request asks for,
// that app is most likely the one meant, becomes the failure's app, and its Identifier the value expected.
func (s *Service) hintUnknownIssuer(ctx context.Context, at *attempt, f *Failure) {
	if f.Received == "" {
		f.Hint = "The request names no Issuer. Configure the app to send its entity ID as the Issuer."
		return
	}
	if at.acsURL != "" {
		apps, err := s.store.FindApps(ctx, at.dirID, "")
		if err == nil {
			for _, a := range apps {
				if slices.Contains(a.SAML.ReplyURLs, at.acsURL) {
					at.app = a
					f.Setting = SettingBasic
					if f.Expected == "" {
						f.Expected = a.SAML.EntityID
					}
					f.Hint = fmt.Sprintf("The app sent Issuer %s; the app configured for this reply URL, %s, has Identifier (Entity ID) %s. "+
						"Make them equal: change the Identifier in %s's Basic SAML configuration, or the entity ID the app sends.",
						quote(f.Received), a.Name, quote(a.SAML.EntityID), a.Name)
					return
				}
			}
		}
	}
	f.Setting = SettingApps
	f.Hint = fmt.Sprintf("The app sent Issuer %s, and no app in this directory has that Identifier (Entity ID). "+
		"Set the Identifier in the app's Basic SAML configuration to exactly this value, or add the app.", quote(f.Received))
}

// orWord returns s, or word when s is empty.
func orWord(s, word string) string {
	if s == "" {
		return word
	}
	return s
}
