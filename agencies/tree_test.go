package agencies

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

func mustDefaultTree(t *testing.T) *Tree {
	t.Helper()
	tr, err := Default()
	if err != nil {
		t.Fatalf("Default: %v", err)
	}
	return tr
}

// treeJSON marshals agencies into the file format; parent "" stands for the root.
func treeJSON(t *testing.T, as ...Agency) string {
	t.Helper()
	b, err := json.Marshal(map[string]any{"agencies": as})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func ag(id, parent string) Agency {
	a := Agency{ID: id, Parent: parent, Level: "x", SLAWorkingDays: 5}
	a.Name.VI = "Cơ quan " + id
	a.Name.EN = "Agency " + id
	return a
}

func TestDefaultTree(t *testing.T) {
	tr := mustDefaultTree(t)
	if tr.Root().ID != "ubnd-tinh" {
		t.Errorf("Root = %q", tr.Root().ID)
	}
	if again, _ := Default(); again != tr {
		t.Error("Default returned a different *Tree on the second call")
	}
	if tr.Len() != 64 || len(tr.All()) != 64 {
		t.Errorf("Len = %d, All = %d; want 64", tr.Len(), len(tr.All()))
	}
	a, ok := tr.Get("myhoa.longxuyen")
	if !ok || a.Parent != "longxuyen" || a.SLAWorkingDays != 7 || a.Level != "commune" || a.Domain != "myhoa.longxuyen.angiang.gov.vn" {
		t.Errorf("Get(myhoa.longxuyen) = %+v, %v", a, ok)
	}
	if a.Name.VI == "" || a.Name.EN != "My Hoa Ward" {
		t.Errorf("names = %+v", a.Name)
	}
	if r := tr.Root(); r.Parent != "" {
		t.Errorf("root parent = %q, want empty (null in file)", r.Parent)
	}
}

func TestTreeOrder(t *testing.T) {
	tr := mustDefaultTree(t)
	all := tr.All()
	pos := map[string]int{}
	for i, a := range all {
		pos[a.ID] = i
	}
	// Depth-first: every agency comes after its parent and its subtree is contiguous.
	for _, a := range all {
		if a.Parent != "" && pos[a.Parent] >= pos[a.ID] {
			t.Errorf("%s listed before its parent %s", a.ID, a.Parent)
		}
		sub := tr.Subtree(a.ID)
		if got := all[pos[a.ID] : pos[a.ID]+len(sub)]; !slices.EqualFunc(got, sub, func(x Agency, id string) bool { return x.ID == id }) {
			t.Errorf("subtree of %s is not contiguous in All()", a.ID)
		}
	}
	// longxuyen is immediately followed by its communes, in file order.
	i := pos["longxuyen"]
	if all[i+1].ID != "mybinh.longxuyen" || all[i+13].ID != "myhoahung.longxuyen" || all[i+14].ID != "chaudoc" {
		t.Errorf("order after longxuyen: %s, %s, %s", all[i+1].ID, all[i+13].ID, all[i+14].ID)
	}
	// Top level keeps file order: departments first, then districts.
	kids := tr.Children("ubnd-tinh")
	if len(kids) != 29 || kids[0].ID != "vpubnd" || kids[len(kids)-1].ID != "thoaison" {
		t.Errorf("Children(root) = %d agencies, first %s, last %s", len(kids), kids[0].ID, kids[len(kids)-1].ID)
	}
	// Returned slices are copies.
	all[0].ID = "changed"
	kids[0].Name.VI = "changed"
	if tr.Root().ID != "ubnd-tinh" || tr.Children("ubnd-tinh")[0].Name.VI == "changed" {
		t.Error("mutating a returned slice changed the tree")
	}
}

func TestTreeQueries(t *testing.T) {
	tr := mustDefaultTree(t)
	tests := []struct {
		name      string
		id        string
		depth     int
		ancestors []string
		path      [MaxDepth]string
		scope     string
		subtree   int
		children  int
	}{
		{"root", "ubnd-tinh", 1, []string{"ubnd-tinh"}, [MaxDepth]string{"ubnd-tinh"}, "a1", 64, 29},
		{"department", "soyt", 2, []string{"ubnd-tinh", "soyt"}, [MaxDepth]string{"ubnd-tinh", "soyt"}, "a2", 1, 0},
		{"district", "longxuyen", 2, []string{"ubnd-tinh", "longxuyen"}, [MaxDepth]string{"ubnd-tinh", "longxuyen"}, "a2", 14, 13},
		{"commune with dotted id", "myhoa.longxuyen", 3,
			[]string{"ubnd-tinh", "longxuyen", "myhoa.longxuyen"},
			[MaxDepth]string{"ubnd-tinh", "longxuyen", "myhoa.longxuyen", ""}, "a3", 1, 0},
		{"commune named like its district", "triton.triton", 3,
			[]string{"ubnd-tinh", "triton", "triton.triton"},
			[MaxDepth]string{"ubnd-tinh", "triton", "triton.triton"}, "a3", 1, 0},
		{"unknown", "nope", 0, nil, [MaxDepth]string{}, "", 0, 0},
		{"empty id", "", 0, nil, [MaxDepth]string{}, "", 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tr.Depth(tc.id); got != tc.depth {
				t.Errorf("Depth = %d, want %d", got, tc.depth)
			}
			if got := tr.Ancestors(tc.id); !slices.Equal(got, tc.ancestors) {
				t.Errorf("Ancestors = %q, want %q", got, tc.ancestors)
			}
			if got := tr.Path(tc.id); got != tc.path {
				t.Errorf("Path = %q, want %q", got, tc.path)
			}
			if got := tr.ScopeField(tc.id); got != tc.scope {
				t.Errorf("ScopeField = %q, want %q", got, tc.scope)
			}
			if got := len(tr.Subtree(tc.id)); got != tc.subtree {
				t.Errorf("len(Subtree) = %d, want %d", got, tc.subtree)
			}
			if got := len(tr.Children(tc.id)); got != tc.children {
				t.Errorf("len(Children) = %d, want %d", got, tc.children)
			}
			if tc.depth > 0 {
				// The scope query finds exactly the subtree.
				var found []string
				for _, a := range tr.All() {
					p := tr.Path(a.ID)
					if p[tc.depth-1] == tc.id {
						found = append(found, a.ID)
					}
				}
				if !slices.Equal(found, tr.Subtree(tc.id)) {
					t.Errorf("filtering on %s = %s finds %q, want Subtree %q", tc.scope, tc.id, found, tr.Subtree(tc.id))
				}
				if sub := tr.Subtree(tc.id); sub[0] != tc.id {
					t.Errorf("Subtree does not start with id: %q", sub)
				}
			}
		})
	}
}

func TestIsWithin(t *testing.T) {
	tr := mustDefaultTree(t)
	tests := []struct {
		name         string
		id, ancestor string
		want         bool
	}{
		{"itself", "longxuyen", "longxuyen", true},
		{"child", "myhoa.longxuyen", "longxuyen", true},
		{"grandchild of root", "myhoa.longxuyen", "ubnd-tinh", true},
		{"root within itself", "ubnd-tinh", "ubnd-tinh", true},
		{"parent is not within child", "longxuyen", "myhoa.longxuyen", false},
		{"sibling district", "nuisam.chaudoc", "longxuyen", false},
		{"department and district", "soyt", "longxuyen", false},
		{"unknown id", "nope", "ubnd-tinh", false},
		{"unknown ancestor", "longxuyen", "nope", false},
		{"both empty", "", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tr.IsWithin(tc.id, tc.ancestor); got != tc.want {
				t.Errorf("IsWithin(%q, %q) = %v, want %v", tc.id, tc.ancestor, got, tc.want)
			}
		})
	}
}

func TestDisplayName(t *testing.T) {
	a := Agency{Name: AgencyName{VI: "Sở Y tế", EN: "Department of Health"}}
	noEN := Agency{Name: AgencyName{VI: "Phường Mỹ Hòa"}}
	tests := []struct {
		name string
		a    Agency
		lang string
		want string
	}{
		{"vietnamese", a, "vi", "Sở Y tế"},
		{"english", a, "en", "Department of Health"},
		{"english region", a, "en-US", "Department of Health"},
		{"english upper case", a, "EN_gb", "Department of Health"},
		{"empty defaults to vietnamese", a, "", "Sở Y tế"},
		{"other language", a, "fr", "Sở Y tế"},
		{"not english despite prefix", a, "eno", "Sở Y tế"},
		{"missing english falls back", noEN, "en", "Phường Mỹ Hòa"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.a.DisplayName(tc.lang); got != tc.want {
				t.Errorf("DisplayName(%q) = %q, want %q", tc.lang, got, tc.want)
			}
		})
	}
}

func TestLoadValid(t *testing.T) {
	// null parent, missing sla (defaults), unknown fields, missing English name.
	const in = `{"_note":"x","agencies":[
		{"id":"root","name":{"vi":"Gốc"},"parent":null,"extra":1},
		{"id":"a","name":{"vi":" A ","en":"A"},"parent":"root","sla_working_days":60},
		{"id":"a.b","name":{"vi":"B"},"parent":"a","sla_working_days":1},
		{"id":"c.a.b","name":{"vi":"C"},"parent":"a.b"}
	]}`
	tr, err := Load(strings.NewReader(in))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if r, _ := tr.Get("root"); r.SLAWorkingDays != DefaultSLAWorkingDays {
		t.Errorf("default SLA = %d", r.SLAWorkingDays)
	}
	if a, _ := tr.Get("a"); a.Name.VI != "A" {
		t.Errorf("name not trimmed: %q", a.Name.VI)
	}
	if got := tr.Path("c.a.b"); got != [MaxDepth]string{"root", "a", "a.b", "c.a.b"} {
		t.Errorf("Path at MaxDepth = %q", got)
	}
	if got := tr.ScopeField("c.a.b"); got != "a4" {
		t.Errorf("ScopeField at MaxDepth = %q", got)
	}
}

func TestLoadErrors(t *testing.T) {
	long := strings.Repeat("a", 64)
	tests := []struct {
		name string
		in   string
		want string // substring of the error
	}{
		{"not json", `agencies`, "decoding JSON"},
		{"trailing data", treeJSON(t, ag("r", "")) + `{}`, "after the JSON"},
		{"empty list", `{"agencies":[]}`, "no agencies"},
		{"missing list", `{}`, "no agencies"},
		{"duplicate id", treeJSON(t, ag("r", ""), ag("a", "r"), ag("a", "r")), `"a" appears twice`},
		{"upper-case id", treeJSON(t, ag("r", ""), ag("Sở", "r")), "must match"},
		{"id starting with dot", treeJSON(t, ag("r", ""), ag(".a", "r")), "must match"},
		{"id with slash", treeJSON(t, ag("r", ""), ag("a/b", "r")), "must match"},
		{"id too long", treeJSON(t, ag("r", ""), ag(long, "r")), "must match"},
		{"empty id", treeJSON(t, ag("r", ""), ag("", "r")), "must match"},
		{"unknown parent", treeJSON(t, ag("r", ""), ag("a", "x")), `parent "x" does not exist`},
		{"two roots", treeJSON(t, ag("r", ""), ag("s", "")), "two roots"},
		{"no root", treeJSON(t, ag("a", "b"), ag("b", "a")), "no root"},
		{"cycle beside root", treeJSON(t, ag("r", ""), ag("a", "c"), ag("b", "a"), ag("c", "b"), ag("d", "a")), "cycle: "},
		{"self parent", treeJSON(t, ag("r", ""), ag("a", "a")), "cycle: a -> a"},
		{"too deep", treeJSON(t, ag("r", ""), ag("a", "r"), ag("b", "a"), ag("c", "b"), ag("d", "c")), `"d" is at depth 5`},
		{"empty name", `{"agencies":[{"id":"r","name":{"vi":"  ","en":"Root"}}]}`, "empty Vietnamese name"},
		{"missing name", `{"agencies":[{"id":"r"}]}`, "empty Vietnamese name"},
		{"sla too high", `{"agencies":[{"id":"r","name":{"vi":"R"},"sla_working_days":61}]}`, "outside 1..60"},
		{"sla negative", `{"agencies":[{"id":"r","name":{"vi":"R"},"sla_working_days":-1}]}`, "outside 1..60"},
		{"sla not a number", `{"agencies":[{"id":"r","name":{"vi":"R"},"sla_working_days":"10"}]}`, "decoding JSON"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr, err := Load(strings.NewReader(tc.in))
			if err == nil {
				t.Fatalf("Load succeeded (%d agencies), want error containing %q", tr.Len(), tc.want)
			}
			if !errors.Is(err, ErrInvalidTree) {
				t.Errorf("error %v does not wrap ErrInvalidTree", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}

func TestLoadFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "tree.json")
	if err := os.WriteFile(good, []byte(treeJSON(t, ag("r", ""), ag("a", "r"))), 0o600); err != nil {
		t.Fatal(err)
	}
	tr, err := LoadFile(good)
	if err != nil || tr.Len() != 2 {
		t.Fatalf("LoadFile = %v, %v", tr, err)
	}
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"agencies":[]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadFile(bad); !errors.Is(err, ErrInvalidTree) || !strings.Contains(err.Error(), "bad.json") {
		t.Errorf("LoadFile(bad) error = %v", err)
	}
	if _, err := LoadFile(filepath.Join(dir, "missing.json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("LoadFile(missing) error = %v", err)
	}
}

func TestTreeConcurrentReads(t *testing.T) {
	tr := mustDefaultTree(t)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for _, a := range tr.All() {
				tr.Path(a.ID)
				tr.Children(a.ID)
				tr.IsWithin(a.ID, "longxuyen")
				tr.Subtree(a.ID)
			}
		})
	}
	wg.Wait()
}
