package agencies

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"sync"
)

// MaxDepth is the deepest an agency may sit in the tree (the root is depth 1):
// province, department or district, commune, and one spare level. Documents keep
// one path field per level (see Tree.Path), so the limit is part of the storage
// schema and cannot grow without a migration.
const MaxDepth = 4

// DefaultSLAWorkingDays is the answer period applied when the file leaves
// sla_working_days out (or sets it to 0), so that adding an agency never requires
// deciding its period up front.
const DefaultSLAWorkingDays = 10

// MaxSLAWorkingDays bounds sla_working_days so that a typo (100 instead of 10) is
// caught on load rather than silently granting an agency months to answer.
const MaxSLAWorkingDays = 60

// ErrInvalidTree is wrapped by every validation error from Load, so callers (an
// administrator uploading a new tree) can tell bad data from I/O failures.
var ErrInvalidTree = errors.New("agencies: invalid tree")

//go:embed an-giang.json
var defaultTreeJSON []byte

var idRE = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{0,62}$`)

// AgencyName carries both official names because the portal is bilingual while the
// Vietnamese name is the legal one.
type AgencyName struct {
	VI string `json:"vi"`
	EN string `json:"en"`
}

// Agency is one node of the tree as it appears in the JSON file. It is a plain
// value: copies handed out by Tree can be modified by the caller without affecting
// the tree.
type Agency struct {
	// ID is stable across renames and is what documents store; it may contain
	// dots (for example "myhoa.longxuyen") because commune names repeat across
	// districts.
	ID   string     `json:"id"`
	Name AgencyName `json:"name"`
	// Level is descriptive ("province", "department", "district", "commune")
	// and is not validated, since the 2025 reorganisation changes the set.
	Level string `json:"level"`
	// Parent is "" for the root (null in the file).
	Parent string `json:"parent"`
	// Domain is the agency's web domain under Article 5.4 of the regulation.
	Domain string `json:"domain"`
	// SLAWorkingDays is how many working days the agency has to answer; after
	// Load it is always within 1..MaxSLAWorkingDays.
	SLAWorkingDays int `json:"sla_working_days"`
	// RequireSecondApprover makes an editor unable to approve an answer they
	// drafted themselves. Off by default: a commune may have one editor.
	RequireSecondApprover bool `json:"require_second_approver,omitempty"`
}

// DisplayName picks the name to show a reader in lang (a BCP 47 tag such as "en"
// or "en-US"); anything other than English gets the Vietnamese name, and an agency
// without an English name falls back to Vietnamese so the UI never shows a blank.
func (a Agency) DisplayName(lang string) string {
	l := strings.ToLower(strings.TrimSpace(lang))
	if (l == "en" || strings.HasPrefix(l, "en-") || strings.HasPrefix(l, "en_")) && a.Name.EN != "" {
		return a.Name.EN
	}
	return a.Name.VI
}

// Tree is a validated agency hierarchy. It never changes after Load, so one *Tree
// may be shared by all goroutines; to apply an administrator's edit, load a new
// Tree and swap the pointer. Obtain one from Load, LoadFile or Default: the zero
// Tree has no root and is not usable.
type Tree struct {
	nodes    []Agency       // depth-first pre-order, children in file order
	index    map[string]int // id -> position in nodes
	parent   []int          // position of parent, -1 for the root
	depth    []int          // 1 for the root
	end      []int          // nodes[i:end[i]] is the subtree of nodes[i]
	children [][]int        // positions of direct children, in file order
}

type treeFile struct {
	Agencies []Agency `json:"agencies"`
}

// Load reads and validates a tree in the format of an-giang.json. It rejects
// rather than repairs bad input (duplicate ids, unknown parents, cycles, several
// roots, too deep, empty names, out-of-range answer periods) because a silently
// "fixed" tree would route citizens' questions to the wrong office. Unknown JSON
// fields are ignored so that the file can grow. All validation errors wrap
// ErrInvalidTree.
func Load(r io.Reader) (*Tree, error) {
	dec := json.NewDecoder(r)
	var f treeFile
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%w: decoding JSON: %v", ErrInvalidTree, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: unexpected data after the JSON object", ErrInvalidTree)
	}
	return build(f.Agencies)
}

var defaultTree = sync.OnceValues(func() (*Tree, error) {
	return Load(bytes.NewReader(defaultTreeJSON))
})

// Default returns the tree embedded in the binary (an-giang.json), so a fresh
// installation works without configuration. The same immutable *Tree is returned
// on every call.
func Default() (*Tree, error) {
	return defaultTree()
}

// LoadFile loads a tree from a file on disk, for deployments whose administrator
// keeps an edited tree outside the binary.
func LoadFile(path string) (*Tree, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("agencies: %w", err)
	}
	defer f.Close()
	t, err := Load(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidTree, fmt.Sprintf(format, args...))
}

func build(in []Agency) (*Tree, error) {
	if len(in) == 0 {
		return nil, invalid("no agencies")
	}
	byID := make(map[string]int, len(in))
	rootPos := -1
	for i := range in {
		a := &in[i]
		if !idRE.MatchString(a.ID) {
			return nil, invalid("agency #%d: id %q must match %s", i+1, a.ID, idRE)
		}
		if j, dup := byID[a.ID]; dup {
			return nil, invalid("agency id %q appears twice (#%d and #%d)", a.ID, j+1, i+1)
		}
		byID[a.ID] = i
		a.Name.VI = strings.TrimSpace(a.Name.VI)
		a.Name.EN = strings.TrimSpace(a.Name.EN)
		if a.Name.VI == "" {
			return nil, invalid("agency %q: empty Vietnamese name (name.vi)", a.ID)
		}
		if a.SLAWorkingDays == 0 {
			a.SLAWorkingDays = DefaultSLAWorkingDays
		}
		if a.SLAWorkingDays < 1 || a.SLAWorkingDays > MaxSLAWorkingDays {
			return nil, invalid("agency %q: sla_working_days %d is outside 1..%d", a.ID, a.SLAWorkingDays, MaxSLAWorkingDays)
		}
		if a.Parent == "" {
			if rootPos >= 0 {
				return nil, invalid("two roots (agencies without a parent): %q and %q", in[rootPos].ID, a.ID)
			}
			rootPos = i
		}
	}
	if rootPos < 0 {
		return nil, invalid("no root: every agency has a parent")
	}
	kids := make([][]int, len(in)) // in file positions
	for i, a := range in {
		if a.Parent == "" {
			continue
		}
		p, ok := byID[a.Parent]
		if !ok {
			return nil, invalid("agency %q: parent %q does not exist", a.ID, a.Parent)
		}
		kids[p] = append(kids[p], i)
	}

	t := &Tree{
		nodes:    make([]Agency, 0, len(in)),
		index:    make(map[string]int, len(in)),
		parent:   make([]int, 0, len(in)),
		depth:    make([]int, 0, len(in)),
		end:      make([]int, len(in)),
		children: make([][]int, len(in)),
	}
	// Recursive depth-first walk from the root. Recursion stops one level past
	// MaxDepth, so hostile input cannot exhaust the stack; any agency not reached
	// afterwards must sit on (or hang below) a cycle.
	var visit func(filePos, parentPos, depth int) error
	visit = func(filePos, parentPos, depth int) error {
		a := in[filePos]
		if depth > MaxDepth {
			return invalid("agency %q is at depth %d; the maximum is %d", a.ID, depth, MaxDepth)
		}
		pos := len(t.nodes)
		t.nodes = append(t.nodes, a)
		t.index[a.ID] = pos
		t.parent = append(t.parent, parentPos)
		t.depth = append(t.depth, depth)
		if parentPos >= 0 {
			t.children[parentPos] = append(t.children[parentPos], pos)
		}
		for _, k := range kids[filePos] {
			if err := visit(k, pos, depth+1); err != nil {
				return err
			}
		}
		t.end[pos] = len(t.nodes)
		return nil
	}
	if err := visit(rootPos, -1, 1); err != nil {
		return nil, err
	}
	if len(t.nodes) != len(in) {
		for i, a := range in {
			if _, ok := t.index[a.ID]; !ok {
				return nil, invalid("cycle: %s", describeCycle(in, byID, i))
			}
		}
	}
	return t, nil
}

// describeCycle follows parents from an agency that the walk from the root never
// reached until an id repeats, and names the loop for the error message.
func describeCycle(in []Agency, byID map[string]int, start int) string {
	seen := map[int]int{}
	var chain []string
	for i := start; ; i = byID[in[i].Parent] {
		if at, ok := seen[i]; ok {
			return strings.Join(append(chain[at:], in[i].ID), " -> ")
		}
		seen[i] = len(chain)
		chain = append(chain, in[i].ID)
	}
}

// Get looks up an agency by id; ok is false for an id not in the tree (for
// example one removed by a reorganisation but still stored on old questions).
func (t *Tree) Get(id string) (Agency, bool) {
	i, ok := t.index[id]
	if !ok {
		return Agency{}, false
	}
	return t.nodes[i], true
}

// All lists every agency in depth-first order with children in file order, the
// order in which a picker should show them (each district followed by its
// communes).
func (t *Tree) All() []Agency {
	return append([]Agency(nil), t.nodes...)
}

// Len is the number of agencies, for sizing and sanity checks.
func (t *Tree) Len() int { return len(t.nodes) }

// Children lists the direct sub-agencies of id in file order; nil if id is a leaf
// or unknown.
func (t *Tree) Children(id string) []Agency {
	i, ok := t.index[id]
	if !ok || len(t.children[i]) == 0 {
		return nil
	}
	out := make([]Agency, len(t.children[i]))
	for k, c := range t.children[i] {
		out[k] = t.nodes[c]
	}
	return out
}

// Ancestors returns the chain of ids from the root down to and including id, for
// breadcrumbs and for checking an officer's authority; nil if id is unknown.
func (t *Tree) Ancestors(id string) []string {
	i, ok := t.index[id]
	if !ok {
		return nil
	}
	out := make([]string, t.depth[i])
	for k := len(out) - 1; k >= 0; k-- {
		out[k] = t.nodes[i].ID
		i = t.parent[i]
	}
	return out
}

// Subtree returns id followed by all its descendants in tree order: the agencies
// an officer of id may oversee. Nil if id is unknown.
func (t *Tree) Subtree(id string) []string {
	i, ok := t.index[id]
	if !ok {
		return nil
	}
	out := make([]string, 0, t.end[i]-i)
	for _, a := range t.nodes[i:t.end[i]] {
		out = append(out, a.ID)
	}
	return out
}

// Depth is 1 for the root, 2 for its children and so on up to MaxDepth; 0 means
// the id is unknown.
func (t *Tree) Depth(id string) int {
	i, ok := t.index[id]
	if !ok {
		return 0
	}
	return t.depth[i]
}

// Root returns the single top agency (the Provincial People's Committee), which
// receives questions whose asker does not know where to send them.
func (t *Tree) Root() Agency {
	return t.nodes[0]
}

// IsWithin reports whether id is ancestor itself or one of its descendants: the
// permission check for "an officer of ancestor may act on a question addressed to
// id". Unknown ids are never within anything.
func (t *Tree) IsWithin(id, ancestor string) bool {
	i, ok := t.index[id]
	if !ok {
		return false
	}
	a, ok := t.index[ancestor]
	if !ok {
		return false
	}
	// Pre-order numbering: the subtree of a is exactly the range [a, end[a]).
	return a <= i && i < t.end[a]
}

// Path returns the ids on the way from the root to id, one per depth, padded with
// "" below id: for "myhoa.longxuyen" it is ["ubnd-tinh", "longxuyen",
// "myhoa.longxuyen", ""]. Documents store these as fields a1..a4 so that "this
// agency and everything under it" is one indexed equality, ScopeField(id) == id,
// on any backend. The path is derived from the tree at write time: after a
// reorganisation moves an agency, stored paths must be recomputed. An unknown id
// gives an all-empty path.
func (t *Tree) Path(id string) [MaxDepth]string {
	var p [MaxDepth]string
	copy(p[:], t.Ancestors(id))
	return p
}

// ScopeField names the document field ("a1".."a4") that holds id's level of the
// path, i.e. the field to filter on, with value id, to select questions for id and
// all its sub-agencies. It returns "" for an unknown id so that a caller cannot
// accidentally build an unrestricted query.
func (t *Tree) ScopeField(id string) string {
	d := t.Depth(id)
	if d == 0 {
		return ""
	}
	return PathFields()[d-1]
}

// PathFields lists the document field names that hold Path, in depth order, for
// declaring and indexing them in a store migration.
func PathFields() [MaxDepth]string {
	return [MaxDepth]string{"a1", "a2", "a3", "a4"}
}
