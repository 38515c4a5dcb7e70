package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxBody bounds every request body, and is the limit of a POST route
// without one of its own (postBodyLimits); a dossier is a few KiB.
const maxBody = 64 << 10

// decode reads r's JSON body into v strictly: JSON only, valid UTF-8, no
// unknown or repeated fields, one value, at most maxBody bytes.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && mt != "application/merge-patch+json") {
			return &httpError{http.StatusUnsupportedMediaType, fmt.Sprintf("Content-Type %q: send application/json", ct)}
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			// The route's own limit (limitBodies) may be the smaller one.
			return &httpError{http.StatusRequestEntityTooLarge, fmt.Sprintf("the body is larger than %d bytes", tooLarge.Limit)}
		}
		return badRequest("reading the body: " + err.Error())
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return badRequest("the body is empty; send a JSON object")
	}
	if !utf8.Valid(body) {
		return badRequest("the body is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var typeErr *json.UnmarshalTypeError
		var syntaxErr *json.SyntaxError
		switch {
		case errors.As(err, &typeErr):
			return badRequest(fmt.Sprintf("field %q: expected %s, got JSON %s", typeErr.Field, typeErr.Type, typeErr.Value))
		case errors.As(err, &syntaxErr):
			return badRequest(fmt.Sprintf("malformed JSON at byte %d: %v", syntaxErr.Offset, err))
		}
		return badRequest("invalid JSON body: " + err.Error())
	}
	if dec.More() {
		return badRequest("malformed JSON: data after the object")
	}
	if name, ok := duplicateName(body); ok {
		return badRequest(fmt.Sprintf("field %q is given twice; give each field once", name))
	}
	return nil
}

// duplicateName returns the first member name of an object in body that
// repeats an earlier one of the same object, compared as encoding/json
// matches names to fields: ignoring case. encoding/json keeps the last of
// duplicates, so a proxy or a log that kept the first would disagree with
// the server about what was asked. body must be valid JSON.
func duplicateName(body []byte) (string, bool) {
	dec := json.NewDecoder(bytes.NewReader(body))
	var open []map[string]bool // per open object its folded names; nil for an array
	wantName := false
	for {
		tok, err := dec.Token()
		if err != nil {
			return "", false // the end: body was decoded already
		}
		switch tok {
		case json.Delim('{'):
			open = append(open, map[string]bool{})
			wantName = true
			continue
		case json.Delim('['):
			open = append(open, nil)
			wantName = false
			continue
		case json.Delim('}'), json.Delim(']'):
			open = open[:len(open)-1]
		default:
			if name, ok := tok.(string); ok && wantName {
				folded := foldName(name)
				if open[len(open)-1][folded] {
					return name, true
				}
				open[len(open)-1][folded] = true
				wantName = false
				continue
			}
		}
		// A value has ended: in an object, a name comes next.
		wantName = len(open) > 0 && open[len(open)-1] != nil
	}
}

// foldName maps names that strings.EqualFold finds equal, as
// encoding/json does when it matches a name to a field, to one string:
// each rune becomes the smallest rune of its case-folding orbit.
func foldName(s string) string {
	var b strings.Builder
	for _, r := range s {
		smallest := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			smallest = min(smallest, f)
		}
		b.WriteRune(smallest)
	}
	return b.String()
}

// writeJSON answers v as JSON with the given status and content type.
func writeJSON(w http.ResponseWriter, status int, contentType string, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		// Only our own types are written; they always marshal.
		panic(err)
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	w.Write(append(body, '\n'))
}
