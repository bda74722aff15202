package agencies

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
	"golang.org/x/text/unicode/norm"
)

// PasswordParams are the argon2id cost parameters. They are recorded in every hash
// so they can be raised later without invalidating stored passwords (see
// NeedsRehash).
type PasswordParams struct {
	Time      uint32 // passes over memory
	MemoryKiB uint32
	Threads   uint8
	KeyLen    uint32 // bytes of derived key
}

// DefaultPasswordParams follow the OWASP Password Storage Cheat Sheet's argon2id
// configuration m=19 MiB, t=2, p=1: strong enough against offline guessing while a
// login costs tens of milliseconds and 19 MiB, so a burst of logins cannot exhaust a
// small server.
var DefaultPasswordParams = PasswordParams{Time: 2, MemoryKiB: 19 * 1024, Threads: 1, KeyLen: 32}

// TestPasswordParams are deliberately weak so that tests (here and in other
// packages) stay fast; never use them for real accounts.
var TestPasswordParams = PasswordParams{Time: 1, MemoryKiB: 64, Threads: 1, KeyLen: 32}

// Limits on parameters accepted from an encoded hash. A stored hash is trusted
// data, but a corrupted or planted one must not be able to make one login
// allocate gigabytes or spin for minutes.
const (
	maxTime      = 16
	maxMemoryKiB = 256 * 1024
	minKeyLen    = 16
	maxKeyLen    = 64
	saltLen      = 16
	minSaltLen   = 8
	maxSaltLen   = 64
)

// Password policy bounds for CheckPassword.
const (
	// MinPasswordChars is counted in characters (after NFC normalisation), not
	// bytes, so Vietnamese diacritics do not make a short password pass.
	MinPasswordChars = 10
	// MaxPasswordBytes caps what a client may send; nothing legitimate is
	// longer and it keeps request bodies and logs bounded.
	MaxPasswordBytes = 256
)

// Errors that callers match with errors.Is.
var (
	// ErrMalformedHash means an encoded hash is not a well-formed
	// $argon2id$v=19$... string within the accepted parameter ranges.
	ErrMalformedHash = errors.New("agencies: malformed password hash")
	// ErrPasswordTooShort and ErrPasswordTooLong are the policy failures of
	// CheckPassword, separate so the UI can word each one.
	ErrPasswordTooShort = errors.New("agencies: password too short")
	ErrPasswordTooLong  = errors.New("agencies: password too long")
	// ErrPasswordEncoding means the password is not valid UTF-8 or contains a
	// NUL, which no keyboard produces and some clients truncate at.
	ErrPasswordEncoding = errors.New("agencies: password is not valid text")
)

var b64 = base64.RawStdEncoding.Strict()

func (p PasswordParams) validate() error {
	switch {
	case p.Time < 1 || p.Time > maxTime:
		return fmt.Errorf("time %d outside 1..%d", p.Time, maxTime)
	case p.Threads < 1:
		return fmt.Errorf("threads must be at least 1")
	case p.MemoryKiB < 8*uint32(p.Threads) || p.MemoryKiB > maxMemoryKiB:
		return fmt.Errorf("memory %d KiB outside %d..%d", p.MemoryKiB, 8*uint32(p.Threads), maxMemoryKiB)
	case p.KeyLen < minKeyLen || p.KeyLen > maxKeyLen:
		return fmt.Errorf("key length %d outside %d..%d", p.KeyLen, minKeyLen, maxKeyLen)
	}
	return nil
}

// normalizePassword maps the password to Unicode NFC before hashing: Vietnamese
// keyboards (Telex/VNI, "Unicode dựng sẵn" vs "tổ hợp") and operating systems
// produce either precomposed or combining forms of the same letters, and an
// officer must be able to log in from any device.
func normalizePassword(pw string) []byte {
	return []byte(norm.NFC.String(pw))
}

// HashPassword derives an argon2id hash of pw with a fresh 16-byte random salt and
// returns it in the PHC string format used by the reference implementation and
// most libraries, $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash> (unpadded standard
// base64), so that stored hashes stay portable. The password is NFC-normalised
// first. It does not apply the password policy: call CheckPassword when a password
// is chosen.
func HashPassword(pw string, p PasswordParams) (string, error) {
	if err := p.validate(); err != nil {
		return "", fmt.Errorf("agencies: bad password parameters: %w", err)
	}
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("agencies: reading random salt: %w", err)
	}
	key := argon2.IDKey(normalizePassword(pw), salt, p.Time, p.MemoryKiB, p.Threads, p.KeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.MemoryKiB, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// VerifyPassword reports whether pw matches an encoded hash from HashPassword.
// A wrong password is (false, nil); an encoding that cannot be parsed, or whose
// parameters are outside the accepted ranges, is (false, error wrapping
// ErrMalformedHash), so a corrupted account is logged rather than mistaken for a
// typo. It never panics, whatever the input, and compares in constant time.
func VerifyPassword(pw, encoded string) (bool, error) {
	p, salt, want, err := decodeHash(encoded)
	if err != nil {
		return false, err
	}
	got := argon2.IDKey(normalizePassword(pw), salt, p.Time, p.MemoryKiB, p.Threads, p.KeyLen)
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// NeedsRehash reports whether a hash was made with parameters other than p (or
// cannot be parsed), so that the login handler can re-hash the password it has
// just verified and raise the cost of old accounts over time.
func NeedsRehash(encoded string, p PasswordParams) bool {
	got, _, _, err := decodeHash(encoded)
	return err != nil || got != p
}

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformedHash, fmt.Sprintf(format, args...))
}

func decodeHash(encoded string) (PasswordParams, []byte, []byte, error) {
	var p PasswordParams
	if len(encoded) > 512 {
		return p, nil, nil, malformed("too long (%d bytes)", len(encoded))
	}
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" {
		return p, nil, nil, malformed("want 5 '$'-separated fields")
	}
	if parts[1] != "argon2id" {
		return p, nil, nil, malformed("algorithm %q is not argon2id", parts[1])
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return p, nil, nil, malformed("unsupported version %q", parts[2])
	}
	kv := strings.Split(parts[3], ",")
	if len(kv) != 3 {
		return p, nil, nil, malformed("want parameters m=,t=,p=")
	}
	var vals [3]uint64
	for i, name := range [3]string{"m", "t", "p"} {
		v, ok := strings.CutPrefix(kv[i], name+"=")
		if !ok {
			return p, nil, nil, malformed("parameter %d is not %s=", i+1, name)
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil || strconv.FormatUint(n, 10) != v {
			return p, nil, nil, malformed("parameter %s=%q is not a canonical number", name, v)
		}
		vals[i] = n
	}
	if vals[2] > 255 {
		return p, nil, nil, malformed("parallelism %d too large", vals[2])
	}
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return p, nil, nil, malformed("salt: %v", err)
	}
	if len(salt) < minSaltLen || len(salt) > maxSaltLen {
		return p, nil, nil, malformed("salt length %d outside %d..%d", len(salt), minSaltLen, maxSaltLen)
	}
	key, err := b64.DecodeString(parts[5])
	if err != nil {
		return p, nil, nil, malformed("hash: %v", err)
	}
	p = PasswordParams{MemoryKiB: uint32(vals[0]), Time: uint32(vals[1]), Threads: uint8(vals[2]), KeyLen: uint32(len(key))}
	if err := p.validate(); err != nil {
		return PasswordParams{}, nil, nil, malformed("%v", err)
	}
	return p, salt, key, nil
}

// CheckPassword applies the policy for a newly chosen password, following NIST SP
// 800-63B: a length floor (MinPasswordChars characters) and a generous ceiling
// (MaxPasswordBytes bytes) but no composition rules, so officers can use
// passphrases in Vietnamese. Spaces and any printable characters are allowed.
func CheckPassword(pw string) error {
	if len(pw) > MaxPasswordBytes {
		return fmt.Errorf("%w: at most %d bytes", ErrPasswordTooLong, MaxPasswordBytes)
	}
	if !utf8.ValidString(pw) || strings.ContainsRune(pw, 0) {
		return ErrPasswordEncoding
	}
	if n := utf8.RuneCountInString(norm.NFC.String(pw)); n < MinPasswordChars {
		return fmt.Errorf("%w: %d characters, at least %d needed", ErrPasswordTooShort, n, MinPasswordChars)
	}
	return nil
}
