//go:build !boringcrypto

package main

// cryptoLibrary names the library that makes Gatehouse's signatures: Go's own, unless the binary was built with
// GOEXPERIMENT=boringcrypto (see docs/operations.md).
func cryptoLibrary() string { return "Go" }
