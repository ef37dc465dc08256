package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Password length limits. The maximum bounds the hashing work one request can cause.
const (
	MinPasswordLength = 10
	MaxPasswordLength = 256
)

// argon2id parameters of OWASP's recommendation (19 MiB, 2 passes, 1 lane): about 30 ms
// on one core here, which is slow for guessing and affordable per sign-in.
type argonParams struct {
	memory  uint32 // KiB
	time    uint32
	threads uint8
	keyLen  uint32
}

var defaultArgon = argonParams{memory: 19 * 1024, time: 2, threads: 1, keyLen: 32}

// CheckPassword returns a description of what is wrong with a new password, or "".
func CheckPassword(pw string) string {
	n := utf8.RuneCountInString(pw)
	switch {
	case n < MinPasswordLength:
		return fmt.Sprintf("must be at least %d characters", MinPasswordLength)
	case len(pw) > MaxPasswordLength:
		return fmt.Sprintf("must be at most %d bytes", MaxPasswordLength)
	case strings.TrimSpace(pw) == "":
		return "must not be blank"
	}
	return ""
}

// HashPassword returns an argon2id hash in the PHC string format
// ($argon2id$v=19$m=...,t=...,p=...$salt$hash), which records its own parameters so they
// can be raised later without breaking stored hashes.
func HashPassword(pw string) string {
	return hashPassword(pw, defaultArgon)
}

func hashPassword(pw string, p argonParams) string {
	salt := make([]byte, 16)
	_, _ = rand.Read(salt)
	sum := argon2.IDKey([]byte(pw), salt, p.time, p.memory, p.threads, p.keyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.memory, p.time, p.threads,
		b64.EncodeToString(salt), b64.EncodeToString(sum))
}

// VerifyPassword reports whether pw matches the stored hash, comparing in constant time.
// A malformed hash never matches.
func VerifyPassword(hash, pw string) bool {
	if len(pw) > MaxPasswordLength {
		return false
	}
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false
	}
	var p argonParams
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.memory, &p.time, &p.threads); err != nil {
		return false
	}
	if p.memory == 0 || p.memory > 1<<20 || p.time == 0 || p.time > 16 || p.threads == 0 {
		return false // refuse parameters that would make one check absurdly expensive
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return false
	}
	want, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(want) == 0 || len(want) > 128 {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, p.time, p.memory, p.threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash is verified against when an email is unknown, so that a sign-in with an unknown
// email takes as long as one with a wrong password and does not reveal which emails exist.
// It is made on first use to keep start-up fast.
var dummyHash = sync.OnceValue(func() string { return HashPassword("agentobs-dummy-password") })
