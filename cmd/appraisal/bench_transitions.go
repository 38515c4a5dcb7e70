package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/appraisal/appraisal/db"
	"github.com/appraisal/appraisal/engine"
	"github.com/appraisal/appraisal/workflows"
)

func benchTransitionsCmd(ctx context.Context, stdout io.Writer) *cobra.Command {
	var cfg transitionBench
	var clients string
	cmd := &cobra.Command{
		Use:   "transitions",
		Short: "Measure a transition over HTTP against what PostgreSQL itself commits",
		Long: `On a fresh PostgreSQL database with the product's schema: seeds appraisals, runs
pgbench with the reference transaction (BEGIN; lock the row; update it; insert the
event; COMMIT, one statement per round trip) and with the SQL the product's
transition executes, then drives the HTTP transition endpoint of a server
process, at each number of clients. Then the same load on SQLite. Prints
transitions per second, p50 and p99 latency, the ratios, and the server's peak
memory. The database is dropped afterwards.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for _, f := range strings.Split(clients, ",") {
				n, err := strconv.Atoi(strings.TrimSpace(f))
				if err != nil || n < 1 {
					return fmt.Errorf("--clients: %q is not a positive number", f)
				}
				cfg.clients = append(cfg.clients, n)
			}
			if cfg.profiles != "" {
				if err := os.MkdirAll(cfg.profiles, 0o755); err != nil {
					return fmt.Errorf("--profile: %w", err)
				}
			}
			if cfg.rounds < 1 {
				return fmt.Errorf("--rounds must be 1 or more")
			}
			if cfg.round() < time.Second {
				return fmt.Errorf("--duration must be at least 1s a round: pgbench counts whole seconds")
			}
			if cfg.appraisals < slices.Max(cfg.clients) {
				return fmt.Errorf("--appraisals must be at least the largest --clients")
			}
			exe, err := os.Executable()
			if err != nil {
				return err
			}
			cfg.exe = exe
			return cfg.run(ctx, stdout)
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.postgres, "postgres", envOr("APPRAISAL_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"),
		"PostgreSQL server to create the bench database on (env APPRAISAL_TEST_POSTGRES)")
	f.StringVar(&clients, "clients", "1,4,16,64", "numbers of concurrent clients")
	f.DurationVar(&cfg.duration, "duration", 12*time.Second, "how long each measurement runs in all, split into --rounds of whole seconds")
	f.IntVar(&cfg.rounds, "rounds", 3, "rounds per measurement; the reference, the product's SQL and the service take turns, a round each")
	f.IntVar(&cfg.appraisals, "appraisals", 2048, "appraisals to run transitions on")
	f.StringVar(&cfg.pgbench, "pgbench", "", "pgbench binary (default: on PATH or in /usr/lib/postgresql/*/bin)")
	f.BoolVar(&cfg.sqlite, "sqlite", true, "also measure the service on SQLite")
	f.StringVar(&cfg.profiles, "profile", "", "write a CPU profile of the server during each service run into this directory")
	return cmd
}

type transitionBench struct {
	postgres   string
	clients    []int
	duration   time.Duration
	rounds     int
	appraisals int
	pgbench    string
	sqlite     bool
	exe        string
	profiles   string // directory for the server's CPU profiles; "" for none
}

// round is how long one round of a measurement runs: whole seconds, as
// pgbench counts them.
func (b *transitionBench) round() time.Duration {
	return (b.duration / time.Duration(b.rounds)).Truncate(time.Second)
}

// measure is what measured runs of one kind add up to.
type measure struct {
	transitions int
	elapsed     time.Duration
	lat         []time.Duration
	errors      int
	cpu         cpuSpent // client is pgbench or the load generator
	writes      int64    // transaction ids PostgreSQL gave out: writing transactions
}

func (m *measure) add(o measure) {
	m.transitions += o.transitions
	m.elapsed += o.elapsed
	m.lat = append(m.lat, o.lat...)
	m.errors += o.errors
	m.writes += o.writes
	m.cpu.machine += o.cpu.machine
	m.cpu.server += o.cpu.server
	m.cpu.client += o.cpu.client
}

func (m measure) tps() float64 {
	if m.elapsed <= 0 {
		return 0
	}
	return float64(m.transitions) / m.elapsed.Seconds()
}

// cpuPer is CPU time per transition, in µs.
func (m measure) cpuPer(spent time.Duration) int64 {
	if m.transitions == 0 {
		return 0
	}
	return (spent / time.Duration(m.transitions)).Microseconds()
}

func ratio(a, b float64) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", a/b)
}

func (m measure) cells() string {
	if m.transitions == 0 {
		return "-\t-\t-\t"
	}
	p50, p99 := percentiles(m.lat)
	return fmt.Sprintf("%.0f\t%.2f\t%.2f\t", m.tps(), ms(p50), ms(p99))
}

func (b *transitionBench) run(ctx context.Context, out io.Writer) error {
	pgbench, err := findPgbench(b.pgbench)
	if err != nil {
		return err
	}
	admin, err := sql.Open("postgres", b.postgres)
	if err != nil {
		return err
	}
	defer admin.Close()
	name := fmt.Sprintf("appraisal_bench_%d", time.Now().UnixNano())
	if _, err := admin.ExecContext(ctx, `CREATE DATABASE `+name); err != nil {
		return fmt.Errorf("creating the bench database: %w", err)
	}
	defer admin.ExecContext(context.WithoutCancel(ctx), `DROP DATABASE `+name+` WITH (FORCE)`)
	u, err := url.Parse(b.postgres)
	if err != nil {
		return err
	}
	u.Path = "/" + name
	dsn := u.String()

	d, err := db.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Migrate(ctx); err != nil {
		return err
	}
	fx, err := prepareBench(ctx, d, b.appraisals)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "appraisal-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	scripts, err := writeScripts(dir, fx)
	if err != nil {
		return err
	}

	type row struct {
		clients                      int
		reference, productSQL, servc measure
	}
	var rows []row
	srv, err := startBenchServer(ctx, b.exe, dsn, b.profiles != "")
	if err != nil {
		return err
	}
	defer srv.stop() // on an early return; stopping twice is harmless
	for _, c := range b.clients {
		r := row{clients: c}
		// Rounds alternate the three, so that a machine whose speed drifts
		// (shared cores) slows each of them alike.
		for round := range b.rounds {
			if err := settle(ctx, d); err != nil {
				return err
			}
			m, err := runPgbench(ctx, pgbench, dsn, scripts.reference, "extended", nil, dir, c, b.appraisals, b.round())
			if err != nil {
				return err
			}
			r.reference.add(m)
			if err := settle(ctx, d); err != nil {
				return err
			}
			if m, err = runPgbench(ctx, pgbench, dsn, scripts.product, "prepared", scripts.productVars, dir, c, b.appraisals, b.round()); err != nil {
				return err
			}
			r.productSQL.add(m)
			if err := settle(ctx, d); err != nil {
				return err
			}
			xid, err := nextXID(ctx, d)
			if err != nil {
				return err
			}
			if m, err = b.driveProfiled(ctx, srv, fx, c, "postgres", round); err != nil {
				return err
			}
			if m.writes, err = writingTransactionsSince(ctx, d, xid); err != nil {
				return err
			}
			r.servc.add(m)
		}
		rows = append(rows, r)
	}
	pgPeak := srv.stop()

	var sqliteRows []measure
	var sqlitePeak int64
	if b.sqlite {
		path := filepath.Join(dir, "bench.db")
		sd, err := db.Open(ctx, "sqlite:"+path)
		if err != nil {
			return err
		}
		defer sd.Close()
		if err := sd.Migrate(ctx); err != nil {
			return err
		}
		sfx, err := prepareBench(ctx, sd, b.appraisals)
		if err != nil {
			return err
		}
		ssrv, err := startBenchServer(ctx, b.exe, "sqlite:"+path, b.profiles != "")
		if err != nil {
			return err
		}
		defer ssrv.stop()
		for _, c := range b.clients {
			var sum measure
			for round := range b.rounds {
				if err := settle(ctx, sd); err != nil {
					return err
				}
				m, err := b.driveProfiled(ctx, ssrv, sfx, c, "sqlite", round)
				if err != nil {
					return err
				}
				sum.add(m)
			}
			sqliteRows = append(sqliteRows, sum)
		}
		sqlitePeak = ssrv.stop()
	}

	fmt.Fprintf(out, "transitions per second (tps) and latency in ms; %d rounds of %s per measurement, %d appraisals\n\n",
		b.rounds, b.round(), b.appraisals)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "PostgreSQL\tclients\treference tps\tp50\tp99\tproduct SQL tps\tp50\tp99\tservice tps\tp50\tp99\tservice/reference\tservice/product SQL\terrors\t")
	for _, r := range rows {
		fmt.Fprintf(tw, "\t%d\t%s%s%s%s\t%s\t%d\t\n", r.clients, r.reference.cells(), r.productSQL.cells(), r.servc.cells(),
			ratio(r.servc.tps(), r.reference.tps()), ratio(r.servc.tps(), r.productSQL.tps()), r.servc.errors)
	}
	tw.Flush()
	fmt.Fprintf(out, "server peak memory (VmHWM) on PostgreSQL: %.1f MiB\n", float64(pgPeak)/1024)
	fmt.Fprintln(out, "\nCPU per transition in µs: the whole machine's busy time, and of it pgbench's, the server's and the load generator's;")
	fmt.Fprintln(out, "and the transactions that wrote events or appraisals (distinct transaction ids) per transition the service answered")
	tw = tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "PostgreSQL\tclients\treference\tpgbench\tproduct SQL\tpgbench\tservice\tserver\tload generator\twrites per transition\t")
	for _, r := range rows {
		fmt.Fprintf(tw, "\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%.3f\t\n", r.clients,
			r.reference.cpuPer(r.reference.cpu.machine), r.reference.cpuPer(r.reference.cpu.client),
			r.productSQL.cpuPer(r.productSQL.cpu.machine), r.productSQL.cpuPer(r.productSQL.cpu.client),
			r.servc.cpuPer(r.servc.cpu.machine), r.servc.cpuPer(r.servc.cpu.server), r.servc.cpuPer(r.servc.cpu.client),
			float64(r.servc.writes)/float64(max(r.servc.transitions, 1)))
	}
	tw.Flush()
	if b.sqlite {
		fmt.Fprintln(out)
		tw = tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "SQLite\tclients\tservice tps\tp50\tp99\terrors\tCPU µs: machine\tserver\tload generator\t")
		for i, m := range sqliteRows {
			fmt.Fprintf(tw, "\t%d\t%s%d\t%d\t%d\t%d\t\n", b.clients[i], m.cells(), m.errors,
				m.cpuPer(m.cpu.machine), m.cpuPer(m.cpu.server), m.cpuPer(m.cpu.client))
		}
		tw.Flush()
		fmt.Fprintf(out, "server peak memory (VmHWM) on SQLite: %.1f MiB\n", float64(sqlitePeak)/1024)
	}
	return nil
}

func findPgbench(given string) (string, error) {
	if given != "" {
		return given, nil
	}
	if p, err := exec.LookPath("pgbench"); err == nil {
		return p, nil
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pgbench")
	if len(matches) > 0 {
		slices.Sort(matches)
		return matches[len(matches)-1], nil
	}
	return "", fmt.Errorf("pgbench not found: give --pgbench")
}

// benchFixture is what the load needs: tokens and the appraisals.
type benchFixture struct {
	applicant, reviewer     string
	applicantID, reviewerID int64
	reviewerTokenHash       string
	ids                     []int64
}

func prepareBench(ctx context.Context, d *db.DB, n int) (*benchFixture, error) {
	def, err := workflows.Embedded().Latest(workflows.TechnologyAppraisal)
	if err != nil {
		return nil, err
	}
	fx := &benchFixture{}
	var appTok, appHash, revHash string
	appTok, appHash = engine.NewToken()
	fx.reviewer, revHash = engine.NewToken()
	fx.applicant = appTok
	applicant, err := d.CreateUser(ctx, "Bench applicant", engine.RoleApplicant, appHash)
	if err != nil {
		return nil, err
	}
	rev, err := d.CreateUser(ctx, "Bench reviewer", engine.RoleReviewer, revHash)
	if err != nil {
		return nil, err
	}
	fx.reviewerID, fx.reviewerTokenHash, fx.applicantID = rev.ID, revHash, applicant.ID
	for i := range n {
		a, err := d.CreateAppraisal(ctx, def, workflows.MustCalendar(), "BENCH", applicant, engine.Dossier{
			ProjectName: fmt.Sprintf("Dự án thử tải %d", i), Investor: "Công ty thử tải", Technology: "Dây chuyền",
			Stage: "decision", ProjectGroup: "B", Ownership: "state", Sector: "C26", CapitalVND: 1})
		if err != nil {
			return nil, err
		}
		fx.ids = append(fx.ids, a.ID)
	}
	return fx, nil
}

// nextXID is the transaction id PostgreSQL gives out next.
func nextXID(ctx context.Context, d *db.DB) (int64, error) {
	var xid int64
	err := d.GetContext(ctx, &xid, `SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint`)
	return xid, err
}

// writingTransactionsSince counts the transactions that wrote events or
// appraisals in this database since the id xid was next: the distinct
// transaction ids (xmin) of the events inserted since, and of the
// appraisals' versions written since. A transition written in one
// transaction adds one; one that wrote its event and its row apart would
// add two. Transaction ids are the whole server's, so other databases'
// writes (tests running beside the bench) do not count here.
func writingTransactionsSince(ctx context.Context, d *db.DB, xid int64) (int64, error) {
	// Rows carry 32-bit transaction ids: compare with xid's low 32 bits.
	// (Wrong only if the counter wraps during the run: once in four
	// billion transactions.) Not age(): it moves with every transaction of
	// the whole server, and tests beside the bench write all the time.
	var n int64
	err := d.GetContext(ctx, &n, `SELECT count(DISTINCT x) FROM (
		SELECT xmin::text::bigint AS x FROM events UNION ALL SELECT xmin::text::bigint FROM appraisals) t
		WHERE x >= $1`, xid%(1<<32))
	return n, err
}

// settle brings the database to the same state before each measurement,
// so that none runs on what an earlier one left: every appraisal back in
// submitted at an odd version (a run ends midway; the pgbench scripts
// take request_supplement at an odd version, so their first transition
// changes the state too), the report deltas of the earlier run folded (else
// the server folds them during this one), the dead row versions vacuumed
// (a run updates each row thousands of times: the next would otherwise
// walk bloated indexes, and autovacuum would wake during it), and a
// checkpoint (each run then pays the same full-page writes; on SQLite,
// each starts with an empty write-ahead log).
func settle(ctx context.Context, d *db.DB) error {
	if _, err := d.ExecContext(ctx, `UPDATE appraisals SET state = 'submitted', clock_paused = false, days_left = 0,
		version = version + 1 - version % 2`); err != nil {
		return err
	}
	if _, err := d.FoldReportDeltas(ctx); err != nil {
		return fmt.Errorf("settling the database: %w", err)
	}
	stmts := []string{`VACUUM ANALYZE`, `CHECKPOINT`}
	if d.Engine == db.SQLite {
		stmts = []string{`PRAGMA wal_checkpoint(TRUNCATE)`}
	}
	for _, q := range stmts {
		if _, err := d.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("settling the database: %w", err)
		}
	}
	return nil
}

type benchScripts struct {
	reference, product string
	productVars        []string // name=value of the product script's parameters
}

// pickID spreads clients over disjoint appraisals, as the HTTP load does.
const pickID = `\set id 1 + :client_id + :clients * random(0, :per - 1)` + "\n"

func writeScripts(dir string, fx *benchFixture) (benchScripts, error) {
	// Every transition changes the state, as the service's do: request_supplement
	// (submitted → returned) and resubmit (returned → submitted) by the parity
	// of the version read. A state written unchanged would let PostgreSQL
	// update the row in place (HOT: no index touched), which no real
	// transition gets.
	reviewer, applicant := strconv.FormatInt(fx.reviewerID, 10), strconv.FormatInt(fx.applicantID, 10)
	reference := pickID + `BEGIN;
SELECT state, version FROM appraisals WHERE id = :id FOR UPDATE \gset
\if :version % 2 = 1
UPDATE appraisals SET state = 'returned', version = :version + 1, updated_at = now() WHERE id = :id;
INSERT INTO events (appraisal_id, seq, at, actor_id, actor_name, actor_role, trigger_name, from_state, to_state, comment, outcome, prev_hash, hash) VALUES (:id, :version + 1, now(), ` + reviewer + `, 'Bench reviewer', 'reviewer', 'request_supplement', 'submitted', 'returned', 'Bổ sung hồ sơ', NULL, 'p', 'h');
\else
UPDATE appraisals SET state = 'submitted', version = :version + 1, updated_at = now() WHERE id = :id;
INSERT INTO events (appraisal_id, seq, at, actor_id, actor_name, actor_role, trigger_name, from_state, to_state, comment, outcome, prev_hash, hash) VALUES (:id, :version + 1, now(), ` + applicant + `, 'Bench applicant', 'applicant', 'resubmit', 'returned', 'submitted', NULL, NULL, 'p', 'h');
\endif
COMMIT;
`
	// The product's own statements, each parameter bound as the product binds
	// it (pgbench -M prepared sends :name as a parameter; -D gives its value),
	// with what the service binds for each of the two transitions.
	var vars []string
	write := func(branch string, values map[int]string) string {
		w := db.PostgresTransitionWriteSQL
		// The highest first: "$2" is a prefix of "$20".
		for n := 27; n >= 1; n-- {
			param := "$" + strconv.Itoa(n)
			value, ok := values[n]
			switch {
			case n == 7:
				w = strings.ReplaceAll(w, param, ":id")
			case n == 2:
				w = strings.ReplaceAll(w, param, ":next")
			case !ok: // NULL: pgbench has no NULL parameter, so NULL is written in
				w = strings.ReplaceAll(w, param, "NULL")
			default:
				name := fmt.Sprintf("%s%d", branch, n)
				vars = append(vars, name+"="+value)
				w = strings.ReplaceAll(w, param, ":"+name)
			}
		}
		if left := regexp.MustCompile(`\$\d`).FindString(w); left != "" {
			panic("the bench binds parameters $1 to $27 of the product's write; it has " + left + " more")
		}
		return strings.Join(strings.Fields(w), " ") + ";\n"
	}
	common := map[int]string{5: "2026-01-20T10:00:00+07:00", 6: "h", 15: "p", 25: "0", 19: "{2026-01-01,2026-01-01}",
		17: "{state,state}", 16: "{submitted,submitted}", 20: "{-1,1}"}
	with := func(m map[int]string) map[int]string {
		for k, v := range common {
			m[k] = v
		}
		return m
	}
	supplement := write("s", with(map[int]string{1: "returned", 8: reviewer, 9: "Bench reviewer", 10: "reviewer",
		11: "request_supplement", 12: "submitted", 13: "Bổ sung hồ sơ", 18: "{submitted,returned}", 22: "true", 23: "6"}))
	resubmit := write("r", with(map[int]string{1: "submitted", 8: applicant, 9: "Bench applicant", 10: "applicant",
		11: "resubmit", 12: "returned", 18: "{returned,submitted}", 21: "2026-02-10", 22: "false", 23: "0",
		24: "2026-01-23"}))
	read := strings.ReplaceAll(strings.ReplaceAll(db.TransitionReadAsSQL, "$1", ":id"), "$2", ":token_hash")
	vars = append(vars, "token_hash="+fx.reviewerTokenHash)
	product := pickID + strings.Join(strings.Fields(read), " ") + " \\gset\n" +
		"\\set next :version + 1\n" +
		"\\if :version % 2 = 1\n" + supplement + "\\else\n" + resubmit + "\\endif\n"
	s := benchScripts{reference: filepath.Join(dir, "reference.sql"), product: filepath.Join(dir, "product.sql"), productVars: vars}
	if err := os.WriteFile(s.reference, []byte(reference), 0o644); err != nil {
		return s, err
	}
	return s, os.WriteFile(s.product, []byte(product), 0o644)
}

var processedLine = regexp.MustCompile(`number of transactions actually processed: ([0-9]+)`)

// runPgbench runs script with the query protocol mode: "extended" for the
// reference (a naive client: each statement parsed as it is sent),
// "prepared" for the product's SQL (the product prepares its statements
// once per connection, so its SQL is measured as it runs).
func runPgbench(ctx context.Context, pgbench, dsn, script, mode string, vars []string, dir string, clients, appraisals int, d time.Duration) (measure, error) {
	prefix := filepath.Join(dir, fmt.Sprintf("log-%d-%s", clients, strings.TrimSuffix(filepath.Base(script), ".sql")))
	args := []string{"-n", "-M", mode, "-f", script,
		"-c", strconv.Itoa(clients), "-j", strconv.Itoa(min(clients, 4)), "-T", strconv.Itoa(int(d.Seconds())),
		"-D", "clients=" + strconv.Itoa(clients), "-D", "per=" + strconv.Itoa(appraisals/clients),
		"-l", "--log-prefix", prefix}
	for _, v := range vars {
		args = append(args, "-D", v)
	}
	cmd := exec.CommandContext(ctx, pgbench, append(args, dsn)...)
	cmd.Dir = dir
	var outBuf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &outBuf, &outBuf
	before := snapshotCPU(0)
	err := cmd.Run()
	after := snapshotCPU(0)
	if err != nil {
		return measure{}, fmt.Errorf("pgbench %s: %w\n%s", filepath.Base(script), err, outBuf.String())
	}
	m := processedLine.FindStringSubmatch(outBuf.String())
	if m == nil {
		return measure{}, fmt.Errorf("pgbench printed no count of transactions:\n%s", outBuf.String())
	}
	count, _ := strconv.Atoi(m[1])
	res := measure{transitions: count, elapsed: d, cpu: cpuBetween(before, after)}
	res.cpu.client = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	logs, _ := filepath.Glob(prefix + ".*")
	for _, l := range logs {
		f, err := os.Open(l)
		if err != nil {
			return measure{}, err
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) >= 3 {
				us, _ := strconv.ParseInt(fields[2], 10, 64)
				res.lat = append(res.lat, time.Duration(us)*time.Microsecond)
			}
		}
		f.Close()
		os.Remove(l) // the next round writes its own
	}
	return res, nil
}

func percentiles(lat []time.Duration) (p50, p99 time.Duration) {
	if len(lat) == 0 {
		return 0, 0
	}
	slices.Sort(lat)
	return lat[len(lat)/2], lat[min(len(lat)-1, len(lat)*99/100)]
}

// driveProfiled drives the server and, when asked, records a CPU profile
// of it meanwhile, into the profiles directory as
// service-ENGINE-CLIENTS-rROUND.pprof (go tool pprof merges several).
func (b *transitionBench) driveProfiled(ctx context.Context, srv *benchServer, fx *benchFixture, clients int, engineName string, round int) (measure, error) {
	if b.profiles == "" {
		return driveMeasured(ctx, srv, fx, clients, b.round()), nil
	}
	profile := make(chan error, 1)
	go func() {
		// Whole seconds, ending before the load does.
		seconds := max(1, int(b.round().Seconds())-1)
		resp, err := http.Get(fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", srv.pprofURL, seconds))
		if err != nil {
			profile <- err
			return
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			profile <- fmt.Errorf("profiling the server: %s", resp.Status)
			return
		}
		data, err := io.ReadAll(resp.Body)
		if err == nil {
			err = os.WriteFile(filepath.Join(b.profiles, fmt.Sprintf("service-%s-%d-r%d.pprof", engineName, clients, round+1)), data, 0o644)
		}
		profile <- err
	}()
	m := driveMeasured(ctx, srv, fx, clients, b.round())
	return m, <-profile
}

type benchServer struct {
	url      string
	pprofURL string // "" unless started with profiles
	cmd      *exec.Cmd
	stopOnce sync.Once
	peak     int64 // VmHWM in kB, read just before stopping
}

// startBenchServer runs `serve` of this binary on a free port, logging
// warnings only (as a loaded production server might), and waits until it
// answers /readyz.
func startBenchServer(ctx context.Context, exe, dsn string, profiles bool) (*benchServer, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	args := []string{"serve", "--db", dsn, "--addr", addr, "--log-level", "warn"}
	s := &benchServer{url: "http://" + addr}
	if profiles {
		pprofAddr, err := freeAddr()
		if err != nil {
			return nil, err
		}
		args = append(args, "--pprof-addr", pprofAddr)
		s.pprofURL = "http://" + pprofAddr
	}
	cmd := exec.CommandContext(ctx, exe, args...)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s.cmd = cmd
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get(s.url + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
	}
	cmd.Process.Kill()
	return nil, fmt.Errorf("the bench server did not start")
}

// freeAddr finds a loopback address with a port nothing listens on.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// stop ends the server and returns its peak resident memory in KiB.
func (s *benchServer) stop() int64 {
	s.stopOnce.Do(func() { s.peak = s.stopNow() })
	return s.peak
}

func (s *benchServer) stopNow() int64 {
	var peak int64
	if status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid)); err == nil {
		for _, line := range strings.Split(string(status), "\n") {
			if strings.HasPrefix(line, "VmHWM:") {
				peak, _ = strconv.ParseInt(strings.Fields(line)[1], 10, 64)
			}
		}
	}
	s.cmd.Process.Signal(os.Interrupt)
	s.cmd.Wait()
	return peak
}

// driveMeasured drives the server and reads the CPU the run cost.
func driveMeasured(ctx context.Context, srv *benchServer, fx *benchFixture, clients int, d time.Duration) measure {
	before := snapshotCPU(srv.cmd.Process.Pid)
	m := driveHTTP(ctx, srv.url, fx, clients, d)
	m.cpu = cpuBetween(before, snapshotCPU(srv.cmd.Process.Pid))
	return m
}

// driveHTTP fires transitions with clients concurrent clients for d. Each
// client owns its own appraisals, so nothing conflicts: every request
// should commit. A client alternates request_supplement (reviewer) and
// resubmit (applicant) on each of its appraisals.
//
// Each client is one keep-alive connection that writes its requests as
// bytes and reads each response with http.ReadResponse: the load generator
// shares the cores with the server and PostgreSQL, and net/http's client
// (a reader and a writer goroutine per connection, channels between them)
// cost it about 90 µs of CPU a request, more than pgbench spends a
// transaction. It still speaks plain HTTP/1.1 and reads every answer whole.
func driveHTTP(ctx context.Context, base string, fx *benchFixture, clients int, d time.Duration) measure {
	host := strings.TrimPrefix(base, "http://")
	deadline := time.Now().Add(d)
	lats := make([][]time.Duration, clients)
	errs := make([]int, clients)
	var wg sync.WaitGroup
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []int64
			for i := c; i < len(fx.ids); i += clients {
				mine = append(mine, fx.ids[i])
			}
			returned := make([]bool, len(mine))
			var conn *benchConn
			defer func() { conn.close() }()
			for k := 0; time.Now().Before(deadline) && ctx.Err() == nil; k++ {
				i := k % len(mine)
				body, token := benchSupplement, fx.reviewer
				if returned[i] {
					body, token = benchResubmit, fx.applicant
				}
				if conn == nil {
					var err error
					if conn, err = dialBench(host); err != nil {
						errs[c]++
						time.Sleep(10 * time.Millisecond)
						continue
					}
				}
				start := time.Now()
				status, closing, err := conn.post(host, mine[i], token, body)
				if err != nil {
					errs[c]++
					conn.close()
					conn = nil
					continue
				}
				if closing { // the server ends the connection: dial again next time
					conn.close()
					conn = nil
				}
				if status != http.StatusOK {
					errs[c]++
					if status == http.StatusConflict {
						returned[i] = !returned[i] // it was in the other state
					}
					continue
				}
				lats[c] = append(lats[c], time.Since(start))
				returned[i] = !returned[i]
			}
		}()
	}
	wg.Wait()
	m := measure{elapsed: d}
	for c := range clients {
		m.lat = append(m.lat, lats[c]...)
		m.errors += errs[c]
	}
	m.transitions = len(m.lat)
	return m
}

var (
	benchSupplement = []byte(`{"trigger":"request_supplement","comment":"Bổ sung hồ sơ"}`)
	benchResubmit   = []byte(`{"trigger":"resubmit"}`)
)

// benchConn is one client's keep-alive connection to the server.
type benchConn struct {
	conn net.Conn
	r    *bufio.Reader
	req  []byte // reused for each request
}

func dialBench(host string) (*benchConn, error) {
	conn, err := net.Dial("tcp", host)
	if err != nil {
		return nil, err
	}
	return &benchConn{conn: conn, r: bufio.NewReaderSize(conn, 16<<10)}, nil
}

// post sends one transition and reads the whole answer; it returns the
// status code, and whether the server closes the connection after it.
func (c *benchConn) post(host string, id int64, token string, body []byte) (status int, closing bool, err error) {
	c.conn.SetDeadline(time.Now().Add(30 * time.Second))
	req := append(c.req[:0], "POST /api/v1/appraisals/"...)
	req = strconv.AppendInt(req, id, 10)
	req = append(req, "/transitions HTTP/1.1\r\nHost: "...)
	req = append(req, host...)
	req = append(req, "\r\nAuthorization: Bearer "...)
	req = append(req, token...)
	req = append(req, "\r\nContent-Type: application/json\r\nContent-Length: "...)
	req = strconv.AppendInt(req, int64(len(body)), 10)
	req = append(req, "\r\n\r\n"...)
	req = append(req, body...)
	c.req = req
	if _, err := c.conn.Write(req); err != nil {
		return 0, false, err
	}
	resp, err := http.ReadResponse(c.r, nil)
	if err != nil {
		return 0, false, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, resp.Close, err
}

func (c *benchConn) close() {
	if c != nil {
		c.conn.Close()
	}
}
