package legal

import (
	"strings"
	"testing"
)

func TestCompare(t *testing.T) {
	reg := regulation(t)
	tests := []struct {
		name    string
		edit    func(string) string
		changes []string // change:old_anchor>anchor
		remap   map[string]string
	}{
		{
			name:    "unchanged",
			edit:    func(s string) string { return s },
			changes: nil,
			remap:   map[string]string{},
		},
		{
			name: "a point reworded",
			edit: func(s string) string {
				return strings.Replace(s, "b) Hỗ trợ tính năng mạng xã hội.", "b) Hỗ trợ tính năng mạng xã hội, chia sẻ và theo dõi.", 1)
			},
			changes: []string{"modified:chuong-ii/dieu-7>chuong-ii/dieu-7"},
			remap:   map[string]string{},
		},
		{
			name: "an article inserted renumbers the next ones",
			edit: func(s string) string {
				s = strings.Replace(s, "Điều 27. Quy định chuyển tiếp", "Điều 27. Điều khoản mới về giám sát\n1. Sở Tư pháp theo dõi việc thi hành.\nĐiều 28. Quy định chuyển tiếp", 1)
				return strings.Replace(s, "Điều 28. Trong quá trình", "Điều 29. Trong quá trình", 1)
			},
			changes: []string{"added:>chuong-vi/dieu-27", "renumbered:chuong-vi/dieu-27>chuong-vi/dieu-28", "renumbered:chuong-vi/dieu-28>chuong-vi/dieu-29"},
			remap:   map[string]string{"chuong-vi/dieu-27": "chuong-vi/dieu-28", "chuong-vi/dieu-28": "chuong-vi/dieu-29"},
		},
		{
			name: "an article removed, a clause removed",
			edit: func(s string) string {
				i := strings.Index(s, "Điều 13. Nhân lực quản trị kỹ thuật")
				j := strings.Index(s, "Điều 14. Bồi dưỡng nhân lực")
				s = s[:i] + s[j:]
				return strings.Replace(s, "2. Căn cứ vào điều kiện cụ thể, Sở, ban, ngành cấp tỉnh; Ủy ban nhân dân cấp", "", 1)
			},
			changes: []string{"modified:chuong-ii/dieu-7>chuong-ii/dieu-7", "removed:chuong-iv/muc-1/dieu-13>"},
			remap:   map[string]string{"chuong-iv/muc-1/dieu-13": ""},
		},
		{
			name: "a chapter inserted moves the articles after it",
			edit: func(s string) string {
				return strings.Replace(s, "Chương VI \n", "Chương VI\nGIÁM SÁT\nĐiều 23a. Giám sát\nNội dung mới về giám sát việc cung cấp thông tin.\nChương VII\n", 1)
			},
		},
	}
	old := mustParse(t, reg, FormatText)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			nw := mustParse(t, tc.edit(reg), FormatText)
			d := Compare(old, nw)
			var got []string
			for _, c := range d.Changes {
				got = append(got, c.Change+":"+c.OldAnchor+">"+c.Anchor)
			}
			if tc.changes != nil || tc.remap != nil {
				if strings.Join(got, " ") != strings.Join(tc.changes, " ") {
					t.Errorf("changes %v\nwant %v", got, tc.changes)
				}
			}
			for k, v := range tc.remap {
				if d.Remap[k] != v {
					t.Errorf("remap %s = %q, want %q", k, d.Remap[k], v)
				}
			}
			// Every old anchor maps to an anchor of the new version, or to "".
			nix := nw.Index()
			old.Walk(func(n *Node, _ []*Node) bool {
				to, ok := d.Remap[n.Anchor]
				if !ok {
					to = n.Anchor
				}
				if to != "" && !nix.Has(to) {
					t.Errorf("%s maps to %q, not in the new version", n.Anchor, to)
				}
				return true
			})
			if tc.changes == nil && tc.remap == nil {
				// The chapter case: articles 24–28 moved to Chương VII.
				if d.Remap["chuong-vi/dieu-24/khoan-1"] != "chuong-vii/dieu-24/khoan-1" {
					t.Errorf("24.1 maps to %q", d.Remap["chuong-vi/dieu-24/khoan-1"])
				}
				if len(d.Changes) != 6 || d.Changes[0].Change != ChangeAdded {
					t.Errorf("changes %v", got)
				}
			}
		})
	}

	t.Run("a removed clause maps to its article", func(t *testing.T) {
		a := mustParse(t, "Điều 1. X\n1. Một việc cần làm.\n2. Hai việc khác nữa.\n3. Ba là điều cuối cùng.", FormatText)
		b := mustParse(t, "Điều 1. X\n1. Một việc cần làm.\n2. Ba là điều cuối cùng.", FormatText)
		d := Compare(a, b)
		want := map[string]string{"dieu-1/khoan-2": "dieu-1", "dieu-1/khoan-3": "dieu-1/khoan-2"}
		if len(d.Remap) != len(want) {
			t.Errorf("remap %v", d.Remap)
		}
		for k, v := range want {
			if d.Remap[k] != v {
				t.Errorf("remap %s = %q, want %q", k, d.Remap[k], v)
			}
		}
		if len(d.Changes) != 1 || d.Changes[0].Change != ChangeModified {
			t.Fatalf("changes %+v", d.Changes)
		}
		var ops []string
		for _, op := range d.Changes[0].Ops {
			ops = append(ops, op.Op+op.Text)
		}
		if got := strings.Join(ops, "|"); got != "=X\n1. Một việc cần làm.\n2. |-Hai việc khác nữa.\n3. |=Ba là điều cuối cùng." {
			t.Errorf("ops %q", got)
		}
	})
	t.Run("identical duplicates are unchanged", func(t *testing.T) {
		a := mustParse(t, "Chương I\nX\nĐiều 1. A\nNội dung.\nChương II\nX\nĐiều 1. A\nNội dung.\nMục 1\nY\nĐiều 2. B", FormatText)
		if d := Compare(a, a); len(d.Changes) != 0 || len(d.Remap) != 0 || d.Unchanged != 3 {
			t.Errorf("%+v", d)
		}
	})
	t.Run("paragraphs", func(t *testing.T) {
		a := mustParse(t, "Đoạn một về chủ đề A.\nĐoạn hai về chủ đề B.", FormatText)
		b := mustParse(t, "Đoạn mới ở đầu.\nĐoạn một về chủ đề A.\nĐoạn hai về chủ đề B, có sửa.", FormatText)
		d := Compare(a, b)
		var got []string
		for _, c := range d.Changes {
			got = append(got, c.Change+":"+c.OldAnchor+">"+c.Anchor)
		}
		if strings.Join(got, " ") != "added:>doan-1 renumbered:doan-1>doan-2 modified:doan-2>doan-3" {
			t.Errorf("changes %v", got)
		}
	})
}

func TestDiffLines(t *testing.T) {
	tests := []struct {
		name string
		a, b []string
		want string
	}{
		{"same", []string{"a b"}, []string{"a b"}, "=a b"},
		{"word changed", []string{"một hai ba"}, []string{"một bốn ba"}, "=một |-hai|+bốn|= ba"},
		{"line added", []string{"x", "z"}, []string{"x", "y", "z"}, "=x\n|+y\n|=z"},
		{"all new", nil, []string{"x", "y"}, "+x\ny"},
		{"all gone", []string{"x"}, nil, "-x"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, op := range diffLines(tc.a, tc.b) {
				got = append(got, op.Op+op.Text)
			}
			if g := strings.Join(got, "|"); g != tc.want {
				t.Errorf("got %q, want %q", g, tc.want)
			}
		})
	}
}
