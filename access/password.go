package access

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Passwords are kept as argon2id hashes (RFC 9106), in the usual text form
// $argon2id$v=19$m=MEMORY,t=TIME,p=THREADS$SALT$HASH, so that the
// parameters can be raised later and old hashes still checked.

// The parameters OWASP recommends at least: 19 MiB, two passes, one lane.
const (
	argonMemory  = 19 * 1024 // KiB
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
)

// hashers bounds the hashes computed at once, so that many sign-ins at
// once cost at most this many times 19 MiB (the server stays under 1 GiB).
var hashers = make(chan struct{}, 2)

func argonKey(password string, salt []byte, t, m uint32, p uint8, n uint32) []byte {
	hashers <- struct{}{}
	defer func() { <-hashers }()
	return argon2.IDKey([]byte(password), salt, t, m, p, n)
}

// HashPassword returns the salted hash a password is kept as.
func HashPassword(password string) string {
	salt := make([]byte, argonSaltLen)
	rand.Read(salt)
	key := argonKey(password, salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, argonMemory, argonTime, argonThreads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// CheckHash reports whether password is the one hash was made from, in
// time that does not depend on where they differ. An empty or unreadable
// hash (a user who signs in only through single sign-on) matches nothing,
// after the same work, so that timing does not tell such a user apart.
func CheckHash(hash, password string) bool {
	var m, t uint32
	var p uint8
	var version int
	parts := strings.Split(hash, "$")
	ok := len(parts) == 6 && parts[1] == "argon2id"
	if ok {
		_, err1 := fmt.Sscanf(parts[2], "v=%d", &version)
		_, err2 := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p)
		ok = err1 == nil && err2 == nil && version == argon2.Version && m > 0 && t > 0 && p > 0
	}
	var salt, want []byte
	if ok {
		var err1, err2 error
		salt, err1 = base64.RawStdEncoding.DecodeString(parts[4])
		want, err2 = base64.RawStdEncoding.DecodeString(parts[5])
		ok = err1 == nil && err2 == nil && len(want) > 0
	}
	if !ok {
		argonKey(password, make([]byte, argonSaltLen), argonTime, argonMemory, argonThreads, argonKeyLen)
		return false
	}
	got := argonKey(password, salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}
