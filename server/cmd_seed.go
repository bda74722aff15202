package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"time"

	"tuongtac/agencies"
	"tuongtac/threads"
)

// seed fills the store with realistic threads for benchmarks and trials, with
// the server stopped.
func seed(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	cfg := Flags(fs)
	n := fs.Int("threads", 100000, "how many threads to add")
	open := fs.Float64("open", 0.1, "share of threads left waiting in queues")
	seedVal := fs.Uint64("seed", 1, "random seed (the same seed gives the same threads)")
	if err := fs.Parse(args); err != nil {
		return err
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
	cal, err := agencies.DefaultCalendar()
	if err != nil {
		return err
	}
	g, err := newGenerator(tree, cal, *seedVal)
	if err != nil {
		return err
	}
	st := threads.NewStore(db)
	start := time.Now()
	if _, err := g.fill(ctx, st, *n, *open, func(done int) {
		fmt.Fprintf(stdout, "seed: %d threads, %.0f/s\n", done, float64(done)/time.Since(start).Seconds())
	}); err != nil {
		return err
	}
	if err := st.Recount(ctx, tree); err != nil {
		return err
	}
	ix, err := OpenIndexes(*cfg)
	if err != nil {
		return err
	}
	defer closeIndexes(ix)
	istart := time.Now()
	indexed, err := Reindex(ctx, db, ix)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "seed: indexed %d threads in %s\n", indexed, time.Since(istart).Round(time.Millisecond))
	fmt.Fprintf(stdout, "seed: added %d threads in %s\n", *n, time.Since(start).Round(time.Millisecond))
	return nil
}

// generator makes threads from the corpus's own vocabulary: titles and
// sentences of real questions and answers, recombined, across every agency.
type generator struct {
	rng       *rand.Rand
	tree      *agencies.Tree
	cal       *agencies.Calendar
	ids       []string
	titles    []string
	sentences []string
	answers   []string
	topics    []string
	kinds     []string
}

func newGenerator(tree *agencies.Tree, cal *agencies.Calendar, seed uint64) (*generator, error) {
	var qs []struct{ Title, Body, Answer, Topic, Kind string }
	if err := json.Unmarshal(demoCorpus, &qs); err != nil {
		return nil, err
	}
	g := &generator{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), tree: tree, cal: cal}
	for _, a := range tree.All() {
		g.ids = append(g.ids, a.ID)
	}
	for _, q := range qs {
		g.titles = append(g.titles, q.Title)
		g.topics = append(g.topics, q.Topic)
		g.kinds = append(g.kinds, q.Kind)
		for _, s := range strings.SplitAfter(q.Body, ". ") {
			if s = strings.TrimSpace(s); len(s) > 20 {
				g.sentences = append(g.sentences, s)
			}
		}
		g.answers = append(g.answers, q.Answer)
	}
	return g, nil
}

// fill adds n threads in batches, a share open of them waiting in queues,
// and returns the ids of the published ones.
func (g *generator) fill(ctx context.Context, st *threads.Store, n int, open float64, progress func(done int)) ([]string, error) {
	const batch = 1000
	var published []string
	now := time.Now().UTC()
	for done := 0; done < n; {
		k := min(batch, n-done)
		ts := make([]*threads.Thread, k)
		for i := range ts {
			ts[i] = g.thread(now, g.rng.Float64() < open)
			if ts[i].State == threads.StatePublished {
				published = append(published, ts[i].ID)
			}
		}
		if err := st.InsertMany(ctx, ts); err != nil {
			return nil, err
		}
		done += k
		if progress != nil && done%10000 == 0 {
			progress(done)
		}
	}
	return published, nil
}

func (g *generator) pick(xs []string) string { return xs[g.rng.IntN(len(xs))] }

// thread makes one thread: published, or waiting in a queue when open.
func (g *generator) thread(now time.Time, open bool) *threads.Thread {
	created := now.Add(-time.Duration(g.rng.Int64N(int64(3 * 365 * 24 * time.Hour)))).Truncate(time.Second)
	if open {
		created = now.Add(-time.Duration(g.rng.Int64N(int64(30 * 24 * time.Hour)))).Truncate(time.Second)
	}
	agency := g.pick(g.ids)
	ag, _ := g.tree.Get(agency)
	path := g.tree.Path(agency)
	i := g.rng.IntN(len(g.titles))
	title := g.titles[i]
	if g.rng.IntN(2) == 0 {
		// recombine: the head of one title with the tail of another
		a, b := strings.Fields(title), strings.Fields(g.pick(g.titles))
		if len(a) > 4 && len(b) > 4 {
			title = strings.Join(append(a[:len(a)/2:len(a)/2], b[len(b)/2:]...), " ")
		}
	}
	var body strings.Builder
	for k := 2 + g.rng.IntN(5); k > 0; k-- {
		body.WriteString(g.pick(g.sentences))
		body.WriteString(" ")
	}
	t := &threads.Thread{
		ID: threads.NewID(created), Agency: agency, A1: path[0], A2: path[1], A3: path[2], A4: path[3],
		Kind: g.kinds[i], Topic: g.topics[i], Title: title, Body: strings.TrimSpace(body.String()), Lang: "vi",
		Asker:     threads.Asker{Name: "Người dân " + fmt.Sprint(g.rng.IntN(100000)), Email: fmt.Sprintf("nguoidan%d@example.vn", g.rng.IntN(1000000))},
		Tracking:  threads.TrackingHash(fmt.Sprintf("%016x", g.rng.Uint64())),
		CreatedAt: created, UpdatedAt: created,
		DueAt: g.cal.AddWorkingDays(created, ag.SLAWorkingDays),
	}
	t.AppendAudit(threads.AuditEntry{At: created, Actor: "citizen", Action: "submitted", To: threads.StateQueued, ToAgency: agency})
	if open {
		t.State = []string{threads.StateQueued, threads.StateQueued, threads.StateAssigned, threads.StatePendingApproval}[g.rng.IntN(4)]
		return t
	}
	answered := created.Add(time.Duration(1+g.rng.IntN(20*24)) * time.Hour)
	t.State = threads.StatePublished
	t.Answer = &threads.Answer{Body: g.answers[g.rng.IntN(len(g.answers))], Author: "seed", AuthorName: "Cán bộ", At: answered, ApprovedBy: "seed"}
	t.PublishedAt = threads.FormatPublishedAt(answered)
	t.UpdatedAt = answered
	threads.MakePublic(t, answered)
	t.AppendAudit(threads.AuditEntry{At: answered, Actor: "seed", Action: "approve", From: threads.StatePendingApproval, To: threads.StatePublished})
	return t
}
