package model

import (
	"strings"

	"golang.org/x/text/cases"
)

// Fold returns s with Unicode case folding applied, the form text is searched
// in: Fold("ÖDÖN") == Fold("Ödön"). SQLite's own NOCASE only folds ASCII.
func Fold(s string) string {
	return cases.Fold().String(strings.TrimSpace(s))
}
