package e2e

import (
	"bytes"
	"compress/flate"
	"errors"
	"io"
)

func inflate(b []byte) ([]byte, error) {
	return io.ReadAll(io.LimitReader(flate.NewReader(bytes.NewReader(b)), 1<<20))
}

func errorsAs(err error, target any) bool { return errors.As(err, target) }
