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
	wordsTokenizer   = "tuongtac_words"
	pairsTokenizer   = "tuongtac_pairs"
	triplesTokenizer = "tuongtac_triples"
	wordsAnalyzer    = "tuongtac_vi"
	pairsAnalyzer    = "tuongtac_vi_pairs"
	triplesAnalyzer  = "tuongtac_vi_triples"
	prefixAnalyzer   = "tuongtac_prefix"
	edgeFilter       = "tuongtac_edge"
)

// gramSeparator joins the words of a pair or triple term.
const gramSeparator = " "

// fieldBreak separates title, answer and body in the single "text", "pairs"
// and "triples" values (one value rather than an array: Bleve merges array
// values' token frequencies at a noticeable cost). It is a word separator for
// Scan, and no pair or triple spans it, so no phrase runs from a title into a
// body. Stored text never contains it: vntext.Clean turns U+2029 into a line
// break.
const fieldBreak = "\u2029"

func init() {
	for name, t := range map[string]analysis.Tokenizer{wordsTokenizer: words{}, pairsTokenizer: grams(2), triplesTokenizer: grams(3)} {
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

// grams(n) emits every n adjacent words as one term ("thu tuc", "tuc dat"…
// for n = 2), at consecutive positions. A two- or three-word phrase is then
// one term lookup, and a longer one a positional match over triples, far
// rarer than single syllables. Positions jump by n at a field break, so
// grams on either side never look adjacent.
type grams int

func (n grams) Tokenize(input []byte) analysis.TokenStream {
	toks := make([]analysis.Token, 0, len(input)/5+1)
	arena := make([]byte, 0, int(n)*len(input)+16)
	type word struct {
		term       []byte
		start, end int
	}
	window := make([]word, 0, n) // the last n-1 words
	pos := 0
	scan(input, func(term []byte, start, end int) {
		if len(window) > 0 && bytes.Contains(input[window[len(window)-1].end:start], breakBytes) {
			window = window[:0]
			pos += int(n)
		}
		if len(window) == int(n)-1 {
			off := len(arena)
			for _, w := range window {
				arena = append(arena, w.term...)
				arena = append(arena, gramSeparator...)
			}
			arena = append(arena, term...)
			pos++
			toks = append(toks, analysis.Token{
				Term:     arena[off:len(arena):len(arena)],
				Start:    window[0].start,
				End:      end,
				Position: pos,
				Type:     analysis.Shingle,
			})
			// Slide: drop the oldest word, reusing its buffer.
			oldest := window[0].term
			copy(window, window[1:])
			window = window[:len(window)-1]
			window = append(window, word{append(oldest[:0], term...), start, end})
			return
		}
		window = append(window, word{append([]byte(nil), term...), start, end})
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
