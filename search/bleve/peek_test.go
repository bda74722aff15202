package bleve_test

import (
	"context"
	"fmt"
	"testing"

	"tuongtac/search"
	"tuongtac/search/searchtest"
)

func TestPeek(t *testing.T) {
	ix := open(t)
	ctx := context.Background()
	ix.Index(ctx, searchtest.Corpus(t)...)
	for _, q := range []string{"thu tuc dat dai", `"dịch vụ công"`, "ngap", "investment", "học phí"} {
		res, _ := ix.Search(ctx, search.Query{Text: q, PerPage: 3, Facets: true})
		fmt.Println("==", q, res.Total, res.Facets.Kind, res.Facets.Year)
		for _, h := range res.Hits {
			fmt.Printf("%s %.2f\n  T: %s\n  S: %s\n", h.ID, h.Score, h.TitleHTML, h.SnippetHTML)
		}
	}
	s, _ := ix.Suggest(ctx, "thu tu", search.Query{}, 5)
	for _, x := range s {
		fmt.Println(x.ID, x.TitleHTML)
	}
}
