package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
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

func scanProvisioning(row scanner) (*gatehouse.Provisioning, error) {
	var p gatehouse.Provisioning
	var settings string
	if err := row.Scan(&p.DirectoryID, &p.AppID, &p.Mode, &p.TenantURL, &p.SealedToken, zeroTimeAt{&p.TokenSetAt},
		&settings, timeAt{&p.CreatedAt}, timeAt{&p.UpdatedAt}); err != nil {
		return nil, err
	}
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
		return internal(err, "set provisioning")
	}
	_, err = s.w.ExecContext(ctx, `INSERT INTO app_provisioning (`+provisioningColumns+`)
		VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
		ON CONFLICT (directory_id, app_id) DO UPDATE SET mode = ?3, tenant_url = ?4, sealed_token = ?5,
			token_set_at = ?6, settings = ?7, updated_at = ?9`,
		p.DirectoryID, p.AppID, p.Mode, p.TenantURL, p.SealedToken, nullMicros(p.TokenSetAt), string(settings),
		micros(p.CreatedAt), micros(p.UpdatedAt))
	return wrap(err, "set provisioning", msgs{missing: "The app does not exist."})
}

// FindProvisioning returns an app's provisioning settings.
func (s *Store) FindProvisioning(ctx context.Context, directoryID, appID string) (*gatehouse.Provisioning, error) {
	p, err := scanProvisioning(s.r.QueryRowContext(ctx, `SELECT `+provisioningColumns+` FROM app_provisioning
		WHERE directory_id = ? AND app_id = ?`, directoryID, appID))
	if err != nil {
		return nil, notFound(err, "find provisioning", "The app's provisioning is not configured.")
	}
	return p, nil
}

// FindProvisionings returns the provisioning settings of a directory's apps, or of every directory's.
func (s *Store) FindProvisionings(ctx context.Context, directoryID, mode string) ([]*gatehouse.Provisioning, error) {
	return queryList(ctx, s.r, "find provisionings", scanProvisioning, `SELECT `+provisioningColumns+`
		FROM app_provisioning WHERE (?1 = '' OR directory_id = ?1) AND (?2 = '' OR mode = ?2)
		ORDER BY app_id, directory_id`, directoryID, mode)
}

const provisioningStatusColumns = `directory_id, app_id, lease_owner, lease_until, cycle, last_cycle, last_success_at,
	next_cycle_at, quarantine, cycle_requested_at, retry_requested_at`

func scanProvisioningStatus(row scanner) (*gatehouse.ProvisioningStatus, error) {
	var st gatehouse.ProvisioningStatus
	var cycle, last, quarantine string
	if err := row.Scan(&st.DirectoryID, &st.AppID, &st.LeaseOwner, zeroTimeAt{&st.LeaseUntil}, &cycle, &last,
		zeroTimeAt{&st.LastSuccessAt}, zeroTimeAt{&st.NextCycleAt}, &quarantine, zeroTimeAt{&st.CycleRequestedAt},
		zeroTimeAt{&st.RetryRequestedAt}); err != nil {
		return nil, err
	}
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

// statusJSON returns a part of the provisioning status as JSON, or "" when v is a nil pointer.
func statusJSON[T any](v *T) string {
	if v == nil {
		return ""
	}
	b, _ := json.Marshal(v) // the status types always marshal
	return string(b)
}

// FindProvisioningStatus returns an app's provisioning status.
func (s *Store) FindProvisioningStatus(ctx context.Context, directoryID, appID string) (*gatehouse.ProvisioningStatus, error) {
	st, err := scanProvisioningStatus(s.r.QueryRowContext(ctx, `SELECT `+provisioningStatusColumns+`
		FROM app_provisioning WHERE directory_id = ? AND app_id = ?`, directoryID, appID))
	if err != nil {
		return nil, notFound(err, "find provisioning status", "The app's provisioning is not configured.")
	}
	return st, nil
}

// FindProvisioningDue returns the status of the apps with provisioning work due whose lease is free or owner's.
func (s *Store) FindProvisioningDue(ctx context.Context, owner string, now time.Time) ([]*gatehouse.ProvisioningStatus, error) {
	return queryList(ctx, s.r, "find provisioning due", scanProvisioningStatus, `SELECT `+provisioningStatusColumns+`
		FROM app_provisioning p
		WHERE (p.lease_owner = ?1 OR p.lease_until IS NULL OR p.lease_until < ?2) AND (
			EXISTS (SELECT 1 FROM provisioning_jobs j WHERE j.directory_id = p.directory_id AND j.app_id = p.app_id
				AND j.on_demand <> '' AND j.not_before <= ?2)
			OR p.mode = 'automatic' AND (p.retry_requested_at IS NOT NULL OR (CASE WHEN p.quarantine = ''
				THEN p.cycle <> '' OR p.cycle_requested_at IS NOT NULL OR p.next_cycle_at <= ?2
					OR EXISTS (SELECT 1 FROM provisioning_jobs j WHERE j.directory_id = p.directory_id
						AND j.app_id = p.app_id AND j.not_before <= ?2)
				ELSE p.next_probe_at <= ?2 END)))
		ORDER BY p.app_id, p.directory_id`, owner, micros(now))
}

// ClaimProvisioning takes or renews the lease of an app's provisioning.
func (s *Store) ClaimProvisioning(ctx context.Context, directoryID, appID, owner string, now, until time.Time) (*gatehouse.ProvisioningStatus, error) {
	st, err := scanProvisioningStatus(s.w.QueryRowContext(ctx, `UPDATE app_provisioning SET lease_owner = ?3, lease_until = ?5
		WHERE directory_id = ?1 AND app_id = ?2 AND (lease_owner = ?3 OR lease_until IS NULL OR lease_until < ?4)
		RETURNING `+provisioningStatusColumns, directoryID, appID, owner, micros(now), micros(until)))
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
	_, err := s.w.ExecContext(ctx, `UPDATE app_provisioning SET lease_owner = '', lease_until = NULL
		WHERE directory_id = ? AND app_id = ? AND lease_owner = ?`, directoryID, appID, owner)
	return internal(err, "release provisioning")
}

// UpdateProvisioningStatus stores the engine's part of the status while st.LeaseOwner holds the lease.
func (s *Store) UpdateProvisioningStatus(ctx context.Context, st *gatehouse.ProvisioningStatus) error {
	var probe any
	if st.Quarantine != nil {
		probe = micros(st.Quarantine.NextProbeAt)
	}
	res, err := s.w.ExecContext(ctx, `UPDATE app_provisioning SET cycle = ?4, last_cycle = ?5, last_success_at = ?6,
		next_cycle_at = ?7, quarantine = ?8, next_probe_at = ?9
		WHERE directory_id = ?1 AND app_id = ?2 AND lease_owner = ?3 AND ?3 <> ''`,
		st.DirectoryID, st.AppID, st.LeaseOwner, statusJSON(st.Cycle), statusJSON(st.LastCycle),
		nullMicros(st.LastSuccessAt), nullMicros(st.NextCycleAt), statusJSON(st.Quarantine), probe)
	if err := changed(res, internal(err, "update provisioning status"), "update provisioning status", ""); err != nil {
		if gatehouse.ErrorCode(err) == gatehouse.ENOTFOUND {
			return gatehouse.Errorf(gatehouse.ECONFLICT, "The provisioning lease of the app was lost.")
		}
		return err
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
	return "", gatehouse.Internal(fmt.Errorf("sqlite: unknown provisioning request %q", request))
}

// RequestProvisioning records an admin's request.
func (s *Store) RequestProvisioning(ctx context.Context, directoryID, appID, request string, at time.Time) error {
	col, err := requestColumn(request)
	if err != nil {
		return err
	}
	return s.exec(ctx, "request provisioning", "The app's provisioning is not configured.",
		`UPDATE app_provisioning SET `+col+` = ? WHERE directory_id = ? AND app_id = ?`, micros(at), directoryID, appID)
}

// ConsumeProvisioningRequest clears a request made at at.
func (s *Store) ConsumeProvisioningRequest(ctx context.Context, directoryID, appID, request string, at time.Time) error {
	col, err := requestColumn(request)
	if err != nil {
		return err
	}
	_, err = s.w.ExecContext(ctx, `UPDATE app_provisioning SET `+col+` = NULL
		WHERE directory_id = ? AND app_id = ? AND `+col+` = ?`, directoryID, appID, micros(at))
	return internal(err, "consume provisioning request")
}

const provisioningJobColumns = `directory_id, app_id, object_type, object_id, reason, on_demand, requested_at,
	not_before, attempts, last_error`

func scanProvisioningJob(row scanner) (*gatehouse.ProvisioningJob, error) {
	var j gatehouse.ProvisioningJob
	err := row.Scan(&j.DirectoryID, &j.AppID, &j.ObjectType, &j.ObjectID, &j.Reason, &j.OnDemand,
		timeAt{&j.RequestedAt}, timeAt{&j.NotBefore}, &j.Attempts, &j.LastError)
	return &j, err
}

// EnqueueProvisioningJobs stores the jobs, each replacing the one of the same object that waits.
func (s *Store) EnqueueProvisioningJobs(ctx context.Context, jobs []*gatehouse.ProvisioningJob) error {
	return s.inTx(ctx, func(s *Store) error {
		for _, j := range jobs {
			_, err := s.w.ExecContext(ctx, `INSERT INTO provisioning_jobs (`+provisioningJobColumns+`)
				VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 0, '')
				ON CONFLICT (directory_id, app_id, object_type, object_id) DO UPDATE SET reason = ?5,
					on_demand = CASE WHEN ?6 = '' THEN on_demand ELSE ?6 END, requested_at = ?7, not_before = ?8,
					attempts = 0, last_error = ''`,
				j.DirectoryID, j.AppID, j.ObjectType, j.ObjectID, j.Reason, j.OnDemand, micros(j.RequestedAt),
				micros(j.NotBefore))
			if err := wrap(err, "enqueue provisioning job", msgs{missing: "The app does not exist."}); err != nil {
				return err
			}
		}
		return nil
	})
}

// FindProvisioningJobs returns an app's due jobs.
func (s *Store) FindProvisioningJobs(ctx context.Context, directoryID, appID string, now time.Time, limit int) ([]*gatehouse.ProvisioningJob, error) {
	until := int64(1<<63 - 1)
	if !now.IsZero() {
		until = micros(now)
	}
	return queryList(ctx, s.r, "find provisioning jobs", scanProvisioningJob, `SELECT `+provisioningJobColumns+`
		FROM provisioning_jobs WHERE directory_id = ? AND app_id = ? AND not_before <= ?
		ORDER BY not_before, object_type DESC, object_id LIMIT ?`, directoryID, appID, until, limit)
}

// FinishProvisioningJob deletes the job unless it was requested again.
func (s *Store) FinishProvisioningJob(ctx context.Context, j *gatehouse.ProvisioningJob) error {
	_, err := s.w.ExecContext(ctx, `DELETE FROM provisioning_jobs WHERE directory_id = ? AND app_id = ?
		AND object_type = ? AND object_id = ? AND requested_at = ?`,
		j.DirectoryID, j.AppID, j.ObjectType, j.ObjectID, micros(j.RequestedAt))
	return internal(err, "finish provisioning job")
}

// RetryProvisioningJob stores when the job runs again unless it was requested again.
func (s *Store) RetryProvisioningJob(ctx context.Context, j *gatehouse.ProvisioningJob) error {
	_, err := s.w.ExecContext(ctx, `UPDATE provisioning_jobs SET not_before = ?, attempts = ?, last_error = ?
		WHERE directory_id = ? AND app_id = ? AND object_type = ? AND object_id = ? AND requested_at = ?`,
		micros(j.NotBefore), j.Attempts, j.LastError, j.DirectoryID, j.AppID, j.ObjectType, j.ObjectID,
		micros(j.RequestedAt))
	return internal(err, "retry provisioning job")
}

// ResetProvisioningJobs makes the app's waiting jobs due at now.
func (s *Store) ResetProvisioningJobs(ctx context.Context, directoryID, appID string, now time.Time) error {
	_, err := s.w.ExecContext(ctx, `UPDATE provisioning_jobs SET not_before = ?3
		WHERE directory_id = ?1 AND app_id = ?2 AND not_before > ?3`, directoryID, appID, micros(now))
	return internal(err, "reset provisioning jobs")
}

// DeleteProvisioningJobs deletes the app's jobs but the on-demand ones.
func (s *Store) DeleteProvisioningJobs(ctx context.Context, directoryID, appID string) error {
	_, err := s.w.ExecContext(ctx, `DELETE FROM provisioning_jobs WHERE directory_id = ? AND app_id = ? AND on_demand = ''`,
		directoryID, appID)
	return internal(err, "delete provisioning jobs")
}

// CountProvisioningJobs counts jobs of an app, a directory, or everything.
func (s *Store) CountProvisioningJobs(ctx context.Context, directoryID, appID string) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM provisioning_jobs
		WHERE (?1 = '' OR directory_id = ?1) AND (?2 = '' OR app_id = ?2)`, directoryID, appID).Scan(&n)
	return n, internal(err, "count provisioning jobs")
}

const provisionedObjectColumns = `directory_id, app_id, object_type, source_id, source_name, target_id, active,
	created_at, updated_at`

func scanProvisionedObject(row scanner) (*gatehouse.ProvisionedObject, error) {
	var o gatehouse.ProvisionedObject
	err := row.Scan(&o.DirectoryID, &o.AppID, &o.ObjectType, &o.SourceID, &o.SourceName, &o.TargetID, &o.Active,
		timeAt{&o.CreatedAt}, timeAt{&o.UpdatedAt})
	return &o, err
}

// SaveProvisionedObject stores a link, replacing the one of the same source.
func (s *Store) SaveProvisionedObject(ctx context.Context, o *gatehouse.ProvisionedObject) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO provisioned_objects (`+provisionedObjectColumns+`)
		VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
		ON CONFLICT (directory_id, app_id, object_type, source_id) DO UPDATE SET source_name = ?5, target_id = ?6,
			active = ?7, updated_at = ?9`,
		o.DirectoryID, o.AppID, o.ObjectType, o.SourceID, o.SourceName, o.TargetID, o.Active, micros(o.CreatedAt),
		micros(o.UpdatedAt))
	return wrap(err, "save provisioned object", msgs{missing: "The app does not exist."})
}

// FindProvisionedObjects returns the links of the given sources by source ID.
func (s *Store) FindProvisionedObjects(ctx context.Context, directoryID, appID, objectType string, sourceIDs []string) (map[string]*gatehouse.ProvisionedObject, error) {
	out := map[string]*gatehouse.ProvisionedObject{}
	for len(sourceIDs) > 0 {
		n := min(len(sourceIDs), 500)
		args := []any{directoryID, appID, objectType}
		for _, id := range sourceIDs[:n] {
			args = append(args, id)
		}
		list, err := queryList(ctx, s.r, "find provisioned objects", scanProvisionedObject, `SELECT `+provisionedObjectColumns+`
			FROM provisioned_objects WHERE directory_id = ? AND app_id = ? AND object_type = ?
			AND source_id IN (?`+strings.Repeat(", ?", n-1)+`)`, args...)
		if err != nil {
			return nil, err
		}
		for _, o := range list {
			out[o.SourceID] = o
		}
		sourceIDs = sourceIDs[n:]
	}
	return out, nil
}

// ListProvisionedObjects returns a page of an app's links after a source ID.
func (s *Store) ListProvisionedObjects(ctx context.Context, directoryID, appID, objectType, after string, limit int) ([]*gatehouse.ProvisionedObject, error) {
	return queryList(ctx, s.r, "list provisioned objects", scanProvisionedObject, `SELECT `+provisionedObjectColumns+`
		FROM provisioned_objects WHERE directory_id = ? AND app_id = ? AND object_type = ? AND source_id > ?
		ORDER BY source_id LIMIT ?`, directoryID, appID, objectType, after, limit)
}

// CountProvisionedObjects counts an app's links of a type, and the active ones.
func (s *Store) CountProvisionedObjects(ctx context.Context, directoryID, appID, objectType string) (total, active int, err error) {
	err = s.r.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(active), 0) FROM provisioned_objects
		WHERE directory_id = ? AND app_id = ? AND object_type = ?`, directoryID, appID, objectType).Scan(&total, &active)
	return total, active, internal(err, "count provisioned objects")
}

// DeleteProvisionedObject deletes a link.
func (s *Store) DeleteProvisionedObject(ctx context.Context, directoryID, appID, objectType, sourceID string) error {
	_, err := s.w.ExecContext(ctx, `DELETE FROM provisioned_objects WHERE directory_id = ? AND app_id = ?
		AND object_type = ? AND source_id = ?`, directoryID, appID, objectType, sourceID)
	return internal(err, "delete provisioned object")
}

// FindScopeUsers returns a page of the users in an app's scope, ordered by ID.
func (s *Store) FindScopeUsers(ctx context.Context, directoryID, appID string, all bool, after string, limit int) ([]*gatehouse.User, error) {
	if all {
		return queryList(ctx, s.r, "find scope users", scanUser, `SELECT `+userColumns+` FROM users u
			WHERE u.directory_id = ? AND u.id > ? ORDER BY u.id LIMIT ?`, directoryID, after, limit)
	}
	return queryList(ctx, s.r, "find scope users", scanUser, `SELECT `+userColumns+` FROM users u
		WHERE u.directory_id = ?1 AND u.id > ?3 AND (
			EXISTS (SELECT 1 FROM assignments a WHERE a.directory_id = ?1 AND a.app_id = ?2 AND a.user_id = u.id)
			OR EXISTS (SELECT 1 FROM assignments a JOIN group_members m ON m.directory_id = a.directory_id
				AND m.group_id = a.group_id WHERE a.directory_id = ?1 AND a.app_id = ?2 AND m.user_id = u.id))
		ORDER BY u.id LIMIT ?4`, directoryID, appID, after, limit)
}

const provisioningEventColumns = `directory_id, id, app_id, app_name, time, cycle_id, trigger, object_type,
	source_id, source_name, target_id, action, result, reason, changes, steps, http_status, error_body, target,
	duration_ms`

func scanProvisioningEvent(row scanner) (*gatehouse.ProvisioningEvent, error) {
	var e gatehouse.ProvisioningEvent
	var changes, steps string
	if err := row.Scan(&e.DirectoryID, &e.ID, &e.AppID, &e.AppName, timeAt{&e.Time}, &e.CycleID, &e.Trigger,
		&e.ObjectType, &e.SourceID, &e.SourceName, &e.TargetID, &e.Action, &e.Result, &e.Reason, &changes, &steps,
		&e.HTTPStatus, &e.ErrorBody, &e.Target, &e.DurationMS); err != nil {
		return nil, err
	}
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
	_, err := s.w.ExecContext(ctx, `INSERT INTO provisioning_events (`+provisioningEventColumns+`, source_name_key)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.DirectoryID, e.ID, e.AppID, e.AppName, micros(e.Time), e.CycleID, e.Trigger, e.ObjectType, e.SourceID,
		e.SourceName, e.TargetID, e.Action, e.Result, e.Reason, jsonList(e.Changes), jsonList(e.Steps), e.HTTPStatus,
		e.ErrorBody, e.Target, e.DurationMS, key(e.SourceName))
	return wrap(err, "create provisioning event", msgs{
		conflict: "A provisioning event with this ID already exists.",
		missing:  "The app does not exist.",
	})
}

// provisioningFilter is the WHERE clause of FindProvisioningEvents: ?1 the directory, then the filter's fields.
const provisioningFilter = `directory_id = ?1 AND (?2 = '' OR app_id = ?2)
	AND (?3 = '' OR source_id = ?3 OR instr(source_name_key, ?4) > 0) AND (?5 = '' OR action = ?5)
	AND (?6 = '' OR result = ?6) AND (?7 = '' OR cycle_id = ?7) AND time >= ?8 AND time < ?9`

// FindProvisioningEvents returns matching provisioning log entries newest first, and how many match in all.
func (s *Store) FindProvisioningEvents(ctx context.Context, directoryID string, f gatehouse.ProvisioningFilter) ([]*gatehouse.ProvisioningEvent, int, error) {
	offset, limit := page(f.Offset, f.Limit)
	until := int64(1<<63 - 1)
	if !f.Until.IsZero() {
		until = micros(f.Until)
	}
	args := []any{directoryID, f.AppID, f.Object, key(f.Object), f.Action, f.Result, f.CycleID, micros(f.Since), until}
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM provisioning_events WHERE `+provisioningFilter, args...).Scan(&n); err != nil {
		return nil, 0, internal(err, "count provisioning events")
	}
	events, err := queryList(ctx, s.r, "find provisioning events", scanProvisioningEvent, `SELECT `+provisioningEventColumns+`
		FROM provisioning_events WHERE `+provisioningFilter+` ORDER BY time DESC, id DESC LIMIT ?10 OFFSET ?11`,
		append(args, limit, offset)...)
	if err != nil {
		return nil, 0, err
	}
	return events, n, nil
}

// FindProvisioningEvent returns one provisioning log entry.
func (s *Store) FindProvisioningEvent(ctx context.Context, directoryID, id string) (*gatehouse.ProvisioningEvent, error) {
	e, err := scanProvisioningEvent(s.r.QueryRowContext(ctx, `SELECT `+provisioningEventColumns+`
		FROM provisioning_events WHERE directory_id = ? AND id = ?`, directoryID, id))
	if err != nil {
		return nil, notFound(err, "find provisioning event", "The provisioning event does not exist.")
	}
	return e, nil
}
