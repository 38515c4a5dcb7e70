package httpapi

import (
	"testing"

	"github.com/appraisal/appraisal/engine"
)

// FuzzCursor: a cursor the API made decodes to its id; any other string
// decodes to an id above 0 or is refused as invalid data (422), never a
// panic or a server error.
func FuzzCursor(f *testing.F) {
	f.Fuzz(func(t *testing.T, id int64, cursor string) {
		if id > 0 {
			if got, err := decodeCursor(encodeCursor(id)); err != nil || got != id {
				t.Fatalf("decodeCursor(encodeCursor(%d)) = %d, %v", id, got, err)
			}
		}
		got, err := decodeCursor(cursor)
		if err != nil {
			if code := engine.ErrorCode(err); code != engine.EINVALID {
				t.Fatalf("decodeCursor(%q): error code %s, want %s: %v", cursor, code, engine.EINVALID, err)
			}
			return
		}
		if got <= 0 {
			t.Fatalf("decodeCursor(%q) = %d, not an id", cursor, got)
		}
	})
}
