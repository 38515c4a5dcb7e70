package engine_test

import (
	"strings"
	"testing"
	"time"

	"github.com/appraisal/appraisal/engine"
)

// validDossier is a complete decision-stage dossier in Vietnamese.
func validDossier() engine.Dossier {
	return engine.Dossier{
		ProjectName:      "Dự án nhà máy điện mặt trời Đông Anh",
		Investor:         "Công ty Cổ phần Năng lượng Xanh Hà Nội",
		Technology:       "Tấm pin quang điện đơn tinh thể, công suất 50 MWp;\nbiến tần nối lưới.",
		Stage:            "decision",
		ProjectGroup:     "B",
		Ownership:        "non_state",
		Sector:           "D35",
		CapitalVND:       1_250_000_000_000,
		InvestorCountry:  "VN",
		TechnologyOrigin: "DE",
		Locality:         "Xã Xuân Nộn, huyện Đông Anh",
	}
}

// checkDossier normalizes and validates d; wantField "" means valid.
func checkDossier(t *testing.T, d engine.Dossier, wantField string) engine.Dossier {
	t.Helper()
	d.Normalize()
	err := d.Validate()
	if wantField == "" {
		if err != nil {
			t.Fatalf("Validate: %v, want nil", err)
		}
		return d
	}
	if err == nil {
		t.Fatalf("Validate: nil, want EINVALID on %s", wantField)
	}
	e := asError(t, err)
	if e.Code != engine.EINVALID || e.Field != wantField {
		t.Fatalf("Validate: code %s field %q (%v), want %s field %q", e.Code, e.Field, err, engine.EINVALID, wantField)
	}
	if e.Message == "" {
		t.Fatalf("Validate: empty message")
	}
	return d
}

func TestDossierValidate(t *testing.T) {
	tests := []struct {
		name   string
		modify func(d *engine.Dossier)
		field  string // "" when valid
	}{
		{"valid", func(d *engine.Dossier) {}, ""},

		// required fields
		{"project_name missing", func(d *engine.Dossier) { d.ProjectName = "" }, "project_name"},
		{"project_name blank", func(d *engine.Dossier) { d.ProjectName = " \t\u00a0 " }, "project_name"},
		{"investor missing", func(d *engine.Dossier) { d.Investor = "" }, "investor"},
		{"investor blank", func(d *engine.Dossier) { d.Investor = "   " }, "investor"},
		{"technology missing", func(d *engine.Dossier) { d.Technology = "" }, "technology"},
		{"technology blank", func(d *engine.Dossier) { d.Technology = "\n\n" }, "technology"},
		{"stage missing", func(d *engine.Dossier) { d.Stage = "" }, "stage"},
		{"ownership missing", func(d *engine.Dossier) { d.Ownership = "" }, "ownership"},
		{"sector missing", func(d *engine.Dossier) { d.Sector = "" }, "sector"},
		{"project_group missing at decision stage", func(d *engine.Dossier) { d.ProjectGroup = "" }, "project_group"},

		// optional fields
		{"no optional fields", func(d *engine.Dossier) { d.InvestorCountry, d.TechnologyOrigin, d.Locality = "", "", "" }, ""},

		// lengths, in characters not bytes
		{"project_name 500 characters", func(d *engine.Dossier) { d.ProjectName = strings.Repeat("Đ", 500) }, ""},
		{"project_name 501 characters", func(d *engine.Dossier) { d.ProjectName = strings.Repeat("Đ", 501) }, "project_name"},
		{"investor 501 characters", func(d *engine.Dossier) { d.Investor = strings.Repeat("a", 501) }, "investor"},
		{"technology 4000 characters", func(d *engine.Dossier) { d.Technology = strings.Repeat("ệ", 4000) }, ""},
		{"technology 4001 characters", func(d *engine.Dossier) { d.Technology = strings.Repeat("ệ", 4001) }, "technology"},
		{"locality 200 characters", func(d *engine.Dossier) { d.Locality = strings.Repeat("ờ", 200) }, ""},
		{"locality 201 characters", func(d *engine.Dossier) { d.Locality = strings.Repeat("ờ", 201) }, "locality"},

		// control characters and encoding
		{"project_name with NUL", func(d *engine.Dossier) { d.ProjectName = "Dự án\x00nhà máy" }, "project_name"},
		{"project_name with newline", func(d *engine.Dossier) { d.ProjectName = "Dự án\nnhà máy" }, "project_name"},
		{"project_name with tab", func(d *engine.Dossier) { d.ProjectName = "Dự án\tnhà máy" }, "project_name"},
		{"project_name with DEL", func(d *engine.Dossier) { d.ProjectName = "Dự án\x7fnhà máy" }, "project_name"},
		{"project_name with C1 control", func(d *engine.Dossier) { d.ProjectName = "Dự án\u0085nhà máy" }, "project_name"},
		{"investor with escape", func(d *engine.Dossier) { d.Investor = "Công ty\x1b[31m" }, "investor"},
		{"technology with newlines, CR and tabs", func(d *engine.Dossier) { d.Technology = "Dây chuyền:\r\n\t- sấy\n\t- đóng gói" }, ""},
		{"technology with NUL", func(d *engine.Dossier) { d.Technology = "Dây chuyền\x00" }, "technology"},
		{"technology with bell", func(d *engine.Dossier) { d.Technology = "Dây chuyền\a sấy" }, "technology"},
		{"locality with newline", func(d *engine.Dossier) { d.Locality = "Xã Xuân Nộn\nĐông Anh" }, "locality"},
		{"project_name not UTF-8", func(d *engine.Dossier) { d.ProjectName = "Dự án \xff\xfe" }, "project_name"},
		{"locality not UTF-8", func(d *engine.Dossier) { d.Locality = "\xc3\x28" }, "locality"},

		// stage and project_group
		{"stage policy without group", func(d *engine.Dossier) { d.Stage, d.ProjectGroup = "policy", "" }, ""},
		{"stage policy with group", func(d *engine.Dossier) { d.Stage, d.ProjectGroup = "policy", "A" }, ""},
		{"stage policy with unknown group", func(d *engine.Dossier) { d.Stage, d.ProjectGroup = "policy", "D" }, "project_group"},
		{"stage unknown", func(d *engine.Dossier) { d.Stage = "construction" }, "stage"},
		{"stage in another case", func(d *engine.Dossier) { d.Stage = "Decision" }, "stage"},
		{"stage with spaces", func(d *engine.Dossier) { d.Stage = " decision " }, ""},
		{"group national", func(d *engine.Dossier) { d.ProjectGroup = "national" }, ""},
		{"group A", func(d *engine.Dossier) { d.ProjectGroup = "A" }, ""},
		{"group B", func(d *engine.Dossier) { d.ProjectGroup = "B" }, ""},
		{"group C", func(d *engine.Dossier) { d.ProjectGroup = "C" }, ""},
		{"group D", func(d *engine.Dossier) { d.ProjectGroup = "D" }, "project_group"},
		{"group lower case", func(d *engine.Dossier) { d.ProjectGroup = "a" }, "project_group"},
		{"group National", func(d *engine.Dossier) { d.ProjectGroup = "National" }, "project_group"},

		// ownership
		{"ownership state", func(d *engine.Dossier) { d.Ownership = "state" }, ""},
		{"ownership non_state", func(d *engine.Dossier) { d.Ownership = "non_state" }, ""},
		{"ownership foreign_invested", func(d *engine.Dossier) { d.Ownership = "foreign_invested" }, ""},
		{"ownership private", func(d *engine.Dossier) { d.Ownership = "private" }, "ownership"},
		{"ownership in another case", func(d *engine.Dossier) { d.Ownership = "State" }, "ownership"},
		{"ownership with a hyphen", func(d *engine.Dossier) { d.Ownership = "non-state" }, "ownership"},

		// sector: a VSIC 2018 section, optionally with one of its divisions
		{"sector C", func(d *engine.Dossier) { d.Sector = "C" }, ""},
		{"sector C26", func(d *engine.Dossier) { d.Sector = "C26" }, ""},
		{"sector A", func(d *engine.Dossier) { d.Sector = "A" }, ""},
		{"sector U", func(d *engine.Dossier) { d.Sector = "U" }, ""},
		{"sector A01", func(d *engine.Dossier) { d.Sector = "A01" }, ""},
		{"sector C10", func(d *engine.Dossier) { d.Sector = "C10" }, ""},
		{"sector C33", func(d *engine.Dossier) { d.Sector = "C33" }, ""},
		{"sector U99", func(d *engine.Dossier) { d.Sector = "U99" }, ""},
		{"sector with spaces", func(d *engine.Dossier) { d.Sector = " C26 " }, ""},
		{"sector C05: division of section B", func(d *engine.Dossier) { d.Sector = "C05" }, "sector"},
		{"sector C34", func(d *engine.Dossier) { d.Sector = "C34" }, "sector"},
		{"sector A00", func(d *engine.Dossier) { d.Sector = "A00" }, "sector"},
		{"sector B10", func(d *engine.Dossier) { d.Sector = "B10" }, "sector"},
		{"sector V", func(d *engine.Dossier) { d.Sector = "V" }, "sector"},
		{"sector Z", func(d *engine.Dossier) { d.Sector = "Z" }, "sector"},
		{"sector lower case c", func(d *engine.Dossier) { d.Sector = "c" }, "sector"},
		{"sector C2", func(d *engine.Dossier) { d.Sector = "C2" }, "sector"},
		{"sector C260", func(d *engine.Dossier) { d.Sector = "C260" }, "sector"},
		{"sector CC", func(d *engine.Dossier) { d.Sector = "CC" }, "sector"},
		{"sector C2x", func(d *engine.Dossier) { d.Sector = "C2x" }, "sector"},
		{"sector 26", func(d *engine.Dossier) { d.Sector = "26" }, "sector"},
		{"sector C 26", func(d *engine.Dossier) { d.Sector = "C 26" }, "sector"},
		{"sector non-ASCII", func(d *engine.Dossier) { d.Sector = "Đ" }, "sector"},

		// capital
		{"capital 0", func(d *engine.Dossier) { d.CapitalVND = 0 }, ""},
		{"capital -1", func(d *engine.Dossier) { d.CapitalVND = -1 }, "capital_vnd"},
		{"capital max int64", func(d *engine.Dossier) { d.CapitalVND = 1<<63 - 1 }, ""},

		// countries: ISO 3166-1 alpha-2
		{"investor_country VN", func(d *engine.Dossier) { d.InvestorCountry = "VN" }, ""},
		{"investor_country jp", func(d *engine.Dossier) { d.InvestorCountry = "jp" }, ""},
		{"investor_country with spaces", func(d *engine.Dossier) { d.InvestorCountry = " kr " }, ""},
		{"investor_country XX", func(d *engine.Dossier) { d.InvestorCountry = "XX" }, "investor_country"},
		{"investor_country VNM", func(d *engine.Dossier) { d.InvestorCountry = "VNM" }, "investor_country"},
		{"investor_country EU", func(d *engine.Dossier) { d.InvestorCountry = "EU" }, "investor_country"},
		{"investor_country ZZ", func(d *engine.Dossier) { d.InvestorCountry = "ZZ" }, "investor_country"},
		{"investor_country V", func(d *engine.Dossier) { d.InvestorCountry = "V" }, "investor_country"},
		{"investor_country 84", func(d *engine.Dossier) { d.InvestorCountry = "84" }, "investor_country"},
		{"investor_country Việt Nam", func(d *engine.Dossier) { d.InvestorCountry = "Việt Nam" }, "investor_country"},
		// Not officially assigned ISO 3166-1 alpha-2 codes, which
		// golang.org/x/text's Region.IsCountry accepts: United Nations,
		// Eurozone, the reserved UK (GB is the code), the deleted SU.
		{"investor_country UN", func(d *engine.Dossier) { d.InvestorCountry = "UN" }, "investor_country"},
		{"investor_country EZ", func(d *engine.Dossier) { d.InvestorCountry = "EZ" }, "investor_country"},
		{"investor_country UK", func(d *engine.Dossier) { d.InvestorCountry = "UK" }, "investor_country"},
		{"investor_country SU", func(d *engine.Dossier) { d.InvestorCountry = "SU" }, "investor_country"},
		{"technology_origin JP", func(d *engine.Dossier) { d.TechnologyOrigin = "JP" }, ""},
		{"technology_origin de", func(d *engine.Dossier) { d.TechnologyOrigin = "de" }, ""},
		{"technology_origin XX", func(d *engine.Dossier) { d.TechnologyOrigin = "XX" }, "technology_origin"},
		{"technology_origin VNM", func(d *engine.Dossier) { d.TechnologyOrigin = "VNM" }, "technology_origin"},
		{"technology_origin EU", func(d *engine.Dossier) { d.TechnologyOrigin = "EU" }, "technology_origin"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := validDossier()
			tc.modify(&d)
			checkDossier(t, d, tc.field)
		})
	}
}

func TestDossierNormalize(t *testing.T) {
	d := validDossier()
	d.ProjectName = "  Dự án nhà máy điện mặt trời Đông Anh \t"
	d.Investor = "\u00a0Công ty Cổ phần Năng lượng Xanh Hà Nội\n"
	d.Stage = " decision"
	d.ProjectGroup = "B "
	d.Ownership = "\tnon_state"
	d.Sector = " D35 "
	d.InvestorCountry = " jp "
	d.TechnologyOrigin = "de"
	d.Locality = "  Xã Xuân Nộn  "
	d = checkDossier(t, d, "")
	want := validDossier()
	want.InvestorCountry, want.Locality = "JP", "Xã Xuân Nộn"
	if d != want {
		t.Errorf("Normalize:\n got %+v\nwant %+v", d, want)
	}
}

// TestDossierVietnameseExact: Vietnamese text round-trips byte for byte,
// including decomposed (NFD) forms, which are not recomposed.
func TestDossierVietnameseExact(t *testing.T) {
	texts := []string{
		"Dự án nhà máy điện mặt trời Đông Anh",
		"CÔNG TY TNHH MỘT THÀNH VIÊN ĐIỆN LỰC HÀ NỘI",
		"Nhà máy xử lý rác thải phát điện Sóc Sơn – giai đoạn 2 (công suất 75 MW)",
		"Du\u031b\u0323 a\u0301n", // "Dự án" decomposed
		"漢字 và chữ Nôm",
	}
	for _, s := range texts {
		t.Run(s, func(t *testing.T) {
			d := validDossier()
			d.ProjectName, d.Investor, d.Technology, d.Locality = s, s, s, s
			d = checkDossier(t, d, "")
			for name, got := range map[string]string{"project_name": d.ProjectName, "investor": d.Investor, "technology": d.Technology, "locality": d.Locality} {
				if got != s {
					t.Errorf("%s = %q, want %q", name, got, s)
				}
			}
		})
	}
}

func TestCheckComment(t *testing.T) {
	tests := []struct {
		comment string
		ok      bool
	}{
		{"", true},
		{"Đề nghị bổ sung:\n- thuyết minh\r\n\t- bản vẽ", true},
		{strings.Repeat("ắ", engine.MaxCommentLen), true},
		{strings.Repeat("ắ", engine.MaxCommentLen+1), false},
		{"bad\x00", false},
		{"bad\x1b", false},
		{"bad \xff", false},
	}
	for _, tc := range tests {
		err := engine.CheckComment(tc.comment)
		if tc.ok {
			if err != nil {
				t.Errorf("CheckComment(%.20q): %v, want nil", tc.comment, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("CheckComment(%.20q): nil, want EINVALID", tc.comment)
			continue
		}
		if e := asError(t, err); e.Code != engine.EINVALID || e.Field != "comment" {
			t.Errorf("CheckComment(%.20q): code %s field %q, want %s field comment", tc.comment, e.Code, e.Field, engine.EINVALID)
		}
	}
}

// chain builds, by hand, an appraisal and its 3-event trail:
// submit -> review -> appraise.
func chain() (*engine.Appraisal, []engine.Event) {
	t0 := time.Date(2025, 3, 3, 8, 15, 0, 0, engine.VietnamTime)
	a := &engine.Appraisal{
		ID:            42,
		Code:          "SKHCN-250303-0007",
		Workflow:      engine.WorkflowRef{Name: "technology-appraisal", Version: 1},
		State:         "appraised",
		Version:       3,
		Dossier:       validDossier(),
		ApplicantID:   1,
		ApplicantName: "Nguyễn Văn An",
		Outcome:       "approved_with_conditions",
		SubmittedAt:   t0,
		UpdatedAt:     t0.Add(72 * time.Hour),
		AppraisedAt:   t0.Add(72*time.Hour + 123456789),
	}
	events := []engine.Event{
		{AppraisalID: 42, Seq: 1, At: t0, Actor: engine.Actor{ID: 1, Name: "Nguyễn Văn An", Role: engine.RoleApplicant},
			Trigger: "submit", ToState: "submitted"},
		{AppraisalID: 42, Seq: 2, At: t0.Add(24 * time.Hour), Actor: engine.Actor{ID: 3, Name: "Lê Văn Cường", Role: engine.RoleReviewer},
			Trigger: "review", FromState: "submitted", ToState: "reviewed", Comment: "Hồ sơ đầy đủ."},
		{AppraisalID: 42, Seq: 3, At: t0.Add(72*time.Hour + 123456789), Actor: engine.Actor{ID: 4, Name: "Phạm Thị Dung", Role: engine.RoleAppraiser},
			Trigger: "appraise", FromState: "reviewed", ToState: "appraised", Comment: "Đạt, với điều kiện thay thế dây chuyền sấy.",
			Outcome: "approved_with_conditions"},
	}
	rehash(a, events, 0)
	return a, events
}

// rehash recomputes the links and hashes of events from index i on.
func rehash(a *engine.Appraisal, events []engine.Event, i int) {
	for ; i < len(events); i++ {
		if i == 0 {
			events[i].PrevHash = engine.GenesisHash
		} else {
			events[i].PrevHash = events[i-1].Hash
		}
		events[i].Hash = engine.ComputeHash(a, &events[i])
	}
}

func TestVerifyChain(t *testing.T) {
	a, events := chain()
	if len(engine.GenesisHash) != 64 || strings.Trim(engine.GenesisHash, "0") != "" {
		t.Fatalf("GenesisHash = %q", engine.GenesisHash)
	}
	seen := map[string]bool{}
	for _, e := range events {
		if len(e.Hash) != 64 || strings.Trim(e.Hash, "0123456789abcdef") != "" {
			t.Fatalf("seq %d hash %q is not 64 lower-case hex digits", e.Seq, e.Hash)
		}
		if seen[e.Hash] {
			t.Fatalf("seq %d repeats a hash", e.Seq)
		}
		seen[e.Hash] = true
		if again := engine.ComputeHash(a, &e); again != e.Hash {
			t.Fatalf("seq %d: ComputeHash not deterministic: %s then %s", e.Seq, e.Hash, again)
		}
	}
	if seq, msg := engine.VerifyChain(a, events); seq != 0 || msg != "" {
		t.Fatalf("intact chain: VerifyChain = (%d, %q), want (0, \"\")", seq, msg)
	}

	tests := []struct {
		name   string
		tamper func(a *engine.Appraisal, events []engine.Event) []engine.Event
		seq    int
	}{
		{"comment of seq 2", func(a *engine.Appraisal, ev []engine.Event) []engine.Event {
			ev[1].Comment = "Hồ sơ thiếu."
			return ev
		}, 2},
		{"comment of seq 3", func(a *engine.Appraisal, ev []engine.Event) []engine.Event {
			ev[2].Comment = "Đạt."
			return ev
		}, 3},
		{"dossier investor", func(a *engine.Appraisal, ev []engine.Event) []engine.Event {
			a.Dossier.Investor = "Công ty khác"
			return ev
		}, 1},
		{"dossier capital", func(a *engine.Appraisal, ev []engine.Event) []engine.Event {
			a.Dossier.CapitalVND++
			return ev
		}, 1},
		{"dossier sector", func(a *engine.Appraisal, ev []engine.Event) []engine.Event {
			a.Dossier.Sector = "C26"
			return ev
		}, 1},
		{"applicant of the appraisal", func(a *engine.Appraisal, ev []engine.Event) []engine.Event {
			a.ApplicantID = 2
			return ev
		}, 1},
		{"appraisal code", func(a *engine.Appraisal, ev []engine.Event) []engine.Event {
			a.Code = "SKHCN-250303-0008"
			return ev
		}, 1},
		{"appraisal state", func(a *engine.Appraisal, ev []engine.Event) []engine.Event {
			a.State = "archived"
			return ev
		}, 0},
		{"appraisal version", func(a *engine.Appraisal, ev []engine.Event) []engine.Event {
			a.Version = 4
			return ev
		}, 0},
		{"appraisal outcome", func(a *engine.Appraisal, ev []engine.Event) []engine.Event {
			a.Outcome = "approved"
			return ev
		}, 0},
		{"prev_hash of seq 2", func(a *engine.Appraisal, ev []engine.Event) []engine.Event {
			ev[1].PrevHash = strings.Repeat("f", 64)
			return ev
		}, 2},
		{"comment of seq 2, seq 2 re-hashed", func(a *engine.Appraisal, ev []engine.Event) []engine.Event {
			ev[1].Comment = "Hồ sơ thiếu."
			ev[1].Hash = engine.ComputeHash(a, &ev[1])
			return ev
		}, 3}, // seq 3's prev_hash no longer matches
		{"prev_hash of seq 1", func(a *engine.Appraisal, ev []engine.Event) []engine.Event {
			ev[0].PrevHash = ""
			return ev
		}, 1},
		{"hash of seq 3", func(a *engine.Appraisal, ev []engine.Event) []engine.Event {
			ev[2].Hash = strings.Repeat("0", 64)
			return ev
		}, 3},
		{"outcome of seq 3", func(a *engine.Appraisal, ev []engine.Event) []engine.Event {
			ev[2].Outcome = "approved"
			return ev
		}, 3},
		{"actor of seq 2", func(a *engine.Appraisal, ev []engine.Event) []engine.Event {
			ev[1].Actor.ID = 5
			return ev
		}, 2},
		{"time of seq 2", func(a *engine.Appraisal, ev []engine.Event) []engine.Event {
			ev[1].At = ev[1].At.Add(time.Microsecond)
			return ev
		}, 2},
		{"to_state of seq 2", func(a *engine.Appraisal, ev []engine.Event) []engine.Event {
			ev[1].ToState = "returned"
			return ev
		}, 2},
		{"seq 2 deleted", func(a *engine.Appraisal, ev []engine.Event) []engine.Event {
			return append(ev[:1], ev[2:]...)
		}, 3},
		{"seq 2 deleted and the rest re-hashed", func(a *engine.Appraisal, ev []engine.Event) []engine.Event {
			ev = append(ev[:1], ev[2:]...)
			ev[1].Seq = 2
			ev[1].FromState = "submitted"
			rehash(a, ev, 1)
			return ev
		}, 0}, // the trail now ends at seq 2, the appraisal says version 3
		{"events swapped", func(a *engine.Appraisal, ev []engine.Event) []engine.Event {
			ev[1], ev[2] = ev[2], ev[1]
			return ev
		}, 3},
		{"last event dropped", func(a *engine.Appraisal, ev []engine.Event) []engine.Event {
			return ev[:2]
		}, 0},
		{"no events", func(a *engine.Appraisal, ev []engine.Event) []engine.Event {
			return nil
		}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, events := chain()
			events = tc.tamper(a, events)
			seq, msg := engine.VerifyChain(a, events)
			if msg == "" {
				t.Fatalf("VerifyChain = (%d, \"\"): tampering not detected", seq)
			}
			if seq != tc.seq {
				t.Fatalf("VerifyChain = (%d, %q), want seq %d", seq, msg, tc.seq)
			}
		})
	}
}

// TestHashCoversDossierOnlyInFirstEvent: the dossier is part of seq 1 only.
func TestHashCoversDossierOnlyInFirstEvent(t *testing.T) {
	a, events := chain()
	b := *a
	b.Dossier.Locality = "Phường Hoàn Kiếm"
	if engine.ComputeHash(a, &events[0]) == engine.ComputeHash(&b, &events[0]) {
		t.Error("seq 1 hash does not cover the dossier")
	}
	if engine.ComputeHash(a, &events[1]) != engine.ComputeHash(&b, &events[1]) {
		t.Error("seq 2 hash depends on the dossier")
	}
	e := events[1]
	e.PrevHash = strings.Repeat("1", 64)
	if engine.ComputeHash(a, &e) == events[1].Hash {
		t.Error("hash does not cover prev_hash")
	}
}

func TestTimestamp(t *testing.T) {
	plus7 := time.FixedZone("+07", 7*60*60)
	local := time.Date(2025, 3, 14, 16, 30, 45, 123456789, plus7)
	utc := time.Date(2025, 3, 14, 9, 30, 45, 123456000, time.UTC)

	got := engine.Timestamp(local)
	if got != utc { // same instant, same location, no monotonic reading
		t.Errorf("Timestamp(%v) = %v, want %v", local, got, utc)
	}
	if got.Location() != time.UTC {
		t.Errorf("Timestamp location = %v, want UTC", got.Location())
	}
	if engine.Timestamp(utc) != utc {
		t.Errorf("Timestamp is not idempotent on %v", utc)
	}
	if ts := engine.Timestamp(time.Now()); ts != ts.Round(0) || ts.Nanosecond()%1000 != 0 {
		t.Errorf("Timestamp(time.Now()) = %v keeps a monotonic reading or sub-microseconds", ts)
	}

	a, events := chain()
	e1, e2 := events[1], events[1]
	e1.At, e2.At = local, utc
	if h1, h2 := engine.ComputeHash(a, &e1), engine.ComputeHash(a, &e2); h1 != h2 {
		t.Errorf("hash of %v = %s, of %v = %s; want equal", local, h1, utc, h2)
	}
	e2.At = utc.Add(time.Microsecond)
	if engine.ComputeHash(a, &e1) == engine.ComputeHash(a, &e2) {
		t.Error("hash does not change when the time moves by a microsecond")
	}
	e2.At = time.Date(2025, 3, 14, 9, 30, 45, 123456999, time.UTC) // same microsecond
	if engine.ComputeHash(a, &e1) != engine.ComputeHash(a, &e2) {
		t.Error("hash changes below the microsecond")
	}
}

func TestDossierCode(t *testing.T) {
	tests := []struct {
		unit string
		day  time.Time
		seq  int64
		want string
	}{
		{"SKHCN", time.Date(2025, 3, 3, 9, 0, 0, 0, engine.VietnamTime), 7, "SKHCN-250303-0007"},
		// 20:00 UTC on 31 December is already 1 January in Hanoi.
		{"SKHCN", time.Date(2025, 12, 31, 20, 0, 0, 0, time.UTC), 1, "SKHCN-260101-0001"},
		{"000.00.21.H26", time.Date(2025, 7, 1, 0, 0, 0, 0, engine.VietnamTime), 12345, "000.00.21.H26-250701-12345"},
	}
	for _, tc := range tests {
		if got := engine.DossierCode(tc.unit, tc.day, tc.seq); got != tc.want {
			t.Errorf("DossierCode(%q, %v, %d) = %q, want %q", tc.unit, tc.day, tc.seq, got, tc.want)
		}
	}
}

func TestAppraisalVisibleTo(t *testing.T) {
	a := &engine.Appraisal{ApplicantID: ownerID, State: "submitted"}
	for _, ta := range testActors {
		want := ta.label != "applicant-not-owner"
		if got := a.VisibleTo(ta.actor); got != want {
			t.Errorf("VisibleTo(%s) = %v, want %v", ta.label, got, want)
		}
	}
	if s := a.Subject(&engine.Definition{}, "2026-01-01"); s != (engine.Subject{State: "submitted", OwnerID: ownerID}) {
		t.Errorf("Subject() = %+v", s)
	}
}
