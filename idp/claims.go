package idp

import (
	"context"
	"regexp"
	"strings"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/saml"
)

// maxClaimValueLen bounds a value a transform produces.
const maxClaimValueLen = 4096

// AttributeValue returns the value of a user attribute such as gatehouse.AttrMail.
func AttributeValue(u *gatehouse.User, source string) string {
	switch source {
	case gatehouse.AttrUserName:
		return u.UserName
	case gatehouse.AttrMail:
		return u.Mail
	case gatehouse.AttrGivenName:
		return u.FirstName
	case gatehouse.AttrSurname:
		return u.LastName
	case gatehouse.AttrDisplayName:
		return u.DisplayName
	case gatehouse.AttrObjectID:
		return u.ID
	}
	return ""
}

// Claims returns the attributes an app receives for a user: each claim's values (the source attribute, the
// constants, or the names of the user's groups, all of them or only those assigned to the app), transformed, with
// the fallback when none is left. Claims without a value are left out, as in the seed system.
func (s *Service) Claims(ctx context.Context, app *gatehouse.App, u *gatehouse.User) ([]saml.Attribute, error) {
	return s.claimValues(ctx, app, u, app.SAML.Claims)
}

// claimValues returns the values of claims for a user at an app, as Claims describes: the one machinery behind a
// SAML app's attributes and an OpenID Connect app's claims.
func (s *Service) claimValues(ctx context.Context, app *gatehouse.App, u *gatehouse.User, claims []gatehouse.Claim) ([]saml.Attribute, error) {
	var all, assigned []string // group names, looked up once and only when a claim needs them
	groupsLoaded := false
	out := make([]saml.Attribute, 0, len(claims))
	for _, c := range claims {
		var values []string
		switch {
		case c.Groups != "":
			if !groupsLoaded {
				var err error
				if all, assigned, err = s.userGroups(ctx, app, u); err != nil {
					return nil, err
				}
				groupsLoaded = true
			}
			values = all
			if c.Groups == gatehouse.ClaimGroupsAssigned {
				values = assigned
			}
		case c.Source != "":
			if v := AttributeValue(u, c.Source); v != "" {
				values = []string{v}
			}
		default:
			for _, v := range append([]string{c.Value}, c.Values...) {
				if v != "" {
					values = append(values, v)
				}
			}
		}
		values = transform(&c, u, values)
		if len(values) == 0 {
			if v := AttributeValue(u, c.FallbackSource); v != "" {
				values = []string{v}
			} else if c.FallbackValue != "" {
				values = []string{c.FallbackValue}
			}
		}
		if len(values) == 0 {
			continue
		}
		out = append(out, saml.Attribute{Name: c.Name, NameFormat: c.NameFormat, Values: values})
	}
	return out, nil
}

// userGroups returns the names of the user's groups, and of those among them that are assigned to the app.
func (s *Service) userGroups(ctx context.Context, app *gatehouse.App, u *gatehouse.User) (all, assigned []string, err error) {
	gs, err := s.store.FindUserGroups(ctx, app.DirectoryID, u.ID)
	if err != nil {
		return nil, nil, err
	}
	as, err := s.store.FindAssignments(ctx, app.DirectoryID, app.ID)
	if err != nil {
		return nil, nil, err
	}
	isAssigned := map[string]bool{}
	for _, a := range as {
		if a.PrincipalType == gatehouse.PrincipalGroup {
			isAssigned[a.PrincipalID] = true
		}
	}
	for _, g := range gs {
		all = append(all, g.Name)
		if isAssigned[g.ID] {
			assigned = append(assigned, g.Name)
		}
	}
	return all, assigned, nil
}

// transform applies a claim's transform to each value and drops the values left empty.
func transform(c *gatehouse.Claim, u *gatehouse.User, values []string) []string {
	if c.Transform == "" || len(values) == 0 {
		return values
	}
	var re *regexp.Regexp
	if c.Transform == gatehouse.TransformRegexReplace {
		var err error
		// Go's regular expressions (RE2) run in time linear in the input, and Validate bounded the pattern.
		if re, err = regexp.Compile(c.Pattern); err != nil {
			return nil
		}
	}
	out := make([]string, 0, len(values))
	for _, v := range values {
		switch c.Transform {
		case gatehouse.TransformJoin:
			other := c.JoinValue
			if c.JoinSource != "" {
				other = AttributeValue(u, c.JoinSource)
			}
			if other != "" {
				v += c.Separator + other
			}
		case gatehouse.TransformLower:
			v = strings.ToLower(v)
		case gatehouse.TransformUpper:
			v = strings.ToUpper(v)
		case gatehouse.TransformMailPrefix:
			v, _, _ = strings.Cut(v, "@")
		case gatehouse.TransformRegexReplace:
			v = re.ReplaceAllString(v, c.Replacement)
		}
		if len(v) > maxClaimValueLen {
			v = v[:maxClaimValueLen]
		}
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}
