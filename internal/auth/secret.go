package auth

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// LoadOrCreateSecret reads a secret kept in a file, creating the file with 32 random bytes
// (base64, mode 0600) when it does not exist. created tells the caller to warn that the
// secret was generated. The file's text is the secret, as JWT_SECRET's value would be.
func LoadOrCreateSecret(path string) (secret []byte, created bool, err error) {
	b, err := os.ReadFile(path)
	if err == nil {
		s := strings.TrimSpace(string(b))
		if len(s) < 32 {
			return nil, false, fmt.Errorf("secret file %s holds fewer than 32 characters", path)
		}
		return []byte(s), false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, false, fmt.Errorf("cannot read secret file: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, false, fmt.Errorf("cannot create data directory: %w", err)
	}
	raw := make([]byte, 32)
	_, _ = rand.Read(raw)
	s := base64.StdEncoding.EncodeToString(raw)
	// O_EXCL: if another process created the file meanwhile, use its secret instead.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return LoadOrCreateSecret(path)
	}
	if err != nil {
		return nil, false, fmt.Errorf("cannot create secret file: %w", err)
	}
	if _, err := f.WriteString(s + "\n"); err != nil {
		f.Close()
		return nil, false, fmt.Errorf("cannot write secret file: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, false, fmt.Errorf("cannot write secret file: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, false, fmt.Errorf("cannot write secret file: %w", err)
	}
	return []byte(s), true, nil
}
