package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"tuongtac/agencies"
	"tuongtac/problem"
)

// userAdd creates an officer account from the command line, with the server
// stopped. The password comes from TUONGTAC_PASSWORD or the first line of
// standard input, never from a flag (flags show in process lists).
func userAdd(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("user add", flag.ContinueOnError)
	cfg := Flags(fs)
	email := fs.String("email", "", "the officer's email (sign-in name)")
	name := fs.String("name", "", "the officer's full name")
	agency := fs.String("agency", "", "agency id the role applies to (and its sub-agencies)")
	role := fs.String("role", "officer", "officer, editor or admin")
	if err := fs.Parse(args); err != nil {
		return err
	}
	pw := os.Getenv("TUONGTAC_PASSWORD")
	if pw == "" {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("read password: %w", err)
		}
		pw = strings.TrimRight(line, "\r\n")
	}
	db, err := OpenStore(ctx, *cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	tree, err := LoadTree(*cfg)
	if err != nil {
		return err
	}
	acc := agencies.NewAccounts(db, tree, agencies.DefaultPasswordParams)
	u, err := acc.Create(ctx, agencies.NewUser{Email: *email, Password: pw, Name: *name, Roles: []agencies.Role{{Agency: *agency, Role: *role}}})
	if err != nil {
		return describe(err)
	}
	fmt.Fprintf(stdout, "created %s (%s) as %s of %s\n", u.Email, u.ID, *role, *agency)
	return nil
}

// describe turns a problem into a readable English error for the terminal.
func describe(err error) error {
	p, ok := problem.As(err)
	if !ok {
		return err
	}
	text := msg("en", p.Message)
	var parts []string
	for f, m := range p.Fields {
		parts = append(parts, f+": "+translateField("en", m))
	}
	if len(parts) > 0 {
		sort.Strings(parts)
		text += " " + strings.Join(parts, "; ")
	}
	return errors.New(text)
}
