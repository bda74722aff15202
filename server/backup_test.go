package main

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"tuongtac/store"
	"tuongtac/store/mongo/mongotest"
)

// TestBackupRestore loads the corpus, backs the store up, restores it into an
// empty SQLite store and into MongoDB (FerretDB), and checks every document
// of every collection came back byte for byte in meaning; the restored
// service still serves the same public list and signs officers in.
func TestBackupRestore(t *testing.T) {
	ta := newTestApp(t)
	url := ta.listen()
	var out bytes.Buffer
	if err := demo(t.Context(), []string{"--url", url, "--admin-email", adminEmail, "--admin-password", testPass}, &out); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	n, err := Backup(t.Context(), ta.db, &buf)
	if err != nil {
		t.Fatal(err)
	}
	if n < 60 {
		t.Fatalf("backup wrote %d documents", n)
	}
	targets := map[string]func() store.DB{
		"sqlite": func() store.DB {
			db, err := OpenStore(context.Background(), Config{DataDir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db
		},
		"ferretdb": func() store.DB {
			db := mongotest.Open(t, false)
			if err := db.Migrate(context.Background(), Migrations()); err != nil {
				t.Fatal(err)
			}
			return db
		},
	}
	for name, open := range targets {
		t.Run(name, func(t *testing.T) {
			db := open()
			got, err := Restore(t.Context(), db, bytes.NewReader(buf.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			if got != n {
				t.Fatalf("restored %d of %d documents", got, n)
			}
			for _, coll := range collections() {
				a, b := scanAll(t, ta.db, coll), scanAll(t, db, coll)
				if len(a) != len(b) {
					t.Fatalf("%s: %d documents, restored %d", coll, len(a), len(b))
				}
				for id, doc := range a {
					if !sameJSON(t, doc, b[id]) {
						t.Errorf("%s/%s differs after restore", coll, id)
					}
				}
			}
			if _, err := Restore(t.Context(), db, bytes.NewReader(buf.Bytes())); err == nil {
				t.Error("restore into a non-empty store was accepted")
			}
			restored := newTestAppOn(t, db)
			_, body := restored.anon().get("/api/v1/threads?per_page=1")
			if !bytes.Contains(body, []byte(`"total":60`)) {
				t.Errorf("restored list: %s", body)
			}
			restored.login(adminEmail, testPass)
		})
	}
	if _, err := Restore(t.Context(), targets["sqlite"](), bytes.NewReader([]byte("not a backup"))); err == nil {
		t.Error("garbage restored")
	}
}

func scanAll(t *testing.T, db store.DB, coll string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	after := ""
	for {
		page, err := db.Collection(coll).Scan(t.Context(), after, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			return out
		}
		for _, d := range page {
			out[d.ID] = d.JSON
			after = d.ID
		}
	}
}

func sameJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return bytes.Equal(xa, ya)
}

// TestAuditChain checks every trail written by the workflow verifies, and
// that changing an entry directly in the store is caught.
func TestAuditChain(t *testing.T) {
	ta := newTestApp(t)
	url := ta.listen()
	var out bytes.Buffer
	if err := demo(t.Context(), []string{"--url", url, "--admin-email", adminEmail, "--admin-password", testPass}, &out); err != nil {
		t.Fatal(err)
	}
	checked, broken, err := VerifyAudit(t.Context(), ta.db, func(string, int) {})
	if err != nil || checked != 60 || broken != 0 {
		t.Fatalf("intact trails: checked %d, broken %d, %v", checked, broken, err)
	}
	// An insider rewrites who approved one thread.
	c := ta.db.Collection("threads")
	page, _ := c.Scan(t.Context(), "", 1)
	var doc map[string]any
	if err := json.Unmarshal(page[0].JSON, &doc); err != nil {
		t.Fatal(err)
	}
	doc["audit"].([]any)[1].(map[string]any)["actor_name"] = "Someone else"
	if err := c.Replace(t.Context(), page[0].ID, page[0].Version, doc); err != nil {
		t.Fatal(err)
	}
	var reported []string
	_, broken, _ = VerifyAudit(t.Context(), ta.db, func(id string, entry int) { reported = append(reported, id) })
	if broken != 1 || len(reported) != 1 || reported[0] != page[0].ID {
		t.Fatalf("tampering not caught: broken %d, reported %v", broken, reported)
	}
}
