package idp

import (
	"context"
	"sync"

	"github.com/gatehouse-idp/gatehouse"
)

// Sign-ons read the same configuration of a directory again and again: the directory, its passkey policy, the app,
// its certificates and the user's assignment. The Service keeps what it read in a configCache, valid for one
// configuration generation of the directory (gatehouse.Store.ConfigGeneration), which the store changes in the same
// transaction as any of those objects, whichever server made the change. A sign-on reads the generation first
// (withConfig) and then takes from the cache what was read at that generation: so a change committed before the
// sign-on started counts for it, on every server, and a sign-on costs one small read instead of several large ones.
// Sessions and users are not kept: sign-ons read them each time, so a sign-out or a disabled user counts at once.

// Bounds of the cache: past them, what it holds is dropped and read again.
const (
	maxConfigDirectories = 1024
	maxConfigEntries     = 1 << 14
)

// configCache keeps objects read of directories' configuration, per directory for one generation. What it returns
// is shared: callers must not change it.
type configCache struct {
	mu   sync.Mutex
	dirs map[string]*dirConfig // by directory ID; guarded by mu
}

// dirConfig is what was read of one directory at generation gen, by key (see the cached* methods).
type dirConfig struct {
	gen     int64
	entries map[string]any
}

func newConfigCache() *configCache { return &configCache{dirs: map[string]*dirConfig{}} }

// get returns the value kept for key in directory dirID at generation gen.
func (c *configCache) get(dirID string, gen int64, key string) (any, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	d := c.dirs[dirID]
	if d == nil || d.gen != gen {
		return nil, false
	}
	v, ok := d.entries[key]
	return v, ok
}

// put keeps v for key in directory dirID at generation gen, which it read after reading gen. What was kept for an
// older generation goes; a value of an older generation than the one kept is dropped.
func (c *configCache) put(dirID string, gen int64, key string, v any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	d := c.dirs[dirID]
	switch {
	case d != nil && d.gen > gen:
		return
	case d == nil || d.gen < gen || len(d.entries) >= maxConfigEntries:
		if d == nil && len(c.dirs) >= maxConfigDirectories {
			clear(c.dirs)
		}
		d = &dirConfig{gen: gen, entries: map[string]any{}}
		c.dirs[dirID] = d
	}
	d.entries[key] = v
}

// configKey is the context key of the configuration generation a request reads at.
type configKey struct{}

// configAt is the generation of one directory's configuration that a request read.
type configAt struct {
	dirID string
	gen   int64
}

// withConfig reads what a sign-on to at's directory starts from, in one read (Store.FindSignOnState): the
// directory's configuration generation, carried by the context it returns, under which the cached* reads of that
// directory use the cache at that generation; and the session of at's token with its user, kept in at for
// lookUpBrowser.
func (s *Service) withConfig(ctx context.Context, at *attempt) (context.Context, error) {
	id := ""
	if at.token != "" {
		id = hashSecret(at.token)
	}
	now := s.now()
	st, err := s.store.FindSignOnState(ctx, at.dirID, id, now)
	if err != nil {
		return ctx, err
	}
	at.state, at.stateAt = st, now
	return context.WithValue(ctx, configKey{}, configAt{at.dirID, st.Generation}), nil
}

// cachedRead returns what load reads for key in directory dirID: from the cache when ctx carries a generation of
// that directory (withConfig), and otherwise from load. Only a successful read is kept, and only when keep (if not nil) reports that it is
// worth keeping (a user found not assigned is not: an assignment can be added without a new generation).
func cachedRead[T any](s *Service, ctx context.Context, dirID, key string, load func() (T, error), keep func(T) bool) (T, error) {
	at, ok := ctx.Value(configKey{}).(configAt)
	if !ok || at.dirID != dirID {
		return load()
	}
	if v, ok := s.config.get(dirID, at.gen, key); ok {
		return v.(T), nil
	}
	v, err := load()
	if err == nil && (keep == nil || keep(v)) {
		s.config.put(dirID, at.gen, key, v)
	}
	return v, err
}

// cachedDirectory is Store.FindDirectory through the cache.
func (s *Service) cachedDirectory(ctx context.Context, dirID string) (*gatehouse.Directory, error) {
	return cachedRead(s, ctx, dirID, "directory", func() (*gatehouse.Directory, error) {
		return s.store.FindDirectory(ctx, dirID)
	}, nil)
}

// cachedPasskeyPolicy is Store.FindPasskeyPolicy through the cache.
func (s *Service) cachedPasskeyPolicy(ctx context.Context, dirID string) (*gatehouse.PasskeyPolicy, error) {
	return cachedRead(s, ctx, dirID, "passkey-policy", func() (*gatehouse.PasskeyPolicy, error) {
		return s.store.FindPasskeyPolicy(ctx, dirID)
	}, nil)
}

// cachedApp is Store.FindApp through the cache.
func (s *Service) cachedApp(ctx context.Context, dirID, appID string) (*gatehouse.App, error) {
	return cachedRead(s, ctx, dirID, "app\x00"+appID, func() (*gatehouse.App, error) {
		return s.store.FindApp(ctx, dirID, appID)
	}, nil)
}

// cachedAppByEntityID is Store.FindAppByEntityID through the cache.
func (s *Service) cachedAppByEntityID(ctx context.Context, dirID, entityID string) (*gatehouse.App, error) {
	return cachedRead(s, ctx, dirID, "entity-id\x00"+entityID, func() (*gatehouse.App, error) {
		return s.store.FindAppByEntityID(ctx, dirID, entityID)
	}, nil)
}

// cachedCertificates is Store.FindCertificates through the cache.
func (s *Service) cachedCertificates(ctx context.Context, dirID, appID string) ([]*gatehouse.Certificate, error) {
	return cachedRead(s, ctx, dirID, "certificates\x00"+appID, func() ([]*gatehouse.Certificate, error) {
		return s.store.FindCertificates(ctx, dirID, appID)
	}, nil)
}

// cachedIsAssigned is Store.IsAssigned through the cache, which keeps only the users found assigned: removing an
// assignment or a membership changes the generation, adding one does not.
func (s *Service) cachedIsAssigned(ctx context.Context, dirID, appID, userID string) (bool, error) {
	return cachedRead(s, ctx, dirID, "assigned\x00"+appID+"\x00"+userID, func() (bool, error) {
		return s.store.IsAssigned(ctx, dirID, appID, userID)
	}, func(ok bool) bool { return ok })
}
