// Command tuongtac is the whole service in one binary: `tuongtac` (or
// `go run ./server`) serves it; subcommands manage its data. See the README.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "tuongtac:", err)
		os.Exit(1)
	}
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage: tuongtac [command] [flags]

commands:
  serve            run the service (the default)
  user add         create an officer account
  audit verify     check every thread's audit trail is intact
  backup           write every document to a file (--out FILE)
  restore          load a backup into an empty store (--in FILE)
  reindex          rebuild the search indexes from the documents
  seed             fill the store with N realistic threads (benchmarks, trials)
  demo             load the bundled corpus into a running instance through its API
  chatload         measure the live chat: idle connections, fan-out latency

Run "tuongtac <command> -h" for a command's flags.
`)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, args, stderr)
	case "user":
		if len(args) == 0 || args[0] != "add" {
			return errors.New(`usage: tuongtac user add --email E --name N --agency A --role R (password from TUONGTAC_PASSWORD or stdin)`)
		}
		return userAdd(ctx, args[1:], os.Stdin, stdout)
	case "audit":
		return audit(ctx, args, stdout)
	case "backup":
		return backup(ctx, args, stdout)
	case "restore":
		return restore(ctx, args, stdout)
	case "reindex":
		return reindex(ctx, args, stdout)
	case "seed":
		return seed(ctx, args, stdout)
	case "chatload":
		return chatload(ctx, args, stdout)
	case "demo":
		return demo(ctx, args, stdout)
	case "help", "-h", "--help":
		usage(stdout)
		return nil
	}
	usage(stderr)
	return fmt.Errorf("unknown command %q", cmd)
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}

// serve runs the service until SIGINT or SIGTERM, then lets in-flight
// requests finish for up to 8 seconds.
func serve(ctx context.Context, args []string, logw io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	cfg := Flags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	log := newLogger(logw, cfg.LogLevel)
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	db, err := OpenStore(ctx, *cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	app, err := NewApp(ctx, *cfg, db, log)
	if err != nil {
		return err
	}
	defer app.Close()
	log.Info("serving", slog.String("addr", cfg.Addr), slog.String("store", db.Kind()), slog.String("base_url", cfg.BaseURL))
	go app.outbox().Run(ctx)
	mailDone := make(chan struct{})
	go func() { app.mailWorker().Run(ctx); close(mailDone) }()
	defer func() { <-mailDone }() // let a send in progress finish before closing the mailer
	go app.remind(ctx)
	go app.consultWorker().Run(ctx)
	go app.chat.svc.Run(ctx)
	defer app.chat.svc.Close()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	return app.serveUntil(ctx, ln)
}

// serveUntil serves on ln until ctx ends, then stops accepting and lets
// in-flight requests finish for up to ShutdownGrace.
func (a *App) serveUntil(ctx context.Context, ln net.Listener) error {
	errc := make(chan error, 1)
	go func() { errc <- a.Fiber().Listener(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	a.log.Info("shutting down")
	if err := a.Fiber().ShutdownWithTimeout(ShutdownGrace); err != nil {
		a.log.Warn("shutdown", slog.String("error", err.Error()))
	}
	return nil
}

// ShutdownGrace is how long in-flight requests may take after SIGTERM; with
// closing the store it stays well inside the 10 seconds orchestrators wait.
const ShutdownGrace = 8 * time.Second
