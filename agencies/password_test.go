package agencies

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"
)

func mustHash(t testing.TB, pw string, p PasswordParams) string {
	t.Helper()
	h, err := HashPassword(pw, p)
	if err != nil {
		t.Fatalf("HashPassword: %v", err)
	}
	return h
}

var phcRE = regexp.MustCompile(`^\$argon2id\$v=19\$m=[0-9]+,t=[0-9]+,p=[0-9]+\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)

func TestPasswordRoundTrip(t *testing.T) {
	tests := []struct {
		name   string
		pw     string
		params PasswordParams
		prefix string
	}{
		{"default params", "mật khẩu an toàn", DefaultPasswordParams, "$argon2id$v=19$m=19456,t=2,p=1$"},
		{"test params", "correct horse battery", TestPasswordParams, "$argon2id$v=19$m=64,t=1,p=1$"},
		{"empty password still hashes", "", TestPasswordParams, "$argon2id$"},
		{"dollar signs in password", "$argon2id$v=19$", TestPasswordParams, "$argon2id$"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := mustHash(t, tc.pw, tc.params)
			if !strings.HasPrefix(h, tc.prefix) || !phcRE.MatchString(h) {
				t.Errorf("hash %q is not a PHC argon2id string with prefix %q", h, tc.prefix)
			}
			ok, err := VerifyPassword(tc.pw, h)
			if err != nil || !ok {
				t.Errorf("VerifyPassword(right password) = %v, %v", ok, err)
			}
			ok, err = VerifyPassword(tc.pw+"x", h)
			if err != nil || ok {
				t.Errorf("VerifyPassword(wrong password) = %v, %v", ok, err)
			}
			if NeedsRehash(h, tc.params) {
				t.Error("NeedsRehash with the same params = true")
			}
		})
	}
}

func TestPasswordSaltIsRandom(t *testing.T) {
	a := mustHash(t, "same password", TestPasswordParams)
	b := mustHash(t, "same password", TestPasswordParams)
	if a == b {
		t.Errorf("two hashes of the same password are equal: %s", a)
	}
}

func TestPasswordWrong(t *testing.T) {
	h := mustHash(t, "Mật khẩu 2026", TestPasswordParams)
	tests := []struct {
		name string
		pw   string
	}{
		{"empty", ""},
		{"case differs", "mật khẩu 2026"},
		{"diacritics dropped", "Mat khau 2026"},
		{"trailing space", "Mật khẩu 2026 "},
		{"prefix", "Mật khẩu"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ok, err := VerifyPassword(tc.pw, h)
			if ok || err != nil {
				t.Errorf("VerifyPassword(%q) = %v, %v; want false, nil", tc.pw, ok, err)
			}
		})
	}
}

func TestPasswordUnicodeNormalization(t *testing.T) {
	composed := norm.NFC.String("Mật khẩu Tết")
	decomposed := norm.NFD.String(composed)
	if composed == decomposed {
		t.Fatal("test strings should differ in form")
	}
	h := mustHash(t, decomposed, TestPasswordParams)
	if ok, err := VerifyPassword(composed, h); !ok || err != nil {
		t.Errorf("NFC password against NFD hash = %v, %v", ok, err)
	}
}

func TestVerifyPasswordMalformed(t *testing.T) {
	good := mustHash(t, "pw", TestPasswordParams)
	parts := strings.Split(good, "$") // "", argon2id, v=19, m=..,t=..,p=.., salt, hash
	with := func(i int, v string) string {
		p := append([]string(nil), parts...)
		p[i] = v
		return strings.Join(p, "$")
	}
	salt, hash := parts[4], parts[5]
	tests := []struct {
		name    string
		encoded string
	}{
		{"empty", ""},
		{"plain text", "password"},
		{"bcrypt", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"},
		{"argon2i", with(1, "argon2i")},
		{"argon2d", with(1, "argon2d")},
		{"upper-case algorithm", with(1, "ARGON2ID")},
		{"old version", with(2, "v=16")},
		{"missing version", strings.Join(append(parts[:2:2], parts[3:]...), "$")},
		{"missing hash", strings.Join(parts[:5], "$")},
		{"extra field", good + "$AAAA"},
		{"leading garbage", "x" + good},
		{"params out of order", with(3, "t=1,m=64,p=1")},
		{"missing param", with(3, "m=64,t=1")},
		{"extra param", with(3, "m=64,t=1,p=1,k=1")},
		{"keyid param", with(3, "m=64,t=1,p=1,keyid=abc")},
		{"negative memory", with(3, "m=-64,t=1,p=1")},
		{"plus sign", with(3, "m=+64,t=1,p=1")},
		{"leading zero", with(3, "m=064,t=1,p=1")},
		{"space", with(3, "m=64, t=1,p=1")},
		{"hex", with(3, "m=0x40,t=1,p=1")},
		{"memory overflows uint32", with(3, "m=4294967296,t=1,p=1")},
		{"memory too large (DoS)", with(3, "m=4294967295,t=1,p=1")},
		{"memory below 8 per thread", with(3, "m=7,t=1,p=1")},
		{"time zero", with(3, "m=64,t=0,p=1")},
		{"time too large (DoS)", with(3, "m=64,t=4294967295,p=1")},
		{"threads zero", with(3, "m=64,t=1,p=0")},
		{"threads over 255", with(3, "m=4096,t=1,p=256")},
		{"salt padded", with(4, salt+"==")},
		{"salt bad base64", with(4, "!!!!!!!!!!!!!!!!!!!!!!")},
		{"salt url alphabet", with(4, "-_"+salt[2:])},
		{"salt too short", with(4, "AAAA")},
		{"salt empty", with(4, "")},
		{"hash empty", with(5, "")},
		{"hash too short", with(5, hash[:12])},
		{"hash too long", with(5, strings.Repeat("A", 120))},
		{"hash non-canonical trailing bits", with(5, hash[:42]+"B")},
		{"huge input", good + strings.Repeat("A", 1<<20)},
		{"NUL byte", with(4, salt[:10]+"\x00"+salt[11:])},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ok, err := VerifyPassword("pw", tc.encoded)
			if ok || err == nil {
				t.Fatalf("VerifyPassword(%.80q) = %v, %v; want an error", tc.encoded, ok, err)
			}
			if !errors.Is(err, ErrMalformedHash) {
				t.Errorf("error %v does not wrap ErrMalformedHash", err)
			}
			if !NeedsRehash(tc.encoded, TestPasswordParams) {
				t.Error("NeedsRehash(malformed) = false")
			}
		})
	}
	// The untouched string still verifies, so the cases above fail for their
	// own reason.
	if ok, err := VerifyPassword("pw", good); !ok || err != nil {
		t.Fatalf("good hash: %v, %v", ok, err)
	}
}

func TestHashPasswordBadParams(t *testing.T) {
	tests := []struct {
		name string
		p    PasswordParams
	}{
		{"zero value", PasswordParams{}},
		{"no threads", PasswordParams{Time: 1, MemoryKiB: 64, KeyLen: 32}},
		{"memory below 8 per thread", PasswordParams{Time: 1, MemoryKiB: 16, Threads: 4, KeyLen: 32}},
		{"memory too large", PasswordParams{Time: 1, MemoryKiB: 1 << 30, Threads: 1, KeyLen: 32}},
		{"key too short", PasswordParams{Time: 1, MemoryKiB: 64, Threads: 1, KeyLen: 8}},
		{"key too long", PasswordParams{Time: 1, MemoryKiB: 64, Threads: 1, KeyLen: 65}},
		{"time too large", PasswordParams{Time: 100, MemoryKiB: 64, Threads: 1, KeyLen: 32}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if h, err := HashPassword("password123", tc.p); err == nil {
				t.Errorf("HashPassword = %q, want an error", h)
			}
		})
	}
}

func TestNeedsRehash(t *testing.T) {
	h := mustHash(t, "password123", TestPasswordParams)
	tests := []struct {
		name string
		p    PasswordParams
		want bool
	}{
		{"same params", TestPasswordParams, false},
		{"stronger defaults", DefaultPasswordParams, true},
		{"longer key", PasswordParams{Time: 1, MemoryKiB: 64, Threads: 1, KeyLen: 64}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := NeedsRehash(h, tc.p); got != tc.want {
				t.Errorf("NeedsRehash = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestCheckPassword(t *testing.T) {
	tests := []struct {
		name string
		pw   string
		want error
	}{
		{"empty", "", ErrPasswordTooShort},
		{"nine characters", "123456789", ErrPasswordTooShort},
		{"ten characters", "1234567890", nil},
		{"vietnamese 9 characters in 20 bytes", "mật khẩu!", ErrPasswordTooShort},
		{"vietnamese 10 characters", "mật khẩu!!", nil},
		{"decomposed form counts characters, not code points", norm.NFD.String("ệệệệệệệệệ"), ErrPasswordTooShort},
		{"passphrase with spaces", "tôi yêu An Giang", nil},
		{"exactly 256 bytes", strings.Repeat("a", 256), nil},
		{"257 bytes", strings.Repeat("a", 257), ErrPasswordTooLong},
		{"86 three-byte characters is 258 bytes", strings.Repeat("ệ", 86), ErrPasswordTooLong},
		{"invalid UTF-8", "abcdefghij\xff", ErrPasswordEncoding},
		{"NUL byte", "abcdefghij\x00", ErrPasswordEncoding},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckPassword(tc.pw)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Errorf("CheckPassword(%.40q) = %v, want %v", tc.pw, err, tc.want)
			}
		})
	}
}

func FuzzVerifyPassword(f *testing.F) {
	good := mustHash(f, "fuzz password", TestPasswordParams)
	f.Add("fuzz password", good)
	f.Add("wrong", good)
	f.Add("", "")
	f.Add("x", "$argon2id$v=19$m=64,t=1,p=1$$")
	f.Add("x", "$argon2id$v=19$m=4294967295,t=4294967295,p=255$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	f.Add("x", "$argon2id$v=19$m=64,t=1,p=0$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	f.Add("x", "$argon2id$v=19$m=1,t=1,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	f.Add("x", "$argon2id$v=19$m=64,t=1,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	f.Add("x", "$argon2id$$$$$$$$")
	f.Add("\xff\x00", "$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA")
	f.Fuzz(func(t *testing.T, pw, encoded string) {
		// Keep each iteration cheap: well-formed but costly parameters are
		// legal, so only check that they decode.
		if p, _, _, err := decodeHash(encoded); err == nil && uint64(p.MemoryKiB)*uint64(p.Time) > 4096 {
			return
		}
		ok, err := VerifyPassword(pw, encoded)
		if err != nil {
			if ok {
				t.Fatal("ok with an error")
			}
			if !errors.Is(err, ErrMalformedHash) {
				t.Fatalf("error %v does not wrap ErrMalformedHash", err)
			}
			return
		}
		if !strings.HasPrefix(encoded, "$argon2id$v=19$m=") {
			t.Fatalf("accepted %q", encoded)
		}
		if again, err := VerifyPassword(pw, encoded); again != ok || err != nil {
			t.Fatalf("not deterministic: %v then %v, %v", ok, again, err)
		}
	})
}
