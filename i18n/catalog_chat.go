package i18n

func init() {
	for k, v := range chatCatalog {
		catalog[k] = v
	}
}

// chatCatalog is every string of the live chat, {vi, en}: error frames
// (chat.error.<code>), the transcript, the citizen's page and the officers'
// panel.
var chatCatalog = map[string][2]string{
	// Error frames, by code (chat/PROTOCOL.md).
	"chat.error.bad_json":      {"Khung dữ liệu không phải JSON hợp lệ.", "The frame is not valid JSON."},
	"chat.error.unknown_type":  {"Loại khung dữ liệu không được hỗ trợ.", "Unknown frame type."},
	"chat.error.bad_request":   {"Khung dữ liệu thiếu hoặc sai thông tin.", "The frame is missing something or has a wrong value."},
	"chat.error.rate_limited":  {"Bạn gửi quá nhanh. Vui lòng đợi vài giây rồi gửi lại; tin nhắn này chưa được gửi.", "You are sending too fast. Wait a few seconds and send again; this message was not sent."},
	"chat.error.taken":         {"Cán bộ khác đã nhận cuộc trò chuyện này.", "Another officer has already taken this chat."},
	"chat.error.closed":        {"Cuộc trò chuyện đã kết thúc.", "This chat has ended."},
	"chat.error.forbidden":     {"Bạn không có quyền với cuộc trò chuyện này.", "You may not act on this chat."},
	"chat.error.not_found":     {"Không tìm thấy cuộc trò chuyện.", "No such chat."},
	"chat.error.empty":         {"Tin nhắn đang trống.", "The message is empty."},
	"chat.error.too_long":      {"Tin nhắn quá dài (tối đa 4.000 ký tự).", "The message is too long (4,000 characters at most)."},
	"chat.error.internal":      {"Hệ thống đang gặp sự cố; tin nhắn chưa được gửi. Vui lòng thử lại.", "Something went wrong on our side; the message was not sent. Please try again."},
	"chat.error.upgrade":       {"Địa chỉ này chỉ nhận kết nối WebSocket.", "This address takes WebSocket connections only."},
	"chat.conflict.no_consent": {"Người dân chưa đồng ý công khai cuộc trò chuyện này.", "The citizen has not agreed to publish this chat."},
	"chat.conflict.state":      {"Không thể thực hiện thao tác này ở trạng thái hiện tại của cuộc trò chuyện.", "This is not possible in the chat's current state."},

	// Transcript.
	"chat.transcript.heading":  {"Nội dung trò chuyện với %s", "Chat with %s"},
	"chat.transcript.ref":      {"Mã cuộc trò chuyện: %s", "Chat reference: %s"},
	"chat.transcript.started":  {"Bắt đầu: %s", "Started: %s"},
	"chat.transcript.ended":    {"Kết thúc: %s", "Ended: %s"},
	"chat.transcript.citizen":  {"Công dân", "Citizen"},
	"chat.transcript.title":    {"Lưu nội dung trò chuyện", "Keep a copy of this chat"},
	"chat.transcript.download": {"Tải về (tệp văn bản)", "Download (text file)"},

	// The citizen's page.
	"chat.heading":        {"Trò chuyện trực tuyến", "Live chat"},
	"chat.choose_intro":   {"Chọn cơ quan bạn muốn trò chuyện. Cán bộ trực sẽ trả lời khi có mặt; nếu không ai trực, bạn có thể để lại câu hỏi.", "Choose the agency you want to chat with. An officer answers when one is available; if nobody is, you can leave a question."},
	"chat.start":          {"Bắt đầu trò chuyện", "Start chatting"},
	"chat.with":           {"Bạn đang trò chuyện với %s.", "You are chatting with %s."},
	"chat.noscript":       {"Trò chuyện trực tuyến cần JavaScript.", "Live chat needs JavaScript."},
	"chat.ask_instead":    {"Gửi câu hỏi bằng biểu mẫu", "Send a question with the form instead"},
	"chat.connecting":     {"Đang kết nối…", "Connecting…"},
	"chat.connected":      {"Đã kết nối.", "Connected."},
	"chat.reconnecting":   {"Mất kết nối, đang kết nối lại… Tin nhắn của bạn được giữ lại và sẽ gửi khi kết nối lại.", "Connection lost, reconnecting… Your messages are kept and will be sent when it is back."},
	"chat.joined":         {"Cán bộ đã tham gia cuộc trò chuyện.", "An officer has joined the chat."},
	"chat.closed":         {"Cuộc trò chuyện đã kết thúc.", "The chat has ended."},
	"chat.you":            {"Bạn", "You"},
	"chat.unsent":         {"Chưa gửi được; sẽ tự gửi lại.", "Not sent yet; it will be sent again."},
	"chat.online":         {"Có cán bộ trực tuyến.", "An officer is online."},
	"chat.waiting":        {"Đang chờ cán bộ…", "Waiting for an officer…"},
	"chat.nobody_online":  {"Hiện không có cán bộ nào trực tuyến. Tin nhắn của bạn đã được lưu; bạn có thể chờ, hoặc để lại câu hỏi để cơ quan trả lời sau.", "No officer is online right now. Your messages are saved; you can wait, or leave them as a question for the agency to answer later."},
	"chat.leave_question": {"Để lại câu hỏi", "Leave a question"},
	"chat.log":            {"Nội dung trò chuyện", "Conversation"},
	"chat.typing":         {"Đang soạn tin…", "Typing…"},
	"chat.message":        {"Tin nhắn", "Message"},
	"chat.send":           {"Gửi", "Send"},
	"chat.end":            {"Kết thúc trò chuyện", "End chat"},
	"chat.consent":        {"Tôi đồng ý để cơ quan đăng nội dung hỏi đáp này công khai, sau khi che thông tin cá nhân.", "I agree that the agency may publish this exchange as a public Q&A, with personal details masked."},
	"chat.consent_hint":   {"Không bắt buộc. Bạn có thể bỏ chọn bất cứ lúc nào trước khi nội dung được đăng.", "Optional. You can untick it at any time before it is published."},
	"chat.failed":         {"Chưa thực hiện được. Vui lòng thử lại.", "That did not work. Please try again."},
	"chat.mail.label":     {"Nhận nội dung qua email", "Get it by email"},
	"chat.mail.hint":      {"Chúng tôi gửi toàn bộ nội dung khi cuộc trò chuyện kết thúc.", "We send the whole conversation when the chat ends."},
	"chat.mail.send":      {"Gửi cho tôi", "Send it to me"},
	"chat.mail.ok":        {"Đã ghi nhận. Nội dung sẽ được gửi khi cuộc trò chuyện kết thúc.", "Noted. The conversation will be sent when the chat ends."},

	"chat.question.default_title": {"Câu hỏi từ trò chuyện trực tuyến", "Question left in a live chat"},
	"chat.question.heading":       {"Để lại câu hỏi", "Leave a question"},
	"chat.question.intro":         {"Mọi tin nhắn bạn đã viết (cả tin chưa gửi) sẽ thành nội dung câu hỏi gửi đến cơ quan. Bạn nhận mã tra cứu để theo dõi câu trả lời.", "Everything you wrote (unsent messages too) becomes a question to the agency. You get a tracking code to follow the answer."},
	"chat.question.send":          {"Gửi câu hỏi", "Send the question"},
	"chat.question.ok":            {"Đã gửi câu hỏi. Mã tra cứu của bạn:", "Your question has been sent. Your tracking code:"},

	// The officers' panel.
	"chat.console.heading":      {"Trò chuyện trực tuyến", "Live chat"},
	"chat.console.back":         {"← Hàng đợi câu hỏi", "← Question queue"},
	"chat.console.noscript":     {"Bảng trò chuyện cần JavaScript.", "The chat panel needs JavaScript."},
	"chat.console.no_agencies":  {"Tài khoản của bạn chưa được giao cơ quan nào.", "Your account serves no agency yet."},
	"chat.console.online":       {"Cán bộ đang trực tuyến", "Officers online"},
	"chat.console.waiting":      {"Đang chờ", "Waiting"},
	"chat.console.none_waiting": {"Không có cuộc trò chuyện nào đang chờ.", "No chat is waiting."},
	"chat.console.mine":         {"Cuộc trò chuyện của tôi", "My chats"},
	"chat.console.accept":       {"Nhận", "Accept"},
	"chat.console.close":        {"Kết thúc", "Close"},
	"chat.console.consented":    {"Người dân đồng ý công khai", "The citizen agrees to publication"},
	"chat.console.publish":      {"Tạo hỏi đáp công khai", "Make a public Q&A"},
	"chat.console.published":    {"Đã tạo hỏi đáp; đang chờ Ban biên tập phê duyệt.", "Q&A created; it waits for the editors' approval."},
	"chat.console.question":     {"Câu hỏi", "Question"},
	"chat.console.answer":       {"Câu trả lời", "Answer"},
}
