package web

import (
	"embed"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"golang.org/x/text/language"
)

// Languages: Vietnamese by default, English by choice. The catalogs are
// flat JSON maps, one per language, with the same keys (a test checks).
const (
	langVI = "vi"
	langEN = "en"
)

var langs = []string{langVI, langEN}

//go:embed i18n/*.json
var catalogFS embed.FS

// catalogs maps a language to its messages.
var catalogs = func() map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, l := range langs {
		data, err := catalogFS.ReadFile("i18n/" + l + ".json")
		if err != nil {
			panic(err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(data, &m); err != nil {
			panic(fmt.Sprintf("i18n/%s.json: %v", l, err))
		}
		out[l] = m
	}
	return out
}()

// translate returns the message key in lang, formatted with args. A key
// missing from the catalog shows as itself (the tests keep that from
// happening).
func translate(lang, key string, args ...any) string {
	msg, ok := catalogs[lang][key]
	if !ok {
		return key
	}
	if len(args) > 0 {
		return fmt.Sprintf(msg, args...)
	}
	return msg
}

var langMatcher = language.NewMatcher([]language.Tag{language.Vietnamese, language.English})

const langCookie = "lang"

// pickLang chooses the page language: ?lang= (remembered in a cookie),
// then the cookie, then Accept-Language, then Vietnamese. secure: the
// request came over TLS, so the cookie is Secure.
func pickLang(w http.ResponseWriter, r *http.Request, secure bool) string {
	if l := r.URL.Query().Get("lang"); l == langVI || l == langEN {
		http.SetCookie(w, &http.Cookie{Name: langCookie, Value: l, Path: "/", MaxAge: int((365 * 24 * time.Hour).Seconds()),
			HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode})
		return l
	}
	if c, err := r.Cookie(langCookie); err == nil && (c.Value == langVI || c.Value == langEN) {
		return c.Value
	}
	if h := r.Header.Get("Accept-Language"); h != "" {
		tags, _, err := language.ParseAcceptLanguage(h)
		if err == nil && len(tags) > 0 {
			_, i, conf := langMatcher.Match(tags...)
			if conf != language.No && i == 1 {
				return langEN
			}
		}
	}
	return langVI
}
