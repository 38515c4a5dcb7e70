// Command appraisal runs the technology-appraisal service and its
// administration: serve, migrate, users add, audit verify.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/spf13/cobra"

	"github.com/appraisal/appraisal/db"
	"github.com/appraisal/appraisal/engine"
	"github.com/appraisal/appraisal/httpapi"
	"github.com/appraisal/appraisal/httpapi/web"
	"github.com/appraisal/appraisal/workflows"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "appraisal:", err)
		os.Exit(1)
	}
}

func envOr(key, fallback string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return fallback
}

// options are the flags shared by the commands; each defaults to its
// environment variable, then to a value that works on a fresh machine.
type options struct {
	dsn      string
	logLevel string
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var opts options
	root := &cobra.Command{
		Use:           "appraisal",
		Short:         "Technology-appraisal workflow service",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			var level slog.Level
			if err := level.UnmarshalText([]byte(opts.logLevel)); err != nil {
				return fmt.Errorf("--log-level: %w", err)
			}
			slog.SetDefault(slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})))
			return nil
		},
	}
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	pf := root.PersistentFlags()
	pf.StringVar(&opts.dsn, "db", envOr("APPRAISAL_DB", "sqlite:appraisal.db"),
		"database: postgres://... or sqlite:PATH (env APPRAISAL_DB)")
	pf.StringVar(&opts.logLevel, "log-level", envOr("APPRAISAL_LOG_LEVEL", "info"),
		"debug, info, warn or error (env APPRAISAL_LOG_LEVEL)")

	root.AddCommand(serveCmd(ctx, &opts), migrateCmd(ctx, &opts), usersCmd(ctx, &opts, stdout), auditCmd(ctx, &opts, stdout),
		seedCmd(ctx, &opts, stderr), benchCmd(ctx, &opts, stdout), calendarCmd(ctx, &opts, stdout))
	return root.ExecuteContext(ctx)
}

// open connects and either migrates or checks that the schema is current.
func open(ctx context.Context, opts *options, migrate bool) (*db.DB, error) {
	d, err := db.Open(ctx, opts.dsn)
	if err != nil {
		return nil, err
	}
	if migrate {
		err = d.Migrate(ctx)
	} else {
		err = d.CheckSchema(ctx)
	}
	if err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

func serveCmd(ctx context.Context, opts *options) *cobra.Command {
	var addr, unit, trustedProxies, pprofAddr string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the HTTP API (migrates the schema first)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := httpapi.CheckUnitCode(unit); err != nil {
				return fmt.Errorf("--unit-code: %w", err)
			}
			proxies, err := httpapi.ParseTrustedProxies(trustedProxies)
			if err != nil {
				return fmt.Errorf("--trusted-proxies: %w", err)
			}
			d, err := open(ctx, opts, true)
			if err != nil {
				return err
			}
			defer d.Close()
			catalog := workflows.Embedded()
			pages, err := web.New(web.Config{Store: d, Catalog: catalog, UnitCode: unit, Logger: slog.Default()})
			if err != nil {
				return err
			}
			api, err := httpapi.New(httpapi.Config{Store: d, Catalog: catalog, UnitCode: unit, Logger: slog.Default(),
				TrustedProxies: proxies, Pages: pages})
			if err != nil {
				return err
			}
			if err := api.ReloadCalendar(ctx); err != nil {
				return fmt.Errorf("loading the calendar: %w", err)
			}
			warnUncoveredYears(catalog.Calendar(), time.Now())
			go every(ctx, 5*time.Second, func(ctx context.Context) { foldReports(ctx, d) })
			go every(ctx, time.Minute, func(ctx context.Context) { reloadCalendar(ctx, api) })
			go every(ctx, time.Hour, func(ctx context.Context) { sweepSessions(ctx, d) })
			// Under load the server's live heap is about 5 MB: at the default
			// GOGC of 100 it was collected 15 times a second, a tenth of its
			// CPU; at 400 a few times a second, for about 20 MB more memory.
			// Set once started: starting up (the diagram renderer) makes much
			// garbage, which would otherwise raise the peak resident memory.
			runtime.GC()
			collectGarbageLess(400)
			if pprofAddr != "" {
				if pprofAddr == addr {
					return fmt.Errorf("--pprof-addr must not be the API's address")
				}
				if err := serveProfiles(ctx, pprofAddr); err != nil {
					return fmt.Errorf("--pprof-addr: %w", err)
				}
			}
			return serve(ctx, api.HTTPServer(addr))
		},
	}
	cmd.Flags().StringVar(&addr, "addr", envOr("APPRAISAL_ADDR", "127.0.0.1:8080"), "listen address HOST:PORT (env APPRAISAL_ADDR)")
	cmd.Flags().StringVar(&unit, "unit-code", envOr("APPRAISAL_UNIT_CODE", "SKHCN"),
		"receiving unit's code, first part of dossier codes (env APPRAISAL_UNIT_CODE)")
	cmd.Flags().StringVar(&trustedProxies, "trusted-proxies", envOr("APPRAISAL_TRUSTED_PROXIES", ""),
		"comma-separated CIDRs of proxies whose X-Forwarded-For names the client; default none (env APPRAISAL_TRUSTED_PROXIES)")
	cmd.Flags().StringVar(&pprofAddr, "pprof-addr", envOr("APPRAISAL_PPROF_ADDR", ""),
		"serve Go's profiles (/debug/pprof/) on this separate address, e.g. 127.0.0.1:6060; default off (env APPRAISAL_PPROF_ADDR)")
	return cmd
}

// collectGarbageLess sets the collector's GOGC percentage, unless the
// operator set GOGC or GOMEMLIMIT: serve and seed keep a live heap the
// default 100 would collect many times a second, on cores PostgreSQL needs.
func collectGarbageLess(percent int) {
	if os.Getenv("GOGC") == "" && os.Getenv("GOMEMLIMIT") == "" {
		debug.SetGCPercent(percent)
	}
}

// serveProfiles serves net/http/pprof on its own listener, never on the
// API's: profiles reveal internals and cost CPU, so only an operator who
// asks for them gets them, on an address they choose. (Importing the
// package also registers it on http.DefaultServeMux, which nothing here
// serves.)
func serveProfiles(ctx context.Context, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	// Not /debug/pprof/cmdline: the command line holds --db, perhaps with a password.
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, IdleTimeout: time.Minute}
	slog.Info("serving profiles", "addr", ln.Addr().String())
	go srv.Serve(ln)
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	return nil
}

// serve runs srv until ctx ends (SIGTERM, SIGINT), then lets requests in
// flight finish for up to 20 seconds.
func serve(ctx context.Context, srv *http.Server) error {
	ln, err := net.Listen("tcp", srv.Addr)
	if err != nil {
		return err
	}
	slog.Info("listening", "addr", ln.Addr().String())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	slog.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	slog.Info("stopped")
	return nil
}

// every runs job every interval until ctx ends.
func every(ctx context.Context, interval time.Duration, job func(ctx context.Context)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			job(ctx)
		}
	}
}

// foldReports folds the report deltas that writes append into the kept
// counts, so reports read few deltas. It also deletes expired idempotency
// keys, housekeeping of the same rhythm.
func foldReports(ctx context.Context, d *db.DB) {
	if n, err := d.FoldReportDeltas(ctx); err != nil && ctx.Err() == nil {
		slog.Warn("folding report counts", "err", err)
	} else if n > 0 {
		slog.Debug("folded report counts", "rows", n)
	}
	if n, err := d.DeleteExpiredIdempotencyKeys(ctx); err != nil && ctx.Err() == nil {
		slog.Warn("deleting expired idempotency keys", "err", err)
	} else if n > 0 {
		slog.Debug("deleted expired idempotency keys", "rows", n)
	}
}

func migrateCmd(ctx context.Context, opts *options) *cobra.Command {
	return &cobra.Command{
		Use:   "migrate",
		Short: "Bring the database schema up to date, and nothing else",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			d, err := open(ctx, opts, true)
			if err != nil {
				return err
			}
			return d.Close()
		},
	}
}

func usersCmd(ctx context.Context, opts *options, stdout io.Writer) *cobra.Command {
	users := &cobra.Command{Use: "users", Short: "Manage users and their API tokens"}
	var name, role, email string
	var passwordStdin bool
	add := &cobra.Command{
		Use:   "add --name NAME --role ROLE [--email EMAIL --password-stdin]",
		Short: "Add a user; prints the new API token alone on one line (only its hash is kept)",
		Long: "Add a user; prints the new API token alone on one line (only its hash is kept).\n" +
			"With --email and --password-stdin the user can also sign in to the web pages: the password\n" +
			"is read from the first line of stdin, never from a flag.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !engine.Role(role).Valid() {
				return fmt.Errorf("--role %q: one of applicant, reviewer, appraiser, admin", role)
			}
			passwordHash, err := passwordFromStdin(cmd.InOrStdin(), email, passwordStdin)
			if err != nil {
				return err
			}
			d, err := open(ctx, opts, true)
			if err != nil {
				return err
			}
			defer d.Close()
			token, hash := engine.NewToken()
			if passwordHash != "" {
				_, err = d.CreateUserWithPassword(ctx, name, engine.Role(role), hash, email, passwordHash)
			} else {
				_, err = d.CreateUser(ctx, name, engine.Role(role), hash)
			}
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(stdout, token)
			return err
		},
	}
	add.Flags().StringVar(&name, "name", "", "the user's name (required)")
	add.Flags().StringVar(&role, "role", "", "applicant, reviewer, appraiser or admin (required)")
	add.Flags().StringVar(&email, "email", "", "the email the user signs in to the web pages with (needs --password-stdin)")
	add.Flags().BoolVar(&passwordStdin, "password-stdin", false, "read the web sign-in password from the first line of stdin (needs --email)")
	add.MarkFlagRequired("name")
	add.MarkFlagRequired("role")
	users.AddCommand(add, usersListCmd(ctx, opts, stdout), usersRevokeCmd(ctx, opts, stdout))
	return users
}

func usersListCmd(ctx context.Context, opts *options, stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List users as a table: id, name, role, created, revoked (never a token or its hash)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			d, err := open(ctx, opts, false)
			if err != nil {
				return err
			}
			defer d.Close()
			users, err := d.Users(ctx)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tNAME\tROLE\tCREATED\tREVOKED")
			for _, u := range users {
				revoked := "-"
				if !u.Revoked.IsZero() {
					revoked = u.Revoked.UTC().Format(time.RFC3339)
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", u.ID, tableCell(u.Name), u.Role,
					u.Created.UTC().Format(time.RFC3339), revoked)
			}
			return tw.Flush()
		},
	}
}

// tableCell keeps a name on its line and in its column: a tab, a newline or
// a terminal escape in a name turns into a space.
func tableCell(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}

func usersRevokeCmd(ctx context.Context, opts *options, stdout io.Writer) *cobra.Command {
	var id int64
	cmd := &cobra.Command{
		Use:   "revoke --id ID",
		Short: "Revoke a user's API token at once; an unknown or already revoked user is an error",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			d, err := open(ctx, opts, false)
			if err != nil {
				return err
			}
			defer d.Close()
			u, err := d.RevokeUser(ctx, id)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(stdout, "revoked user %d (%s, %s): its token is refused from now on\n", u.ID, tableCell(u.Name), u.Role)
			return err
		},
	}
	cmd.Flags().Int64Var(&id, "id", 0, "the user's id, as `users list` shows it (required)")
	cmd.MarkFlagRequired("id")
	return cmd
}

func auditCmd(ctx context.Context, opts *options, stdout io.Writer) *cobra.Command {
	audit := &cobra.Command{Use: "audit", Short: "Check the audit trail"}
	verify := &cobra.Command{
		Use:   "verify",
		Short: "Check every appraisal's hash chain; exits non-zero naming each break",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			d, err := open(ctx, opts, false)
			if err != nil {
				return err
			}
			defer d.Close()
			n, faults, err := d.VerifyChains(ctx)
			if err != nil {
				return err
			}
			for _, f := range faults {
				fmt.Fprintln(stdout, "BROKEN", f.String())
			}
			if len(faults) > 0 {
				return fmt.Errorf("%d of %d appraisals have a broken audit trail", len(faults), n)
			}
			fmt.Fprintf(stdout, "ok: %d appraisals, every audit trail verifies\n", n)
			return nil
		},
	}
	audit.AddCommand(verify)
	return audit
}
