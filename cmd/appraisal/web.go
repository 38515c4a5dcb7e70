package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/appraisal/appraisal/db"
	"github.com/appraisal/appraisal/engine"
)

// passwordFromStdin reads the web sign-in password of `users add` from the
// first line of stdin and returns its hash; "" when the user gets a token
// only. The password never comes from a flag, which `ps` would show.
func passwordFromStdin(stdin io.Reader, email string, fromStdin bool) (string, error) {
	switch {
	case !fromStdin && email == "":
		return "", nil
	case !fromStdin:
		return "", errors.New("--email needs --password-stdin: a user who signs in needs a password")
	case email == "":
		return "", errors.New("--password-stdin needs --email: people sign in with email and password")
	}
	if _, err := db.NormalizeEmail(email); err != nil {
		return "", fmt.Errorf("--email: %w", err)
	}
	line, err := bufio.NewReader(io.LimitReader(stdin, 4*engine.MaxPasswordLen+2)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("reading the password from stdin: %w", err)
	}
	password := strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
	if err := engine.CheckPasswordPolicy(password); err != nil {
		return "", fmt.Errorf("the password on stdin: %w", err)
	}
	return engine.HashPassword(password)
}

// sweepSessions deletes expired web sessions.
func sweepSessions(ctx context.Context, d *db.DB) {
	if n, err := d.DeleteExpiredSessions(ctx); err != nil && ctx.Err() == nil {
		slog.Warn("deleting expired sessions", "err", err)
	} else if n > 0 {
		slog.Debug("deleted expired sessions", "rows", n)
	}
}
