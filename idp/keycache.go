package idp

import "sync"

// maxSigners bounds a keyCache: when it is full it starts afresh.
const maxSigners = 1024

// keyCache keeps what was made from a sealed key (an opened signer) by the ID of the immutable certificate or key it
// came from, so that each key is decrypted and parsed once. Entries never go stale; at most maxSigners are kept. The
// zero value is ready to use.
type keyCache[T any] struct {
	mu sync.Mutex
	m  map[string]T
}

// get returns the value kept under id, or makes it with open and keeps it.
func (c *keyCache[T]) get(id string, open func() (T, error)) (T, error) {
	c.mu.Lock()
	v, ok := c.m[id]
	c.mu.Unlock()
	if ok {
		return v, nil
	}
	v, err := open()
	if err != nil {
		return v, err
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxSigners {
		c.m = make(map[string]T)
	}
	c.m[id] = v
	c.mu.Unlock()
	return v, nil
}
