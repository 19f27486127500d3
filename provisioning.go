package gatehouse

import (
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Provisioning modes: off, or automatic (Gatehouse creates, updates, disables and removes the app's accounts).
const (
	ProvisioningOff       = "off"
	ProvisioningAutomatic = "automatic"
)

// Provisioning scopes: only the users and groups assigned to the app, or every user and group of the directory.
const (
	ScopeAssigned = "assigned"
	ScopeAll      = "all"
)

// Deprovisioning actions: what happens to an app's account when its user leaves the scope, is disabled or is
// deleted.
const (
	// DeprovisionDisable sets the account's active attribute to false (PATCH active=false, or PUT).
	DeprovisionDisable = "disable"
	// DeprovisionDelete deletes the account (DELETE).
	DeprovisionDelete = "delete"
)

// Update methods: how a changed account is written to the app.
const (
	// UpdateAuto uses PATCH when the app's ServiceProviderConfig says it supports PATCH, and PUT otherwise.
	UpdateAuto  = "auto"
	UpdatePatch = "patch"
	UpdatePut   = "put"
)

// Attribute mapping kinds.
const (
	// MappingDirect copies a source attribute.
	MappingDirect = "direct"
	// MappingConstant sets a fixed value.
	MappingConstant = "constant"
	// MappingExpression computes the value with an expression such as Join(" ", [givenName], [surname]).
	MappingExpression = "expression"
)

// When a mapping applies.
const (
	// ApplyAlways writes the value when the account is created and whenever it changes.
	ApplyAlways = "always"
	// ApplyOnCreate writes the value only when the account is created.
	ApplyOnCreate = "create"
)

// The source attributes of users that mappings read. mailNickname is the part of mail before the @.
var ProvisioningUserSources = []string{"objectId", "userName", "givenName", "surname", "displayName", "mail",
	"mailNickname", "externalId", "department", "employeeNumber", "costCenter", "organization", "division"}

// The source attributes of groups that mappings read.
var ProvisioningGroupSources = []string{"objectId", "displayName", "description", "externalId"}

// AttributeMapping says how one attribute of an app's account (Target, a SCIM attribute path) gets its value.
type AttributeMapping struct {
	// Target is the attribute at the app: a SCIM attribute path such as userName, name.givenName,
	// emails[type eq "work"].value or urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department.
	Target string `json:"target"`
	// Kind is MappingDirect, MappingConstant or MappingExpression.
	Kind string `json:"kind"`
	// Source is the source attribute of a direct mapping (one of ProvisioningUserSources or ProvisioningGroupSources).
	Source string `json:"source,omitempty"`
	// Value is the value of a constant mapping.
	Value string `json:"value,omitempty"`
	// Expression is the expression of an expression mapping; docs/provisioning.md lists its functions.
	Expression string `json:"expression,omitempty"`
	// Apply is ApplyAlways or ApplyOnCreate.
	Apply string `json:"apply"`
	// Default is the value written when the mapping's value is empty.
	Default string `json:"default,omitempty"`
}

// Limits on provisioning settings.
const (
	MaxMappings          = 64
	MaxMappingExpression = 1024
)

// targetPathRE is what a mapping's target may look like: an attribute with an optional schema URN, an optional
// type filter and an optional sub-attribute.
var targetPathRE = regexp.MustCompile(`^(urn:[A-Za-z0-9:._-]+:)?[A-Za-z][A-Za-z0-9_-]*(\[type eq "[A-Za-z0-9 ._-]{1,64}"\])?(\.[A-Za-z$][A-Za-z0-9_-]*)?$`)

// ValidTargetPath reports whether p is a target attribute path a mapping may name.
func ValidTargetPath(p string) bool { return len(p) <= 256 && targetPathRE.MatchString(p) }

// validate returns EINVALID, naming the field, when the mapping cannot be stored; sources lists the source
// attributes it may read.
func (m *AttributeMapping) validate(field string, sources []string) error {
	switch {
	case !ValidTargetPath(m.Target):
		return FieldErrorf(field, "Target attribute %q is not a SCIM attribute path such as userName, name.givenName or emails[type eq \"work\"].value.", m.Target)
	case strings.EqualFold(m.Target, "active") || strings.EqualFold(m.Target, "members") || strings.EqualFold(m.Target, "id"):
		return FieldErrorf(field, "Target attribute %q is set by Gatehouse itself and cannot be mapped.", m.Target)
	case m.Apply != ApplyAlways && m.Apply != ApplyOnCreate:
		return FieldErrorf(field, "Mapping of %q: apply must be %q or %q.", m.Target, ApplyAlways, ApplyOnCreate)
	}
	switch m.Kind {
	case MappingDirect:
		if !oneOf(m.Source, sources) {
			return FieldErrorf(field, "Mapping of %q: source attribute %q is unknown; choose one of %s.", m.Target, m.Source, strings.Join(sources, ", "))
		}
		if m.Value != "" || m.Expression != "" {
			return FieldErrorf(field, "Mapping of %q: a direct mapping has a source attribute only.", m.Target)
		}
	case MappingConstant:
		if m.Source != "" || m.Expression != "" {
			return FieldErrorf(field, "Mapping of %q: a constant mapping has a value only.", m.Target)
		}
	case MappingExpression:
		if strings.TrimSpace(m.Expression) == "" || len(m.Expression) > MaxMappingExpression {
			return FieldErrorf(field, "Mapping of %q: an expression is 1 to %d characters.", m.Target, MaxMappingExpression)
		}
		if m.Source != "" || m.Value != "" {
			return FieldErrorf(field, "Mapping of %q: an expression mapping has an expression only.", m.Target)
		}
	default:
		return FieldErrorf(field, "Mapping of %q: kind %q is unknown; choose direct, constant or expression.", m.Target, m.Kind)
	}
	for _, v := range []string{m.Value, m.Default, m.Expression} {
		if len(v) > MaxMappingExpression || strings.ContainsAny(v, "\x00\r\n") || checkText(field, v) != nil {
			return FieldErrorf(field, "Mapping of %q: values are at most %d characters of text on one line.", m.Target, MaxMappingExpression)
		}
	}
	return nil
}

// Provisioning is an app's automatic user provisioning: where Gatehouse sends SCIM 2.0 requests, with which
// credentials, for whom, and how users and groups become the app's accounts.
type Provisioning struct {
	DirectoryID string `json:"directoryId"`
	AppID       string `json:"appId"`
	// Mode is ProvisioningOff or ProvisioningAutomatic.
	Mode string `json:"mode"`
	// TenantURL is the app's SCIM base URL, e.g. https://mixpanel.com/api/app/scim/v2.
	TenantURL string `json:"tenantUrl"`
	// SealedToken is the app's secret token (a bearer token) sealed with the instance's key-encryption key; it
	// never leaves the server. TokenSetAt says when it was set (zero: no token).
	SealedToken []byte    `json:"-"`
	TokenSetAt  time.Time `json:"tokenSetAt,omitzero"`
	// Scope is ScopeAssigned (the default) or ScopeAll.
	Scope string `json:"scope"`
	// MatchAttribute is the attribute of the app's accounts that finds the account of a user before one is created
	// (userName by default); its value comes from the user mapping with that target.
	MatchAttribute string `json:"matchAttribute"`
	// UserMappings and GroupMappings make the attributes of the app's users and groups.
	UserMappings  []AttributeMapping `json:"userMappings"`
	GroupMappings []AttributeMapping `json:"groupMappings"`
	// Groups reports whether groups in scope are provisioned as the app's groups, with their members.
	Groups bool `json:"groups"`
	// LeaveAction is what happens to the account of a user who leaves the scope or is disabled (DeprovisionDisable
	// by default), DeleteAction to that of a deleted user (DeprovisionDelete by default).
	LeaveAction  string `json:"leaveAction"`
	DeleteAction string `json:"deleteAction"`
	// UpdateMethod is UpdateAuto, UpdatePatch or UpdatePut.
	UpdateMethod string    `json:"updateMethod"`
	CreatedAt    time.Time `json:"createdAt"`
	UpdatedAt    time.Time `json:"updatedAt"`
}

// DefaultUserMappings returns the user mappings of an app without a gallery template's: userName, displayName,
// name.givenName, name.familyName, the work e-mail and externalId (the user's object ID).
func DefaultUserMappings() []AttributeMapping {
	return []AttributeMapping{
		{Target: "userName", Kind: MappingDirect, Source: "userName", Apply: ApplyAlways},
		{Target: "displayName", Kind: MappingDirect, Source: "displayName", Apply: ApplyAlways},
		{Target: "name.givenName", Kind: MappingDirect, Source: "givenName", Apply: ApplyAlways},
		{Target: "name.familyName", Kind: MappingDirect, Source: "surname", Apply: ApplyAlways},
		{Target: `emails[type eq "work"].value`, Kind: MappingDirect, Source: "mail", Apply: ApplyAlways},
		{Target: "externalId", Kind: MappingDirect, Source: "objectId", Apply: ApplyAlways},
	}
}

// DefaultGroupMappings returns the group mappings of an app without a gallery template's: displayName and
// externalId (the group's object ID).
func DefaultGroupMappings() []AttributeMapping {
	return []AttributeMapping{
		{Target: "displayName", Kind: MappingDirect, Source: "displayName", Apply: ApplyAlways},
		{Target: "externalId", Kind: MappingDirect, Source: "objectId", Apply: ApplyAlways},
	}
}

// DefaultProvisioning returns the settings of an app whose provisioning was never configured: off, assigned
// users and groups, matched on userName, the default mappings, groups provisioned, disable on leaving the scope
// and delete on deletion.
func DefaultProvisioning(dirID, appID string) *Provisioning {
	return &Provisioning{
		DirectoryID: dirID, AppID: appID, Mode: ProvisioningOff, Scope: ScopeAssigned, MatchAttribute: "userName",
		UserMappings: DefaultUserMappings(), GroupMappings: DefaultGroupMappings(), Groups: true,
		LeaveAction: DeprovisionDisable, DeleteAction: DeprovisionDelete, UpdateMethod: UpdateAuto,
	}
}

// Validate returns EINVALID, naming the field, when the settings cannot be stored. Expressions are checked by the
// provisioning engine, which evaluates them.
func (p *Provisioning) Validate() error {
	if p.Mode != ProvisioningOff && p.Mode != ProvisioningAutomatic {
		return FieldErrorf("mode", "Provisioning mode %q is unknown; choose off or automatic.", p.Mode)
	}
	if p.TenantURL != "" {
		if err := ValidTenantURL(p.TenantURL); err != nil {
			return err
		}
	}
	if p.Mode == ProvisioningAutomatic && (p.TenantURL == "" || len(p.SealedToken) == 0) {
		return FieldErrorf("mode", "Enter the tenant URL and the secret token before turning provisioning on.")
	}
	if p.Scope != ScopeAssigned && p.Scope != ScopeAll {
		return FieldErrorf("scope", "Scope %q is unknown; choose assigned or all.", p.Scope)
	}
	for _, f := range []struct{ field, v string }{{"leaveAction", p.LeaveAction}, {"deleteAction", p.DeleteAction}} {
		if f.v != DeprovisionDisable && f.v != DeprovisionDelete {
			return FieldErrorf(f.field, "%s %q is unknown; choose disable or delete.", f.field, f.v)
		}
	}
	if !oneOf(p.UpdateMethod, []string{UpdateAuto, UpdatePatch, UpdatePut}) {
		return FieldErrorf("updateMethod", "Update method %q is unknown; choose auto, patch or put.", p.UpdateMethod)
	}
	if len(p.UserMappings) > MaxMappings || len(p.GroupMappings) > MaxMappings {
		return FieldErrorf("userMappings", "At most %d mappings each for users and groups are allowed.", MaxMappings)
	}
	for _, set := range []struct {
		field   string
		list    []AttributeMapping
		sources []string
		must    string
	}{
		{"userMappings", p.UserMappings, ProvisioningUserSources, "userName"},
		{"groupMappings", p.GroupMappings, ProvisioningGroupSources, "displayName"},
	} {
		seen := map[string]bool{}
		for i := range set.list {
			m := &set.list[i]
			if err := m.validate(set.field, set.sources); err != nil {
				return err
			}
			if seen[strings.ToLower(m.Target)] {
				return FieldErrorf(set.field, "Target attribute %q is mapped twice.", m.Target)
			}
			seen[strings.ToLower(m.Target)] = true
		}
		if !seen[strings.ToLower(set.must)] {
			return FieldErrorf(set.field, "The %s need a mapping for %s.", set.field, set.must)
		}
	}
	if !ValidTargetPath(p.MatchAttribute) {
		return FieldErrorf("matchAttribute", "Matching attribute %q is not a SCIM attribute path.", p.MatchAttribute)
	}
	if !mapped(p.UserMappings, p.MatchAttribute) {
		return FieldErrorf("matchAttribute", "The matching attribute %q needs a user mapping with that target.", p.MatchAttribute)
	}
	return nil
}

func mapped(list []AttributeMapping, target string) bool {
	for _, m := range list {
		if strings.EqualFold(m.Target, target) {
			return true
		}
	}
	return false
}

// ValidTenantURL returns EINVALID (field "tenantUrl") unless s is an absolute http or https URL without user
// information, query or fragment.
func ValidTenantURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || len(s) > MaxURLLength || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" ||
		u.User != nil || u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(s, " \x00\r\n\t") {
		return FieldErrorf("tenantUrl", "The tenant URL %q must be an absolute https (or http) URL without a query, such as https://mixpanel.com/api/app/scim/v2.", s)
	}
	return nil
}

// ProvisioningCounts count what a provisioning cycle did.
type ProvisioningCounts struct {
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Disabled  int `json:"disabled"`
	Deleted   int `json:"deleted"`
	Unchanged int `json:"unchanged"`
	Skipped   int `json:"skipped"`
	Failed    int `json:"failed"`
}

// Provisioning cycle kinds.
const (
	// CycleInitial is the first full cycle after provisioning is turned on.
	CycleInitial = "initial"
	// CycleReconcile is a periodic full cycle that finds drift.
	CycleReconcile = "reconcile"
	// CycleRestart is a full cycle an admin asked for, or that changed settings start.
	CycleRestart = "restart"
)

// ProvisioningCycle is a full pass over an app's scope: every user and group in scope is matched, created or
// updated, and every account Gatehouse provisioned whose user left the scope is disabled or deleted.
type ProvisioningCycle struct {
	ID   string `json:"id"`
	Kind string `json:"kind"`
	// Phase and Cursor say how far it got, so that a cycle interrupted by a restart continues where it stopped.
	Phase      string             `json:"phase"`
	Cursor     string             `json:"cursor"`
	StartedAt  time.Time          `json:"startedAt"`
	FinishedAt time.Time          `json:"finishedAt,omitzero"`
	Counts     ProvisioningCounts `json:"counts"`
}

// Quarantine is the state of an app whose target refuses the credentials or fails most requests: cycles stop,
// and Gatehouse probes the target less and less often until it answers again.
type Quarantine struct {
	Since  time.Time `json:"since"`
	Reason string    `json:"reason"`
	// Probes counts the probes that failed since.
	Probes      int       `json:"probes"`
	NextProbeAt time.Time `json:"nextProbeAt"`
}

// ProvisioningStatus is the provisioning engine's record of an app: the node holding its lease, the cycle
// running and the last one, the next periodic cycle, and the quarantine.
type ProvisioningStatus struct {
	DirectoryID string `json:"directoryId"`
	AppID       string `json:"appId"`
	// LeaseOwner names the node that runs the app's provisioning until LeaseUntil; one node at a time does.
	LeaseOwner string    `json:"-"`
	LeaseUntil time.Time `json:"-"`
	// Cycle is the cycle running (or interrupted), nil when none.
	Cycle *ProvisioningCycle `json:"cycle,omitempty"`
	// LastCycle is the last cycle that finished; LastSuccessAt is when the last cycle finished without a failure.
	LastCycle     *ProvisioningCycle `json:"lastCycle,omitempty"`
	LastSuccessAt time.Time          `json:"lastSuccessAt,omitzero"`
	// NextCycleAt is when the next periodic cycle starts.
	NextCycleAt time.Time   `json:"nextCycleAt,omitzero"`
	Quarantine  *Quarantine `json:"quarantine,omitempty"`
	// CycleRequestedAt and RetryRequestedAt record an admin's request (or a settings change) for a full cycle and
	// for a retry now; the engine consumes them.
	CycleRequestedAt time.Time `json:"-"`
	RetryRequestedAt time.Time `json:"-"`
}

// Requests the provisioning engine consumes (see ConsumeProvisioningRequest).
const (
	RequestCycle = "cycle"
	RequestRetry = "retry"
)

// Object types of provisioning.
const (
	ObjectUser  = "user"
	ObjectGroup = "group"
)

// ProvisioningJob is a change to push to an app: the user or group with ObjectID changed (or was assigned,
// unassigned, deleted) and its account at the app must be made to match. Jobs are stored in the transaction of the
// change, so none is lost; a job requested again while it waits is one job.
type ProvisioningJob struct {
	DirectoryID string `json:"directoryId"`
	AppID       string `json:"appId"`
	ObjectType  string `json:"objectType"`
	ObjectID    string `json:"objectId"`
	// Reason says what caused it, for the log (for example "user.update" or "on-demand").
	Reason string `json:"reason"`
	// OnDemand is the ID of the provision-on-demand request the job answers, "" for an ordinary change. An
	// on-demand job runs even while provisioning is off or the app is in quarantine.
	OnDemand string `json:"onDemand,omitempty"`
	// RequestedAt is when it was last requested; NotBefore when it may run next.
	RequestedAt time.Time `json:"requestedAt"`
	NotBefore   time.Time `json:"notBefore"`
	// Attempts counts the failed attempts since it was last requested; LastError says why the last one failed.
	Attempts  int    `json:"attempts"`
	LastError string `json:"lastError,omitempty"`
}

// ProvisionedObject links a user or group of the directory to its account at an app: the app's id of the
// account, kept so that the account is found again without a search and never created twice.
type ProvisionedObject struct {
	DirectoryID string `json:"directoryId"`
	AppID       string `json:"appId"`
	ObjectType  string `json:"objectType"`
	SourceID    string `json:"sourceId"`
	// SourceName is the user name or group name when it was last provisioned.
	SourceName string `json:"sourceName"`
	TargetID   string `json:"targetId"`
	// Active reports whether the account is active at the app (false once it was disabled).
	Active    bool      `json:"active"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// Provisioning actions.
const (
	ActionCreate  = "create"
	ActionUpdate  = "update"
	ActionDisable = "disable"
	ActionDelete  = "delete"
	ActionSkip    = "skip"
)

// ResultSkipped is the result of a provisioning action that did nothing, with the reason.
const ResultSkipped = "skipped"

// Provisioning triggers: what made Gatehouse act.
const (
	TriggerIncremental = "incremental"
	TriggerOnDemand    = "on-demand"
)

// AttributeChange is one attribute an action changed at the app, with its value before and after.
type AttributeChange struct {
	Attribute string `json:"attribute"`
	Before    string `json:"before"`
	After     string `json:"after"`
}

// ProvisioningStep is one step of provisioning a user or group, as provision on demand shows it.
type ProvisioningStep struct {
	// Name is one of connection, source, scope, match, action.
	Name   string `json:"name"`
	Result string `json:"result"`
	Detail string `json:"detail"`
}

// ProvisioningEvent is one entry of the provisioning log: an action on one account at an app, its result, what it
// changed, and, when it failed, the HTTP status and the body the app answered with.
type ProvisioningEvent struct {
	ID          string    `json:"id"`
	DirectoryID string    `json:"directoryId"`
	AppID       string    `json:"appId"`
	AppName     string    `json:"appName"`
	Time        time.Time `json:"time"`
	// CycleID is the cycle (or on-demand request) the action was part of, "" for an incremental push.
	CycleID string `json:"cycleId,omitempty"`
	// Trigger is TriggerIncremental, TriggerOnDemand or a cycle kind.
	Trigger    string `json:"trigger"`
	ObjectType string `json:"objectType"`
	SourceID   string `json:"sourceId"`
	SourceName string `json:"sourceName"`
	TargetID   string `json:"targetId,omitempty"`
	Action     string `json:"action"`
	// Result is ResultSuccess, ResultFailure or ResultSkipped; Reason says why it failed or was skipped.
	Result  string            `json:"result"`
	Reason  string            `json:"reason,omitempty"`
	Changes []AttributeChange `json:"changes,omitempty"`
	// Steps are the steps the action went through.
	Steps []ProvisioningStep `json:"steps,omitempty"`
	// HTTPStatus and ErrorBody are the app's answer to the request that failed.
	HTTPStatus int    `json:"httpStatus,omitempty"`
	ErrorBody  string `json:"errorBody,omitempty"`
	// Target says where the requests went: the tenant URL's host and the address connected to.
	Target string `json:"target,omitempty"`
	// DurationMS is how long the action took, in milliseconds.
	DurationMS int64 `json:"durationMs"`
}

// ProvisioningFilter selects provisioning log entries. Zero values match everything.
type ProvisioningFilter struct {
	AppID string
	// Object matches the source ID exactly or the source name by substring, ignoring case.
	Object string
	Action string
	Result string
	// CycleID matches a cycle or an on-demand request.
	CycleID      string
	Since, Until time.Time
	Offset       int
	// Limit caps the result; 0 means the store's default of 100, and no more than 1000 are returned.
	Limit int
}
