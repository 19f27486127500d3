// Package textdiff finds where two values differ, so that an error page can mark the part of a received value
// that is not what was expected (a thumbprint off by some characters, a URL with another path).
package textdiff
