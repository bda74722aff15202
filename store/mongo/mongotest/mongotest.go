// Package mongotest gives tests a MongoDB-protocol server: FerretDB embedded in
// the test process (SQLite handler, temporary directory, random loopback
// port), or the real MongoDB at MONGODB_TEST_URI. Only tests import it, so
// FerretDB never reaches the service's binary.
package mongotest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"

	"tuongtac/store/mongo"
)

var (
	once    sync.Once
	uri     string
	errInit error
	seq     atomic.Int64
	prefix  = func() string {
		b := make([]byte, 4)
		_, _ = rand.Read(b)
		return "tt_" + hex.EncodeToString(b)
	}()
)

// URI returns the address of the embedded FerretDB, starting it on first use.
// It runs until the test binary exits.
func URI() (string, error) {
	once.Do(func() {
		dir, err := os.MkdirTemp("", "tuongtac-ferretdb-")
		if err != nil {
			errInit = err
			return
		}
		f, err := ferretdb.New(&ferretdb.Config{
			Listener:  ferretdb.ListenerConfig{TCP: "127.0.0.1:0"},
			Logger:    slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})),
			Handler:   "sqlite",
			SQLiteURL: "file:" + dir + "/",
		})
		if err != nil {
			errInit = fmt.Errorf("mongotest: start FerretDB: %w", err)
			return
		}
		go func() { _ = f.Run(context.Background()) }()
		uri = f.MongoDBURI()
	})
	return uri, errInit
}

// Open returns a fresh database with a unique name on the embedded FerretDB
// (or on MONGODB_TEST_URI when real is true), dropped when the test ends.
func Open(t testing.TB, real bool) *mongo.DB {
	t.Helper()
	u := os.Getenv("MONGODB_TEST_URI")
	if real {
		if u == "" {
			t.Skip("MONGODB_TEST_URI is not set: no real MongoDB run")
		}
	} else {
		var err error
		if u, err = URI(); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	name := fmt.Sprintf("%s_%d", prefix, seq.Add(1))
	db, err := mongo.Open(ctx, u, name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = db.Drop(ctx)
		_ = db.Close()
	})
	return db
}
