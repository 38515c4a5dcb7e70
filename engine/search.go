package engine

import (
	"strings"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

var stripMarks = transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)

// Fold lower-cases s and strips its diacritics (đ becomes d), so a search
// for "dong anh" finds "Đông Anh", as Vietnamese users type it.
func Fold(s string) string {
	s, _, err := transform.String(stripMarks, strings.ToLower(s))
	if err != nil {
		return strings.ToLower(s)
	}
	return strings.ReplaceAll(s, "đ", "d")
}

// SearchText is what the q filter of a listing matches: the folded code,
// project name, investor and technology.
func (a *Appraisal) SearchText() string {
	return Fold(strings.Join([]string{a.Code, a.Dossier.ProjectName, a.Dossier.Investor, a.Dossier.Technology}, "\n"))
}
