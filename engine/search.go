package engine

import (
	"strings"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// Fold lower-cases s and strips its diacritics (đ becomes d), so a search
// for "dong anh" finds "Đông Anh", as Vietnamese users type it.
func Fold(s string) string {
	// A transform.Chain keeps state: one per call, never shared between goroutines.
	stripMarks := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	lower := strings.ToLower(s)
	folded, _, err := transform.String(stripMarks, lower)
	if err != nil {
		folded = lower
	}
	return strings.ReplaceAll(folded, "đ", "d")
}

// SearchText is what the q filter of a listing matches: the folded code,
// project name, investor and technology.
func (a *Appraisal) SearchText() string {
	return Fold(strings.Join([]string{a.Code, a.Dossier.ProjectName, a.Dossier.Investor, a.Dossier.Technology}, "\n"))
}
