package httpapi

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/appraisal/appraisal/engine"
)

const (
	contentCSV  = "text/csv; charset=utf-8"
	contentXLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
)

// staffOnly refuses applicants: reports are for reviewers, appraisers and admins.
func staffOnly(r *http.Request) error {
	if a := actorOf(r); a.Role == engine.RoleApplicant {
		return engine.Errorf(engine.EFORBIDDEN, "reports are for reviewers, appraisers and admins")
	}
	return nil
}

// checkParams refuses unknown and repeated query parameters.
func checkParams(q url.Values, known ...string) error {
	for k, v := range q {
		if !slices.Contains(known, k) {
			return engine.FieldErrorf(k, "unknown parameter %q; known: %s", k, strings.Join(known, ", "))
		}
		if len(v) > 1 {
			return engine.FieldErrorf(k, "parameter %q given %d times; give it once", k, len(v))
		}
	}
	return nil
}

// parsePeriod reads from and to (inclusive dates, YYYY-MM-DD, Vietnam time)
// and, when allowed, year.
func parsePeriod(q url.Values, allowYear bool) (engine.Period, error) {
	date := func(name string) (time.Time, error) {
		v := q.Get(name)
		if v == "" {
			return time.Time{}, nil
		}
		t, err := time.Parse(time.DateOnly, v)
		if err != nil || t.Year() < 1900 || t.Year() > 9999 {
			return time.Time{}, engine.FieldErrorf(name, "%s %q is not a date YYYY-MM-DD", name, v)
		}
		return t, nil
	}
	from, err := date("from")
	if err != nil {
		return engine.Period{}, err
	}
	to, err := date("to")
	if err != nil {
		return engine.Period{}, err
	}
	if y := q.Get("year"); y != "" && allowYear {
		if !from.IsZero() || !to.IsZero() {
			return engine.Period{}, engine.FieldErrorf("year", "give year, or from and to, not both")
		}
		n, err := strconv.Atoi(y)
		if err != nil || n < 1900 || n > 9999 {
			return engine.Period{}, engine.FieldErrorf("year", "year %q is not a year such as 2026", y)
		}
		from, to = time.Date(n, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(n, 12, 31, 0, 0, 0, 0, time.UTC)
	}
	if !from.IsZero() && !to.IsZero() && to.Before(from) {
		return engine.Period{}, engine.FieldErrorf("to", "to %s is before from %s", q.Get("to"), q.Get("from"))
	}
	var p engine.Period
	if !from.IsZero() {
		p.From = from.Format(time.DateOnly)
	}
	if !to.IsZero() {
		p.To = to.Format(time.DateOnly)
	}
	return p, nil
}

// wants reports whether the Accept header asks for contentType.
func wants(r *http.Request, contentType string) bool {
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		mt, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(mt), contentType) {
			return true
		}
	}
	return false
}

type countJSON struct {
	Key   *string `json:"key"`
	Count int64   `json:"count"`
	// Periods (by month, quarter, year) also tell how many were handled
	// on time; nil for other keys.
	*shareJSON
}

// shareJSON is the measure the department is judged by: of the appraisals
// whose handling was judged, the share judged on time (null when none was).
type shareJSON struct {
	OnTime      int64    `json:"on_time"`
	Late        int64    `json:"late"`
	OnTimeShare *float64 `json:"on_time_share"`
}

func newShare(onTime, late int64) *shareJSON {
	sh := &shareJSON{OnTime: onTime, Late: late}
	if onTime+late > 0 {
		v := float64(onTime) / float64(onTime+late)
		sh.OnTimeShare = &v
	}
	return sh
}

// judgedTotals reads the on-time and late counts of a report by on_time.
func judgedTotals(byOnTime []engine.Count) (onTime, late int64) {
	for _, c := range byOnTime {
		switch {
		case c.Key != nil && *c.Key == engine.OnTime:
			onTime = c.Count
		case c.Key != nil && *c.Key == engine.Late:
			late = c.Count
		}
	}
	return onTime, late
}

// isPeriod reports whether a counts report by "by" is one row per period.
func isPeriod(by string) bool { return by == "month" || by == "quarter" || by == "year" }

func (s *Server) reportCounts(w http.ResponseWriter, r *http.Request) error {
	if err := staffOnly(r); err != nil {
		return err
	}
	q, err := strictQuery(r)
	if err != nil {
		return err
	}
	if err := checkParams(q, "by", "event", "from", "to"); err != nil {
		return err
	}
	by, event := q.Get("by"), q.Get("event")
	if by == "" {
		return engine.FieldErrorf("by", "by is required: one of %s", strings.Join(engine.CountDimensions, ", "))
	}
	if event == "" {
		event = engine.EventSubmitted
	}
	p, err := parsePeriod(q, false)
	if err != nil {
		return err
	}
	counts, err := s.store.Counts(r.Context(), engine.CountsQuery{By: by, Event: event, Period: p})
	if err != nil {
		return err
	}
	if wants(r, "text/csv") {
		// Two columns, as clients read them; the on-time share is by=on_time.
		rows := [][]string{{by, "count"}}
		for _, c := range counts {
			key := ""
			if c.Key != nil {
				key = *c.Key
			}
			rows = append(rows, []string{key, strconv.FormatInt(c.Count, 10)})
		}
		return writeCSV(w, fmt.Sprintf("counts-by-%s.csv", by), rows)
	}
	var total, onTime, late int64
	items := make([]countJSON, len(counts))
	for i, c := range counts {
		items[i] = countJSON{Key: c.Key, Count: c.Count}
		total += c.Count
		if isPeriod(by) { // each period carries its own judgements
			items[i].shareJSON = newShare(c.OnTime, c.Late)
			onTime, late = onTime+c.OnTime, late+c.Late
		}
	}
	switch {
	case by == engine.DimOnTime:
		onTime, late = judgedTotals(counts)
	case !isPeriod(by):
		judged, err := s.store.Counts(r.Context(), engine.CountsQuery{By: engine.DimOnTime, Event: event, Period: p})
		if err != nil {
			return err
		}
		onTime, late = judgedTotals(judged)
	}
	sh := newShare(onTime, late)
	writeJSON(w, http.StatusOK, "application/json", map[string]any{"by": by, "event": event, "items": items, "total": total,
		"on_time": sh.OnTime, "late": sh.Late, "on_time_share": sh.OnTimeShare})
	return nil
}

// writeCSV answers rows as UTF-8 CSV. It starts with a byte-order mark, so
// spreadsheet programs read the Vietnamese text as UTF-8.
func writeCSV(w http.ResponseWriter, filename string, rows [][]string) error {
	var buf bytes.Buffer
	buf.WriteString("\uFEFF")
	cw := csv.NewWriter(&buf)
	if err := cw.WriteAll(rows); err != nil {
		return err
	}
	w.Header().Set("Content-Type", contentCSV)
	w.Header().Set("Content-Disposition", `attachment; filename="`+filename+`"`)
	w.Write(buf.Bytes())
	return nil
}

// Headings of the provincial statistics form, as the form has them.
const (
	form07Code  = "Biểu 07/TKTH-KHCN-ĐP"
	form07Title = "Số dự án đầu tư được thẩm định, có ý kiến về công nghệ"
)

var ownershipHeadings = map[string]string{
	"state":            "Nhà nước",
	"non_state":        "Ngoài nhà nước",
	"foreign_invested": "Có vốn đầu tư nước ngoài",
}

// sectionHeadings are the VSIC 2018 section names.
var sectionHeadings = map[string]string{
	"A": "Nông nghiệp, lâm nghiệp và thủy sản",
	"B": "Khai khoáng",
	"C": "Công nghiệp chế biến, chế tạo",
	"D": "Sản xuất và phân phối điện, khí đốt, nước nóng, hơi nước và điều hòa không khí",
	"E": "Cung cấp nước; hoạt động quản lý và xử lý rác thải, nước thải",
	"F": "Xây dựng",
	"G": "Bán buôn và bán lẻ; sửa chữa ô tô, mô tô, xe máy và xe có động cơ khác",
	"H": "Vận tải kho bãi",
	"I": "Dịch vụ lưu trú và ăn uống",
	"J": "Thông tin và truyền thông",
	"K": "Hoạt động tài chính, ngân hàng và bảo hiểm",
	"L": "Hoạt động kinh doanh bất động sản",
	"M": "Hoạt động chuyên môn, khoa học và công nghệ",
	"N": "Hoạt động hành chính và dịch vụ hỗ trợ",
	"O": "Hoạt động của Đảng Cộng sản, tổ chức chính trị - xã hội, quản lý Nhà nước, an ninh quốc phòng; bảo đảm xã hội bắt buộc",
	"P": "Giáo dục và đào tạo",
	"Q": "Y tế và hoạt động trợ giúp xã hội",
	"R": "Nghệ thuật, vui chơi và giải trí",
	"S": "Hoạt động dịch vụ khác",
	"T": "Hoạt động làm thuê các công việc trong các hộ gia đình, sản xuất sản phẩm vật chất và dịch vụ tự tiêu dùng của hộ gia đình",
	"U": "Hoạt động của các tổ chức và cơ quan quốc tế",
}

// form07JSON lays the form out as it is printed: a row per VSIC section,
// a column per ownership, with totals; then a table by investing country.
type form07JSON struct {
	Form       string            `json:"form"`
	Title      string            `json:"title"`
	From       *string           `json:"from"`
	To         *string           `json:"to"`
	Ownerships []string          `json:"ownerships"`
	Rows       []form07Row       `json:"rows"`
	Totals     map[string]int64  `json:"totals"` // per ownership
	Total      int64             `json:"total"`
	ByCountry  []form07Country   `json:"by_country"`
	Headings   map[string]string `json:"headings"`
}

type form07Row struct {
	Section string           `json:"section"`
	Name    string           `json:"name"`
	Counts  map[string]int64 `json:"counts"` // per ownership
	Total   int64            `json:"total"`
}

type form07Country struct {
	Country *string `json:"country"` // null: no investing country given
	Count   int64   `json:"count"`
}

func newForm07JSON(f *engine.Form07) form07JSON {
	out := form07JSON{Form: form07Code, Title: form07Title, From: orNull(f.Period.From),
		To: orNull(f.Period.To), Ownerships: engine.Ownerships(), Totals: map[string]int64{},
		Headings: ownershipHeadings, ByCountry: []form07Country{}}
	for _, sec := range engine.Sections() {
		row := form07Row{Section: sec, Name: sectionHeadings[sec], Counts: map[string]int64{}}
		for _, o := range out.Ownerships {
			n := f.Cells[o][sec]
			row.Counts[o] = n
			row.Total += n
			out.Totals[o] += n
		}
		out.Total += row.Total
		out.Rows = append(out.Rows, row)
	}
	countries := make([]string, 0, len(f.ByCountry))
	for c := range f.ByCountry {
		countries = append(countries, c)
	}
	// Most projects first; ties by code; "no country" last.
	slices.SortFunc(countries, func(a, b string) int {
		switch {
		case (a == "") != (b == ""):
			if a == "" {
				return 1
			}
			return -1
		case f.ByCountry[a] != f.ByCountry[b]:
			return int(f.ByCountry[b] - f.ByCountry[a])
		}
		return strings.Compare(a, b)
	})
	for _, c := range countries {
		out.ByCountry = append(out.ByCountry, form07Country{Country: orNull(c), Count: f.ByCountry[c]})
	}
	return out
}

// table is the form as a grid of cells, shared by the CSV and the workbook.
func (f form07JSON) table() [][]any {
	period := "Kỳ báo cáo: "
	switch {
	case f.From != nil && f.To != nil:
		period += *f.From + " đến " + *f.To
	case f.From != nil:
		period += "từ " + *f.From
	case f.To != nil:
		period += "đến " + *f.To
	default:
		period += "toàn bộ"
	}
	head := []any{"Mã ngành (VSIC)", "Ngành kinh tế", "Tổng số"}
	for _, o := range f.Ownerships {
		head = append(head, f.Headings[o])
	}
	t := [][]any{{f.Form}, {f.Title}, {period}, {}, head}
	total := []any{"", "Tổng số", f.Total}
	for _, o := range f.Ownerships {
		total = append(total, f.Totals[o])
	}
	t = append(t, total)
	for _, r := range f.Rows {
		row := []any{r.Section, r.Name, r.Total}
		for _, o := range f.Ownerships {
			row = append(row, r.Counts[o])
		}
		t = append(t, row)
	}
	t = append(t, []any{}, []any{"Mã nước", "Nước đầu tư", "Số dự án"})
	for _, c := range f.ByCountry {
		code, name := "", "Không xác định"
		if c.Country != nil {
			code, name = *c.Country, *c.Country
		}
		t = append(t, []any{code, name, c.Count})
	}
	return t
}

func (s *Server) reportForm07(w http.ResponseWriter, r *http.Request) error {
	if err := staffOnly(r); err != nil {
		return err
	}
	q, err := strictQuery(r)
	if err != nil {
		return err
	}
	if err := checkParams(q, "year", "from", "to"); err != nil {
		return err
	}
	p, err := parsePeriod(q, true)
	if err != nil {
		return err
	}
	form, err := s.store.Form07(r.Context(), p)
	if err != nil {
		return err
	}
	f := newForm07JSON(form)
	switch {
	case wants(r, contentXLSX):
		return writeForm07Workbook(w, f)
	case wants(r, "text/csv"):
		var rows [][]string
		for _, row := range f.table() {
			cells := make([]string, len(row))
			for i, c := range row {
				cells[i] = fmt.Sprint(c)
			}
			rows = append(rows, cells)
		}
		return writeCSV(w, "bieu-07.csv", rows)
	}
	writeJSON(w, http.StatusOK, "application/json", f)
	return nil
}

func writeForm07Workbook(w http.ResponseWriter, f form07JSON) error {
	x := excelize.NewFile()
	defer x.Close()
	const sheet = "Biểu 07"
	if err := x.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	for i, row := range f.table() {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := x.SetSheetRow(sheet, cell, &row); err != nil {
			return err
		}
	}
	bold, err := x.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	x.SetCellStyle(sheet, "A1", "A2", bold)
	x.SetCellStyle(sheet, "A5", "F6", bold)
	x.SetColWidth(sheet, "B", "B", 60)
	x.SetColWidth(sheet, "C", "F", 16)
	var buf bytes.Buffer
	if err := x.Write(&buf); err != nil {
		return err
	}
	w.Header().Set("Content-Type", contentXLSX)
	w.Header().Set("Content-Disposition", `attachment; filename="bieu-07.xlsx"`)
	w.Write(buf.Bytes())
	return nil
}
