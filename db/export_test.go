package db

import (
	"context"
	"strings"
)

// MigrateDownTo runs the Down of every migration after version, for tests.
func (d *DB) MigrateDownTo(ctx context.Context, version int64) error {
	p, err := d.provider()
	if err != nil {
		return err
	}
	_, err = p.DownTo(ctx, version)
	return err
}

// ReadAsBothWays reads appraisal id with the holder of tokenHash as the
// transition does, once matching columns to struct tags (sqlx) and once
// with the scan fields, for tests that the two agree.
func (d *DB) ReadAsBothWays(ctx context.Context, id int64, tokenHash string) (byTags, byFields any, err error) {
	query := d.Rebind(strings.NewReplacer("$1", "?", "$2", "?").Replace(TransitionReadAsSQL))
	var tags, fields appraisalAsRow
	if err := d.GetContext(ctx, &tags, query, tokenHash, id); err != nil {
		return nil, nil, err
	}
	if err := d.QueryRowContext(ctx, query, tokenHash, id).Scan(fields.fields()...); err != nil {
		return nil, nil, err
	}
	return tags, fields, nil
}
