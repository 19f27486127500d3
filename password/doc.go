// Package password hashes and checks user passwords with argon2id, generates temporary passwords and enforces the
// password policy.
//
// A Hasher bounds how many hashes run at once, because each argon2id hash holds tens of MiB: with more sign-ins
// than cores the rest wait in line (or until their context ends) and memory stays flat; a second after a burst
// ends, the memory it used goes back to the operating system. Every hash is stored with its parameters in the PHC
// string format, so parameters can be raised later and old hashes still verify; NeedsRehash reports when a stored
// hash should be replaced at the next successful sign-in.
//
//	h := password.NewHasher(password.DefaultParams, 0)
//	encoded, err := h.Hash(ctx, "correct horse battery staple")
//	ok, err := h.Verify(ctx, encoded, attempt)
package password
