package embedstore

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the pure-Go SQLite driver FerretDB itself uses
)

// The embedded FerretDB (v1.24, SQLite backend) answers a {_id: <string or
// ObjectID>} filter with `WHERE _ferretdb_sjson->'$._id' = ?`, but the
// primary-key index it creates is on `_ferretdb_sjson->"_id"`, an expression
// SQLite does not consider the same, so every lookup by _id scans the table
// (DESIGN.md §6). The accelerator adds an index on exactly the expression
// the queries use, to every collection table of every database file: those
// of a store created by an earlier release when the store starts, and new
// collections within idIndexEvery. The index lives in the database file, so
// it survives restarts; FerretDB does not know it (listIndexes does not show
// it) and drops it with its table.
const (
	idExpr         = `_ferretdb_sjson->'$._id'`
	idIndexSuffix  = "__siyu_id"
	idIndexEvery   = 2 * time.Second
	metadataTable  = "_ferretdb_collections"
	sqliteFileExts = ".sqlite"
)

// IndexIDs adds the _id expression index to every collection table of every
// database under dir that lacks it, and reports how many it created.
func IndexIDs(ctx context.Context, dir string) (int, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*"+sqliteFileExts))
	if err != nil {
		return 0, err
	}
	created := 0
	for _, f := range files {
		n, err := indexFile(ctx, f)
		created += n
		if err != nil {
			return created, fmt.Errorf("%s: %w", filepath.Base(f), err)
		}
	}
	return created, nil
}

func indexFile(ctx context.Context, path string) (int, error) {
	if _, err := os.Stat(path); err != nil {
		return 0, err
	}
	// FerretDB holds the same file open in WAL mode; a busy timeout lets
	// this connection wait for its writes instead of failing.
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(wal)")
	if err != nil {
		return 0, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	var hasMeta int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?`, metadataTable).Scan(&hasMeta); err != nil || hasMeta == 0 {
		return 0, err
	}
	rows, err := db.QueryContext(ctx, `SELECT m.table_name FROM "`+metadataTable+`" m
		WHERE NOT EXISTS (SELECT 1 FROM sqlite_master s WHERE s.type = 'index' AND s.name = m.table_name || ?)`, idIndexSuffix)
	if err != nil {
		return 0, err
	}
	var tables []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return 0, err
		}
		tables = append(tables, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	created := 0
	for _, t := range tables {
		q := fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %q ON %q (%s)`, t+idIndexSuffix, t, idExpr)
		if _, err := db.ExecContext(ctx, q); err != nil {
			// A collection dropped between the listing and now is fine.
			if strings.Contains(err.Error(), "no such table") {
				continue
			}
			return created, err
		}
		created++
	}
	return created, nil
}
