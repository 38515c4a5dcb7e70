package httpapi

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/appraisal/appraisal/engine"
)

// FuzzParseIfMatch: no If-Match or * is no condition; a version is read
// only from its exact entity tag; anything else names no version (412) or
// is malformed (400).
func FuzzParseIfMatch(f *testing.F) {
	f.Fuzz(func(t *testing.T, header string) {
		v, err := parseIfMatch(header)
		trimmed := strings.TrimSpace(header)
		if err != nil {
			var he *httpError
			if !errors.As(err, &he) || he.status != http.StatusBadRequest {
				t.Fatalf("parseIfMatch(%q): %v, want a 400", header, err)
			}
			return
		}
		switch {
		case trimmed == "" || trimmed == "*":
			if v != 0 {
				t.Fatalf("parseIfMatch(%q) = %d, want 0 (no condition)", header, v)
			}
		case v >= 1:
			if etag(v) != trimmed {
				t.Fatalf("parseIfMatch(%q) = %d, but that version's tag is %s", header, v, etag(v))
			}
		case v != -1:
			t.Fatalf("parseIfMatch(%q) = %d, want -1, 0 or a version", header, v)
		}
	})
}

// FuzzParsePeriod: a period is either refused as invalid data on from, to
// or year (422), or is dates YYYY-MM-DD within 1900-9999, from no later
// than to, taken from the query as given.
func FuzzParsePeriod(f *testing.F) {
	f.Fuzz(func(t *testing.T, rawQuery string, allowYear bool) {
		q, err := url.ParseQuery(rawQuery)
		if err != nil {
			return // the handlers refuse a malformed query first (strictQuery)
		}
		p, err := parsePeriod(q, allowYear)
		if err != nil {
			var e *engine.Error
			if !errors.As(err, &e) || e.Code != engine.EINVALID || !slices.Contains([]string{"from", "to", "year"}, e.Field) {
				t.Fatalf("parsePeriod(%q, %v): %#v, want invalid data on from, to or year", rawQuery, allowYear, err)
			}
			return
		}
		for _, d := range []string{p.From, p.To} {
			if d == "" {
				continue
			}
			day, err := time.Parse(time.DateOnly, d)
			if err != nil || day.Format(time.DateOnly) != d || day.Year() < 1900 || day.Year() > 9999 {
				t.Fatalf("parsePeriod(%q, %v) gives %q, not a date 1900-9999: %v", rawQuery, allowYear, d, err)
			}
		}
		if p.From != "" && p.To != "" && p.To < p.From {
			t.Fatalf("parsePeriod(%q, %v): to %s before from %s", rawQuery, allowYear, p.To, p.From)
		}
		if !allowYear || q.Get("year") == "" {
			if p.From != q.Get("from") || p.To != q.Get("to") {
				t.Fatalf("parsePeriod(%q, %v) = %+v, not the dates given", rawQuery, allowYear, p)
			}
		}
	})
}
