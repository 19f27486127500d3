package password

// Acquire takes a slot as a running hash would, so tests can fill the Hasher deterministically.
func (h *Hasher) Acquire() { h.slots <- struct{}{} }

// Release frees a slot taken by Acquire.
func (h *Hasher) Release() { <-h.slots }
