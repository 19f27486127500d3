package gallery

import "io/fs"

// LoadFS is load for tests that feed template files from an fstest.MapFS.
func LoadFS(fsys fs.FS) (*Gallery, error) { return load(fsys) }
