//go:build walfault

package wal

import (
	"os"
	"path/filepath"
	"syscall"
)

// A binary built with -tags walfault runs out of disk space on demand: while a file named
// ENOSPC exists in the log directory, creating, writing and syncing segments fail with
// ENOSPC. The process tests use it to fill the disk and free it again without a loop
// device; release builds never contain it.
func defaultFS() FS { return faultFS{} }

type faultFS struct{ OSFS }

func full(name string) bool {
	_, err := os.Stat(filepath.Join(filepath.Dir(name), "ENOSPC"))
	return err == nil
}

func (f faultFS) Create(name string) (File, error) {
	if full(name) {
		return nil, &os.PathError{Op: "open", Path: name, Err: syscall.ENOSPC}
	}
	file, err := f.OSFS.Create(name)
	if err != nil {
		return nil, err
	}
	return faultFile{File: file, name: name}, nil
}

func (f faultFS) Open(name string) (File, error) {
	file, err := f.OSFS.Open(name)
	if err != nil {
		return nil, err
	}
	return faultFile{File: file, name: name}, nil
}

type faultFile struct {
	File
	name string
}

func (f faultFile) Write(p []byte) (int, error) {
	if full(f.name) {
		return 0, &os.PathError{Op: "write", Path: f.name, Err: syscall.ENOSPC}
	}
	return f.File.Write(p)
}

func (f faultFile) Sync() error {
	if full(f.name) {
		return &os.PathError{Op: "fdatasync", Path: f.name, Err: syscall.ENOSPC}
	}
	return f.File.Sync()
}
