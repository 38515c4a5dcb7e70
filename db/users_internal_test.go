package db

import "testing"

func TestSameTokenHash(t *testing.T) {
	const h = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	for _, c := range []struct {
		stored, computed string
		want             bool
	}{
		{h, h, true},
		{h, h[:63] + "9", false},
		{h, "8" + h[1:], false},
		{h, h[:63], false},
		{h, h + "0", false},
		{h, "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08", false},
		{h, "", false},
	} {
		if got := sameTokenHash(c.stored, c.computed); got != c.want {
			t.Errorf("sameTokenHash(%q, %q) = %v, want %v", c.stored, c.computed, got, c.want)
		}
	}
}
