package web

// SetListScan makes p read at most n dossiers a page while it skips the
// overdue ones in the rest of a list, so tests reach that bound cheaply.
func SetListScan(p *Pages, n int) { p.listScan = n }
