package legal

import (
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"tuongtac/vntext"
)

// line is one line of input after cleaning.
type line struct {
	text string
	no   int  // line (or DOCX paragraph) number, from 1
	hard bool // a paragraph by itself: a DOCX paragraph, a Markdown heading, a line of unwrapped text
	head bool // a Markdown heading
	// blank is set when blank lines came before this one; page when a page
	// break (form feed, page number) did.
	blank bool
	page  bool
	// unit is the heading the line starts, if any (set by parse).
	unit   unit
	isUnit bool
}

// Page-break noise in text extracted from PDFs: page numbers in their usual
// forms, and separator rules.
var (
	pageNumberRE = regexp.MustCompile(`^(?:[-–—]\s*)?\d{1,4}(?:\s*[-–—])?$|^(?i:trang|page)\s+\d{1,4}(?:\s*(?:/|trên|of)\s*\d{1,4})?$|^\d{1,4}\s*/\s*\d{1,4}$`)
	separatorRE  = regexp.MustCompile(`^[-_=*~.·•–—\s]{3,}$`)
)

// cleanLine is vntext.CleanLine, with a fast path for the common line that
// vntext.Clean leaves as it is.
func cleanLine(s string) string {
	t := vntext.Clean(s)
	prevSpace := false
	for _, r := range t {
		sp := unicode.IsSpace(r)
		if sp && (r != ' ' || prevSpace) {
			return vntext.CleanLine(t)
		}
		prevSpace = sp
	}
	return t
}

// isNoise reports a page number or a separator rule; cheap checks first, as
// every line goes through it.
func isNoise(t string) bool {
	if len(t) <= 24 && pageNumberRE.MatchString(t) {
		return true
	}
	r, _ := utf8.DecodeRuneInString(t)
	return strings.ContainsRune("-_=*~.·•–—", r) && separatorRE.MatchString(t)
}

// rawLines splits text into cleaned lines, dropping page numbers and
// separators, and running headers and footers that repeat at page breaks.
func rawLines(s string, format Format) []line {
	s = strings.NewReplacer("\r\n", "\n", "\r", "\n", "\u2028", "\n", "\u2029", "\n", "\u0085", "\n").Replace(s)
	var out []line
	blank, page, fence := false, false, false
	no := 0
	for _, raw := range strings.Split(s, "\n") {
		no++
		pieces := strings.Split(raw, "\f")
		for i, piece := range pieces {
			if i > 0 {
				page = true
			}
			t := cleanLine(piece)
			head := false
			if format == FormatMarkdown {
				var skip bool
				t, head, skip = markdownLine(t, &fence)
				if skip {
					continue
				}
			}
			if t == "" {
				blank = true
				continue
			}
			if isNoise(t) {
				page = true
				continue
			}
			out = append(out, line{text: t, no: no, head: head, hard: head, blank: blank, page: page})
			blank, page = false, false
		}
	}
	return dropRunningHeads(out)
}

// dropRunningHeads removes lines that repeat next to three or more page
// breaks (a running header or footer such as the gazette's name): lines
// within two of a break are candidates, and a candidate text seen at three
// breaks or more goes everywhere it stands next to a break.
func dropRunningHeads(ls []line) []line {
	near := map[int]int{} // line index -> break number
	breaks := 0
	for i, l := range ls {
		if !l.page {
			continue
		}
		breaks++
		for _, j := range []int{i - 2, i - 1, i, i + 1} {
			if j >= 0 && j < len(ls) {
				near[j] = breaks
			}
		}
	}
	if breaks < 3 {
		return ls
	}
	seen := map[string]map[int]bool{}
	for i, b := range near {
		t := ls[i].text
		if utf8.RuneCountInString(t) > 120 {
			continue
		}
		if _, ok := matchUnit(t); ok {
			continue
		}
		k := vntext.Fold(t)
		if seen[k] == nil {
			seen[k] = map[int]bool{}
		}
		seen[k][b] = true
	}
	drop := map[int]bool{}
	for i := range near {
		if len(seen[vntext.Fold(ls[i].text)]) >= 3 {
			drop[i] = true
		}
	}
	if len(drop) == 0 {
		return ls
	}
	out := make([]line, 0, len(ls)-len(drop))
	carry := false
	for i, l := range ls {
		if drop[i] {
			carry = true
			continue
		}
		if carry {
			l.page = true
			carry = false
		}
		out = append(out, l)
	}
	return out
}

// Unit headings. Chapter, part and section headings must stand alone, be
// followed by a separator (".", ":", a dash) or by an upper-case title, so
// that a wrapped line such as "Chương II của Luật này" stays text.
var (
	partRE    = regexp.MustCompile(`^(?i:phần)\s+((?i:thứ)\s+\pL+|[IVXLC]+|\d{1,3})(.*)$`)
	chapterRE = regexp.MustCompile(`^(?i:chương)\s+([IVXLCDM]+|\d{1,3})(.*)$`)
	sectionRE = regexp.MustCompile(`^(?i:mục)\s+([IVXLC]+|\d{1,3})(.*)$`)
	articleRE = regexp.MustCompile(`^(?i:điều)\s+(\d{1,4}[a-zđ]?)\s*(?:[.:\-–—]\s*(.*))?$`)
	clauseRE  = regexp.MustCompile(`^(\d{1,3})\.(?:\s+(.*))?$`)
	pointRE   = regexp.MustCompile(`^([a-zđ])(\d{0,2})\)\s*(.*)$`)
)

// unit is a heading matched by its pattern alone.
type unit struct {
	kind   Kind
	number string
	rest   string // the text after the number and separator
}

// matchUnit reports whether t starts a unit, by its shape only (clauses and
// points are also checked against their context by the parser).
func matchUnit(t string) (unit, bool) {
	if t == "" {
		return unit{}, false
	}
	switch c := t[0]; {
	case c >= '0' && c <= '9':
		if m := clauseRE.FindStringSubmatch(t); m != nil {
			return unit{kind: KindClause, number: strings.TrimLeft(m[1], "0"), rest: m[2]}, m[1] != "0" && strings.TrimLeft(m[1], "0") != ""
		}
		return unit{}, false
	case c >= 'a' && c <= 'z' || strings.HasPrefix(t, "đ"):
		if i := strings.IndexByte(t, ')'); i < 1 || i > 4 {
			return unit{}, false
		}
		if m := pointRE.FindStringSubmatch(t); m != nil {
			return unit{kind: KindPoint, number: m[1] + m[2], rest: m[3]}, true
		}
		return unit{}, false
	}
	if hasPrefixFold(t, "điều") {
		if m := articleRE.FindStringSubmatch(t); m != nil {
			return unit{kind: KindArticle, number: m[1], rest: strings.TrimSpace(m[2])}, true
		}
		return unit{}, false
	}
	for _, h := range []struct {
		word string
		re   *regexp.Regexp
		kind Kind
	}{{"chương", chapterRE, KindChapter}, {"mục", sectionRE, KindSection}, {"phần", partRE, KindPart}} {
		if !hasPrefixFold(t, h.word) {
			continue
		}
		m := h.re.FindStringSubmatch(t)
		if m == nil {
			return unit{}, false
		}
		rest, ok := headingRest(m[2])
		if !ok {
			return unit{}, false
		}
		num := m[1]
		if h.kind == KindPart {
			num = partNumber(num)
		}
		return unit{kind: h.kind, number: num, rest: rest}, true
	}
	return unit{}, false
}

// hasPrefixFold reports whether s starts with prefix, ignoring case (the
// upper and lower case of the Vietnamese letters in the heading words have
// the same length in UTF-8).
func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// headingRest checks what follows a chapter, part or section number.
func headingRest(rest string) (string, bool) {
	if rest == "" {
		return "", true
	}
	r, size := utf8.DecodeRuneInString(rest)
	switch {
	case strings.ContainsRune(".:-–—", r):
		return strings.TrimSpace(rest[size:]), true
	case r == ' ':
		t := strings.TrimSpace(rest)
		if t == "" || allUpper(t) {
			return t, true
		}
		if r2, size2 := utf8.DecodeRuneInString(t); strings.ContainsRune(".:-–—", r2) {
			return strings.TrimSpace(t[size2:]), true
		}
	}
	return "", false
}

// partNumber turns "thứ hai" into "2"; Roman and Arabic numbers stay.
func partNumber(s string) string {
	f := strings.Fields(strings.ToLower(s))
	if len(f) == 2 && f[0] == "thứ" {
		if n, ok := ordinals[f[1]]; ok {
			return strconv.Itoa(n)
		}
		return f[1]
	}
	return s
}

// allUpper reports whether s has at least two letters and no lower-case one.
func allUpper(s string) bool {
	letters := 0
	for _, r := range s {
		if unicode.IsLetter(r) {
			if unicode.IsLower(r) {
				return false
			}
			letters++
		}
	}
	return letters >= 2
}

func startsLower(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsLower(r)
}

// startsSentence reports whether s could begin a new paragraph: an
// upper-case letter, a digit, an opening quote or bracket.
func startsSentence(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsUpper(r) || unicode.IsDigit(r) || strings.ContainsRune("\"“‘'([", r)
}

func isBullet(s string) bool {
	r, size := utf8.DecodeRuneInString(s)
	if !strings.ContainsRune("-–—+•*", r) {
		return false
	}
	return size < len(s) && s[size] == ' '
}

// endsSentence reports whether s ends with a full stop, question or
// exclamation mark, colon or ellipsis, before any closing quotes or brackets.
func endsSentence(s string) bool {
	s = strings.TrimRight(s, "\"”’')] ")
	r, _ := utf8.DecodeLastRuneInString(s)
	return strings.ContainsRune(".!?:…", r)
}

// endsItem is endsSentence or a semicolon: the end of an enumerated item,
// after which a clause or point may begin.
func endsItem(s string) bool {
	return endsSentence(s) || strings.HasSuffix(strings.TrimRight(s, "\"”’')] "), ";")
}

// textBuf collects a unit's text, joining wrapped lines into paragraphs.
type textBuf struct {
	paras []string
	cur   strings.Builder
	last  line
	n     int
}

func (b *textBuf) add(l line, brk bool) {
	if b.cur.Len() > 0 && brk {
		b.paras = append(b.paras, b.cur.String())
		b.cur.Reset()
	}
	if b.cur.Len() > 0 {
		b.cur.WriteByte(' ')
	}
	b.cur.WriteString(l.text)
	b.last = l
	b.n++
}

func (b *textBuf) String() string {
	if b.cur.Len() > 0 {
		b.paras = append(b.paras, b.cur.String())
		b.cur.Reset()
	}
	return strings.Join(b.paras, "\n")
}

// seq tracks the numbering of one sequence of units (the articles of a
// document, the clauses of an article).
type seq struct {
	n          int
	last       int
	lastSuffix string
	lastPoint  rune
	seen       map[string]bool
}

type seqKey struct {
	parent *Node
	kind   Kind
}

type parser struct {
	lines  []line
	format Format
	lim    Limits
	doc    *Document

	stack   []*Node
	bufs    map[*Node]*textBuf
	pre     textBuf
	closing textBuf
	closed  bool // after "./.": text goes to closing
	seqs    map[seqKey]*seq
	used    map[*Node]map[string]bool
	count   int
	err     error

	// soft joins wrapped lines by punctuation and case (PDF text); Markdown
	// joins lines until a blank one.
	soft, blankBreaks bool
	// fullWidth is the length from which a line is taken as wrapped, not
	// ended.
	fullWidth int
	// boundary is set when the last line ended an item or was a heading,
	// so that a clause or point may start on the next one.
	boundary bool
}

// parse builds the document from cleaned lines.
func parse(lines []line, format Format, lim Limits) (*Document, error) {
	p := &parser{
		lines: lines, format: format, lim: lim,
		doc:  &Document{Format: format, Nodes: []*Node{}},
		bufs: map[*Node]*textBuf{}, seqs: map[seqKey]*seq{}, used: map[*Node]map[string]bool{},
		boundary: true,
	}
	if len(lines) == 0 {
		return nil, ErrEmpty
	}
	for i := range lines {
		lines[i].unit, lines[i].isUnit = matchUnit(lines[i].text)
	}
	p.setup()
	for i := 0; i < len(p.lines) && p.err == nil; {
		i = p.step(i)
	}
	if p.err != nil {
		return nil, p.err
	}
	p.finish()
	if p.err != nil {
		return nil, p.err
	}
	return p.doc, nil
}

// setup decides how lines join. Text where at least one line in ten starts
// in lower case (other than a point "a)") was wrapped at a page width (a PDF
// extract, a hard-wrapped email): lines join into paragraphs by punctuation
// and case, and blank lines mean nothing. Other text has one paragraph a
// line.
func (p *parser) setup() {
	switch p.format {
	case FormatMarkdown:
		p.blankBreaks = true
	case FormatText:
		lower := 0
		for _, l := range p.lines {
			if !l.isUnit && startsLower(l.text) {
				lower++
			}
		}
		p.soft = lower > 0 && lower*10 >= len(p.lines)
		if !p.soft {
			for i := range p.lines {
				p.lines[i].hard = true
			}
		}
	}
	var widths []int
	for _, l := range p.lines {
		if !l.hard {
			widths = append(widths, utf8.RuneCountInString(l.text))
		}
	}
	p.fullWidth = 1 << 30
	if len(widths) >= 10 {
		sort.Ints(widths)
		p.fullWidth = widths[len(widths)*9/10] * 85 / 100
	}
}

// breakBefore reports whether l starts a new paragraph after prev.
func (p *parser) breakBefore(prev, l line) bool {
	switch {
	case prev.hard || l.hard:
		return true
	case l.blank && p.blankBreaks:
		return true
	case isBullet(l.text):
		return true
	case !p.soft:
		return false
	case endsSentence(prev.text) && startsSentence(l.text):
		return true
	case allUpper(prev.text) && !allUpper(l.text):
		return true
	}
	return false
}

// addText appends a line to the text of the innermost open unit (or the
// preamble, or the closing).
func (p *parser) addText(l line) {
	b := &p.pre
	switch {
	case p.closed:
		b = &p.closing
	case len(p.stack) > 0:
		b = p.bufs[p.stack[len(p.stack)-1]]
	}
	b.add(l, b.n > 0 && p.breakBefore(b.last, l))
	p.boundary = endsItem(l.text) || l.hard
	if strings.HasSuffix(l.text, "./.") && len(p.stack) > 0 {
		p.closed = true
	}
}

// step handles the line at i and returns the index of the next one.
func (p *parser) step(i int) int {
	l := p.lines[i]
	u, ok := l.unit, l.isUnit
	if ok && !p.accept(u, l) {
		ok = false
	}
	if !ok {
		p.addText(l)
		return i + 1
	}
	p.closed = false
	n := p.open(u, l)
	if n == nil {
		return len(p.lines)
	}
	switch u.kind {
	case KindPart, KindChapter, KindSection:
		return p.containerTitle(n, u.rest, i)
	case KindArticle:
		return p.articleTitle(n, u.rest, i)
	}
	if u.rest != "" {
		rl := l
		rl.text = u.rest
		rl.blank, rl.hard = false, false
		b := p.bufs[n]
		b.add(rl, false)
		b.last = l
		p.boundary = endsItem(u.rest) || l.hard
	} else {
		p.bufs[n].last = l
		p.boundary = true
	}
	return i + 1
}

// accept checks a clause or point against its context: it must sit inside
// an article and either continue the numbering or start after the end of an
// item, so that a wrapped line beginning "2." or "a)" stays text.
func (p *parser) accept(u unit, l line) bool {
	bound := p.boundary || l.hard || l.head || (l.blank && p.blankBreaks)
	switch u.kind {
	case KindClause:
		art := p.innermost(KindArticle)
		if art == nil {
			return false
		}
		s := p.seqs[seqKey{art, KindClause}]
		want := 1
		if s != nil {
			want = s.last + 1
		}
		v, _ := strconv.Atoi(u.number)
		return v == want || bound
	case KindPoint:
		parent := p.innermost(KindClause)
		if parent == nil {
			parent = p.innermost(KindArticle)
		}
		if parent == nil {
			return false
		}
		letter, _ := utf8.DecodeRuneInString(u.number)
		var last rune
		if s := p.seqs[seqKey{parent, KindPoint}]; s != nil {
			last = s.lastPoint
		}
		return letter == nextPoint(last) || bound
	}
	return true
}

// innermost returns the innermost open unit of kind, or nil if a unit of a
// lower level closes the search first.
func (p *parser) innermost(kind Kind) *Node {
	for i := len(p.stack) - 1; i >= 0; i-- {
		n := p.stack[i]
		if n.Kind == kind {
			return n
		}
		if n.Kind.level() < kind.level() {
			return nil
		}
	}
	return nil
}

// open closes the units the new one does not nest in, checks its numbering,
// gives it a unique anchor and makes it the innermost open unit.
func (p *parser) open(u unit, l line) *Node {
	for len(p.stack) > 0 && p.stack[len(p.stack)-1].Kind.level() >= u.kind.level() {
		p.stack = p.stack[:len(p.stack)-1]
	}
	var parent *Node
	if len(p.stack) > 0 {
		parent = p.stack[len(p.stack)-1]
	}
	p.count++
	if p.count > p.lim.MaxUnits {
		p.err = ErrTooManyUnits
		return nil
	}
	n := &Node{Kind: u.kind, Number: u.number, Children: []*Node{}}
	seg := Segment(u.kind, u.number)
	used := p.used[parent]
	if used == nil {
		used = map[string]bool{}
		p.used[parent] = used
	}
	base := seg
	for k := 2; used[seg]; k++ {
		seg = base + "-" + strconv.Itoa(k)
	}
	used[seg] = true
	if parent == nil {
		n.Anchor = seg
		p.doc.Nodes = append(p.doc.Nodes, n)
	} else {
		n.Anchor = parent.Anchor + "/" + seg
		parent.Children = append(parent.Children, n)
	}
	p.number(n, parent, l)
	p.stack = append(p.stack, n)
	p.bufs[n] = &textBuf{}
	return n
}

// number checks the unit's number against its sequence: articles and
// chapters run through the document, parts too; sections run within their
// chapter, clauses within their article, points within their clause.
func (p *parser) number(n, parent *Node, l line) {
	key := seqKey{parent, n.Kind}
	switch n.Kind {
	case KindArticle, KindChapter, KindPart:
		key.parent = nil
	}
	s := p.seqs[key]
	if s == nil {
		s = &seq{seen: map[string]bool{}}
		p.seqs[key] = s
	}
	folded := foldNumber(n.Number)
	var v int
	var suffix, expected string
	if n.Kind == KindPoint {
		letter, size := utf8.DecodeRuneInString(n.Number)
		v, suffix = pointValue(letter), n.Number[size:]
		if e := nextPoint(s.lastPoint); e != 0 {
			expected = string(e)
		}
		s.lastPoint = letter
	} else {
		var ok bool
		v, suffix, ok = numberValue(n.Number)
		if !ok {
			v = s.last
		}
		expected = strconv.Itoa(s.last + 1)
		if romanValue(n.Number) > 0 {
			expected = toRoman(s.last + 1)
		}
	}
	code := ""
	switch {
	case s.seen[folded]:
		code = IssueDuplicate
	case s.n > 0 && (v < s.last || v == s.last && suffix < s.lastSuffix):
		code = IssueOutOfOrder
	case n.Kind != KindPoint && n.Kind != KindSection && v > s.last+1:
		code = IssueSkipped
	}
	if code != "" {
		n.Flags = append(n.Flags, code)
		p.doc.Issues = append(p.doc.Issues, Issue{Code: code, Anchor: n.Anchor, Kind: n.Kind, Number: n.Number, Expected: expected, Line: l.no})
	}
	s.seen[folded] = true
	s.n++
	if v > s.last || v == s.last && suffix > s.lastSuffix {
		s.last, s.lastSuffix = v, suffix
	}
}

// containerTitle reads the title of a part, chapter or section: the text on
// its heading line, else the first paragraph after it, and the upper-case
// lines that continue either (titles are often set in capitals over two
// lines).
func (p *parser) containerTitle(n *Node, rest string, i int) int {
	var parts []string
	if rest != "" {
		parts = append(parts, rest)
	}
	prev := p.lines[i]
	j := i + 1
	for ; j < len(p.lines) && len(parts) < 6; j++ {
		l := p.lines[j]
		if p.startsUnit(j) {
			break
		}
		if len(parts) > 0 {
			last := parts[len(parts)-1]
			capitals := allUpper(l.text) && allUpper(last) && !(l.blank && p.blankBreaks)
			wrapped := rest == "" && !p.breakBefore(prev, l)
			if !capitals && !wrapped {
				break
			}
		}
		parts = append(parts, l.text)
		prev = l
	}
	n.Title = strings.Join(parts, " ")
	if j > i+1 {
		b := p.bufs[n]
		b.last = prev
		b.last.hard = true
	}
	p.boundary = true
	return j
}

// articleTitle reads an article's title: the text after "Điều N." and, in
// wrapped text, the lines that continue it in lower case. An article whose
// "title" is a sentence — it ends with a full stop and is long, or its last
// line runs to the full width of the page and the text goes on — has no
// title: that text is its body (Điều 28 of the regulation: "Trong quá trình
// thực hiện … quyết định./.").
func (p *parser) articleTitle(n *Node, rest string, i int) int {
	head := p.lines[i]
	if rest == "" {
		p.bufs[n].last = head
		p.boundary = true
		return i + 1
	}
	parts := []string{rest}
	j := i + 1
	if p.soft && !head.hard {
		for j < len(p.lines) && len(parts) < 3 {
			l := p.lines[j]
			if l.hard || endsSentence(parts[len(parts)-1]) || !startsLower(l.text) {
				break
			}
			if l.isUnit {
				break
			}
			parts = append(parts, l.text)
			j++
		}
	}
	title := strings.Join(parts, " ")
	runes := utf8.RuneCountInString(title)
	untitled := runes > 250 ||
		endsSentence(title) && (len(parts) > 1 || runes > 100) ||
		len(parts) > 1 && utf8.RuneCountInString(parts[len(parts)-1]) >= p.fullWidth && j < len(p.lines) && !p.startsUnit(j)
	if untitled {
		// The heading line's text is the first line of the body; the lines
		// taken as its continuation are read again as text.
		b := p.bufs[n]
		rl := head
		rl.text = rest
		b.add(rl, false)
		p.boundary = endsItem(rest) || head.hard
		return i + 1
	}
	if len(parts) == 1 && strings.HasSuffix(title, ".") && !strings.HasSuffix(title, "..") {
		title = strings.TrimSuffix(title, ".")
	}
	n.Title = title
	b := p.bufs[n]
	b.last = p.lines[j-1]
	b.last.hard = true // the body starts a new paragraph
	p.boundary = true
	return j
}

func (p *parser) startsUnit(j int) bool { return p.lines[j].isUnit }

// finish sets every unit's text, the preamble, the title guess, and falls
// back to paragraphs when the text has no legal structure.
func (p *parser) finish() {
	structured := false
	for n, b := range p.bufs {
		n.Text = b.String()
		if n.Kind.level() <= KindArticle.level() {
			structured = true
		}
	}
	pre := p.pre.String()
	closing := p.closing.String()
	if !structured {
		// No part, chapter, section or article: the text is paragraphs.
		// (Clauses and points only open inside articles, so none exist.)
		var paras []string
		for _, s := range []string{pre, closing} {
			if s != "" {
				paras = append(paras, strings.Split(s, "\n")...)
			}
		}
		p.doc.Nodes = make([]*Node, 0, len(paras))
		for i, t := range paras {
			num := strconv.Itoa(i + 1)
			p.doc.Nodes = append(p.doc.Nodes, &Node{Anchor: Segment(KindParagraph, num), Kind: KindParagraph, Number: num, Text: t, Children: []*Node{}})
		}
		if len(p.doc.Nodes) > p.lim.MaxUnits {
			p.err = ErrTooManyUnits
		}
		return
	}
	p.doc.Preamble = pre
	p.doc.Closing = closing
	p.doc.Title = titleGuess(pre)
	slices.SortStableFunc(p.doc.Issues, func(a, b Issue) int { return a.Line - b.Line })
}

// titleGuess takes the title block: the preamble up to its first
// parenthesis ("(Kèm theo Quyết định …)"), on one line, at most 200
// characters.
func titleGuess(pre string) string {
	t := strings.Join(strings.Fields(pre), " ")
	if i := strings.Index(t, "("); i >= 0 {
		t = strings.TrimSpace(t[:i])
	}
	if utf8.RuneCountInString(t) > 200 {
		return ""
	}
	return t
}
