// Package mongo is the MongoDB document backend of tuongtac's store layer. Each
// store collection is a MongoDB collection in one database; each document is
// stored natively as BSON (so it stays readable and queryable with MongoDB's own
// tools), with the store id as _id and the version as the int64 field _v.
//
// Documents travel as JSON both ways: the caller's value is marshalled with
// encoding/json and its JSON converted to BSON (strings, booleans, null, int32,
// int64, double, documents, arrays); reading converts the stored BSON back to
// JSON, without _id and _v, for json.Unmarshal to fill the caller's value.
// Keys that MongoDB reserves or BSON cannot hold are stored escaped, at any
// depth ('%' as %25, '.' as %2E, NUL as %00, a leading '$' as %24, and the
// top-level keys _id and _v as %5Fid and %5Fv), so any JSON object
// round-trips; ordinary keys, including every declared field, are stored as
// they are.
//
// Query values are checked to be plain scalars (or, for store.In, a slice of
// them) and always sit in operator position ({field: {$op: value}}), so a
// caller-provided value can never become an operator or a sub-document.
//
// It uses nothing beyond MongoDB 4.x features, and its tests run the store
// contract suite against an embedded FerretDB 1.24 (and a real MongoDB when
// MONGODB_TEST_URI is set).
package mongo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"
	"go.mongodb.org/mongo-driver/mongo/readpref"

	"tuongtac/store"
)

var (
	_ store.DB         = (*DB)(nil)
	_ store.Collection = (*Collection)(nil)
)

// DefaultDatabase is the database used when neither Open's dbName nor the
// URI's path names one.
const DefaultDatabase = "tuongtac"

// migrationsCollection records the IDs of applied migrations.
const migrationsCollection = "_migrations"

// Server error codes that the backend tells apart.
const (
	codeNamespaceExists = 48
)

// DB is an open connection to one MongoDB database.
type DB struct {
	client *mongo.Client
	db     *mongo.Database
	// ferretdb is the FerretDB version when the server is FerretDB, else "".
	ferretdb string
	// locks serialise this process's writes to one document when the server
	// is FerretDB; nil otherwise. See Collection.lock.
	locks *stripes
}

// stripes is a fixed set of mutexes chosen by a hash of collection and id.
type stripes [64]sync.Mutex

// Open connects to the MongoDB server at uri (a mongodb:// or mongodb+srv://
// connection string), checks that it answers, and uses the database dbName. If
// dbName is empty, the database in the URI's path is used, or DefaultDatabase
// if the URI names none.
func Open(ctx context.Context, uri, dbName string) (*DB, error) {
	if dbName == "" {
		name, err := uriDatabase(uri)
		if err != nil {
			return nil, fmt.Errorf("mongo: open: %w", err)
		}
		dbName = name
	}
	if dbName == "" {
		dbName = DefaultDatabase
	}
	client, err := mongo.Connect(ctx, options.Client().ApplyURI(uri))
	if err != nil {
		return nil, fmt.Errorf("mongo: open: %w", err)
	}
	if err := client.Ping(ctx, readpref.Primary()); err != nil {
		_ = client.Disconnect(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("mongo: open: ping: %w", err)
	}
	db := &DB{client: client, db: client.Database(dbName)}
	var info struct {
		FerretDB string `bson:"ferretdbVersion"`
	}
	if err := db.db.RunCommand(ctx, bson.D{{Key: "buildInfo", Value: 1}}).Decode(&info); err == nil && info.FerretDB != "" {
		db.ferretdb = info.FerretDB
		db.locks = new(stripes)
	}
	return db, nil
}

// uriDatabase returns the database named in the path of a MongoDB connection
// string, "" if there is none.
func uriDatabase(uri string) (string, error) {
	rest, ok := strings.CutPrefix(uri, "mongodb://")
	if !ok {
		rest, ok = strings.CutPrefix(uri, "mongodb+srv://")
	}
	if !ok {
		return "", errors.New(`uri scheme must be "mongodb" or "mongodb+srv"`)
	}
	if i := strings.Index(rest, "@"); i >= 0 { // as the driver parses it
		rest = rest[i+1:]
	}
	i := strings.Index(rest, "/")
	if i < 0 {
		return "", nil
	}
	path := rest[i+1:]
	if j := strings.Index(path, "?"); j >= 0 {
		path = path[:j]
	}
	name, err := url.QueryUnescape(path)
	if err != nil {
		return "", fmt.Errorf("uri database %q: %w", path, err)
	}
	return name, nil
}

// Kind reports "mongo".
func (db *DB) Kind() string { return "mongo" }

// FerretDB returns the server's FerretDB version, or "" if the server is not
// FerretDB.
func (db *DB) FerretDB() string { return db.ferretdb }

// Name is the MongoDB database in use.
func (db *DB) Name() string { return db.db.Name() }

// Ping checks that the server answers.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.client.Ping(ctx, readpref.Primary()); err != nil {
		return fmt.Errorf("mongo: ping: %w", err)
	}
	return nil
}

// Drop deletes the whole database (tests use it to clean up).
func (db *DB) Drop(ctx context.Context) error {
	if err := db.db.Drop(ctx); err != nil {
		return fmt.Errorf("mongo: drop %s: %w", db.db.Name(), err)
	}
	return nil
}

// Close disconnects from the server, waiting up to ten seconds for operations
// in progress.
func (db *DB) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := db.client.Disconnect(ctx); err != nil {
		return fmt.Errorf("mongo: close: %w", err)
	}
	return nil
}

// Collection returns the named collection. An invalid name (see
// store.ValidName) is reported by every method of the returned collection.
func (db *DB) Collection(name string) store.Collection {
	return &Collection{name: name, c: db.db.Collection(name), locks: db.locks}
}

// Migrate applies, in order, the migrations whose IDs are not yet recorded in
// the _migrations collection, and records each one after its steps succeed.
// Every step is idempotent, so a migration interrupted half-way, or run by two
// processes at once, is safely applied again.
func (db *DB) Migrate(ctx context.Context, ms []store.Migration) error {
	seen := make(map[string]bool, len(ms))
	for _, m := range ms {
		if m.ID == "" || seen[m.ID] {
			return fmt.Errorf("mongo: migration id %q empty or repeated", m.ID)
		}
		seen[m.ID] = true
	}
	rec := db.db.Collection(migrationsCollection)
	cur, err := rec.Find(ctx, bson.D{}, options.Find().SetProjection(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return fmt.Errorf("mongo: migrate: read applied: %w", err)
	}
	var applied []struct {
		ID string `bson:"_id"`
	}
	if err := cur.All(ctx, &applied); err != nil {
		return fmt.Errorf("mongo: migrate: read applied: %w", err)
	}
	done := make(map[string]bool, len(applied))
	for _, a := range applied {
		done[a.ID] = true
	}
	for _, m := range ms {
		if done[m.ID] {
			continue
		}
		for i, s := range m.Steps {
			if err := db.step(ctx, s); err != nil {
				return fmt.Errorf("mongo: migration %s step %d: %w", m.ID, i+1, err)
			}
		}
		_, err := rec.InsertOne(ctx, bson.D{
			{Key: "_id", Value: m.ID},
			{Key: "applied_at", Value: time.Now().UTC().Format(time.RFC3339)},
		})
		if err != nil && !mongo.IsDuplicateKeyError(err) { // duplicate: another process recorded it
			return fmt.Errorf("mongo: migration %s: record: %w", m.ID, err)
		}
	}
	return nil
}

// step runs one migration step.
func (db *DB) step(ctx context.Context, s store.Step) error {
	n := 0
	if s.CreateCollection != "" {
		n++
	}
	if s.Field != nil {
		n++
	}
	if s.Index != nil {
		n++
	}
	if n != 1 {
		return fmt.Errorf("step must set exactly one of CreateCollection, Field, Index (has %d)", n)
	}
	switch {
	case s.CreateCollection != "":
		name := s.CreateCollection
		if !store.ValidName(name) {
			return fmt.Errorf("bad collection name %q", name)
		}
		err := db.db.CreateCollection(ctx, name)
		var ce mongo.CommandError
		if err != nil && !(errors.As(err, &ce) && (ce.Code == codeNamespaceExists || ce.Name == "NamespaceExists")) {
			return fmt.Errorf("create collection %s: %w", name, err)
		}
		return nil
	case s.Field != nil:
		// MongoDB queries any field; declaring one needs nothing.
		if !store.ValidName(s.Field.Collection) || !store.ValidName(s.Field.Name) {
			return fmt.Errorf("bad field %s.%s", s.Field.Collection, s.Field.Name)
		}
		return nil
	default:
		ix := s.Index
		if !store.ValidName(ix.Collection) || !store.ValidName(ix.Name) || len(ix.Keys) == 0 {
			return fmt.Errorf("bad index %s.%s", ix.Collection, ix.Name)
		}
		keys := make(bson.D, 0, len(ix.Keys))
		for _, k := range ix.Keys {
			if !store.ValidName(k.Field) {
				return fmt.Errorf("bad index key %q in %s.%s", k.Field, ix.Collection, ix.Name)
			}
			dir := int32(1)
			if k.Desc {
				dir = -1
			}
			keys = append(keys, bson.E{Key: k.Field, Value: dir})
		}
		opts := options.Index().SetName(ix.Name)
		if ix.Unique {
			opts.SetUnique(true)
		}
		// Creating an index identical to an existing one is a no-op on the server.
		_, err := db.db.Collection(ix.Collection).Indexes().CreateOne(ctx, mongo.IndexModel{Keys: keys, Options: opts})
		if err != nil {
			return fmt.Errorf("create index %s.%s: %w", ix.Collection, ix.Name, err)
		}
		return nil
	}
}

// Collection is one MongoDB collection of store documents.
type Collection struct {
	name  string
	c     *mongo.Collection
	locks *stripes
}

// lock serialises, within this process, Replace and Delete of one document
// when the server is FerretDB, and returns the unlock function.
//
// FerretDB 1.x does not apply an update's filter atomically: it reads the
// matching documents, then writes each one back by _id, so two concurrent
// replaces conditioned on the same version both "match" and both write (a lost
// update), and a replace racing a delete can report success on a document that
// is gone. MongoDB applies the filter and the write atomically and needs no
// lock. Processes other than this one are not covered: several processes
// sharing one FerretDB can still lose updates.
func (c *Collection) lock(id string) func() {
	if c.locks == nil {
		return func() {}
	}
	h := fnv.New32a()
	h.Write([]byte(c.name))
	h.Write([]byte{0})
	h.Write([]byte(id))
	m := &c.locks[h.Sum32()%uint32(len(c.locks))]
	m.Lock()
	return m.Unlock
}

// check reports an invalid collection name.
func (c *Collection) check() error {
	if !store.ValidName(c.name) {
		return fmt.Errorf("mongo: bad collection name %q", c.name)
	}
	return nil
}

// Insert stores doc under id with version 1.
func (c *Collection) Insert(ctx context.Context, id string, doc any) error {
	if err := c.check(); err != nil {
		return err
	}
	d, err := encode(id, 1, doc)
	if err != nil {
		return fmt.Errorf("mongo: insert %s/%s: %w", c.name, id, err)
	}
	if _, err := c.c.InsertOne(ctx, d); err != nil {
		if isDuplicate(err) {
			return fmt.Errorf("mongo: insert %s/%s: %w (%v)", c.name, id, store.ErrDuplicate, err)
		}
		return fmt.Errorf("mongo: insert %s/%s: %w", c.name, id, err)
	}
	return nil
}

// Scan reads documents in id order after the given id.
func (c *Collection) Scan(ctx context.Context, after string, limit int) ([]store.RawDoc, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	opts := options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).SetLimit(int64(limit))
	cur, err := c.c.Find(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$gt", Value: after}}}}, opts)
	if err != nil {
		return nil, fmt.Errorf("mongo: scan %s: %w", c.name, err)
	}
	defer cur.Close(ctx)
	out := []store.RawDoc{}
	for cur.Next(ctx) {
		b, v, err := decode(cur.Current)
		if err != nil {
			return nil, fmt.Errorf("mongo: scan %s: %w", c.name, err)
		}
		id, _ := cur.Current.Lookup("_id").StringValueOK()
		out = append(out, store.RawDoc{ID: id, Version: v, JSON: b})
	}
	if err := cur.Err(); err != nil {
		return nil, fmt.Errorf("mongo: scan %s: %w", c.name, err)
	}
	return out, nil
}

// InsertMany stores new documents in one ordered bulk insert; on an error
// the documents before it stay stored.
func (c *Collection) InsertMany(ctx context.Context, docs []store.IDDoc) error {
	if err := c.check(); err != nil {
		return err
	}
	if len(docs) == 0 {
		return nil
	}
	ds := make([]any, len(docs))
	for i, d := range docs {
		enc, err := encode(d.ID, 1, d.Doc)
		if err != nil {
			return fmt.Errorf("mongo: insert many %s/%s: %w", c.name, d.ID, err)
		}
		ds[i] = enc
	}
	if _, err := c.c.InsertMany(ctx, ds); err != nil {
		if isDuplicate(err) {
			return fmt.Errorf("mongo: insert many %s: %w (%v)", c.name, store.ErrDuplicate, err)
		}
		return fmt.Errorf("mongo: insert many %s: %w", c.name, err)
	}
	return nil
}

// Get reads the document id into out and returns its version.
func (c *Collection) Get(ctx context.Context, id string, out any) (int64, error) {
	if err := c.check(); err != nil {
		return 0, err
	}
	raw, err := c.c.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Raw()
	if errors.Is(err, mongo.ErrNoDocuments) {
		return 0, fmt.Errorf("mongo: get %s/%s: %w", c.name, id, store.ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("mongo: get %s/%s: %w", c.name, id, err)
	}
	b, v, err := decode(raw)
	if err != nil {
		return 0, fmt.Errorf("mongo: get %s/%s: %w", c.name, id, err)
	}
	if err := json.Unmarshal(b, out); err != nil {
		return 0, fmt.Errorf("mongo: get %s/%s: decode: %w", c.name, id, err)
	}
	return v, nil
}

// Replace overwrites the document id if its version is still version, and
// makes it version+1.
func (c *Collection) Replace(ctx context.Context, id string, version int64, doc any) error {
	if err := c.check(); err != nil {
		return err
	}
	d, err := encode(id, version+1, doc)
	if err != nil {
		return fmt.Errorf("mongo: replace %s/%s: %w", c.name, id, err)
	}
	defer c.lock(id)()
	res, err := c.c.ReplaceOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "_v", Value: version}}, d)
	if err != nil {
		if isDuplicate(err) {
			return fmt.Errorf("mongo: replace %s/%s: %w (%v)", c.name, id, store.ErrDuplicate, err)
		}
		return fmt.Errorf("mongo: replace %s/%s: %w", c.name, id, err)
	}
	if res.MatchedCount > 0 {
		return nil
	}
	var cur struct {
		V int64 `bson:"_v"`
	}
	err = c.c.FindOne(ctx, bson.D{{Key: "_id", Value: id}},
		options.FindOne().SetProjection(bson.D{{Key: "_v", Value: 1}})).Decode(&cur)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return fmt.Errorf("mongo: replace %s/%s: %w", c.name, id, store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("mongo: replace %s/%s: %w", c.name, id, err)
	}
	return fmt.Errorf("mongo: replace %s/%s (have v%d, want v%d): %w", c.name, id, cur.V, version, store.ErrConflict)
}

// Delete removes the document id.
func (c *Collection) Delete(ctx context.Context, id string) error {
	if err := c.check(); err != nil {
		return err
	}
	defer c.lock(id)()
	res, err := c.c.DeleteOne(ctx, bson.D{{Key: "_id", Value: id}})
	if err != nil {
		return fmt.Errorf("mongo: delete %s/%s: %w", c.name, id, err)
	}
	if res.DeletedCount == 0 {
		return fmt.Errorf("mongo: delete %s/%s: %w", c.name, id, store.ErrNotFound)
	}
	return nil
}

// Find decodes the documents matching q, in q's order, into out, a pointer to
// a slice. The slice is replaced, never appended to, and is empty (not nil)
// when nothing matches.
func (c *Collection) Find(ctx context.Context, q store.Query, out any) error {
	if err := c.check(); err != nil {
		return err
	}
	filter, err := filterOf(q)
	if err != nil {
		return fmt.Errorf("mongo: find %s: %w", c.name, err)
	}
	opts := options.Find().SetSort(sortOf(q.Sort))
	if q.Skip > 0 {
		opts.SetSkip(int64(q.Skip))
	}
	if q.Limit > 0 {
		opts.SetLimit(int64(q.Limit))
	}
	if q.Project != "" {
		opts.SetProjection(bson.D{{Key: q.Project, Value: 1}})
	}
	cur, err := c.c.Find(ctx, filter, opts)
	if err != nil {
		return fmt.Errorf("mongo: find %s: %w", c.name, err)
	}
	defer cur.Close(ctx)
	buf := make([]byte, 0, 4096)
	buf = append(buf, '[')
	for n := 0; cur.Next(ctx); n++ {
		b, _, err := decode(cur.Current)
		if err != nil {
			return fmt.Errorf("mongo: find %s: %w", c.name, err)
		}
		if q.Project != "" {
			var m map[string]json.RawMessage
			if err := json.Unmarshal(b, &m); err != nil {
				return fmt.Errorf("mongo: find %s: %w", c.name, err)
			}
			if b = m[q.Project]; b == nil {
				b = []byte("null")
			}
		}
		if n > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, b...)
	}
	if err := cur.Err(); err != nil {
		return fmt.Errorf("mongo: find %s: %w", c.name, err)
	}
	buf = append(buf, ']')
	// Start from a fresh slice: json.Unmarshal would otherwise decode into the
	// old elements still in the slice's capacity, keeping their stale fields.
	if rv := reflect.ValueOf(out); rv.Kind() == reflect.Pointer && !rv.IsNil() && rv.Elem().Kind() == reflect.Slice {
		rv.Elem().Set(reflect.MakeSlice(rv.Elem().Type(), 0, 0))
	}
	if err := json.Unmarshal(buf, out); err != nil {
		return fmt.Errorf("mongo: find %s: decode: %w", c.name, err)
	}
	return nil
}

// Count returns how many documents match q's conditions.
func (c *Collection) Count(ctx context.Context, q store.Query) (int64, error) {
	if err := c.check(); err != nil {
		return 0, err
	}
	filter, err := filterOf(store.Query{Where: q.Where})
	if err != nil {
		return 0, fmt.Errorf("mongo: count %s: %w", c.name, err)
	}
	n, err := c.c.CountDocuments(ctx, filter)
	if err != nil {
		return 0, fmt.Errorf("mongo: count %s: %w", c.name, err)
	}
	return n, nil
}

// isDuplicate reports a duplicate key error. Besides MongoDB's duplicate key
// codes it recognises FerretDB 1.x with its SQLite backend, which reports a
// unique index violated by an update as InternalError (code 1) with SQLite's
// "UNIQUE constraint failed" message instead of code 11000.
func isDuplicate(err error) bool {
	if mongo.IsDuplicateKeyError(err) {
		return true
	}
	var se mongo.ServerError
	return errors.As(err, &se) && se.HasErrorMessage("UNIQUE constraint failed")
}

// filterOf translates q's conditions into a MongoDB filter. Every condition
// is written in operator form, {field: {$op: value}}, never the {field: value}
// shorthand, and values are checked to be scalars, so no value is ever read as
// an operator or a sub-document. Conditions on one field share one operator
// document ({f: {$gte: a, $lt: b}}); if a field repeats an operator, the
// conditions are joined with $and instead.
func filterOf(q store.Query) (bson.D, error) {
	if err := store.CheckQuery(q); err != nil {
		return nil, err
	}
	filter := bson.D{}
	conds := make(bson.A, 0, len(q.Where))
	byField := map[string]int{} // field -> index in filter
	repeated := false
	for _, w := range q.Where {
		op := operators[w.Op]
		var v any
		var err error
		if w.Op == store.In {
			v, err = scalars(w.Value)
		} else {
			v, err = scalar(w.Value)
		}
		if err != nil {
			return nil, fmt.Errorf("field %s: %w", w.Field, err)
		}
		e := bson.E{Key: op, Value: v}
		conds = append(conds, bson.D{{Key: w.Field, Value: bson.D{e}}})
		i, ok := byField[w.Field]
		if !ok {
			byField[w.Field] = len(filter)
			filter = append(filter, bson.E{Key: w.Field, Value: bson.D{e}})
			continue
		}
		ops := filter[i].Value.(bson.D)
		for _, o := range ops {
			if o.Key == op {
				repeated = true
			}
		}
		filter[i].Value = append(ops, e)
	}
	if repeated {
		return bson.D{{Key: "$and", Value: conds}}, nil
	}
	return filter, nil
}

// operators maps store comparisons to MongoDB query operators.
var operators = map[store.Op]string{
	store.Eq:  "$eq",
	store.Ne:  "$ne",
	store.Lt:  "$lt",
	store.Lte: "$lte",
	store.Gt:  "$gt",
	store.Gte: "$gte",
	store.In:  "$in",
}

// sortOf translates sort keys into a MongoDB sort, with _id as the final key in
// the direction of the last sort key (ascending when there are none).
func sortOf(keys []store.SortKey) bson.D {
	s := make(bson.D, 0, len(keys)+1)
	dir := int32(1)
	for _, k := range keys {
		dir = 1
		if k.Desc {
			dir = -1
		}
		s = append(s, bson.E{Key: k.Field, Value: dir})
	}
	return append(s, bson.E{Key: "_id", Value: dir})
}

// scalar checks that v is a string, boolean, integer or float (of any named
// type) and returns it as a string, bool, int64 or float64.
func scalar(v any) (any, error) {
	if v == nil {
		return nil, errors.New("value is nil, not a scalar")
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.String:
		return rv.String(), nil
	case reflect.Bool:
		return rv.Bool(), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int(), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		u := rv.Uint()
		if u > math.MaxInt64 {
			return nil, fmt.Errorf("value %d out of range", u)
		}
		return int64(u), nil
	case reflect.Float32, reflect.Float64:
		f := rv.Float()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("value %v is not a JSON number", f)
		}
		return f, nil
	}
	return nil, fmt.Errorf("value of type %T is not a scalar", v)
}

// scalars checks that v is a slice or array of scalars and returns them.
func scalars(v any) (bson.A, error) {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
		return nil, fmt.Errorf("in: value of type %T is not a slice", v)
	}
	out := make(bson.A, rv.Len())
	for i := range out {
		s, err := scalar(rv.Index(i).Interface())
		if err != nil {
			return nil, fmt.Errorf("in: element %d: %w", i, err)
		}
		out[i] = s
	}
	return out, nil
}
