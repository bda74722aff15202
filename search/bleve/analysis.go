package bleve

import (
	"bytes"
	"unsafe"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/registry"

	"tuongtac/search"
)

// Names registered with Bleve and stored in the index mapping.
const (
	wordsTokenizer = "tuongtac_words"
	pairsTokenizer = "tuongtac_pairs"
	wordsAnalyzer  = "tuongtac_vi"
	pairsAnalyzer  = "tuongtac_vi_pairs"
	prefixAnalyzer = "tuongtac_prefix"
	edgeFilter     = "tuongtac_edge"
)

// pairSeparator joins the two words of a pair term.
const pairSeparator = " "

// fieldBreak separates title, answer and body in the single "text" and
// "pairs" values (one value rather than an array: Bleve merges array values'
// token frequencies at a noticeable cost). It is a word separator for Scan,
// and no pair spans it, so no phrase runs from a title into a body. Stored
// text never contains it: vntext.Clean turns U+2029 into a line break.
const fieldBreak = "\u2029"

func init() {
	for name, t := range map[string]analysis.Tokenizer{wordsTokenizer: words{}, pairsTokenizer: pairs{}} {
		if err := registry.RegisterTokenizer(name, func(map[string]any, *registry.Cache) (analysis.Tokenizer, error) {
			return t, nil
		}); err != nil {
			panic(err)
		}
	}
}

// scan runs search.Scan over input, which Bleve does not modify while a
// tokenizer reads it; no string made here outlives the call.
func scan(input []byte, fn func(term []byte, start, end int)) {
	search.Scan(unsafe.String(unsafe.SliceData(input), len(input)), fn)
}

// words is search.Scan as a Bleve tokenizer: one token per word, folded.
type words struct{}

func (words) Tokenize(input []byte) analysis.TokenStream {
	toks := make([]analysis.Token, 0, len(input)/5+1)
	buf := make([]byte, 0, len(input))
	scan(input, func(term []byte, start, end int) {
		off := len(buf)
		buf = append(buf, term...)
		toks = append(toks, analysis.Token{
			Term:     buf[off:len(buf):len(buf)],
			Start:    start,
			End:      end,
			Position: len(toks) + 1,
			Type:     analysis.AlphaNumeric,
		})
	})
	return stream(toks)
}

// pairs emits every two adjacent words as one term ("thu tuc", "tuc dat"…) at
// the position of the first. A two-word phrase is then one term lookup, and a
// longer one a phrase over far rarer terms than its words.
type pairs struct{}

func (pairs) Tokenize(input []byte) analysis.TokenStream {
	toks := make([]analysis.Token, 0, len(input)/5+1)
	arena := make([]byte, 0, 2*len(input)+16)
	var prev []byte
	prevStart, prevEnd := -1, 0
	scan(input, func(term []byte, start, end int) {
		if prevStart >= 0 && !bytes.Contains(input[prevEnd:start], breakBytes) {
			off := len(arena)
			arena = append(arena, prev...)
			arena = append(arena, pairSeparator...)
			arena = append(arena, term...)
			toks = append(toks, analysis.Token{
				Term:     arena[off:len(arena):len(arena)],
				Start:    prevStart,
				End:      end,
				Position: len(toks) + 1,
				Type:     analysis.Shingle,
			})
		}
		prev = append(prev[:0], term...)
		prevStart, prevEnd = start, end
	})
	return stream(toks)
}

var breakBytes = []byte(fieldBreak)

func stream(toks []analysis.Token) analysis.TokenStream {
	s := make(analysis.TokenStream, len(toks))
	for i := range toks {
		s[i] = &toks[i]
	}
	return s
}
