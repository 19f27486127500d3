package password

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"strings"
)

// readable is the alphabet of temporary passwords: letters and digits that cannot be mistaken for one another when
// read aloud or copied from a screen (no 0, O, o, 1, l or I). 56 symbols give 5.8 bits each.
const (
	readableUpper  = "ABCDEFGHJKLMNPQRSTUVWXYZ"
	readableLower  = "abcdefghijkmnpqrstuvwxyz"
	readableDigits = "23456789"
	readable       = readableUpper + readableLower + readableDigits
)

// Shape of a temporary password: four groups of four characters joined by hyphens, 93 bits of randomness.
const (
	groups    = 4
	groupSize = 4
)

// Generate returns a new temporary password such as "Kpqr-7tnw-Xz4m-Hd9c": 16 characters from an alphabet without
// look-alike characters, in hyphenated groups of four, with at least one upper-case letter, one lower-case letter
// and one digit. A nil rnd means crypto/rand.
func Generate(rnd io.Reader) (string, error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	chars := make([]byte, groups*groupSize)
	// A draw misses a class with probability below 1e-4, so 64 draws are plenty.
	for range 64 {
		if err := fill(rnd, chars); err != nil {
			return "", fmt.Errorf("password: generate: %w", err)
		}
		s := string(chars)
		if strings.ContainsAny(s, readableUpper) && strings.ContainsAny(s, readableLower) && strings.ContainsAny(s, readableDigits) {
			var b strings.Builder
			for i := 0; i < len(s); i += groupSize {
				if i > 0 {
					b.WriteByte('-')
				}
				b.WriteString(s[i : i+groupSize])
			}
			return b.String(), nil
		}
	}
	return "", errors.New("password: generate: the random source is not random")
}

// fill sets every byte of dst to a uniformly chosen character of readable, by rejection sampling.
func fill(rnd io.Reader, dst []byte) error {
	const limit = 256 - 256%len(readable)
	buf := make([]byte, 2*len(dst))
	i := 0
	for range 64 {
		if _, err := io.ReadFull(rnd, buf); err != nil {
			return err
		}
		for _, b := range buf {
			if int(b) < limit {
				dst[i] = readable[int(b)%len(readable)]
				if i++; i == len(dst) {
					return nil
				}
			}
		}
	}
	return errors.New("the random source is not random")
}
