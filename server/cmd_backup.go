package main

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"tuongtac/store"
)

// Backups are gzip-compressed JSON Lines: a header line, then one line per
// document, collection by collection, each in id order. They are backend
// neutral: a SQLite backup restores into MongoDB and back.

const backupFormat = "tuongtac-backup"

type backupHeader struct {
	Format      string    `json:"format"`
	Version     int       `json:"version"`
	CreatedAt   time.Time `json:"created_at"`
	Store       string    `json:"store"`
	Collections []string  `json:"collections"`
}

type backupLine struct {
	Collection string          `json:"c"`
	ID         string          `json:"id"`
	Doc        json.RawMessage `json:"doc"`
}

// collections lists every collection the migrations create, in order.
func collections() []string {
	var out []string
	seen := map[string]bool{}
	for _, m := range Migrations() {
		for _, s := range m.Steps {
			if s.CreateCollection != "" && !seen[s.CreateCollection] {
				seen[s.CreateCollection] = true
				out = append(out, s.CreateCollection)
			}
		}
	}
	return out
}

// Backup writes every document of db to w.
func Backup(ctx context.Context, db store.DB, w io.Writer) (int, error) {
	zw := gzip.NewWriter(w)
	bw := bufio.NewWriter(zw)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	colls := collections()
	if err := enc.Encode(backupHeader{Format: backupFormat, Version: 1, CreatedAt: time.Now().UTC(), Store: db.Kind(), Collections: colls}); err != nil {
		return 0, err
	}
	n := 0
	for _, name := range colls {
		c := db.Collection(name)
		after := ""
		for {
			page, err := c.Scan(ctx, after, 500)
			if err != nil {
				return n, fmt.Errorf("backup %s: %w", name, err)
			}
			if len(page) == 0 {
				break
			}
			for _, d := range page {
				if err := enc.Encode(backupLine{Collection: name, ID: d.ID, Doc: d.JSON}); err != nil {
					return n, err
				}
				n++
				after = d.ID
			}
		}
	}
	if err := bw.Flush(); err != nil {
		return n, err
	}
	return n, zw.Close()
}

// Restore loads a backup into db, which must be empty.
func Restore(ctx context.Context, db store.DB, r io.Reader) (int, error) {
	for _, name := range collections() {
		if n, err := db.Collection(name).Count(ctx, store.Query{}); err != nil || n > 0 {
			if err != nil {
				return 0, err
			}
			return 0, fmt.Errorf("restore: collection %s is not empty; restore into an empty data dir or database", name)
		}
	}
	zr, err := gzip.NewReader(r)
	if err != nil {
		return 0, fmt.Errorf("restore: not a backup: %w", err)
	}
	dec := json.NewDecoder(bufio.NewReader(zr))
	var h backupHeader
	if err := dec.Decode(&h); err != nil || h.Format != backupFormat {
		return 0, errors.New("restore: not a tuongtac backup")
	}
	if h.Version != 1 {
		return 0, fmt.Errorf("restore: backup format version %d is newer than this program", h.Version)
	}
	known := map[string]bool{}
	for _, c := range collections() {
		known[c] = true
	}
	n := 0
	batch := map[string][]store.IDDoc{}
	flush := func(name string) error {
		if len(batch[name]) == 0 {
			return nil
		}
		if err := db.Collection(name).InsertMany(ctx, batch[name]); err != nil {
			return fmt.Errorf("restore %s: %w", name, err)
		}
		n += len(batch[name])
		batch[name] = batch[name][:0]
		return nil
	}
	for {
		var l backupLine
		err := dec.Decode(&l)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return n, fmt.Errorf("restore: line %d: %w", n+2, err)
		}
		if !known[l.Collection] {
			return n, fmt.Errorf("restore: unknown collection %q", l.Collection)
		}
		batch[l.Collection] = append(batch[l.Collection], store.IDDoc{ID: l.ID, Doc: l.Doc})
		if len(batch[l.Collection]) >= 500 {
			if err := flush(l.Collection); err != nil {
				return n, err
			}
		}
	}
	for name := range batch {
		if err := flush(name); err != nil {
			return n, err
		}
	}
	return n, nil
}

// backup is `tuongtac backup --out FILE`, run with the server stopped.
func backup(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	cfg := Flags(fs)
	out := fs.String("out", "", "file to write (gzip JSON Lines)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("backup: --out FILE is required")
	}
	db, err := OpenStore(ctx, *cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	tmp, err := os.CreateTemp(filepath.Dir(*out), ".backup-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	n, err := Backup(ctx, db, tmp)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), *out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backup: %d documents written to %s\n", n, *out)
	return nil
}

// restore is `tuongtac restore --in FILE`, into an empty store, with the
// server stopped.
func restore(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	cfg := Flags(fs)
	in := fs.String("in", "", "backup file to read")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *in == "" {
		return errors.New("restore: --in FILE is required")
	}
	f, err := os.Open(*in)
	if err != nil {
		return err
	}
	defer f.Close()
	db, err := OpenStore(ctx, *cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	n, err := Restore(ctx, db, f)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "restore: %d documents loaded from %s\n", n, *in)
	return nil
}
