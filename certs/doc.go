// Package certs makes and handles the signing certificates of Gatehouse: it generates self-signed RSA certificates,
// computes their thumbprints, encodes them in the download formats (Base64 .cer, raw DER, PEM), seals their private
// keys at rest with a key-encryption key kept outside the database, loads or creates that key, and reads every
// certificate Gatehouse is given — PEM, DER or Base64, from the API, the portal, the CLI, SP metadata and the demo
// app — in one place (Parse), with errors that say what the data is instead, and checks it (Check).
//
// Sealed keys are AES-256-GCM over the PKCS#8 encoding of the key, bound to a caller-chosen string (the certificate
// ID) so that a sealed key copied to another certificate's row does not open:
//
//	s, err := certs.NewSealer(kek)
//	sealed, err := s.SealKey(key, cert.ID)
//	key, err := s.OpenKey(sealed, cert.ID)
//
// The key-encryption key is only ever the input of key derivation: the key that seals private keys, and the keys
// other packages need (DeriveKey, HKDF-SHA256), are derived from it for one purpose each. Keys sealed before that
// (version 1, under the key-encryption key itself) still open, and LegacyKey gives the keys derived before
// DeriveKey existed, whose values must not change.
//
// The private key is never part of any download format.
package certs
