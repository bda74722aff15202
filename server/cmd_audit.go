package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"

	"tuongtac/store"
	"tuongtac/threads"
)

// VerifyAudit walks every thread and reports those whose audit chain does not
// hold: an entry changed, removed or inserted after it was written.
func VerifyAudit(ctx context.Context, db store.DB, report func(id string, entry int)) (checked, broken int, err error) {
	c := db.Collection("threads")
	after := ""
	for {
		page, err := c.Scan(ctx, after, 500)
		if err != nil {
			return checked, broken, err
		}
		if len(page) == 0 {
			return checked, broken, nil
		}
		for _, d := range page {
			after = d.ID
			var t threads.Thread
			if err := json.Unmarshal(d.JSON, &t); err != nil {
				return checked, broken, fmt.Errorf("thread %s: %w", d.ID, err)
			}
			checked++
			if i := t.VerifyAudit(); i >= 0 {
				broken++
				report(d.ID, i)
			}
		}
	}
}

// audit is `tuongtac audit verify`.
func audit(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "verify" {
		return errors.New("usage: tuongtac audit verify [--data DIR]")
	}
	fs := flag.NewFlagSet("audit verify", flag.ContinueOnError)
	cfg := Flags(fs)
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	db, err := OpenStore(ctx, *cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	checked, broken, err := VerifyAudit(ctx, db, func(id string, entry int) {
		fmt.Fprintf(stdout, "thread %s: audit entry %d does not match the chain\n", id, entry)
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "audit: %d threads checked, %d with a broken trail\n", checked, broken)
	if broken > 0 {
		return fmt.Errorf("audit: %d threads with a broken trail", broken)
	}
	return nil
}
