// Package store is tuongtac's thin document layer: named collections of JSON
// documents with a version for optimistic concurrency, a small query language over
// declared fields, and ordered, idempotent migrations. Two backends implement it:
// store/sqlite (the embedded default) and store/mongo (MongoDB). Both pass the one
// contract suite in store/storetest.
//
// The layer keeps to what both backends do well: every query names only declared
// fields, every declared field that a request path filters or sorts on has an index,
// and every state change is a single-document conditional replace (the expected
// version in the filter). There are no multi-document transactions.
package store

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"
)

// Errors that callers match with errors.Is.
var (
	// ErrNotFound means no document has that id (or matched the query).
	ErrNotFound = errors.New("store: not found")
	// ErrConflict means the document changed since it was read: the expected
	// version did not match.
	ErrConflict = errors.New("store: version conflict")
	// ErrDuplicate means a document with that id, or the same value of a unique
	// index, already exists.
	ErrDuplicate = errors.New("store: duplicate")
)

// DB is one opened backend.
type DB interface {
	// Collection returns the named collection. It does not check that the
	// collection exists; migrations create collections.
	Collection(name string) Collection
	// Migrate applies, in order, the migrations not yet recorded as applied.
	Migrate(ctx context.Context, ms []Migration) error
	// Ping reports whether the backend answers.
	Ping(ctx context.Context) error
	// Close releases the backend.
	Close() error
	// Kind names the backend ("sqlite" or "mongo") for logs and health output.
	Kind() string
}

// Collection is a set of JSON documents keyed by a string id. Documents are Go
// values that encoding/json marshals to an object; the store adds the id and the
// version itself and never stores them inside the document.
type Collection interface {
	// Insert stores doc under id with version 1. ErrDuplicate if the id or a
	// unique index value is taken.
	Insert(ctx context.Context, id string, doc any) error
	// InsertMany stores many new documents at version 1, for imports and the
	// data generator. SQLite stores all or none; MongoDB stops at the first
	// error, keeping those before it. Request paths use Insert.
	InsertMany(ctx context.Context, docs []IDDoc) error
	// Get reads the document into out and returns its version.
	Get(ctx context.Context, id string, out any) (version int64, err error)
	// Replace overwrites the document if its version is still version, and
	// makes it version+1. ErrConflict if the version moved, ErrNotFound if the id
	// does not exist, ErrDuplicate if a unique index value is taken.
	Replace(ctx context.Context, id string, version int64, doc any) error
	// Delete removes the document. ErrNotFound if it does not exist.
	Delete(ctx context.Context, id string) error
	// Find decodes the matching documents into out, a pointer to a slice.
	// The slice is empty (not nil) when nothing matches.
	Find(ctx context.Context, q Query, out any) error
	// Count returns how many documents match q's conditions (Sort, Skip and
	// Limit are ignored).
	Count(ctx context.Context, q Query) (int64, error)
	// Scan reads up to limit documents whose id sorts after after, in id
	// order, as raw JSON with their versions: the way to walk a whole
	// collection (backups, rebuilding indexes) without offsets.
	Scan(ctx context.Context, after string, limit int) ([]RawDoc, error)
}

// RawDoc is a stored document as Scan returns it.
type RawDoc struct {
	ID      string
	Version int64
	JSON    []byte
}

// IDDoc is a document with its id, for InsertMany.
type IDDoc struct {
	ID  string
	Doc any
}

// Op is a comparison in a Cond.
type Op string

// The comparisons a query may use.
const (
	Eq  Op = "="
	Ne  Op = "!="
	Lt  Op = "<"
	Lte Op = "<="
	Gt  Op = ">"
	Gte Op = ">="
	In  Op = "in" // Value is a []string, []int64 or []any
)

// Cond compares a declared field with a value. Values are strings, integers,
// floats or booleans, as they appear in the document's JSON.
type Cond struct {
	Field string
	Op    Op
	Value any
}

// Where builds a Cond.
func Where(field string, op Op, value any) Cond { return Cond{Field: field, Op: op, Value: value} }

// SortKey orders results by a declared field.
type SortKey struct {
	Field string
	Desc  bool
}

// Query selects documents: all conditions must hold (AND). Documents tie on the
// sort keys are ordered by id, in the direction of the last sort key, so paging is
// stable on both backends.
type Query struct {
	Where []Cond
	Sort  []SortKey
	Skip  int
	Limit int // 0 means no limit
	// Project, if set, names one top-level field: Find then decodes that
	// field's value of each document (null where it is missing) instead of
	// the whole document. Lists read a small summary this way.
	Project string
}

// Migration is one ordered, idempotent schema step. ID must be unique and never
// change once released; Steps run in order.
type Migration struct {
	ID    string
	Steps []Step
}

// Step is one schema change. Exactly one of its parts is set.
type Step struct {
	// CreateCollection makes an empty collection.
	CreateCollection string
	// Field declares a top-level document field as queryable in Collection.
	// SQLite adds a generated column for it; MongoDB needs nothing.
	Field *FieldStep
	// Index creates an index over declared fields of Collection.
	Index *IndexStep
}

// FieldStep declares a queryable field.
type FieldStep struct {
	Collection string
	Name       string // the JSON key at the top level of the document
}

// IndexStep creates an index.
type IndexStep struct {
	Collection string
	Name       string
	Keys       []SortKey
	Unique     bool
}

// CreateCollection is a Step that creates a collection.
func CreateCollection(name string) Step { return Step{CreateCollection: name} }

// DeclareField is a Step that declares a queryable field.
func DeclareField(coll, name string) Step {
	return Step{Field: &FieldStep{Collection: coll, Name: name}}
}

// CreateIndex is a Step that creates an index over declared fields. A key
// written "-field" sorts descending.
func CreateIndex(coll, name string, unique bool, keys ...string) Step {
	ks := make([]SortKey, len(keys))
	for i, k := range keys {
		if len(k) > 0 && k[0] == '-' {
			ks[i] = SortKey{Field: k[1:], Desc: true}
		} else {
			ks[i] = SortKey{Field: k}
		}
	}
	return Step{Index: &IndexStep{Collection: coll, Name: name, Keys: ks, Unique: unique}}
}

var nameRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)

// ValidName reports whether s may name a collection, field or index: lower-case
// ASCII letters, digits and underscores, starting with a letter. Names reach SQL
// text in the SQLite backend, so nothing else is allowed.
func ValidName(s string) bool { return nameRE.MatchString(s) }

// CheckQuery validates the names and operators in q.
func CheckQuery(q Query) error {
	for _, c := range q.Where {
		if !ValidName(c.Field) {
			return fmt.Errorf("store: bad field name %q", c.Field)
		}
		switch c.Op {
		case Eq, Ne, Lt, Lte, Gt, Gte, In:
		default:
			return fmt.Errorf("store: bad operator %q", c.Op)
		}
	}
	for _, s := range q.Sort {
		if !ValidName(s.Field) {
			return fmt.Errorf("store: bad sort field %q", s.Field)
		}
	}
	if q.Project != "" && !ValidName(q.Project) {
		return fmt.Errorf("store: bad projection %q", q.Project)
	}
	if q.Skip < 0 || q.Limit < 0 {
		return fmt.Errorf("store: negative skip or limit")
	}
	return nil
}

// Now returns the current time in UTC truncated to the second, the form in
// which times are stored so that they sort as text on both backends.
func Now() time.Time { return time.Now().UTC().Truncate(time.Second) }
