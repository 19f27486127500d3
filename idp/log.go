package idp

import (
	"context"
	"time"

	"github.com/gatehouse-idp/gatehouse"
)

// logSignIn appends to the sign-in log and the process log. A failure to write the log is logged, not returned:
// the sign-in itself has been decided.
func (s *Service) logSignIn(ctx context.Context, dirID string, e *gatehouse.SignInEvent) {
	_ = s.recordSignIn(ctx, dirID, e) // a failure is logged; the caller's answer does not depend on it
}

// recordSignIn is logSignIn for callers that must not go on when the sign-in log cannot be written: the log of
// successful SSO answers is also the list of apps that single logout signs out of.
func (s *Service) recordSignIn(ctx context.Context, dirID string, e *gatehouse.SignInEvent) error {
	return s.recordSignOn(ctx, dirID, e, "", time.Time{})
}

// recordSignOn is recordSignIn for the outcome of an AuthnRequest: the request's replay-cache key, when key is not
// "", is recorded with the entry until expires, both or neither, in a commit shared with concurrent sign-ons. When
// the key was used before it returns ECONFLICT and logs nothing: the caller refuses the replay instead.
func (s *Service) recordSignOn(ctx context.Context, dirID string, e *gatehouse.SignInEvent, key string, expires time.Time) error {
	return s.startRecordSignOn(ctx, dirID, e, key, expires)()
}

// startRecordSignOn is recordSignOn for a caller with work to do before it needs the outcome (see
// gatehouse.Store.StartSignInEventOnce): it hands e and key to the store and returns, and wait returns what
// recordSignOn would have.
func (s *Service) startRecordSignOn(ctx context.Context, dirID string, e *gatehouse.SignInEvent, key string, expires time.Time) (wait func() error) {
	info := RequestInfoFrom(ctx)
	e.ID, e.DirectoryID, e.Time = s.newID(), dirID, s.now()
	e.CorrelationID, e.ClientAddr = info.CorrelationID, info.ClientAddr
	e.UserName, e.Reason = truncate(e.UserName, 256), truncate(e.Reason, 2048)
	committed := s.store.StartSignInEventOnce(context.WithoutCancel(ctx), e, key, expires)
	return func() error {
		err := committed()
		if key != "" && gatehouse.ErrorCode(err) == gatehouse.ECONFLICT {
			return err
		}
		s.observeSignIn(ctx, e)
		s.logger.LogAttrs(ctx, levelOf(e), "sign-in",
			logAttr("directory", dirID), logAttr("user", e.UserName), logAttr("app", e.AppName),
			logAttr("result", e.Result), logAttr("code", e.Code), logAttr("reason", e.Reason),
			logAttr("correlation_id", e.CorrelationID), logAttr("client", e.ClientAddr))
		if err != nil {
			s.logger.ErrorContext(ctx, "write sign-in log", "err", err, "correlation_id", e.CorrelationID)
			return err
		}
		return nil
	}
}

// FindSignInEvents searches the sign-in log.
func (s *Service) FindSignInEvents(ctx context.Context, actor *gatehouse.User, dirID string, f gatehouse.SignInFilter) ([]*gatehouse.SignInEvent, int, error) {
	if err := s.Authorize(ctx, actor, dirID, ReadDirectory); err != nil {
		return nil, 0, err
	}
	return s.store.FindSignInEvents(ctx, dirID, f)
}

// FindSignInEvent returns one sign-in log entry.
func (s *Service) FindSignInEvent(ctx context.Context, actor *gatehouse.User, dirID, id string) (*gatehouse.SignInEvent, error) {
	if err := s.Authorize(ctx, actor, dirID, ReadDirectory); err != nil {
		return nil, err
	}
	return s.store.FindSignInEvent(ctx, dirID, id)
}

// FindAuditEvents searches the audit log.
func (s *Service) FindAuditEvents(ctx context.Context, actor *gatehouse.User, dirID string, f gatehouse.AuditFilter) ([]*gatehouse.AuditEvent, int, error) {
	if err := s.Authorize(ctx, actor, dirID, ReadDirectory); err != nil {
		return nil, 0, err
	}
	return s.store.FindAuditEvents(ctx, dirID, f)
}
