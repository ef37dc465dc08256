package wal

import (
	"os"
	"syscall"
)

// fdatasync skips the inode's timestamps, which the log does not need: the file's size is
// what changes and fdatasync does make that durable.
func fdatasync(f *os.File) error { return syscall.Fdatasync(int(f.Fd())) }
