package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/appraisal/appraisal/engine"
	"github.com/appraisal/appraisal/httpapi"
)

// reloadCalendar picks up the days another server or the calendar
// command added.
func reloadCalendar(ctx context.Context, api *httpapi.Server) {
	if err := api.ReloadCalendar(ctx); err != nil && ctx.Err() == nil {
		slog.Warn("reloading the calendar", "err", err)
	}
}

// warnUncoveredYears says so when this year or the next has no holidays in
// the calendar: deadlines would count every weekday as a working day.
func warnUncoveredYears(cal *engine.Calendar, now time.Time) {
	for _, y := range []int{now.In(engine.VietnamTime).Year(), now.In(engine.VietnamTime).Year() + 1} {
		if !cal.Covers(fmt.Sprintf("%d-01-01", y)) {
			slog.Warn("the calendar has no holidays for a year deadlines may fall in; add them with `appraisal calendar add` once announced", "year", y)
		}
	}
}

func calendarCmd(ctx context.Context, opts *options, stdout io.Writer) *cobra.Command {
	cal := &cobra.Command{Use: "calendar", Short: "The working-day calendar deadlines count in"}
	cal.AddCommand(calendarListCmd(ctx, opts, stdout), calendarAddCmd(ctx, opts))
	return cal
}

func calendarListCmd(ctx context.Context, opts *options, stdout io.Writer) *cobra.Command {
	var year int
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List a year's days off and working weekends: the shipped ones and those added",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			d, err := open(ctx, opts, false)
			if err != nil {
				return err
			}
			defer d.Close()
			c, err := httpapi.LoadCalendar(ctx, d)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "DAY\tKIND\tNAME")
			for _, h := range c.Holidays(year) {
				fmt.Fprintf(tw, "%s\tday off\t%s\n", h.Day, tableCell(h.Name))
			}
			for _, h := range c.WorkingWeekends(year) {
				fmt.Fprintf(tw, "%s\tworking\t%s\n", h.Day, tableCell(h.Name))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().IntVar(&year, "year", time.Now().In(engine.VietnamTime).Year(), "the year")
	return cmd
}

func calendarAddCmd(ctx context.Context, opts *options) *cobra.Command {
	var name string
	var working bool
	cmd := &cobra.Command{
		Use:   "add DAY [DAY...]",
		Short: "Add days off (or, with --working, weekend days declared working days), as 2006-01-02",
		Long: "Adds days to the calendar, all or none, such as next year's lunar new year holidays once they\n" +
			"are announced. Running servers pick them up within a minute; due dates already set stay.",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if name == "" {
				return fmt.Errorf("--name is required: what the days are, as in \"Tết Nguyên đán\"")
			}
			var add engine.CalendarData
			for _, a := range args {
				day, err := engine.ParseDay(a)
				if err != nil {
					return fmt.Errorf("%s: %w", strconv.Quote(a), err)
				}
				h := engine.Holiday{Day: day, Name: name}
				if working {
					add.WorkingWeekends = append(add.WorkingWeekends, h)
				} else {
					add.Holidays = append(add.Holidays, h)
				}
			}
			d, err := open(ctx, opts, true)
			if err != nil {
				return err
			}
			defer d.Close()
			_, err = httpapi.AddCalendarDays(ctx, d, add)
			return err
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "what the days are (required)")
	cmd.Flags().BoolVar(&working, "working", false, "the days are weekend days declared working days")
	return cmd
}
