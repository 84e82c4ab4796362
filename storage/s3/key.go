package s3

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// maxKeyLen is S3's limit on an object key, in bytes.
const maxKeyLen = 1024

// ErrInvalidKey reports an object key outside the alphabet this package
// stores: lower-case ASCII letters, digits, '-' and '/' between non-empty
// segments. Keys are built from ids (ImportKey), so a user's file name can
// never become, or reach into, a key.
var ErrInvalidKey = errors.New("invalid object key")

// ImportKey returns the object key of an import's uploaded file,
// "imports/<tenant id>/<import id>". The import id is expected in the
// lower-case form ids are stored in (a UUID's canonical text); Put and Open
// refuse a key holding anything else.
func ImportKey(tenantID int64, importID string) string {
	return "imports/" + strconv.FormatInt(tenantID, 10) + "/" + importID
}

// checkKey refuses every key that could not come from ImportKey's alphabet.
func checkKey(key string) error {
	if key == "" {
		return fmt.Errorf("%w: empty", ErrInvalidKey)
	}
	if len(key) > maxKeyLen {
		return fmt.Errorf("%w: longer than %d bytes", ErrInvalidKey, maxKeyLen)
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '/') {
			return fmt.Errorf("%w %q: byte %d is not one of [a-z0-9/-]", ErrInvalidKey, key, i)
		}
	}
	if strings.HasPrefix(key, "/") || strings.HasSuffix(key, "/") || strings.Contains(key, "//") {
		return fmt.Errorf("%w %q: empty path segment", ErrInvalidKey, key)
	}
	return nil
}
