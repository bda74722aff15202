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
	"mail.verify_title":      {"Xác nhận địa chỉ email", "Confirm your email address"},
	"mail.verify_ask":        {"Bấm nút dưới đây để xác nhận đây là email của bạn. Sau đó bạn sẽ nhận thông báo về câu hỏi của mình.", "Press the button to confirm this is your address. You will then get notices about your question."},
	"mail.verify_button":     {"Xác nhận email", "Confirm my address"},
	"mail.verify_done":       {"Đã xác nhận. Các thông báo đang chờ sẽ được gửi đến bạn.", "Confirmed. The notices waiting for you are on their way."},
	"mail.verify_unknown":    {"Liên kết xác nhận không đúng hoặc đã hết hạn.", "This confirmation link is wrong or has expired."},
	"mail.unsub_title":       {"Ngừng nhận email", "Stop emails"},
	"mail.unsub_ask":         {"Bấm nút dưới đây để không nhận thêm email nào từ cổng tương tác.", "Press the button to receive no more emails from the portal."},
	"mail.unsub_button":      {"Ngừng nhận email", "Stop all emails"},
	"mail.unsub_done":        {"Bạn sẽ không nhận thêm email nào từ chúng tôi.", "You will receive no more emails from us."},
	"mail.follow_title":      {"Theo dõi câu hỏi", "Follow this question"},
	"mail.follow_confirm":    {"Chúng tôi đã gửi liên kết xác nhận đến email của bạn. Bạn sẽ nhận cập nhật sau khi xác nhận.", "We sent a confirmation link to your address. Updates start once you confirm it."},
	"mail.follow_done":       {"Bạn đang theo dõi câu hỏi này. Mỗi email đều có liên kết để ngừng nhận.", "You follow this question. Every email has a link to stop."},
	"mail.follow_bad":        {"Địa chỉ email không hợp lệ.", "That email address is not valid."},
	"thread.follow":          {"Nhận cập nhật qua email", "Get updates by email"},
	"thread.follow_hint":     {"Email của bạn không được công khai. Bạn cần xác nhận địa chỉ trước.", "Your address is never shown. You confirm it first."},
	"thread.follow_button":   {"Theo dõi", "Follow"},
	"live.heading":           {"Vừa cập nhật", "Just now"},
	"live.submitted":         {"câu hỏi mới", "new question"},
	"live.reload":            {"Tải lại hàng chờ", "Reload the queue"},
	"search.state":           {"Trạng thái", "State"},
	"console.search":         {"Tìm trong câu hỏi", "Search threads"},
	"search.officer_heading": {"Tìm trong câu hỏi của cơ quan", "Search your agencies' threads"},
}
