//go:build !walfault

package wal

func defaultFS() FS { return OSFS{} }
