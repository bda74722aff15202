// Package sqlite is the embedded default document backend: one SQLite file in WAL
// mode (modernc.org/sqlite, pure Go), a table per collection holding each document
// as JSON text, and a generated column plus indexes for every declared field.
//
// Writes go through a single connection, so SQLite never sees two writers and
// never answers "database is locked"; reads use a pool of read-only connections,
// which WAL lets run beside the writer.
package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"time"

	sqlite3 "modernc.org/sqlite"
	sqlite3lib "modernc.org/sqlite/lib"

	"tuongtac/store"
)

var (
	_ store.DB         = (*DB)(nil)
	_ store.Collection = (*Collection)(nil)
)

// DB is an open SQLite database.
type DB struct {
	path string
	w    *sql.DB // the one writer connection
	r    *sql.DB // read-only pool
}

// Open opens (creating if needed) the database file at path.
func Open(ctx context.Context, path string) (*DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("sqlite: create data dir: %w", err)
	}
	pragmas := []string{
		"journal_mode(WAL)",
		"busy_timeout(10000)",
		"synchronous(NORMAL)",
		"foreign_keys(1)",
		"temp_store(MEMORY)",
		"cache_size(-32000)",
	}
	dsn := func(readonly bool) string {
		v := url.Values{}
		for _, p := range pragmas {
			v.Add("_pragma", p)
		}
		if readonly {
			v.Add("_pragma", "query_only(1)")
		} else {
			v.Set("_txlock", "immediate")
		}
		return "file:" + path + "?" + v.Encode()
	}
	w, err := sql.Open("sqlite", dsn(false))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxIdleTime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	r, err := sql.Open("sqlite", dsn(true))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	n := runtime.GOMAXPROCS(0) * 2
	if n < 4 {
		n = 4
	}
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	db := &DB{path: path, w: w, r: r}
	if _, err := w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS _migrations (id TEXT PRIMARY KEY, applied_at TEXT NOT NULL)`); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: migrations table: %w", err)
	}
	return db, nil
}

// Kind reports "sqlite".
func (db *DB) Kind() string { return "sqlite" }

// Path is the database file.
func (db *DB) Path() string { return db.path }

// Ping checks that both pools answer.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.w.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite: ping: %w", err)
	}
	if err := db.r.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite: ping: %w", err)
	}
	return nil
}

// Close checkpoints the WAL and closes the file.
func (db *DB) Close() error {
	_, _ = db.w.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
	err1 := db.r.Close()
	err2 := db.w.Close()
	return errors.Join(err1, err2)
}

// Backup writes a consistent copy of the database to path (VACUUM INTO), safe
// while the service runs.
func (db *DB) Backup(ctx context.Context, path string) error {
	if _, err := db.w.ExecContext(ctx, `VACUUM INTO ?`, path); err != nil {
		return fmt.Errorf("sqlite: backup to %s: %w", path, err)
	}
	return nil
}

func table(coll string) string   { return "c_" + coll }
func column(field string) string { return "f_" + field }

// Migrate applies the migrations not yet recorded, each in its own transaction.
func (db *DB) Migrate(ctx context.Context, ms []store.Migration) error {
	seen := map[string]bool{}
	for _, m := range ms {
		if m.ID == "" || seen[m.ID] {
			return fmt.Errorf("sqlite: migration id %q empty or repeated", m.ID)
		}
		seen[m.ID] = true
		var one int
		err := db.w.QueryRowContext(ctx, `SELECT 1 FROM _migrations WHERE id = ?`, m.ID).Scan(&one)
		if err == nil {
			continue
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("sqlite: migration %s: %w", m.ID, err)
		}
		if err := db.apply(ctx, m); err != nil {
			return fmt.Errorf("sqlite: migration %s: %w", m.ID, err)
		}
	}
	return nil
}

func (db *DB) apply(ctx context.Context, m store.Migration) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, s := range m.Steps {
		switch {
		case s.CreateCollection != "":
			if !store.ValidName(s.CreateCollection) {
				return fmt.Errorf("bad collection name %q", s.CreateCollection)
			}
			q := fmt.Sprintf(`CREATE TABLE IF NOT EXISTS %s (id TEXT PRIMARY KEY NOT NULL, v INTEGER NOT NULL, doc TEXT NOT NULL)`, table(s.CreateCollection))
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return err
			}
		case s.Field != nil:
			f := s.Field
			if !store.ValidName(f.Collection) || !store.ValidName(f.Name) {
				return fmt.Errorf("bad field %s.%s", f.Collection, f.Name)
			}
			var n int
			err := tx.QueryRowContext(ctx, `SELECT count(*) FROM pragma_table_xinfo(?) WHERE name = ?`, table(f.Collection), column(f.Name)).Scan(&n)
			if err != nil {
				return err
			}
			if n > 0 {
				continue
			}
			q := fmt.Sprintf(`ALTER TABLE %s ADD COLUMN %s GENERATED ALWAYS AS (json_extract(doc, '$.%s')) VIRTUAL`, table(f.Collection), column(f.Name), f.Name)
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return err
			}
		case s.Index != nil:
			ix := s.Index
			if !store.ValidName(ix.Collection) || !store.ValidName(ix.Name) || len(ix.Keys) == 0 {
				return fmt.Errorf("bad index %s.%s", ix.Collection, ix.Name)
			}
			cols := make([]string, len(ix.Keys))
			for i, k := range ix.Keys {
				if !store.ValidName(k.Field) {
					return fmt.Errorf("bad index key %q", k.Field)
				}
				cols[i] = column(k.Field)
				if k.Desc {
					cols[i] += " DESC"
				}
			}
			unique := ""
			if ix.Unique {
				unique = "UNIQUE "
			} else {
				// Queries break ties by id in the direction of the last sort key;
				// ending the index with id lets SQLite read pages in order with no
				// sort step.
				last := "id"
				if ix.Keys[len(ix.Keys)-1].Desc {
					last += " DESC"
				}
				cols = append(cols, last)
			}
			q := fmt.Sprintf(`CREATE %sINDEX IF NOT EXISTS i_%s_%s ON %s (%s)`, unique, ix.Collection, ix.Name, table(ix.Collection), strings.Join(cols, ", "))
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return err
			}
		default:
			return errors.New("empty step")
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO _migrations (id, applied_at) VALUES (?, ?)`, m.ID, time.Now().UTC().Format(time.RFC3339)); err != nil {
		return err
	}
	return tx.Commit()
}

// Collection returns the named collection.
func (db *DB) Collection(name string) store.Collection {
	return &Collection{db: db, name: name, table: table(name)}
}

// Collection is a table of JSON documents.
type Collection struct {
	db    *DB
	name  string
	table string
}

func isConstraint(err error) bool {
	var se *sqlite3.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3lib.SQLITE_CONSTRAINT_UNIQUE, sqlite3lib.SQLITE_CONSTRAINT_PRIMARYKEY:
			return true
		}
	}
	return false
}

func (c *Collection) check() error {
	if !store.ValidName(c.name) {
		return fmt.Errorf("sqlite: bad collection name %q", c.name)
	}
	return nil
}

// Insert stores a new document with version 1.
func (c *Collection) Insert(ctx context.Context, id string, doc any) error {
	if err := c.check(); err != nil {
		return err
	}
	b, err := encode(doc)
	if err != nil {
		return fmt.Errorf("sqlite: insert %s/%s: %w", c.name, id, err)
	}
	_, err = c.db.w.ExecContext(ctx, `INSERT INTO `+c.table+` (id, v, doc) VALUES (?, 1, ?)`, id, b)
	if err != nil {
		if isConstraint(err) {
			return fmt.Errorf("sqlite: insert %s/%s: %w", c.name, id, store.ErrDuplicate)
		}
		return fmt.Errorf("sqlite: insert %s/%s: %w", c.name, id, err)
	}
	return nil
}

// InsertMany stores new documents in one transaction: all or none.
func (c *Collection) InsertMany(ctx context.Context, docs []store.IDDoc) error {
	if err := c.check(); err != nil {
		return err
	}
	tx, err := c.db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: insert many %s: %w", c.name, err)
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO `+c.table+` (id, v, doc) VALUES (?, 1, ?)`)
	if err != nil {
		return fmt.Errorf("sqlite: insert many %s: %w", c.name, err)
	}
	defer stmt.Close()
	for _, d := range docs {
		b, err := encode(d.Doc)
		if err != nil {
			return fmt.Errorf("sqlite: insert many %s/%s: %w", c.name, d.ID, err)
		}
		if _, err := stmt.ExecContext(ctx, d.ID, b); err != nil {
			if isConstraint(err) {
				return fmt.Errorf("sqlite: insert many %s/%s: %w", c.name, d.ID, store.ErrDuplicate)
			}
			return fmt.Errorf("sqlite: insert many %s/%s: %w", c.name, d.ID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: insert many %s: %w", c.name, err)
	}
	return nil
}

// Get reads one document.
func (c *Collection) Get(ctx context.Context, id string, out any) (int64, error) {
	if err := c.check(); err != nil {
		return 0, err
	}
	var v int64
	var b []byte
	err := c.db.r.QueryRowContext(ctx, `SELECT v, doc FROM `+c.table+` WHERE id = ?`, id).Scan(&v, &b)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("sqlite: get %s/%s: %w", c.name, id, store.ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("sqlite: get %s/%s: %w", c.name, id, err)
	}
	if err := json.Unmarshal(b, out); err != nil {
		return 0, fmt.Errorf("sqlite: get %s/%s: decode: %w", c.name, id, err)
	}
	return v, nil
}

// Replace overwrites the document if it still has the given version.
func (c *Collection) Replace(ctx context.Context, id string, version int64, doc any) error {
	if err := c.check(); err != nil {
		return err
	}
	b, err := encode(doc)
	if err != nil {
		return fmt.Errorf("sqlite: replace %s/%s: %w", c.name, id, err)
	}
	res, err := c.db.w.ExecContext(ctx, `UPDATE `+c.table+` SET doc = ?, v = v + 1 WHERE id = ? AND v = ?`, b, id, version)
	if err != nil {
		if isConstraint(err) {
			return fmt.Errorf("sqlite: replace %s/%s: %w", c.name, id, store.ErrDuplicate)
		}
		return fmt.Errorf("sqlite: replace %s/%s: %w", c.name, id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("sqlite: replace %s/%s: %w", c.name, id, err)
	}
	if n == 1 {
		return nil
	}
	var v int64
	err = c.db.w.QueryRowContext(ctx, `SELECT v FROM `+c.table+` WHERE id = ?`, id).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("sqlite: replace %s/%s: %w", c.name, id, store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("sqlite: replace %s/%s: %w", c.name, id, err)
	}
	return fmt.Errorf("sqlite: replace %s/%s (have v%d, want v%d): %w", c.name, id, v, version, store.ErrConflict)
}

// Delete removes one document.
func (c *Collection) Delete(ctx context.Context, id string) error {
	if err := c.check(); err != nil {
		return err
	}
	res, err := c.db.w.ExecContext(ctx, `DELETE FROM `+c.table+` WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("sqlite: delete %s/%s: %w", c.name, id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("sqlite: delete %s/%s: %w", c.name, id, store.ErrNotFound)
	}
	return nil
}

// Find decodes the matching documents into out (a pointer to a slice).
func (c *Collection) Find(ctx context.Context, q store.Query, out any) error {
	if err := c.check(); err != nil {
		return err
	}
	what := "doc"
	if q.Project != "" {
		if !store.ValidName(q.Project) {
			return fmt.Errorf("sqlite: find %s: bad projection %q", c.name, q.Project)
		}
		what = "json_quote(json_extract(doc, '$." + q.Project + "'))"
	}
	text, args, err := c.selectSQL(what, q, true)
	if err != nil {
		return fmt.Errorf("sqlite: find %s: %w", c.name, err)
	}
	rows, err := c.db.r.QueryContext(ctx, text, args...)
	if err != nil {
		return fmt.Errorf("sqlite: find %s: %w", c.name, err)
	}
	defer rows.Close()
	buf := make([]byte, 0, 4096)
	buf = append(buf, '[')
	first := true
	for rows.Next() {
		var b sql.RawBytes
		if err := rows.Scan(&b); err != nil {
			return fmt.Errorf("sqlite: find %s: %w", c.name, err)
		}
		if !first {
			buf = append(buf, ',')
		}
		first = false
		if b == nil {
			buf = append(buf, "null"...)
		} else {
			buf = append(buf, b...)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlite: find %s: %w", c.name, err)
	}
	buf = append(buf, ']')
	// Start from an empty slice: json.Unmarshal would otherwise reuse the
	// elements in the caller's spare capacity and keep their stale fields.
	if rv := reflect.ValueOf(out); rv.Kind() == reflect.Pointer && rv.Elem().Kind() == reflect.Slice {
		rv.Elem().Set(reflect.MakeSlice(rv.Elem().Type(), 0, 0))
	}
	if err := json.Unmarshal(buf, out); err != nil {
		return fmt.Errorf("sqlite: find %s: decode: %w", c.name, err)
	}
	return nil
}

// Scan reads documents in id order after the given id.
func (c *Collection) Scan(ctx context.Context, after string, limit int) ([]store.RawDoc, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	rows, err := c.db.r.QueryContext(ctx, `SELECT id, v, doc FROM `+c.table+` WHERE id > ? ORDER BY id LIMIT ?`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: scan %s: %w", c.name, err)
	}
	defer rows.Close()
	out := []store.RawDoc{}
	for rows.Next() {
		var d store.RawDoc
		if err := rows.Scan(&d.ID, &d.Version, &d.JSON); err != nil {
			return nil, fmt.Errorf("sqlite: scan %s: %w", c.name, err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// Count counts the matching documents.
func (c *Collection) Count(ctx context.Context, q store.Query) (int64, error) {
	if err := c.check(); err != nil {
		return 0, err
	}
	text, args, err := c.selectSQL("count(*)", store.Query{Where: q.Where}, false)
	if err != nil {
		return 0, fmt.Errorf("sqlite: count %s: %w", c.name, err)
	}
	var n int64
	if err := c.db.r.QueryRowContext(ctx, text, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlite: count %s: %w", c.name, err)
	}
	return n, nil
}

// Explain returns SQLite's query plan for q, one line a step, for tests that
// prove hot queries use an index.
func (db *DB) Explain(ctx context.Context, coll string, q store.Query) (string, error) {
	c := &Collection{db: db, name: coll, table: table(coll)}
	text, args, err := c.selectSQL("doc", q, true)
	if err != nil {
		return "", err
	}
	rows, err := db.r.QueryContext(ctx, "EXPLAIN QUERY PLAN "+text, args...)
	if err != nil {
		return "", fmt.Errorf("sqlite: explain: %w", err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			return "", err
		}
		lines = append(lines, detail)
	}
	return strings.Join(lines, "\n"), rows.Err()
}

func (c *Collection) selectSQL(what string, q store.Query, order bool) (string, []any, error) {
	if err := store.CheckQuery(q); err != nil {
		return "", nil, err
	}
	var sb strings.Builder
	var args []any
	sb.WriteString("SELECT ")
	sb.WriteString(what)
	sb.WriteString(" FROM ")
	sb.WriteString(c.table)
	for i, cond := range q.Where {
		if i == 0 {
			sb.WriteString(" WHERE ")
		} else {
			sb.WriteString(" AND ")
		}
		col := column(cond.Field)
		if cond.Op == store.In {
			vals, err := scalars(cond.Value)
			if err != nil {
				return "", nil, fmt.Errorf("field %s: %w", cond.Field, err)
			}
			if len(vals) == 0 {
				sb.WriteString("0")
				continue
			}
			sb.WriteString(col)
			sb.WriteString(" IN (")
			for j, v := range vals {
				if j > 0 {
					sb.WriteString(", ")
				}
				sb.WriteString("?")
				args = append(args, v)
			}
			sb.WriteString(")")
			continue
		}
		v, err := scalar(cond.Value)
		if err != nil {
			return "", nil, fmt.Errorf("field %s: %w", cond.Field, err)
		}
		op := string(cond.Op)
		if cond.Op == store.Ne {
			// Missing fields match "not equal" on MongoDB; IS NOT keeps SQLite the same.
			op = "IS NOT"
		}
		fmt.Fprintf(&sb, "%s %s ?", col, op)
		args = append(args, v)
	}
	if order {
		sb.WriteString(" ORDER BY ")
		desc := false
		for _, s := range q.Sort {
			sb.WriteString(column(s.Field))
			if s.Desc {
				sb.WriteString(" DESC")
			}
			sb.WriteString(", ")
			desc = s.Desc
		}
		sb.WriteString("id")
		if desc {
			sb.WriteString(" DESC")
		}
		if q.Limit > 0 {
			sb.WriteString(" LIMIT ?")
			args = append(args, q.Limit)
		} else if q.Skip > 0 {
			sb.WriteString(" LIMIT -1")
		}
		if q.Skip > 0 {
			sb.WriteString(" OFFSET ?")
			args = append(args, q.Skip)
		}
	}
	return sb.String(), args, nil
}

// scalar turns a query value into a SQL argument. Booleans become 1 and 0, as
// json_extract yields them; anything but a scalar is refused, so a value can
// never change the shape of a query.
func scalar(v any) (any, error) {
	switch x := v.(type) {
	case string, int, int8, int16, int32, int64, uint8, uint16, uint32, float32, float64:
		return x, nil
	case bool:
		if x {
			return 1, nil
		}
		return 0, nil
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.String:
		return rv.String(), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int(), nil
	}
	return nil, fmt.Errorf("value of type %T is not a scalar", v)
}

func scalars(v any) ([]any, error) {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Slice {
		return nil, fmt.Errorf("in: value of type %T is not a slice", v)
	}
	out := make([]any, rv.Len())
	for i := range out {
		s, err := scalar(rv.Index(i).Interface())
		if err != nil {
			return nil, err
		}
		out[i] = s
	}
	return out, nil
}

func encode(doc any) ([]byte, error) {
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	if len(b) == 0 || b[0] != '{' {
		return nil, errors.New("document must encode to a JSON object")
	}
	return b, nil
}
