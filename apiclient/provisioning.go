package apiclient

import (
	"context"
	"net/http"
	"time"

	"github.com/gatehouse-idp/gatehouse"
)

// ProvisioningTemplate is what an app's gallery template says of the app's SCIM service.
type ProvisioningTemplate struct {
	Supported      bool                         `json:"supported"`
	TenantURL      string                       `json:"tenantUrl,omitempty"`
	Auth           string                       `json:"auth,omitempty"`
	Groups         bool                         `json:"groups"`
	MatchAttribute string                       `json:"matchAttribute,omitempty"`
	UserMappings   []gatehouse.AttributeMapping `json:"userMappings,omitempty"`
	GroupMappings  []gatehouse.AttributeMapping `json:"groupMappings,omitempty"`
	Notes          string                       `json:"notes,omitempty"`
	Unverified     []string                     `json:"unverified,omitempty"`
	Docs           string                       `json:"docs,omitempty"`
}

// Provisioning is an app's automatic provisioning: its settings (never the token: TokenSet says whether one is
// set), the engine's status, and counts.
type Provisioning struct {
	Settings    *gatehouse.Provisioning       `json:"settings"`
	TokenSet    bool                          `json:"tokenSet"`
	Configured  bool                          `json:"configured"`
	Status      *gatehouse.ProvisioningStatus `json:"status,omitempty"`
	Queued      int                           `json:"queued"`
	Users       int                           `json:"users"`
	ActiveUsers int                           `json:"activeUsers"`
	Groups      int                           `json:"groups"`
	Interval    int64                         `json:"intervalSeconds"`
	Template    *ProvisioningTemplate         `json:"template,omitempty"`
}

// ProvisioningPatch lists the provisioning settings to change; nil fields stay as they are. Token is write-only.
type ProvisioningPatch struct {
	Mode           *string                       `json:"mode,omitempty"`
	TenantURL      *string                       `json:"tenantUrl,omitempty"`
	Token          *string                       `json:"token,omitempty"`
	Scope          *string                       `json:"scope,omitempty"`
	MatchAttribute *string                       `json:"matchAttribute,omitempty"`
	UserMappings   *[]gatehouse.AttributeMapping `json:"userMappings,omitempty"`
	GroupMappings  *[]gatehouse.AttributeMapping `json:"groupMappings,omitempty"`
	Groups         *bool                         `json:"groups,omitempty"`
	LeaveAction    *string                       `json:"leaveAction,omitempty"`
	DeleteAction   *string                       `json:"deleteAction,omitempty"`
	UpdateMethod   *string                       `json:"updateMethod,omitempty"`
}

// ConnectionTest is what to test: a tenant URL and token, or, for those left empty, the saved ones.
type ConnectionTest struct {
	TenantURL string `json:"tenantUrl,omitempty"`
	Token     string `json:"token,omitempty"`
}

// ConnectionTestResult is the outcome of a connection test; Message names the HTTP status and the body the app
// answered when it failed.
type ConnectionTestResult struct {
	OK         bool                         `json:"ok"`
	Steps      []gatehouse.ProvisioningStep `json:"steps"`
	Message    string                       `json:"message,omitempty"`
	HTTPStatus int                          `json:"httpStatus,omitempty"`
	ErrorBody  string                       `json:"errorBody,omitempty"`
	Target     string                       `json:"target"`
	Patch      bool                         `json:"patch"`
}

// OnDemand is what provision on demand did: the log entries of the request, the one asked for last.
type OnDemand struct {
	RequestID string                         `json:"requestId"`
	Events    []*gatehouse.ProvisioningEvent `json:"events"`
}

// ProvisioningLogQuery filters the provisioning log; zero values match everything.
type ProvisioningLogQuery struct {
	// App limits the directory's log to one app (ignored by AppProvisioningLog).
	App string
	// Object is a user or group ID, or part of its name.
	Object, Action, Result, Cycle string
	Since, Until                  time.Time
	Offset, Limit                 int
}

func (q ProvisioningLogQuery) values(withApp bool) []string {
	pairs := []string{"object", q.Object, "action", q.Action, "result", q.Result, "cycle", q.Cycle,
		"offset", itoa(q.Offset), "limit", itoa(q.Limit)}
	if withApp {
		pairs = append(pairs, "app", q.App)
	}
	for _, t := range []struct {
		name string
		v    time.Time
	}{{"since", q.Since}, {"until", q.Until}} {
		if !t.v.IsZero() {
			pairs = append(pairs, t.name, t.v.UTC().Format(time.RFC3339))
		}
	}
	return pairs
}

// GetProvisioning returns an app's provisioning.
func (c *Client) GetProvisioning(ctx context.Context, dir, appID string) (*Provisioning, error) {
	return get[Provisioning](ctx, c, dirPath(dir, "apps", appID, "provisioning"))
}

// UpdateProvisioning changes an app's provisioning settings.
func (c *Client) UpdateProvisioning(ctx context.Context, dir, appID string, in ProvisioningPatch) (*Provisioning, error) {
	return send[Provisioning](ctx, c, http.MethodPatch, dirPath(dir, "apps", appID, "provisioning"), in)
}

// TestProvisioning tests the connection to the app's SCIM service; a refusal by the app is the result, not an error.
func (c *Client) TestProvisioning(ctx context.Context, dir, appID string, in ConnectionTest) (*ConnectionTestResult, error) {
	return send[ConnectionTestResult](ctx, c, http.MethodPost, dirPath(dir, "apps", appID, "provisioning", "test"), in)
}

// ProvisionOnDemand provisions one user or group (objectType "user" or "group") now and returns what it did.
func (c *Client) ProvisionOnDemand(ctx context.Context, dir, appID, objectType, objectID string) (*OnDemand, error) {
	return send[OnDemand](ctx, c, http.MethodPost, dirPath(dir, "apps", appID, "provisioning", "on-demand"),
		map[string]string{"objectType": objectType, "objectId": objectID})
}

// RetryProvisioning tries the app's provisioning again now (and probes an app in quarantine).
func (c *Client) RetryProvisioning(ctx context.Context, dir, appID string) error {
	_, err := c.do(ctx, http.MethodPost, dirPath(dir, "apps", appID, "provisioning", "retry"), nil, nil, nil)
	return err
}

// RestartProvisioning starts a new full cycle of the app's provisioning.
func (c *Client) RestartProvisioning(ctx context.Context, dir, appID string) error {
	_, err := c.do(ctx, http.MethodPost, dirPath(dir, "apps", appID, "provisioning", "restart"), nil, nil, nil)
	return err
}

// AppProvisioningLog lists an app's provisioning log, newest first.
func (c *Client) AppProvisioningLog(ctx context.Context, dir, appID string, q ProvisioningLogQuery) ([]*gatehouse.ProvisioningEvent, int, error) {
	return list[*gatehouse.ProvisioningEvent](ctx, c, dirPath(dir, "apps", appID, "provisioning", "log"), query(q.values(false)...))
}

// ProvisioningLog lists the directory's provisioning log, newest first.
func (c *Client) ProvisioningLog(ctx context.Context, dir string, q ProvisioningLogQuery) ([]*gatehouse.ProvisioningEvent, int, error) {
	return list[*gatehouse.ProvisioningEvent](ctx, c, dirPath(dir, "provisioning-log"), query(q.values(true)...))
}

// GetProvisioningEvent returns one provisioning log entry.
func (c *Client) GetProvisioningEvent(ctx context.Context, dir, id string) (*gatehouse.ProvisioningEvent, error) {
	return get[gatehouse.ProvisioningEvent](ctx, c, dirPath(dir, "provisioning-log", id))
}
