package vntext

import (
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"
)

// benchParagraph is a ~1 KB Vietnamese paragraph (a real complaint from the
// corpus), the typical size of a question body.
const benchParagraph = "Kính gửi Văn phòng UBND tỉnh. Ngày 03/3/2025 tôi nộp hồ sơ đăng ký biến động đất đai (tặng cho quyền sử dụng đất cho con gái) qua Cổng dịch vụ công của tỉnh, đã thanh toán lệ phí trực tuyến và nhận mã hồ sơ. Theo giấy tiếp nhận thì ngày hẹn trả kết quả là 24/3/2025, nhưng đến nay đã gần một tháng trôi qua, trạng thái hồ sơ vẫn ghi “đang xử lý”, không có tin nhắn hay email nào thông báo lý do chậm trễ. Tôi đã gọi số điện thoại hỗ trợ ghi trên cổng nhiều lần nhưng không ai bắt máy. Tôi lớn tuổi, đi lại khó khăn nên mới chọn nộp trực tuyến cho đỡ tốn công, vậy mà bây giờ phải chờ đợi không biết tới bao giờ. Đề nghị cơ quan có thẩm quyền kiểm tra, cho biết hồ sơ của tôi đang vướng ở khâu nào và khi nào được trả kết quả. Xin cảm ơn. Trân trọng."

func BenchmarkFold(b *testing.B) {
	b.SetBytes(int64(len(benchParagraph)))
	b.ReportAllocs()
	for b.Loop() {
		_ = Fold(benchParagraph)
	}
}

func BenchmarkFoldNFD(b *testing.B) {
	s := norm.NFD.String(benchParagraph)
	b.SetBytes(int64(len(s)))
	b.ReportAllocs()
	for b.Loop() {
		_ = Fold(s)
	}
}

// BenchmarkFoldASCII measures text typed without diacritics.
func BenchmarkFoldASCII(b *testing.B) {
	s := strings.Map(func(r rune) rune {
		if r >= 0x80 {
			return -1
		}
		return r
	}, Fold(benchParagraph))
	b.SetBytes(int64(len(s)))
	b.ReportAllocs()
	for b.Loop() {
		_ = Fold(s)
	}
}

// BenchmarkClean measures the common case: already clean NFC text.
func BenchmarkClean(b *testing.B) {
	b.SetBytes(int64(len(benchParagraph)))
	b.ReportAllocs()
	for b.Loop() {
		_ = Clean(benchParagraph)
	}
}

// BenchmarkCleanDirty measures text that needs every step: NFD, CRLF line
// breaks, zero-width characters and surrounding white space.
func BenchmarkCleanDirty(b *testing.B) {
	cut := strings.Index(benchParagraph, " Tôi lớn tuổi")
	s := "\u00a0 " + norm.NFD.String(benchParagraph[:cut]) + "\r\n\r\n\r\n\u200b" + benchParagraph[cut:] + " \t\n"
	b.SetBytes(int64(len(s)))
	b.ReportAllocs()
	for b.Loop() {
		_ = Clean(s)
	}
}
