package wal

import (
	"errors"
	"io"
	"io/fs"
	"path/filepath"
	"sort"
	"sync"
	"syscall"
)

// memFS is a file layer in memory that can fail on demand and lose power: on a crash, every
// file keeps only what was synced, and a file whose creation was not made durable by a
// directory sync disappears.
type memFS struct {
	mu    sync.Mutex
	files map[string]*memFile
	dead  bool // after crash: every operation of this instance fails

	failWrite  error // next writes fail with this (sticky until cleared)
	failSync   error
	failRename error
	failCreate error
	shortWrite bool // a failing write still puts half its bytes in the file
}

type memFile struct {
	data       []byte
	synced     int
	dirSynced  bool
	everSynced bool
}

func newMemFS() *memFS { return &memFS{files: map[string]*memFile{}} }

var errPowerLost = errors.New("power lost")

func (m *memFS) check() error {
	if m.dead {
		return errPowerLost
	}
	return nil
}

func (m *memFS) set(f func(m *memFS)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	f(m)
}

// crash returns the file layer as the machine finds it after power returns; m itself stops
// working, so goroutines of the crashed process cannot touch the new one.
func (m *memFS) crash() *memFS {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.dead = true
	out := newMemFS()
	for name, f := range m.files {
		if !f.dirSynced {
			continue
		}
		out.files[name] = &memFile{data: append([]byte(nil), f.data[:f.synced]...), synced: f.synced, dirSynced: true}
	}
	return out
}

func (m *memFS) MkdirAll(string) error { m.mu.Lock(); defer m.mu.Unlock(); return m.check() }

func (m *memFS) List(dir string) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.check(); err != nil {
		return nil, err
	}
	var out []string
	for name := range m.files {
		if filepath.Dir(name) == filepath.Clean(dir) {
			out = append(out, filepath.Base(name))
		}
	}
	sort.Strings(out)
	return out, nil
}

func (m *memFS) Create(name string) (File, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.check(); err != nil {
		return nil, err
	}
	if m.failCreate != nil {
		return nil, m.failCreate
	}
	if _, ok := m.files[name]; ok {
		return nil, fs.ErrExist
	}
	f := &memFile{}
	m.files[name] = f
	return &memHandle{fs: m, f: f}, nil
}

func (m *memFS) Open(name string) (File, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.check(); err != nil {
		return nil, err
	}
	f, ok := m.files[name]
	if !ok {
		return nil, fs.ErrNotExist
	}
	return &memHandle{fs: m, f: f}, nil
}

func (m *memFS) ReadFile(name string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.check(); err != nil {
		return nil, err
	}
	f, ok := m.files[name]
	if !ok {
		return nil, fs.ErrNotExist
	}
	return append([]byte(nil), f.data...), nil
}

func (m *memFS) Remove(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.check(); err != nil {
		return err
	}
	if _, ok := m.files[name]; !ok {
		return fs.ErrNotExist
	}
	delete(m.files, name)
	return nil
}

func (m *memFS) Rename(from, to string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.check(); err != nil {
		return err
	}
	if m.failRename != nil {
		return m.failRename
	}
	f, ok := m.files[from]
	if !ok {
		return fs.ErrNotExist
	}
	delete(m.files, from)
	f.dirSynced = false
	m.files[to] = f
	return nil
}

func (m *memFS) SyncDir(dir string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.check(); err != nil {
		return err
	}
	for name, f := range m.files {
		if filepath.Dir(name) == filepath.Clean(dir) {
			f.dirSynced = true
		}
	}
	return nil
}

type memHandle struct {
	fs *memFS
	f  *memFile
	// broken: after a failed sync the handle refuses everything, like a file whose
	// writeback error the kernel reported once and then forgot.
	broken bool
}

func (h *memHandle) ReadAt(p []byte, off int64) (int, error) {
	h.fs.mu.Lock()
	defer h.fs.mu.Unlock()
	if err := h.fs.check(); err != nil {
		return 0, err
	}
	if off >= int64(len(h.f.data)) {
		return 0, io.EOF
	}
	n := copy(p, h.f.data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (h *memHandle) Write(p []byte) (int, error) {
	h.fs.mu.Lock()
	defer h.fs.mu.Unlock()
	if err := h.fs.check(); err != nil {
		return 0, err
	}
	if h.fs.failWrite != nil {
		if h.fs.shortWrite {
			h.f.data = append(h.f.data, p[:len(p)/2]...)
			return len(p) / 2, h.fs.failWrite
		}
		return 0, h.fs.failWrite
	}
	h.f.data = append(h.f.data, p...)
	return len(p), nil
}

func (h *memHandle) Sync() error {
	h.fs.mu.Lock()
	defer h.fs.mu.Unlock()
	if err := h.fs.check(); err != nil {
		return err
	}
	if h.fs.failSync != nil {
		h.broken = true
		return h.fs.failSync
	}
	if h.broken {
		return syscall.EIO
	}
	h.f.synced = len(h.f.data)
	return nil
}

func (h *memHandle) Truncate(size int64) error {
	h.fs.mu.Lock()
	defer h.fs.mu.Unlock()
	if err := h.fs.check(); err != nil {
		return err
	}
	if size < int64(len(h.f.data)) {
		h.f.data = h.f.data[:size]
	}
	if h.f.synced > len(h.f.data) {
		h.f.synced = len(h.f.data)
	}
	return nil
}

func (h *memHandle) Size() (int64, error) {
	h.fs.mu.Lock()
	defer h.fs.mu.Unlock()
	if err := h.fs.check(); err != nil {
		return 0, err
	}
	return int64(len(h.f.data)), nil
}

func (h *memHandle) Close() error { return nil }
