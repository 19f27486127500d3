package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/gatehouse-idp/gatehouse"
)

// provisioningSettings is the part of gatehouse.Provisioning kept as the JSON column settings.
type provisioningSettings struct {
	Scope          string                       `json:"scope"`
	MatchAttribute string                       `json:"matchAttribute"`
	UserMappings   []gatehouse.AttributeMapping `json:"userMappings"`
	GroupMappings  []gatehouse.AttributeMapping `json:"groupMappings"`
	Groups         bool                         `json:"groups"`
	LeaveAction    string                       `json:"leaveAction"`
	DeleteAction   string                       `json:"deleteAction"`
	UpdateMethod   string                       `json:"updateMethod"`
}

const provisioningColumns = `directory_id, app_id, mode, tenant_url, sealed_token, token_set_at, settings, created_at,
	updated_at`

// zeroTime returns *t in UTC, or the zero time for NULL.
func zeroTime(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

func scanProvisioning(row scanner) (*gatehouse.Provisioning, error) {
	var p gatehouse.Provisioning
	var settings string
	var tokenSetAt *time.Time
	if err := row.Scan(&p.DirectoryID, &p.AppID, &p.Mode, &p.TenantURL, &p.SealedToken, &tokenSetAt, &settings,
		&p.CreatedAt, &p.UpdatedAt); err != nil {
		return nil, err
	}
	p.TokenSetAt, p.CreatedAt, p.UpdatedAt = zeroTime(tokenSetAt), utc(p.CreatedAt), utc(p.UpdatedAt)
	var ps provisioningSettings
	if err := json.Unmarshal([]byte(settings), &ps); err != nil {
		return nil, fmt.Errorf("provisioning settings of app %s: %w", p.AppID, err)
	}
	p.Scope, p.MatchAttribute, p.UserMappings, p.GroupMappings = ps.Scope, ps.MatchAttribute, ps.UserMappings, ps.GroupMappings
	p.Groups, p.LeaveAction, p.DeleteAction, p.UpdateMethod = ps.Groups, ps.LeaveAction, ps.DeleteAction, ps.UpdateMethod
	return &p, nil
}

// SetProvisioning stores an app's provisioning settings, creating the row or replacing the settings in it.
func (s *Store) SetProvisioning(ctx context.Context, p *gatehouse.Provisioning) error {
	settings, err := json.Marshal(provisioningSettings{p.Scope, p.MatchAttribute, p.UserMappings, p.GroupMappings,
		p.Groups, p.LeaveAction, p.DeleteAction, p.UpdateMethod})
	if err != nil {
		return wrap(err, "set provisioning")
	}
	_, err = s.db.Exec(ctx, `INSERT INTO app_provisioning (`+provisioningColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (directory_id, app_id) DO UPDATE SET mode = $3, tenant_url = $4, sealed_token = $5,
			token_set_at = $6, settings = $7, updated_at = $9`,
		p.DirectoryID, p.AppID, p.Mode, p.TenantURL, p.SealedToken, nullTime(p.TokenSetAt), string(settings),
		p.CreatedAt, p.UpdatedAt)
	return wrap(err, "set provisioning")
}

// FindProvisioning returns an app's provisioning settings.
func (s *Store) FindProvisioning(ctx context.Context, directoryID, appID string) (*gatehouse.Provisioning, error) {
	p, err := scanProvisioning(s.db.QueryRow(ctx, `SELECT `+provisioningColumns+` FROM app_provisioning
		WHERE directory_id = $1 AND app_id = $2`, directoryID, appID))
	if err != nil {
		return nil, notFound(err, "find provisioning", "The app's provisioning is not configured.")
	}
	return p, nil
}

// FindProvisionings returns the provisioning settings of a directory's apps, or of every directory's.
func (s *Store) FindProvisionings(ctx context.Context, directoryID, mode string) ([]*gatehouse.Provisioning, error) {
	return queryList(ctx, s.db, "find provisionings", scanProvisioning, `SELECT `+provisioningColumns+`
		FROM app_provisioning WHERE ($1 = '' OR directory_id = $1) AND ($2 = '' OR mode = $2)
		ORDER BY app_id, directory_id`, directoryID, mode)
}

const provisioningStatusColumns = `directory_id, app_id, lease_owner, lease_until, cycle, last_cycle, last_success_at,
	next_cycle_at, quarantine, cycle_requested_at, retry_requested_at`

func scanProvisioningStatus(row scanner) (*gatehouse.ProvisioningStatus, error) {
	var st gatehouse.ProvisioningStatus
	var cycle, last, quarantine string
	var leaseUntil, lastSuccess, nextCycle, cycleReq, retryReq *time.Time
	if err := row.Scan(&st.DirectoryID, &st.AppID, &st.LeaseOwner, &leaseUntil, &cycle, &last, &lastSuccess,
		&nextCycle, &quarantine, &cycleReq, &retryReq); err != nil {
		return nil, err
	}
	st.LeaseUntil, st.LastSuccessAt, st.NextCycleAt = zeroTime(leaseUntil), zeroTime(lastSuccess), zeroTime(nextCycle)
	st.CycleRequestedAt, st.RetryRequestedAt = zeroTime(cycleReq), zeroTime(retryReq)
	for _, f := range []struct {
		text string
		v    any
	}{{cycle, &st.Cycle}, {last, &st.LastCycle}, {quarantine, &st.Quarantine}} {
		if f.text != "" {
			if err := json.Unmarshal([]byte(f.text), f.v); err != nil {
				return nil, fmt.Errorf("provisioning status of app %s: %w", st.AppID, err)
			}
		}
	}
	return &st, nil
}

// jsonOrEmpty returns v as JSON, or "" when v is a nil pointer.
func jsonOrEmpty[T any](v *T) string {
	if v == nil {
		return ""
	}
	b, _ := json.Marshal(v) // the status types always marshal
	return string(b)
}

// FindProvisioningStatus returns an app's provisioning status.
func (s *Store) FindProvisioningStatus(ctx context.Context, directoryID, appID string) (*gatehouse.ProvisioningStatus, error) {
	st, err := scanProvisioningStatus(s.db.QueryRow(ctx, `SELECT `+provisioningStatusColumns+`
		FROM app_provisioning WHERE directory_id = $1 AND app_id = $2`, directoryID, appID))
	if err != nil {
		return nil, notFound(err, "find provisioning status", "The app's provisioning is not configured.")
	}
	return st, nil
}

// FindProvisioningDue returns the status of the apps with provisioning work due whose lease is free or owner's.
func (s *Store) FindProvisioningDue(ctx context.Context, owner string, now time.Time) ([]*gatehouse.ProvisioningStatus, error) {
	return queryList(ctx, s.db, "find provisioning due", scanProvisioningStatus, `SELECT `+provisioningStatusColumns+`
		FROM app_provisioning p
		WHERE (p.lease_owner = $1 OR p.lease_until IS NULL OR p.lease_until < $2) AND (
			EXISTS (SELECT 1 FROM provisioning_jobs j WHERE j.directory_id = p.directory_id AND j.app_id = p.app_id
				AND j.on_demand <> '' AND j.not_before <= $2)
			OR p.mode = 'automatic' AND (p.retry_requested_at IS NOT NULL OR (CASE WHEN p.quarantine = ''
				THEN p.cycle <> '' OR p.cycle_requested_at IS NOT NULL OR coalesce(p.next_cycle_at <= $2, false)
					OR EXISTS (SELECT 1 FROM provisioning_jobs j WHERE j.directory_id = p.directory_id
						AND j.app_id = p.app_id AND j.not_before <= $2)
				ELSE coalesce(p.next_probe_at <= $2, false) END)))
		ORDER BY p.app_id, p.directory_id`, owner, now)
}

// ClaimProvisioning takes or renews the lease of an app's provisioning.
func (s *Store) ClaimProvisioning(ctx context.Context, directoryID, appID, owner string, now, until time.Time) (*gatehouse.ProvisioningStatus, error) {
	st, err := scanProvisioningStatus(s.db.QueryRow(ctx, `UPDATE app_provisioning SET lease_owner = $3, lease_until = $5
		WHERE directory_id = $1 AND app_id = $2 AND (lease_owner = $3 OR lease_until IS NULL OR lease_until < $4)
		RETURNING `+provisioningStatusColumns, directoryID, appID, owner, now, until))
	if err == nil {
		return st, nil
	}
	if err := notFound(err, "claim provisioning", ""); gatehouse.ErrorCode(err) != gatehouse.ENOTFOUND {
		return nil, err
	}
	if _, err := s.FindProvisioningStatus(ctx, directoryID, appID); err != nil {
		return nil, err
	}
	return nil, gatehouse.Errorf(gatehouse.ECONFLICT, "Another node runs the app's provisioning.")
}

// ReleaseProvisioning frees owner's lease.
func (s *Store) ReleaseProvisioning(ctx context.Context, directoryID, appID, owner string) error {
	_, err := s.db.Exec(ctx, `UPDATE app_provisioning SET lease_owner = '', lease_until = NULL
		WHERE directory_id = $1 AND app_id = $2 AND lease_owner = $3`, directoryID, appID, owner)
	return wrap(err, "release provisioning")
}

// UpdateProvisioningStatus stores the engine's part of the status while st.LeaseOwner holds the lease.
func (s *Store) UpdateProvisioningStatus(ctx context.Context, st *gatehouse.ProvisioningStatus) error {
	var probe *time.Time
	if st.Quarantine != nil {
		probe = &st.Quarantine.NextProbeAt
	}
	tag, err := s.db.Exec(ctx, `UPDATE app_provisioning SET cycle = $4, last_cycle = $5, last_success_at = $6,
		next_cycle_at = $7, quarantine = $8, next_probe_at = $9
		WHERE directory_id = $1 AND app_id = $2 AND lease_owner = $3 AND $3 <> ''`,
		st.DirectoryID, st.AppID, st.LeaseOwner, jsonOrEmpty(st.Cycle), jsonOrEmpty(st.LastCycle),
		nullTime(st.LastSuccessAt), nullTime(st.NextCycleAt), jsonOrEmpty(st.Quarantine), probe)
	if err != nil {
		return wrap(err, "update provisioning status")
	}
	if tag.RowsAffected() == 0 {
		return gatehouse.Errorf(gatehouse.ECONFLICT, "The provisioning lease of the app was lost.")
	}
	return nil
}

// requestColumn returns the column of a provisioning request.
func requestColumn(request string) (string, error) {
	switch request {
	case gatehouse.RequestCycle:
		return "cycle_requested_at", nil
	case gatehouse.RequestRetry:
		return "retry_requested_at", nil
	}
	return "", gatehouse.Internal(fmt.Errorf("postgres: unknown provisioning request %q", request))
}

// RequestProvisioning records an admin's request.
func (s *Store) RequestProvisioning(ctx context.Context, directoryID, appID, request string, at time.Time) error {
	col, err := requestColumn(request)
	if err != nil {
		return err
	}
	return s.exec(ctx, "request provisioning", "The app's provisioning is not configured.",
		`UPDATE app_provisioning SET `+col+` = $3 WHERE directory_id = $1 AND app_id = $2`, directoryID, appID, at)
}

// ConsumeProvisioningRequest clears a request made at at.
func (s *Store) ConsumeProvisioningRequest(ctx context.Context, directoryID, appID, request string, at time.Time) error {
	col, err := requestColumn(request)
	if err != nil {
		return err
	}
	_, err = s.db.Exec(ctx, `UPDATE app_provisioning SET `+col+` = NULL
		WHERE directory_id = $1 AND app_id = $2 AND `+col+` = $3`, directoryID, appID, at)
	return wrap(err, "consume provisioning request")
}

const provisioningJobColumns = `directory_id, app_id, object_type, object_id, reason, on_demand, requested_at,
	not_before, attempts, last_error`

func scanProvisioningJob(row scanner) (*gatehouse.ProvisioningJob, error) {
	var j gatehouse.ProvisioningJob
	if err := row.Scan(&j.DirectoryID, &j.AppID, &j.ObjectType, &j.ObjectID, &j.Reason, &j.OnDemand, &j.RequestedAt,
		&j.NotBefore, &j.Attempts, &j.LastError); err != nil {
		return nil, err
	}
	j.RequestedAt, j.NotBefore = utc(j.RequestedAt), utc(j.NotBefore)
	return &j, nil
}

// EnqueueProvisioningJobs stores the jobs, each replacing the one of the same object that waits.
func (s *Store) EnqueueProvisioningJobs(ctx context.Context, jobs []*gatehouse.ProvisioningJob) error {
	return s.inTx(ctx, func(s *Store) error {
		for _, j := range jobs {
			_, err := s.db.Exec(ctx, `INSERT INTO provisioning_jobs (`+provisioningJobColumns+`)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, '')
				ON CONFLICT (directory_id, app_id, object_type, object_id) DO UPDATE SET reason = $5,
					on_demand = CASE WHEN $6 = '' THEN provisioning_jobs.on_demand ELSE $6 END, requested_at = $7,
					not_before = $8, attempts = 0, last_error = ''`,
				j.DirectoryID, j.AppID, j.ObjectType, j.ObjectID, j.Reason, j.OnDemand, j.RequestedAt, j.NotBefore)
			if err != nil {
				return wrap(err, "enqueue provisioning job")
			}
		}
		return nil
	})
}

// FindProvisioningJobs returns an app's due jobs.
func (s *Store) FindProvisioningJobs(ctx context.Context, directoryID, appID string, now time.Time, limit int) ([]*gatehouse.ProvisioningJob, error) {
	var until *time.Time
	if !now.IsZero() {
		until = &now
	}
	return queryList(ctx, s.db, "find provisioning jobs", scanProvisioningJob, `SELECT `+provisioningJobColumns+`
		FROM provisioning_jobs WHERE directory_id = $1 AND app_id = $2 AND ($3::timestamptz IS NULL OR not_before <= $3)
		ORDER BY not_before, object_type DESC, object_id LIMIT $4`, directoryID, appID, until, limit)
}

// FinishProvisioningJob deletes the job unless it was requested again.
func (s *Store) FinishProvisioningJob(ctx context.Context, j *gatehouse.ProvisioningJob) error {
	_, err := s.db.Exec(ctx, `DELETE FROM provisioning_jobs WHERE directory_id = $1 AND app_id = $2
		AND object_type = $3 AND object_id = $4 AND requested_at = $5`,
		j.DirectoryID, j.AppID, j.ObjectType, j.ObjectID, j.RequestedAt)
	return wrap(err, "finish provisioning job")
}

// RetryProvisioningJob stores when the job runs again unless it was requested again.
func (s *Store) RetryProvisioningJob(ctx context.Context, j *gatehouse.ProvisioningJob) error {
	_, err := s.db.Exec(ctx, `UPDATE provisioning_jobs SET not_before = $1, attempts = $2, last_error = $3
		WHERE directory_id = $4 AND app_id = $5 AND object_type = $6 AND object_id = $7 AND requested_at = $8`,
		j.NotBefore, j.Attempts, j.LastError, j.DirectoryID, j.AppID, j.ObjectType, j.ObjectID, j.RequestedAt)
	return wrap(err, "retry provisioning job")
}

// ResetProvisioningJobs makes the app's waiting jobs due at now.
func (s *Store) ResetProvisioningJobs(ctx context.Context, directoryID, appID string, now time.Time) error {
	_, err := s.db.Exec(ctx, `UPDATE provisioning_jobs SET not_before = $3
		WHERE directory_id = $1 AND app_id = $2 AND not_before > $3`, directoryID, appID, now)
	return wrap(err, "reset provisioning jobs")
}

// DeleteProvisioningJobs deletes the app's jobs but the on-demand ones.
func (s *Store) DeleteProvisioningJobs(ctx context.Context, directoryID, appID string) error {
	_, err := s.db.Exec(ctx, `DELETE FROM provisioning_jobs WHERE directory_id = $1 AND app_id = $2 AND on_demand = ''`,
		directoryID, appID)
	return wrap(err, "delete provisioning jobs")
}

// CountProvisioningJobs counts jobs of an app, a directory, or everything.
func (s *Store) CountProvisioningJobs(ctx context.Context, directoryID, appID string) (int, error) {
	var n int
	err := s.db.QueryRow(ctx, `SELECT count(*) FROM provisioning_jobs
		WHERE ($1 = '' OR directory_id = $1) AND ($2 = '' OR app_id = $2)`, directoryID, appID).Scan(&n)
	return n, wrap(err, "count provisioning jobs")
}

const provisionedObjectColumns = `directory_id, app_id, object_type, source_id, source_name, target_id, active,
	created_at, updated_at`

func scanProvisionedObject(row scanner) (*gatehouse.ProvisionedObject, error) {
	var o gatehouse.ProvisionedObject
	if err := row.Scan(&o.DirectoryID, &o.AppID, &o.ObjectType, &o.SourceID, &o.SourceName, &o.TargetID, &o.Active,
		&o.CreatedAt, &o.UpdatedAt); err != nil {
		return nil, err
	}
	o.CreatedAt, o.UpdatedAt = utc(o.CreatedAt), utc(o.UpdatedAt)
	return &o, nil
}

// SaveProvisionedObject stores a link, replacing the one of the same source.
func (s *Store) SaveProvisionedObject(ctx context.Context, o *gatehouse.ProvisionedObject) error {
	_, err := s.db.Exec(ctx, `INSERT INTO provisioned_objects (`+provisionedObjectColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (directory_id, app_id, object_type, source_id) DO UPDATE SET source_name = $5, target_id = $6,
			active = $7, updated_at = $9`,
		o.DirectoryID, o.AppID, o.ObjectType, o.SourceID, o.SourceName, o.TargetID, o.Active, o.CreatedAt, o.UpdatedAt)
	return wrap(err, "save provisioned object")
}

// FindProvisionedObjects returns the links of the given sources by source ID.
func (s *Store) FindProvisionedObjects(ctx context.Context, directoryID, appID, objectType string, sourceIDs []string) (map[string]*gatehouse.ProvisionedObject, error) {
	out := map[string]*gatehouse.ProvisionedObject{}
	if len(sourceIDs) == 0 {
		return out, nil
	}
	list, err := queryList(ctx, s.db, "find provisioned objects", scanProvisionedObject, `SELECT `+provisionedObjectColumns+`
		FROM provisioned_objects WHERE directory_id = $1 AND app_id = $2 AND object_type = $3
		AND source_id = ANY($4)`, directoryID, appID, objectType, sourceIDs)
	if err != nil {
		return nil, err
	}
	for _, o := range list {
		out[o.SourceID] = o
	}
	return out, nil
}

// ListProvisionedObjects returns a page of an app's links after a source ID.
func (s *Store) ListProvisionedObjects(ctx context.Context, directoryID, appID, objectType, after string, limit int) ([]*gatehouse.ProvisionedObject, error) {
	return queryList(ctx, s.db, "list provisioned objects", scanProvisionedObject, `SELECT `+provisionedObjectColumns+`
		FROM provisioned_objects WHERE directory_id = $1 AND app_id = $2 AND object_type = $3 AND source_id > $4
		ORDER BY source_id LIMIT $5`, directoryID, appID, objectType, after, limit)
}

// CountProvisionedObjects counts an app's links of a type, and the active ones.
func (s *Store) CountProvisionedObjects(ctx context.Context, directoryID, appID, objectType string) (total, active int, err error) {
	err = s.db.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE active) FROM provisioned_objects
		WHERE directory_id = $1 AND app_id = $2 AND object_type = $3`, directoryID, appID, objectType).Scan(&total, &active)
	return total, active, wrap(err, "count provisioned objects")
}

// DeleteProvisionedObject deletes a link.
func (s *Store) DeleteProvisionedObject(ctx context.Context, directoryID, appID, objectType, sourceID string) error {
	_, err := s.db.Exec(ctx, `DELETE FROM provisioned_objects WHERE directory_id = $1 AND app_id = $2
		AND object_type = $3 AND source_id = $4`, directoryID, appID, objectType, sourceID)
	return wrap(err, "delete provisioned object")
}

// FindScopeUsers returns a page of the users in an app's scope, ordered by ID.
func (s *Store) FindScopeUsers(ctx context.Context, directoryID, appID string, all bool, after string, limit int) ([]*gatehouse.User, error) {
	if all {
		return queryList(ctx, s.db, "find scope users", scanUser, `SELECT `+userColumnsOf+` FROM users u
			WHERE u.directory_id = $1 AND u.id > $2 ORDER BY u.id LIMIT $3`, directoryID, after, limit)
	}
	return queryList(ctx, s.db, "find scope users", scanUser, `SELECT `+userColumnsOf+` FROM users u
		WHERE u.directory_id = $1 AND u.id > $3 AND (
			EXISTS (SELECT 1 FROM assignments a WHERE a.directory_id = $1 AND a.app_id = $2 AND a.user_id = u.id)
			OR EXISTS (SELECT 1 FROM assignments a JOIN group_members m ON m.directory_id = a.directory_id
				AND m.group_id = a.group_id WHERE a.directory_id = $1 AND a.app_id = $2 AND m.user_id = u.id))
		ORDER BY u.id LIMIT $4`, directoryID, appID, after, limit)
}

const provisioningEventColumns = `directory_id, id, app_id, app_name, time, cycle_id, trigger, object_type,
	source_id, source_name, target_id, action, result, reason, changes, steps, http_status, error_body, target,
	duration_ms`

func scanProvisioningEvent(row scanner) (*gatehouse.ProvisioningEvent, error) {
	var e gatehouse.ProvisioningEvent
	var changes, steps string
	if err := row.Scan(&e.DirectoryID, &e.ID, &e.AppID, &e.AppName, &e.Time, &e.CycleID, &e.Trigger,
		&e.ObjectType, &e.SourceID, &e.SourceName, &e.TargetID, &e.Action, &e.Result, &e.Reason, &changes, &steps,
		&e.HTTPStatus, &e.ErrorBody, &e.Target, &e.DurationMS); err != nil {
		return nil, err
	}
	e.Time = utc(e.Time)
	if err := json.Unmarshal([]byte(changes), &e.Changes); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(steps), &e.Steps); err != nil {
		return nil, err
	}
	return &e, nil
}

// jsonList returns a list as stored: a JSON array, "[]" for none.
func jsonList[T any](list []T) string {
	if len(list) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(list) // changes and steps are strings
	return string(b)
}

// CreateProvisioningEvent appends e to the provisioning log.
func (s *Store) CreateProvisioningEvent(ctx context.Context, e *gatehouse.ProvisioningEvent) error {
	_, err := s.db.Exec(ctx, `INSERT INTO provisioning_events (`+provisioningEventColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)`,
		e.DirectoryID, e.ID, e.AppID, e.AppName, e.Time, e.CycleID, e.Trigger, e.ObjectType, e.SourceID,
		e.SourceName, e.TargetID, e.Action, e.Result, e.Reason, jsonList(e.Changes), jsonList(e.Steps), e.HTTPStatus,
		e.ErrorBody, e.Target, e.DurationMS)
	return wrap(err, "create provisioning event")
}

// provisioningFilter is the WHERE clause of FindProvisioningEvents: $1 the directory, then the filter's fields.
const provisioningFilter = `directory_id = $1 AND ($2 = '' OR app_id = $2)
	AND ($3 = '' OR source_id = $3 OR strpos(lower(source_name), lower($3)) > 0) AND ($4 = '' OR action = $4)
	AND ($5 = '' OR result = $5) AND ($6 = '' OR cycle_id = $6) AND time >= $7
	AND ($8::timestamptz IS NULL OR time < $8)`

// FindProvisioningEvents returns matching provisioning log entries newest first, and how many match in all.
func (s *Store) FindProvisioningEvents(ctx context.Context, directoryID string, f gatehouse.ProvisioningFilter) ([]*gatehouse.ProvisioningEvent, int, error) {
	offset, limit := page(f.Offset, f.Limit)
	args := []any{directoryID, f.AppID, f.Object, f.Action, f.Result, f.CycleID, f.Since, nullTime(f.Until)}
	var n int
	if err := s.db.QueryRow(ctx, `SELECT count(*) FROM provisioning_events WHERE `+provisioningFilter, args...).Scan(&n); err != nil {
		return nil, 0, wrap(err, "count provisioning events")
	}
	events, err := queryList(ctx, s.db, "find provisioning events", scanProvisioningEvent, `SELECT `+provisioningEventColumns+`
		FROM provisioning_events WHERE `+provisioningFilter+` ORDER BY time DESC, id DESC LIMIT $9 OFFSET $10`,
		append(args, limit, offset)...)
	if err != nil {
		return nil, 0, err
	}
	return events, n, nil
}

// FindProvisioningEvent returns one provisioning log entry.
func (s *Store) FindProvisioningEvent(ctx context.Context, directoryID, id string) (*gatehouse.ProvisioningEvent, error) {
	e, err := scanProvisioningEvent(s.db.QueryRow(ctx, `SELECT `+provisioningEventColumns+`
		FROM provisioning_events WHERE directory_id = $1 AND id = $2`, directoryID, id))
	if err != nil {
		return nil, notFound(err, "find provisioning event", "The provisioning event does not exist.")
	}
	return e, nil
}
