package password

// Acquire takes a slot as a running hash would, so tests can fill the Hasher deterministically.
func (h *Hasher) Acquire() { h.slots <- struct{}{} }

// Release frees a slot taken by Acquire.
func (h *Hasher) Release() { <-h.slots }

// SetFreeOSMemory replaces what the Hasher calls to return memory after a burst; call it before the first hash.
func (h *Hasher) SetFreeOSMemory(f func()) { h.freeOSMemory = f }
