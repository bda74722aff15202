package legal

import (
	"regexp"
	"sort"
	"strings"
	"unicode"

	"tuongtac/vntext"
)

// Comparing two versions of a draft works article by article (paragraph by
// paragraph for unstructured text). Articles are paired across versions by
// content, not by number, so that inserting an article (and renumbering the
// ones after it) shows as one addition, and comments follow the article they
// were written on: first identical text, then the same title, then the most
// similar text (at least half the words in common), and last the same
// number with some words in common. Clauses and points inside paired
// articles are paired the same way.

// Change kinds.
const (
	ChangeAdded      = "added"
	ChangeRemoved    = "removed"
	ChangeModified   = "modified"
	ChangeRenumbered = "renumbered" // same text under a new number or in another chapter
)

// Change is what happened to one article between two versions.
type Change struct {
	Change    string `json:"change"`
	Kind      Kind   `json:"kind"`
	Anchor    string `json:"anchor,omitempty"`     // in the newer version; "" when removed
	OldAnchor string `json:"old_anchor,omitempty"` // in the older version; "" when added
	Number    string `json:"number,omitempty"`
	OldNumber string `json:"old_number,omitempty"`
	Title     string `json:"title,omitempty"`
	OldTitle  string `json:"old_title,omitempty"`
	// Ops is the article's text (title, then its clauses and points, one
	// per line) as a word-level diff from the older version to the newer.
	Ops []Op `json:"ops"`
}

// Op is a run of text that is kept ("="), deleted ("-") or inserted ("+").
type Op struct {
	Op   string `json:"op"`
	Text string `json:"text"`
}

// Diff is the comparison of two versions.
type Diff struct {
	// Changes are in the order of the newer version, removed articles where
	// they stood.
	Changes []Change `json:"changes"`
	// Unchanged counts the articles that are the same, under the same anchor.
	Unchanged int `json:"unchanged"`
	// Remap sends each anchor of the older version whose unit now has another
	// anchor to that anchor, or to "" when the unit is gone; anchors missing
	// from Remap are unchanged. A removed clause or point maps to its nearest
	// surviving ancestor, so comments on it stay with its article.
	Remap map[string]string `json:"-"`
}

// unitInfo is a unit prepared for pairing.
type unitInfo struct {
	n     *Node
	title string // folded
	key   string // folded title and text, spaces collapsed
	lines []string
	words map[string]struct{} // of key, made when first needed
}

func prepare(ns []*Node) []unitInfo {
	out := make([]unitInfo, len(ns))
	for i, n := range ns {
		lines := render(n)
		folded := vntext.Fold(strings.Join(lines, "\n"))
		out[i] = unitInfo{n: n, title: vntext.Fold(n.Title), key: strings.Join(strings.Fields(folded), " "), lines: lines}
	}
	return out
}

// wordSet returns the unit's words (runs of letters and digits).
func (u *unitInfo) wordSet() map[string]struct{} {
	if u.words != nil {
		return u.words
	}
	u.words = map[string]struct{}{}
	start := -1
	for i, r := range u.key + " " {
		word := unicode.IsLetter(r) || unicode.IsDigit(r)
		switch {
		case word && start < 0:
			start = i
		case !word && start >= 0:
			u.words[u.key[start:i]] = struct{}{}
			start = -1
		}
	}
	return u.words
}

// render writes a unit as lines: its title, its text, and each descendant
// with its number ("1. …", "a) …").
func render(n *Node) []string {
	var lines []string
	if n.Title != "" {
		lines = append(lines, n.Title)
	}
	if n.Text != "" {
		lines = append(lines, strings.Split(n.Text, "\n")...)
	}
	var walk func(ns []*Node)
	walk = func(ns []*Node) {
		for _, c := range ns {
			prefix := c.Number + ". "
			if c.Kind == KindPoint {
				prefix = c.Number + ") "
			}
			paras := strings.Split(c.Text, "\n")
			paras[0] = prefix + paras[0]
			if c.Title != "" {
				paras[0] = prefix + c.Title
				if c.Text != "" {
					paras = append(paras[:1], strings.Split(c.Text, "\n")...)
				}
			}
			lines = append(lines, paras...)
			walk(c.Children)
		}
	}
	walk(n.Children)
	return lines
}

// similarity is the Jaccard index of the two units' words.
func similarity(a, b *unitInfo) float64 {
	wa, wb := a.wordSet(), b.wordSet()
	if len(wa) == 0 && len(wb) == 0 {
		return 1
	}
	common := 0
	for w := range wa {
		if _, ok := wb[w]; ok {
			common++
		}
	}
	return float64(common) / float64(len(wa)+len(wb)-common)
}

// pair matches old units to new ones; the result maps an old index to a new
// index.
func pair(olds, news []unitInfo) map[int]int {
	out := map[int]int{}
	taken := map[int]bool{}
	// 1. Identical text, preferring the same anchor, then the same number,
	// then the first one free.
	byKey := map[string][]int{}
	for j, u := range news {
		byKey[u.key] = append(byKey[u.key], j)
	}
	for i, u := range olds {
		best, rank := -1, 0
		for _, j := range byKey[u.key] {
			if taken[j] {
				continue
			}
			r := 1
			switch {
			case news[j].n.Anchor == u.n.Anchor:
				r = 3
			case news[j].n.Number == u.n.Number:
				r = 2
			}
			if r > rank {
				best, rank = j, r
			}
			if r == 3 {
				break
			}
		}
		if best >= 0 {
			out[i], taken[best] = best, true
		}
	}
	// 2. The same title, when only one unit on each side has it.
	count := func(us []unitInfo, skip func(int) bool) map[string][]int {
		m := map[string][]int{}
		for i, u := range us {
			if u.title != "" && !skip(i) {
				m[u.title] = append(m[u.title], i)
			}
		}
		return m
	}
	oldTitles := count(olds, func(i int) bool { _, ok := out[i]; return ok })
	newTitles := count(news, func(j int) bool { return taken[j] })
	for t, is := range oldTitles {
		if js := newTitles[t]; len(is) == 1 && len(js) == 1 {
			out[is[0]], taken[js[0]] = js[0], true
		}
	}
	// 3. The most similar text, at least half the words in common.
	var freeOld, freeNew []int
	for i := range olds {
		if _, ok := out[i]; !ok {
			freeOld = append(freeOld, i)
		}
	}
	for j := range news {
		if !taken[j] {
			freeNew = append(freeNew, j)
		}
	}
	if len(freeOld)*len(freeNew) <= 250000 {
		type cand struct {
			i, j int
			s    float64
		}
		var cs []cand
		for _, i := range freeOld {
			for _, j := range freeNew {
				if s := similarity(&olds[i], &news[j]); s >= 0.5 {
					cs = append(cs, cand{i, j, s})
				}
			}
		}
		sort.SliceStable(cs, func(a, b int) bool { return cs[a].s > cs[b].s })
		for _, c := range cs {
			if _, ok := out[c.i]; ok || taken[c.j] {
				continue
			}
			out[c.i], taken[c.j] = c.j, true
		}
	}
	// 4. The same number, with some words in common.
	byNumber := map[string]int{}
	for j, u := range news {
		if !taken[j] {
			byNumber[string(u.n.Kind)+" "+u.n.Number] = j
		}
	}
	for i, u := range olds {
		if _, ok := out[i]; ok {
			continue
		}
		if j, ok := byNumber[string(u.n.Kind)+" "+u.n.Number]; ok && !taken[j] && similarity(&olds[i], &news[j]) >= 0.2 {
			out[i], taken[j] = j, true
		}
	}
	return out
}

// units returns the units compared: the articles, or the top-level nodes of
// a document without articles.
func units(d *Document) []*Node {
	if as := d.Articles(); len(as) > 0 {
		return as
	}
	return d.Nodes
}

// Compare lists what changed from old to new, article by article, and how
// old anchors map to new ones.
func Compare(old, new *Document) *Diff {
	d := &Diff{Changes: []Change{}, Remap: map[string]string{}}
	ou, nu := units(old), units(new)
	olds, news := prepare(ou), prepare(nu)
	pairs := pair(olds, news)
	newOf := make([]int, len(olds))
	oldOf := make([]int, len(news))
	for i := range newOf {
		newOf[i] = -1
	}
	for j := range oldOf {
		oldOf[j] = -1
	}
	for i, j := range pairs {
		newOf[i], oldOf[j] = j, i
	}

	type placed struct {
		pos, sub int
		c        Change
	}
	var out []placed
	for j, u := range news {
		i := oldOf[j]
		if i < 0 {
			out = append(out, placed{j, 0, Change{Change: ChangeAdded, Kind: u.n.Kind, Anchor: u.n.Anchor, Number: u.n.Number, Title: u.n.Title, Ops: diffLines(nil, u.lines)}})
			continue
		}
		o := olds[i]
		switch {
		case o.key == u.key && o.n.Anchor == u.n.Anchor:
			d.Unchanged++
			continue
		case o.key == u.key:
			out = append(out, placed{j, 0, Change{Change: ChangeRenumbered, Kind: u.n.Kind, Anchor: u.n.Anchor, OldAnchor: o.n.Anchor, Number: u.n.Number, OldNumber: o.n.Number, Title: u.n.Title, OldTitle: o.n.Title, Ops: diffLines(o.lines, u.lines)}})
		default:
			out = append(out, placed{j, 0, Change{Change: ChangeModified, Kind: u.n.Kind, Anchor: u.n.Anchor, OldAnchor: o.n.Anchor, Number: u.n.Number, OldNumber: o.n.Number, Title: u.n.Title, OldTitle: o.n.Title, Ops: diffLines(o.lines, u.lines)}})
		}
	}
	for i, o := range olds {
		if newOf[i] >= 0 {
			continue
		}
		pos := -1
		for k := i - 1; k >= 0; k-- {
			if newOf[k] >= 0 {
				pos = newOf[k]
				break
			}
		}
		out = append(out, placed{pos, 1 + i, Change{Change: ChangeRemoved, Kind: o.n.Kind, OldAnchor: o.n.Anchor, OldNumber: o.n.Number, OldTitle: o.n.Title, Ops: diffLines(o.lines, nil)}})
	}
	sort.SliceStable(out, func(a, b int) bool {
		if out[a].pos != out[b].pos {
			return out[a].pos < out[b].pos
		}
		return out[a].sub < out[b].sub
	})
	for _, p := range out {
		d.Changes = append(d.Changes, p.c)
	}

	// Anchors: paired units and, inside them, paired clauses and points;
	// containers by title, then number.
	for i, o := range olds {
		if j := newOf[i]; j >= 0 {
			remapTree(d.Remap, o.n, news[j].n)
		} else {
			old.walkFrom(o.n, func(n *Node) { d.Remap[n.Anchor] = "" })
		}
	}
	remapContainers(d.Remap, old, new)
	for k, v := range d.Remap {
		if k == v {
			delete(d.Remap, k)
		}
	}
	return d
}

// walkFrom calls fn for n and its descendants.
func (d *Document) walkFrom(n *Node, fn func(*Node)) {
	fn(n)
	for _, c := range n.Children {
		d.walkFrom(c, fn)
	}
}

// remapTree maps o (paired with n) and its descendants.
func remapTree(m map[string]string, o, n *Node) {
	m[o.Anchor] = n.Anchor
	olds, news := prepare(o.Children), prepare(n.Children)
	pairs := pair(olds, news)
	for i, c := range o.Children {
		if j, ok := pairs[i]; ok && c.Kind == n.Children[j].Kind {
			remapTree(m, c, n.Children[j])
			continue
		}
		// The clause or point is gone: its comments stay with n.
		var all func(x *Node)
		all = func(x *Node) {
			m[x.Anchor] = n.Anchor
			for _, y := range x.Children {
				all(y)
			}
		}
		all(c)
	}
}

// remapContainers maps parts, chapters and sections, from the top down:
// under the parent's new place, the unit of the same kind with the same
// title, else with the same number, else none (gone).
func remapContainers(m map[string]string, old, new *Document) {
	children := map[string][]*Node{} // new parent's anchor ("" the top) -> containers
	new.Walk(func(n *Node, anc []*Node) bool {
		if n.Kind.level() >= KindArticle.level() {
			return false
		}
		parent := ""
		if len(anc) > 0 {
			parent = anc[len(anc)-1].Anchor
		}
		children[parent] = append(children[parent], n)
		return true
	})
	used := map[string]bool{}
	var walk func(ns []*Node, parent string, gone bool)
	walk = func(ns []*Node, parent string, gone bool) {
		for _, n := range ns {
			if n.Kind.level() >= KindArticle.level() {
				continue
			}
			target := ""
			if !gone {
				title := vntext.Fold(n.Title)
				for _, c := range children[parent] {
					if c.Kind == n.Kind && title != "" && vntext.Fold(c.Title) == title && !used[c.Anchor] {
						target = c.Anchor
						break
					}
				}
				if target == "" {
					for _, c := range children[parent] {
						if c.Kind == n.Kind && foldNumber(c.Number) == foldNumber(n.Number) && !used[c.Anchor] {
							target = c.Anchor
							break
						}
					}
				}
			}
			if target != "" {
				used[target] = true
			}
			m[n.Anchor] = target
			walk(n.Children, target, target == "")
		}
	}
	walk(old.Nodes, "", false)
}

// maxCells bounds the table of a word-level diff; longer texts are compared
// line by line only.
const maxCells = 1 << 20

// diffLines compares two texts given as lines: line by line, then word by
// word inside each run of changed lines.
func diffLines(a, b []string) []Op {
	var ops []Op
	emit := func(op, text string) {
		if text == "" {
			return
		}
		if n := len(ops); n > 0 && ops[n-1].Op == op {
			ops[n-1].Text += text
			return
		}
		ops = append(ops, Op{Op: op, Text: text})
	}
	joined := func(ls []string) string {
		if len(ls) == 0 {
			return ""
		}
		return strings.Join(ls, "\n") + "\n"
	}
	script := lcs(a, b)
	i, j := 0, 0
	flush := func(ai, bj int) {
		da, db := a[i:ai], b[j:bj]
		if len(da) > 0 && len(db) > 0 {
			ta, tb := tokens(joined(da)), tokens(joined(db))
			if len(ta)*len(tb) <= maxCells {
				for _, op := range wordOps(ta, tb) {
					emit(op.Op, op.Text)
				}
			} else {
				emit("-", joined(da))
				emit("+", joined(db))
			}
		} else {
			emit("-", joined(da))
			emit("+", joined(db))
		}
		i, j = ai, bj
	}
	for _, m := range script {
		flush(m[0], m[1])
		emit("=", a[m[0]]+"\n")
		i, j = m[0]+1, m[1]+1
	}
	flush(len(a), len(b))
	if n := len(ops); n > 0 {
		ops[n-1].Text = strings.TrimSuffix(ops[n-1].Text, "\n")
		if ops[n-1].Text == "" {
			ops = ops[:n-1]
		}
	}
	if ops == nil {
		ops = []Op{}
	}
	return ops
}

var tokenRE = regexp.MustCompile(`\s+|[^\s]+`)

func tokens(s string) []string { return tokenRE.FindAllString(s, -1) }

func wordOps(a, b []string) []Op {
	var ops []Op
	emit := func(op, text string) {
		if n := len(ops); n > 0 && ops[n-1].Op == op {
			ops[n-1].Text += text
			return
		}
		ops = append(ops, Op{Op: op, Text: text})
	}
	i, j := 0, 0
	for _, m := range lcs(a, b) {
		for ; i < m[0]; i++ {
			emit("-", a[i])
		}
		for ; j < m[1]; j++ {
			emit("+", b[j])
		}
		emit("=", a[i])
		i, j = i+1, j+1
	}
	for ; i < len(a); i++ {
		emit("-", a[i])
	}
	for ; j < len(b); j++ {
		emit("+", b[j])
	}
	return ops
}

// lcs returns the index pairs of a longest common subsequence of a and b,
// after trimming their common prefix and suffix. Inputs too large for the
// table get only the prefix and suffix.
func lcs(a, b []string) [][2]int {
	var out [][2]int
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		out = append(out, [2]int{pre, pre})
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	ma, mb := a[pre:len(a)-suf], b[pre:len(b)-suf]
	if len(ma) > 0 && len(mb) > 0 && len(ma)*len(mb) <= maxCells {
		n, m := len(ma), len(mb)
		t := make([]int32, (n+1)*(m+1))
		w := m + 1
		for x := n - 1; x >= 0; x-- {
			for y := m - 1; y >= 0; y-- {
				if ma[x] == mb[y] {
					t[x*w+y] = t[(x+1)*w+y+1] + 1
				} else if t[(x+1)*w+y] >= t[x*w+y+1] {
					t[x*w+y] = t[(x+1)*w+y]
				} else {
					t[x*w+y] = t[x*w+y+1]
				}
			}
		}
		for x, y := 0, 0; x < n && y < m; {
			switch {
			case ma[x] == mb[y]:
				out = append(out, [2]int{pre + x, pre + y})
				x, y = x+1, y+1
			case t[(x+1)*w+y] >= t[x*w+y+1]:
				x++
			default:
				y++
			}
		}
	}
	for k := suf; k > 0; k-- {
		out = append(out, [2]int{len(a) - k, len(b) - k})
	}
	return out
}
