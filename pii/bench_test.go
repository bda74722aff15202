package pii

import (
	"strings"
	"testing"
)

// benchBody is a ~1 KB question body with a name, a phone number, an e-mail
// address and several numbers that must survive (dates, amounts, legal
// numbers).
const benchBody = "Kính gửi UBND phường Mỹ Hòa. Tôi tên Nguyễn Thị Kim Loan, nhà ở số 15/7 hẻm 3 đường Trần Hưng Đạo, khóm Tây Khánh 4, phường Mỹ Hòa. Khoảng ba tháng nay, khu đất trống ở đầu hẻm bị người ở nơi khác chở rác đến đổ vào ban đêm, có cả xà bần, nệm cũ, rác sinh hoạt. Ngày 17/4/2025 tôi đã báo phường theo Nghị định số 45/2022/NĐ-CP, mức phạt tới 1.500.000 đồng. Xe thu gom rác không chịu lấy vì nói không thuộc điểm tập kết. Rác bốc mùi hôi thối, ruồi muỗi nhiều, mấy đứa nhỏ trong hẻm bị sốt xuất huyết. Tôi đề nghị phường dọn dẹp, rào khu đất, gắn camera hoặc bảng cấm đổ rác và xử phạt người vi phạm. Cần liên hệ xin gọi tôi số 0336 571 928 hoặc email kimloan.nguyen84@example.vn."

func BenchmarkMask(b *testing.B) {
	b.SetBytes(int64(len(benchBody)))
	b.ReportAllocs()
	for b.Loop() {
		_ = Mask(benchBody, "Nguyễn Thị Kim Loan")
	}
}

// BenchmarkMaskClean measures the common case of a body with nothing to mask
// (most answers).
func BenchmarkMaskClean(b *testing.B) {
	s := strings.NewReplacer("Nguyễn Thị Kim Loan", "", "0336 571 928", "", "kimloan.nguyen84@example.vn", "").Replace(benchBody)
	b.SetBytes(int64(len(s)))
	b.ReportAllocs()
	for b.Loop() {
		_ = Mask(s, "Lê Văn Sáu")
	}
}
