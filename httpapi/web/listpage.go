package web

import (
	"context"
	"strconv"

	"github.com/appraisal/appraisal/engine"
)

// A list of dossiers (the work queue, an applicant's own dossiers) is one
// ordered list: the overdue dossiers that the filters select, newest
// first, then the others, newest first. Each dossier appears once. Pages
// are keyset pages over that order, so a page deep in the list costs what
// the first one does.

// listPage is where a page of a list starts: in the overdue part or in
// the rest, older than the dossier before (0: from the newest).
type listPage struct {
	rest   bool
	before int64
}

// parsePage reads a page's ?page=: "" is the first page, "o123" the
// overdue dossiers older than 123, "r" the rest from the newest, "r123"
// the rest older than 123. A malformed one is the first page and false.
func parsePage(s string) (listPage, bool) {
	if s == "" {
		return listPage{}, true
	}
	var at listPage
	switch s[0] {
	case 'o':
	case 'r':
		at.rest = true
	default:
		return listPage{}, false
	}
	if len(s) > 1 {
		id, err := strconv.ParseInt(s[1:], 10, 64)
		if err != nil || id < 1 {
			return listPage{}, false
		}
		at.before = id
	}
	return at, true
}

func (at listPage) String() string {
	s := "o"
	if at.rest {
		s = "r"
	}
	if at.before != 0 {
		s += strconv.FormatInt(at.before, 10)
	}
	return s
}

// listScan bounds the dossiers one page request reads while it skips the
// overdue ones in the rest of a list (they were listed first). A page
// that reaches it is shorter than pageSize and the next one goes on from
// where it stopped.
const listScan = 500

// restBatch is how many dossiers each further read of the rest asks for.
const restBatch = 100

// pageOf returns the dossiers of the page at at among those f selects, and
// where the next page starts (nil on the last page).
func (p *Pages) pageOf(ctx context.Context, f engine.ListFilter, at listPage) ([]*engine.Appraisal, *listPage, error) {
	today := p.today()
	var out []*engine.Appraisal
	if !at.rest {
		o := f
		o.Overdue, o.Today, o.BeforeID, o.Limit = true, today, at.before, pageSize+1
		list, err := p.store.Appraisals(ctx, o)
		if err != nil {
			return nil, nil, err
		}
		if len(list) > pageSize {
			return list[:pageSize], &listPage{before: list[pageSize-1].ID}, nil
		}
		out, at = list, listPage{rest: true}
	}
	rest, next, err := p.notOverdue(ctx, f, today, at.before, pageSize-len(out))
	return append(out, rest...), next, err
}

// notOverdue returns up to want dossiers that f selects, older than before
// (0: from the newest) and not overdue today, newest first, and where the
// rest goes on (nil when nothing is left).
func (p *Pages) notOverdue(ctx context.Context, f engine.ListFilter, today string, before int64, want int) ([]*engine.Appraisal, *listPage, error) {
	scanLimit := p.listScan
	if scanLimit == 0 {
		scanLimit = listScan
	}
	var out []*engine.Appraisal
	next := func() *listPage {
		n := &listPage{rest: true, before: before}
		if len(out) > 0 {
			n.before = out[len(out)-1].ID
		}
		return n
	}
	f.BeforeID = before
	limit := want + 1
	for scanned := 0; ; {
		f.Limit = limit
		list, err := p.store.Appraisals(ctx, f)
		if err != nil {
			return nil, nil, err
		}
		scanned += len(list)
		for _, a := range list {
			if a.Clock.Overdue(today) {
				continue // listed in the overdue part
			}
			if len(out) == want {
				return out, next(), nil
			}
			out = append(out, a)
		}
		if len(list) < limit {
			return out, nil, nil
		}
		f.BeforeID = list[len(list)-1].ID
		if scanned >= scanLimit {
			// Enough for one request: the next page starts after the
			// last dossier read, skipped or shown.
			return out, &listPage{rest: true, before: f.BeforeID}, nil
		}
		limit = restBatch
	}
}
