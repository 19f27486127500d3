package main

import (
	"strings"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/apiclient"
)

// passkeyHeader and passkeyRow make the table of a user's passkeys.
var passkeyHeader = []string{"ID", "NAME", "AAGUID", "SYNCED", "ADDED", "LAST USED"}

func passkeyRow(p *gatehouse.Passkey) []string {
	last := "never"
	if p.LastUsedAt != nil {
		last = fmtTime(*p.LastUsedAt)
	}
	synced := "no"
	if p.BackupEligible {
		synced = "yes"
	}
	return []string{p.ID, p.Name, p.AAGUID, synced, fmtTime(p.CreatedAt), last}
}

func userPasskeys(c *cli, args []string) error {
	fs := c.newFlagSet()
	pos, err := c.parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	cl := c.client()
	u, err := c.resolveUser(cl, pos[0])
	if err != nil {
		return err
	}
	keys, err := cl.ListUserPasskeys(c.ctx, c.directory, u.ID)
	if err != nil {
		return err
	}
	return printList(c, keys, len(keys), "passkeys", passkeyHeader, passkeyRow)
}

func userRemovePasskey(c *cli, args []string) error {
	fs := c.newFlagSet()
	pos, err := c.parse(fs, args, 2, 2)
	if err != nil {
		return err
	}
	cl := c.client()
	u, err := c.resolveUser(cl, pos[0])
	if err != nil {
		return err
	}
	if err := cl.DeleteUserPasskey(c.ctx, c.directory, u.ID, pos[1]); err != nil {
		return err
	}
	c.say("Removed passkey %s of %s; their sessions have ended.", clean(pos[1]), clean(u.UserName))
	return nil
}

// passkeyPolicyFields describes a passkey policy as key-value lines.
func passkeyPolicyFields(p *gatehouse.PasskeyPolicy) [][2]string {
	aaguids := "any"
	if len(p.AAGUIDs) > 0 {
		aaguids = strings.Join(p.AAGUIDs, ", ")
	}
	require := "no"
	if p.RequirePhishingResistant {
		require = "yes (every sign-in uses a passkey)"
	}
	return [][2]string{
		{"Directory", p.DirectoryID},
		{"Passkeys", string(p.Passkeys)},
		{"Require phishing-resistant", require},
		{"Recovery codes", string(p.RecoveryCodes)},
		{"Allowed AAGUIDs", aaguids},
	}
}

func passkeyPolicyShow(c *cli, args []string) error {
	fs := c.newFlagSet()
	pos, err := c.parse(fs, args, 0, 1)
	if err != nil {
		return err
	}
	p, err := c.client().GetPasskeyPolicy(c.ctx, c.directoryArg(pos))
	if err != nil {
		return err
	}
	return c.printFields(p, passkeyPolicyFields(p))
}

func passkeyPolicySet(c *cli, args []string) error {
	fs := c.newFlagSet()
	use := fs.String("passkeys", "", "what passkeys may do: `USE` passwordless (sign in alone or as the second step), second-factor or off")
	require := fs.Bool("require-phishing-resistant", false, "whether every sign-in must use a passkey, so that a password with an authenticator app's code is not enough (=false to turn off)")
	recovery := fs.String("recovery-codes", "", "whether users get one-time recovery codes: `allowed` or off")
	aaguids := fs.String("aaguids", "", "the only authenticator models whose passkeys may be added, as comma-separated `AAGUIDS` (\"\" allows any)")
	pos, err := c.parse(fs, args, 0, 1)
	if err != nil {
		return err
	}
	var in apiclient.PasskeyPolicyPatch
	if given(fs, "passkeys", use) != nil {
		u := gatehouse.PasskeyUse(*use)
		in.Passkeys = &u
	}
	in.RequirePhishingResistant = given(fs, "require-phishing-resistant", require)
	if given(fs, "recovery-codes", recovery) != nil {
		r := gatehouse.RecoveryCodeUse(*recovery)
		in.RecoveryCodes = &r
	}
	if given(fs, "aaguids", aaguids) != nil {
		list := []string{}
		for _, a := range strings.Split(*aaguids, ",") {
			if a = strings.TrimSpace(a); a != "" {
				list = append(list, a)
			}
		}
		in.AAGUIDs = &list
	}
	if in == (apiclient.PasskeyPolicyPatch{}) {
		return usagef("nothing to change: give --passkeys, --require-phishing-resistant, --recovery-codes or --aaguids")
	}
	p, err := c.client().UpdatePasskeyPolicy(c.ctx, c.directoryArg(pos), in)
	if err != nil {
		return err
	}
	return c.printFields(p, passkeyPolicyFields(p))
}
