package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/appraisal/appraisal/engine"
	"github.com/appraisal/appraisal/httpapi"
)

// chart is a horizontal bar chart drawn by the server as SVG, with the
// same numbers as a table beside it.
type chart struct {
	ID, Title string
	Bars      []bar
	Total     int64
	Height    int
}

type bar struct {
	Label    string
	Count    int64
	Y, Width int
	TextY    int
	CountX   int
	Share    string
}

const (
	chartLabelWidth = 230
	chartBarSpace   = 300
	chartRow        = 26
)

func newChart(id, title string, rows []engine.Count, label func(key string) string) chart {
	c := chart{ID: id, Title: title}
	var top int64
	for _, r := range rows {
		c.Total += r.Count
		top = max(top, r.Count)
	}
	for i, r := range rows {
		key := ""
		if r.Key != nil {
			key = *r.Key
		}
		b := bar{Label: label(key), Count: r.Count, Y: i*chartRow + 4, TextY: i*chartRow + 19}
		if top > 0 {
			b.Width = max(1, int(r.Count*chartBarSpace/top))
		}
		b.CountX = chartLabelWidth + b.Width + 6
		if c.Total > 0 {
			b.Share = fmt.Sprintf("%.1f%%", float64(r.Count)*100/float64(c.Total))
		}
		c.Bars = append(c.Bars, b)
	}
	c.Height = max(chartRow, len(rows)*chartRow+8)
	return c
}

type dashboardData struct {
	Year        string
	Years       []option
	Total       int64
	Charts      []chart
	OnTime      string
	OnTimeKnown bool
}

// periodOf reads ?year= (default: all time) as a Period.
func periodOf(vals url.Values) (engine.Period, string, error) {
	y := vals.Get("year")
	if y == "" {
		return engine.Period{}, "", nil
	}
	n, err := strconv.Atoi(y)
	if err != nil || n < 1900 || n > 9999 {
		return engine.Period{}, "", engine.FieldErrorf("year", "bad year")
	}
	return engine.Period{From: fmt.Sprintf("%04d-01-01", n), To: fmt.Sprintf("%04d-12-31", n)}, y, nil
}

func (p *Pages) yearOptions(lang, current string) []option {
	opts := []option{{Value: "", Label: translate(lang, "list.all"), Selected: current == ""}}
	this := p.now().In(engine.VietnamTime).Year()
	for y := this; y >= this-5; y-- {
		s := strconv.Itoa(y)
		opts = append(opts, option{Value: s, Label: s, Selected: s == current})
	}
	return opts
}

// dashboard shows the counts per month, state, sector and ownership of
// the dossiers received, as charts and tables, and the on-time share.
func (p *Pages) dashboard(w http.ResponseWriter, q *req) error {
	period, year, err := periodOf(q.URL.Query())
	if err != nil {
		return err
	}
	lang := q.Lang
	v := p.view(q, "dash.title")
	data := &dashboardData{Year: year, Years: p.yearOptions(lang, year)}
	v.Data = data
	unknown := func(prefix string) func(string) string {
		return func(k string) string {
			if k == "" {
				return translate(lang, "dash.unknown")
			}
			if prefix == "" {
				return k
			}
			return translate(lang, prefix+k)
		}
	}
	for _, c := range []struct{ by, title, prefix string }{
		{"month", "dash.by_month", ""},
		{"state", "dash.by_state", "state."},
		{"sector", "dash.by_sector", "sector."},
		{"ownership", "dash.by_ownership", "ownership."},
	} {
		rows, err := p.store.Counts(q.Context(), engine.CountsQuery{By: c.by, Event: engine.EventSubmitted, Period: period})
		if err != nil {
			return err
		}
		label := unknown(c.prefix)
		if c.by == "sector" {
			label = func(k string) string {
				if k == "" {
					return translate(lang, "dash.unknown")
				}
				return k + " – " + translate(lang, "sector."+k)
			}
		}
		ch := newChart("chart-"+c.by, translate(lang, c.title), rows, label)
		data.Charts = append(data.Charts, ch)
		if c.by == "state" {
			data.Total = ch.Total
		}
	}
	onTime, err := p.store.Counts(q.Context(), engine.CountsQuery{By: engine.DimOnTime, Event: engine.EventSubmitted, Period: period})
	if err != nil {
		return err
	}
	var good, judged int64
	for _, c := range onTime {
		if c.Key == nil {
			continue
		}
		switch *c.Key {
		case engine.OnTime:
			good += c.Count
			judged += c.Count
		case engine.Late:
			judged += c.Count
		}
	}
	if judged > 0 {
		data.OnTimeKnown = true
		data.OnTime = translate(lang, "dash.on_time_value", fmt.Sprintf("%.1f%%", float64(good)*100/float64(judged)), good, judged)
	}
	return p.render(w, q, http.StatusOK, "dashboard", v)
}

type form07Data struct {
	Year        string
	Years       []option
	Ownerships  []option
	Rows        []form07Row
	Totals      []int64
	Total       int64
	ByCountry   []form07Country
	DownloadURL string
}

type form07Row struct {
	Section, Name string
	Counts        []int64
	Total         int64
}

type form07Country struct {
	Country string
	Count   int64
}

// form07 shows the provincial statistics form, Biểu 07, for a year or all
// time, with a link to the same form as an Excel workbook.
func (p *Pages) form07(w http.ResponseWriter, q *req) error {
	period, year, err := periodOf(q.URL.Query())
	if err != nil {
		return err
	}
	f, err := p.store.Form07(q.Context(), period)
	if err != nil {
		return err
	}
	lang := q.Lang
	v := p.view(q, "form07.title")
	data := &form07Data{Year: year, Years: p.yearOptions(lang, year), DownloadURL: "/form07.xlsx"}
	if year != "" {
		data.DownloadURL += "?year=" + year
	}
	owners := engine.Ownerships()
	data.Totals = make([]int64, len(owners))
	for _, o := range owners {
		data.Ownerships = append(data.Ownerships, option{Value: o, Label: translate(lang, "ownership."+o)})
	}
	for _, sec := range engine.Sections() {
		row := form07Row{Section: sec, Name: translate(lang, "sector."+sec)}
		for i, o := range owners {
			n := f.Cells[o][sec]
			row.Counts = append(row.Counts, n)
			row.Total += n
			data.Totals[i] += n
		}
		data.Total += row.Total
		data.Rows = append(data.Rows, row)
	}
	for c, n := range f.ByCountry {
		name := c
		if c == "" {
			name = translate(lang, "form07.no_country")
		}
		data.ByCountry = append(data.ByCountry, form07Country{Country: name, Count: n})
	}
	sortCountries(data.ByCountry)
	v.Data = data
	return p.render(w, q, http.StatusOK, "form07", v)
}

func sortCountries(cs []form07Country) {
	for i := 1; i < len(cs); i++ {
		for j := i; j > 0 && (cs[j].Count > cs[j-1].Count || cs[j].Count == cs[j-1].Count && cs[j].Country < cs[j-1].Country); j-- {
			cs[j], cs[j-1] = cs[j-1], cs[j]
		}
	}
}

// form07Workbook sends the statistics form as the API's Excel workbook,
// to a signed-in user (the API's route wants a bearer token).
func (p *Pages) form07Workbook(w http.ResponseWriter, q *req) error {
	period, _, err := periodOf(q.URL.Query())
	if err != nil {
		return err
	}
	f, err := p.store.Form07(q.Context(), period)
	if err != nil {
		return err
	}
	return httpapi.WriteForm07Workbook(w, f)
}
