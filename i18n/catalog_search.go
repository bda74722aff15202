package i18n

func init() {
	for k, v := range searchCatalog {
		catalog[k] = v
	}
}

// searchCatalog holds the search page's strings.
var searchCatalog = map[string][2]string{
	"search.heading":         {"Tìm câu hỏi đã được trả lời", "Search answered questions"},
	"search.label":           {"Từ khóa", "Search for"},
	"search.hint":            {"Gõ có dấu hoặc không dấu đều được, ví dụ: giay khai sinh. Đặt cụm từ trong ngoặc kép để tìm đúng cụm.", "With or without Vietnamese accents, e.g. giay khai sinh. Put words in quotes to find the exact phrase."},
	"search.hint_short":      {"ví dụ: giay khai sinh", "e.g. birth certificate"},
	"search.button":          {"Tìm", "Search"},
	"search.suggestions":     {"Gợi ý", "Suggestions"},
	"search.sort":            {"Sắp xếp", "Sort by"},
	"search.sort_relevance":  {"Phù hợp nhất", "Best match"},
	"search.sort_newest":     {"Mới nhất", "Newest"},
	"search.count":           {"%d kết quả", "%d results"},
	"search.facets":          {"Lọc kết quả", "Narrow the results"},
	"search.year":            {"Năm", "Year"},
	"search.none":            {"Không tìm thấy câu hỏi nào phù hợp.", "No answered question matches."},
	"search.officer_heading": {"Tìm trong câu hỏi của cơ quan", "Search your agencies' threads"},
}
