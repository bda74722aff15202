package bleve

import (
	"fmt"
	"reflect"
	"testing"
)

func TestGrams(t *testing.T) {
	in := "Thủ tục: đất-đai" + fieldBreak + "Hồ sơ" + fieldBreak + "a" + fieldBreak + "x y z"
	for _, tc := range []struct {
		n    grams
		want []string
	}{
		{2, []string{"thu tuc@1", "tuc dat@2", "dat dai@3", "ho so@6", "x y@11", "y z@12"}},
		{3, []string{"thu tuc dat@1", "tuc dat dai@2", "x y z@12"}},
	} {
		var got []string
		for _, tok := range tc.n.Tokenize([]byte(in)) {
			got = append(got, fmt.Sprintf("%s@%d", tok.Term, tok.Position))
			if tok.Start < 0 || tok.End > len(in) || tok.Start >= tok.End {
				t.Errorf("%d-grams: %q at %d:%d", tc.n, tok.Term, tok.Start, tok.End)
			}
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%d-grams = %q, want %q", tc.n, got, tc.want)
		}
	}
	if toks := (words{}).Tokenize([]byte("Đất " + fieldBreak + " đai")); len(toks) != 2 || string(toks[1].Term) != "dai" || toks[1].Position != 2 {
		t.Errorf("words: %v", toks)
	}
}
