package interop

import (
	"bytes"
	"compress/flate"
	"io"
)

// inflate decompresses a Redirect-binding message (raw DEFLATE), reading at most 1 MiB.
func inflate(data []byte) ([]byte, error) {
	r := flate.NewReader(bytes.NewReader(data))
	defer r.Close()
	return io.ReadAll(io.LimitReader(r, 1<<20))
}

// deflate compresses a message for the Redirect binding.
func deflate(data []byte) []byte {
	var b bytes.Buffer
	w, _ := flate.NewWriter(&b, flate.DefaultCompression)
	_, _ = w.Write(data)
	_ = w.Close()
	return b.Bytes()
}
