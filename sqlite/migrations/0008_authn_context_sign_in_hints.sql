-- The authentication context class a pending sign-in's assertion will state, in a column of its own. Pending
-- sign-ins made before this migration carry it at the end of their ID, as "-ac" and its index in the list of
-- classes Gatehouse knew then; it is copied here, so that a sign-in pending across the upgrade still states (and
-- still requires) what its request asked for.
ALTER TABLE sign_in_requests ADD COLUMN authn_context TEXT NOT NULL DEFAULT '';
UPDATE sign_in_requests SET authn_context = CASE substr(id, instr(id, '-ac') + 3)
		WHEN '0' THEN 'urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified'
		WHEN '1' THEN 'urn:oasis:names:tc:SAML:2.0:ac:classes:Password'
		WHEN '2' THEN 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport'
		WHEN '3' THEN 'urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorContract'
		WHEN '4' THEN 'urn:oasis:names:tc:SAML:2.0:ac:classes:TimeSyncToken'
		WHEN '5' THEN 'https://refeds.org/profile/mfa'
		WHEN '6' THEN 'http://schemas.microsoft.com/claims/multipleauthn'
		ELSE 'unknown'
	END
WHERE instr(id, '-ac') > 0;

-- What the sign-in log tells an admin about an attempt: its protocol (empty for Gatehouse's own sign-in, "saml"
-- for a SAML sign-on), how to fix a failure and the setting to change.
ALTER TABLE sign_in_events ADD COLUMN protocol TEXT NOT NULL DEFAULT '';
ALTER TABLE sign_in_events ADD COLUMN hint TEXT NOT NULL DEFAULT '';
ALTER TABLE sign_in_events ADD COLUMN setting TEXT NOT NULL DEFAULT '';
