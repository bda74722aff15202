package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"

	"tuongtac/agencies"
	"tuongtac/chat"
	"tuongtac/consultation"
	"tuongtac/moderation"
	"tuongtac/notifications"
	"tuongtac/problem"
	"tuongtac/store"
	"tuongtac/store/mongo"
	"tuongtac/store/sqlite"
	"tuongtac/threads"
)

// App is the running service: its parts, built once, and the fiber app that
// routes to them.
type App struct {
	cfg      Config
	log      *slog.Logger
	db       store.DB
	tree     *agencies.Tree
	cal      *agencies.Calendar
	threads  *threads.Service
	mod      *moderation.Service
	accounts *agencies.Accounts
	indexes  threads.Indexes
	mail     *notifications.Service
	mailer   notifications.Mailer
	fiber    *fiber.App
	// chat is the live chat (server/chat.go).
	chat *chatParts
	// consult runs consultations on draft regulations
	// (server/consultation.go).
	consult *consultation.Service

	submitLimit *limiter
	loginLimit  *limiter
	// loginIPLimit is looser than loginLimit: many officers may share one
	// office address.
	loginIPLimit *limiter
	proxies      []*net.IPNet
	// ipSalt is the installation's secret (see loadSecret).
	ipSalt []byte
	// started is when the process began serving, for /healthz.
	started time.Time
	// inFlight counts requests being served, for load shedding.
	inFlight atomic.Int64
}

// OpenStore opens the configured document backend and applies every
// migration.
func OpenStore(ctx context.Context, cfg Config) (store.DB, error) {
	var db store.DB
	var err error
	if cfg.MongoURI != "" {
		db, err = mongo.Open(ctx, cfg.MongoURI, cfg.MongoDB)
	} else {
		db, err = sqlite.Open(ctx, cfg.DBPath())
	}
	if err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx, Migrations()); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// Migrations is every feature's migrations, in the order they apply.
func Migrations() []store.Migration {
	var ms []store.Migration
	ms = append(ms, threads.Migrations()...)
	ms = append(ms, agencies.Migrations()...)
	ms = append(ms, notifications.Migrations()...)
	ms = append(ms, store.Migration{ID: "server-0001-settings", Steps: []store.Step{store.CreateCollection("settings")}})
	ms = append(ms, chat.Migrations()...)
	ms = append(ms, consultation.Migrations()...)
	return ms
}

// LoadTree loads the configured agency tree, or the bundled one.
func LoadTree(cfg Config) (*agencies.Tree, error) {
	if cfg.AgenciesFile != "" {
		return agencies.LoadFile(cfg.AgenciesFile)
	}
	return agencies.Default()
}

// NewApp builds the service over an open store.
func NewApp(ctx context.Context, cfg Config, db store.DB, log *slog.Logger) (*App, error) {
	tree, err := LoadTree(cfg)
	if err != nil {
		return nil, fmt.Errorf("agency tree: %w", err)
	}
	cal, err := agencies.DefaultCalendar()
	if err != nil {
		return nil, fmt.Errorf("calendar: %w", err)
	}
	params := agencies.DefaultPasswordParams
	if cfg.testPasswords {
		params = agencies.TestPasswordParams
	}
	ix, err := OpenIndexes(cfg)
	if err != nil {
		return nil, err
	}
	mail, mailer, err := openMail(db, cfg)
	if err != nil {
		closeIndexes(ix)
		return nil, fmt.Errorf("mail: %w", err)
	}
	ts := threads.NewStore(db)
	ts.SetIndexes(ix)
	a := &App{
		indexes: ix, mail: mail, mailer: mailer,
		cfg: cfg, log: log, db: db, tree: tree, cal: cal,
		threads:      threads.NewService(ts, tree, cal),
		mod:          moderation.New(ts, tree, cal),
		accounts:     agencies.NewAccounts(db, tree, params),
		submitLimit:  newLimiter(cfg.SubmitBurst, float64(cfg.SubmitPerHour)/3600),
		loginLimit:   newLimiter(5, 5.0/900),
		loginIPLimit: newLimiter(30, 30.0/900),
		proxies:      parseProxies(cfg.TrustedProxies),
		started:      time.Now(),
	}
	a.ipSalt, err = loadSecret(ctx, db)
	if err != nil {
		return nil, err
	}
	a.threads.Secret = a.ipSalt
	ts.SetNotifier(notifier{a})
	if err := a.bootstrap(ctx); err != nil {
		return nil, err
	}
	if a.chat, err = newChatParts(ctx, a); err != nil {
		return nil, err
	}
	a.consult = consultation.NewService(consultation.NewStore(db), tree)
	// Live consoles: every new thread and transition reaches the officers'
	// sockets of its agency and those above, on every instance.
	live := func(ctx context.Context, t *threads.Thread, action string) {
		a.chat.svc.PublishThread(context.WithoutCancel(ctx), chat.ThreadFrame{
			ID: t.ID, Agency: t.Agency, State: t.State, Action: action, Title: t.Title, At: t.UpdatedAt})
	}
	a.mod.OnChange = live
	a.consult.Store.SetNotifier(notifier{a})
	a.chat.svc.Mailer = notifier{a}
	a.threads.OnSubmit = func(ctx context.Context, t *threads.Thread) { live(ctx, t, "submitted") }
	a.fiber = a.newFiber()
	return a, nil
}

// Close releases what the App opened (the search indexes); the caller
// closes the store.
func (a *App) Close() error { return errors.Join(closeIndexes(a.indexes), a.mailer.Close()) }

// mailWorker sends the mail outbox, with the officers' daily digest at 07:00.
func (a *App) mailWorker() *notifications.Worker {
	return &notifications.Worker{Service: a.mail, Mailer: a.mailer, Log: a.log, DigestAt: "07:00"}
}

// outbox is the worker that finishes follow-up work a stopped process left.
func (a *App) outbox() *threads.Worker {
	return &threads.Worker{Store: a.threads.Store, Log: a.log, Interval: 5 * time.Second}
}

// loadSecret reads the installation's secret from the store, making it on
// first start. It lives in the store so every instance shares it: it keys the
// client-address hashes and the tracking codes derived from submission
// tokens.
func loadSecret(ctx context.Context, db store.DB) ([]byte, error) {
	type secretDoc struct {
		Key []byte `json:"key"`
	}
	c := db.Collection("settings")
	for range 3 {
		var d secretDoc
		_, err := c.Get(ctx, "secret", &d)
		if err == nil && len(d.Key) >= 32 {
			return d.Key, nil
		}
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("secret: %w", err)
		}
		d.Key = make([]byte, 32)
		if _, err := rand.Read(d.Key); err != nil {
			return nil, err
		}
		err = c.Insert(ctx, "secret", d)
		if err == nil {
			return d.Key, nil
		}
		if !errors.Is(err, store.ErrDuplicate) {
			return nil, fmt.Errorf("secret: %w", err)
		}
	}
	return nil, errors.New("secret: could not read or create it")
}

func (a *App) clientHash(ip string) string {
	h := sha256.New()
	h.Write(a.ipSalt)
	h.Write([]byte(ip))
	return hex.EncodeToString(h.Sum(nil))[:24]
}

// bootstrap creates the province-level administrator on an empty store.
func (a *App) bootstrap(ctx context.Context) error {
	if a.cfg.BootstrapAdminEmail == "" {
		return nil
	}
	n, err := a.accounts.Count(ctx)
	if err != nil {
		return fmt.Errorf("bootstrap admin: %w", err)
	}
	if n > 0 {
		return nil
	}
	_, err = a.accounts.Create(ctx, agencies.NewUser{
		Email: a.cfg.BootstrapAdminEmail, Password: a.cfg.BootstrapAdminPassword,
		Name:  "Administrator",
		Roles: []agencies.Role{{Agency: a.tree.Root().ID, Role: agencies.RoleAdmin}},
	})
	if err != nil {
		var p *problem.Error
		if errors.As(err, &p) {
			return fmt.Errorf("bootstrap admin: %v", p)
		}
		return fmt.Errorf("bootstrap admin: %w", err)
	}
	a.log.Info("bootstrap administrator created")
	return nil
}
