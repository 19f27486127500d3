//go:build boringcrypto

package main

import "crypto/boring"

// cryptoLibrary names the library that makes Gatehouse's signatures: BoringCrypto in a binary built with
// GOEXPERIMENT=boringcrypto, where the platform has it.
func cryptoLibrary() string {
	if boring.Enabled() {
		return "BoringCrypto"
	}
	return "Go (built with boringcrypto, which this platform lacks)"
}
