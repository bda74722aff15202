package pii

import (
	"testing"

	"golang.org/x/text/unicode/norm"
)

// M is the mask token, spelled out so the tests document the public form.
const M = "•••"

type maskCase struct {
	name  string
	in    string
	names []string
	want  string
}

func runMaskCases(t *testing.T, tests []maskCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Mask(tt.in, tt.names...); got != tt.want {
				t.Errorf("Mask(%q, %q)\n got %q\nwant %q", tt.in, tt.names, got, tt.want)
			}
		})
	}
}

func TestMaskPhones(t *testing.T) {
	runMaskCases(t, []maskCase{
		{name: "plain mobile", in: "Gọi 0918234567 nhé", want: "Gọi " + M + " nhé"},
		{name: "spaces 4-3-3", in: "SĐT: 0918 234 567.", want: "SĐT: " + M + "."},
		{name: "dots", in: "số 0909.318.276.", want: "số " + M + "."},
		{name: "hyphens", in: "số 0918-234-567", want: "số " + M},
		{name: "+84 spaced", in: "ĐT +84 918 234 567", want: "ĐT " + M},
		{name: "+84 compact", in: "ĐT +84918234567", want: "ĐT " + M},
		{name: "(+84) spaced", in: "ĐT (+84) 918 234 567", want: "ĐT " + M},
		{name: "(+84) dotted", in: "ĐT (+84) 918.234.567", want: "ĐT " + M},
		{name: "84 without plus", in: "ĐT 84918234567", want: "ĐT " + M},
		{name: "landline spaced", in: "Điện thoại bàn 0296 3852 123 giờ hành chính", want: "Điện thoại bàn " + M + " giờ hành chính"},
		{name: "landline compact", in: "bàn 02963852123", want: "bàn " + M},
		{name: "landline with area code in parentheses", in: "bàn (0296) 3852 123", want: "bàn " + M},
		{name: "landline dotted", in: "bàn 0296.3852.123", want: "bàn " + M},
		{name: "after colon without space", in: "SĐT:0918234567", want: "SĐT:" + M},
		{name: "in parentheses", in: "(0918 234 567)", want: "(" + M + ")"},
		{name: "two phones with slash", in: "0918.234.567/0987.654.321", want: M + "/" + M},
		{name: "two phones with space", in: "0918234567 0987654321", want: M + " " + M},
		{name: "two spaced phones side by side", in: "0918 234 567 0987 654 321", want: M + " " + M},
		{name: "two phones hyphen", in: "0918234567-0987654321", want: M + "-" + M},
		{name: "foreign +", in: "call +1 202 555 0123 please", want: "call " + M + " please"},
		{name: "mobile prefixes 03 05 07 08", in: "0387215964, 0567215964, 0787215964, 0867215964", want: M + ", " + M + ", " + M + ", " + M},
		{name: "phone followed by email", in: "0918234567 123abc@mail.vn", want: M + " " + M},
		{name: "phone followed by a count", in: "gọi 0918 234 567 2 lần", want: "gọi " + M + " 2 lần"},
		{name: "letters before parenthesised area code", in: "ĐT(0296) 3852 123", want: "ĐT" + M},
		{name: "letters before plus", in: "ĐT+84918234567", want: "ĐT" + M},
		{name: "asker phone from corpus", in: "Điện thoại của tôi: 0387 215 964.", want: "Điện thoại của tôi: " + M + "."},
	})
}

func TestMaskIDsAndAccounts(t *testing.T) {
	runMaskCases(t, []maskCase{
		{name: "cccd 12 digits", in: "CCCD số 089184012357, thường trú", want: "CCCD số " + M + ", thường trú"},
		{name: "cmnd 9 digits", in: "CMND 381234567 cấp năm 2005", want: "CMND " + M + " cấp năm 2005"},
		{name: "cccd at end of sentence", in: "thẻ gốc, CCCD số 089148003162.", want: "thẻ gốc, CCCD số " + M + "."},
		{name: "10 digits not a phone is still a standalone number", in: "mã 1234567890 xx", want: "mã " + M + " xx"},
		{name: "11 digits", in: "số 12345678901 xx", want: "số " + M + " xx"},
		{name: "bank groups 4-3-3-3", in: "tài khoản Agribank số 6703 205 118 492 đứng tên tôi", want: "tài khoản Agribank số " + M + " đứng tên tôi"},
		{name: "bank groups 4-4-3-2", in: "tài khoản của tôi: số 0451 0003 827 16 tại Vietcombank", want: "tài khoản của tôi: số " + M + " tại Vietcombank"},
		{name: "bank 19 digits", in: "STK 1234567890123456789 ok", want: "STK " + M + " ok"},
		{name: "8 digits", in: "số 12345678 ok", want: "số " + M + " ok"},
		{name: "thousands followed by a word starting with đ", in: "số 12 345 678 đến nay", want: "số " + M + " đến nay"},
		{name: "20 digits is not an account", in: "mã 12345678901234567890 ok", want: "mã 12345678901234567890 ok"},
		{name: "7 digits kept", in: "số 1234567 ok", want: "số 1234567 ok"},
		{name: "part of a code kept", in: "mã ABC123456789 ok", want: "mã ABC123456789 ok"},
		{name: "cccd next to letters kept as code", in: "HS089184012357X", want: "HS089184012357X"},
	})
}

func TestMaskPlates(t *testing.T) {
	runMaskCases(t, []maskCase{
		{name: "car dotted", in: "xe ô tô biển số 67A-123.45 vi phạm", want: "xe ô tô biển số " + M + " vi phạm"},
		{name: "motorbike series digit", in: "biển số 67B1-234.56 tại bãi", want: "biển số " + M + " tại bãi"},
		{name: "five digits no dot", in: "xe 51F-12345.", want: "xe " + M + "."},
		{name: "four digits", in: "xe 67A-1234 cũ", want: "xe " + M + " cũ"},
		{name: "space before number", in: "xe 67A1 234.56 đậu", want: "xe " + M + " đậu"},
		{name: "hyphen after province", in: "xe 59-X1 123.45 đậu", want: "xe " + M + " đậu"},
		{name: "two letter series", in: "xe 51LD-123.45", want: "xe " + M},
		{name: "no separators", in: "xe 51F12345 đậu", want: "xe " + M + " đậu"},
		{name: "plate in parentheses", in: "(67A-245.18)", want: "(" + M + ")"},
		{name: "prose with space is not a plate", in: "đi 10 KM 2000 lần", want: "đi 10 KM 2000 lần"},
		{name: "class name is not a plate", in: "lớp 10A1 năm 2025", want: "lớp 10A1 năm 2025"},
	})
}

func TestMaskEmails(t *testing.T) {
	runMaskCases(t, []maskCase{
		{name: "email in sentence", in: "gửi về email tuyen.huynh95@example.vn được không?", want: "gửi về email " + M + " được không?"},
		{name: "email before period", in: "email kimloan.nguyen84@example.vn.", want: "email " + M + "."},
		{name: "email in parentheses", in: "(a.b+tag@mail.example.com)", want: "(" + M + ")"},
		{name: "email after colon", in: "Email:abc_1958@gmail.com", want: "Email:" + M},
		{name: "at sign alone kept", in: "giá 5 @ 10 đồng", want: "giá 5 @ 10 đồng"},
	})
}

func TestMaskNames(t *testing.T) {
	nfdName := norm.NFD.String("Lê Thị Ngọc Hân")
	runMaskCases(t, []maskCase{
		{name: "full name", in: "Tôi tên Lê Thị Ngọc Hân, CCCD", names: []string{"Lê Thị Ngọc Hân"}, want: "Tôi tên " + M + ", CCCD"},
		{name: "single-word name Tư ignored", in: "Theo Thông tư số 111/2013/TT-BTC", names: []string{"Tư"}, want: "Theo Thông tư số 111/2013/TT-BTC"},
		{name: "full name Nguyễn Văn Tư does not touch Thông tư", in: "Theo Thông tư số 111/2013/TT-BTC, ông Nguyễn Văn Tư hỏi", names: []string{"Nguyễn Văn Tư"}, want: "Theo Thông tư số 111/2013/TT-BTC, ông " + M + " hỏi"},
		{name: "nfd name nfc text", in: "Tôi tên Lê Thị Ngọc Hân.", names: []string{nfdName}, want: "Tôi tên " + M + "."},
		{name: "nfc name nfd text", in: "Tôi tên " + nfdName + ".", names: []string{"Lê Thị Ngọc Hân"}, want: "Tôi tên " + M + "."},
		{name: "upper case", in: "CHỦ TÀI KHOẢN TRẦN VĂN LƯỢM", names: []string{"Trần Văn Lượm"}, want: "CHỦ TÀI KHOẢN " + M},
		{name: "without diacritics", in: "Toi ten Tran Van Luom", names: []string{"Trần Văn Lượm"}, want: "Toi ten " + M},
		{name: "line break between words", in: "ký tên\nTrần Văn\nLượm", names: []string{"Trần Văn Lượm"}, want: "ký tên\n" + M},
		{name: "zero width inside name", in: "Trần\u200b Văn Lượm", names: []string{"Trần Văn Lượm"}, want: M},
		{name: "partial name not masked", in: "ông Trần Văn đến", names: []string{"Trần Văn Lượm"}, want: "ông Trần Văn đến"},
		{name: "longer word not masked", in: "Trần Văn Lượmm", names: []string{"Trần Văn Lượm"}, want: "Trần Văn Lượmm"},
		{name: "prefix word not masked", in: "XTrần Văn Lượm", names: []string{"Trần Văn Lượm"}, want: "XTrần Văn Lượm"},
		{name: "several occurrences", in: "Hà Văn Phúc, con ông Hà Văn Phúc", names: []string{"Hà Văn Phúc"}, want: M + ", con ông " + M},
		{name: "several names", in: "Lê An và Trần Bình", names: []string{"Lê An", "Trần Bình"}, want: M + " và " + M},
		{name: "empty and blank names ignored", in: "Hà Nội", names: []string{"", " ", "Hà"}, want: "Hà Nội"},
		{name: "hyphenated foreign name", in: "I am Choi Min-seok.", names: []string{"Choi Min-seok"}, want: "I am " + M + "."},
		{name: "name matched case-insensitively only as whole", in: "ông Choi Min", names: []string{"Choi Min-seok"}, want: "ông Choi Min"},
	})
}

func TestMaskKeepsNonPersonalNumbers(t *testing.T) {
	keep := []string{
		"Ngày 03/3/2025 tôi nộp hồ sơ, hẹn trả ngày 24/03/2025.",
		"Lệ phí 100.000 đồng, mức 1.500.000 và 2.000.000.000 đồng.",
		"Mức lương cơ sở 2.340.000 đồng/tháng; 1.263.600 đồng và 884.520 đồng.",
		"Nghị định số 61/2018/NĐ-CP, Quyết định 02/2023/QĐ-UBND, Nghị định 107/2021/NĐ-CP.",
		"Mã hồ sơ 000.00.19.H01-250401-0001 đang xử lý.",
		"Mã hồ sơ: 000.00.19.H01-250401-0001",
		"Từ năm 2012, năm 2025-2026 và giai đoạn 2026-2030.",
		"Gọi đường dây nóng 1022 hoặc tổng đài 1900 1234, 1800 1091, 1900 123 456.",
		"Mức hưởng bằng 60% bình quân; lệ phí 0,5%; tỷ lệ 61%.",
		"Căn cứ khoản 2 Điều 4 và Điều 138 Luật Đất đai.",
		"Diện tích 2.800 m², tách 800 m², quy hoạch 1/500 hoặc 1/2000.",
		"Các năm 2019 2020 2021 2022 đều nộp thuế.",
		"Các phòng 1 2 3 4 5 6 7 8 9 đều trống.",
		"Tổng cộng 1 500 000 000 đồng.",
		"Tổng cộng 12 500 000 000 đồng, 12 500 000 000đ/năm, 25 000 000 VND.",
		"A parking lot charged us 100,000 VND, the sign said 10,000 VND.",
		"Ngày 14.02.2025 và 2025-04-01.",
		"(1) whether ...; (2) what documents ...",
		"Thông tư số 07/2014/TT-BYT ngày 25/02/2014",
		"đầu số 5656 theo cú pháp",
		"Quốc lộ 91, xe 40 giường, 15 người, lớp 11, 22 giờ.",
		"khoảng 12 million USD and around 150 local workers",
		"Hạng B2, 01/7/2024, 6/2025, 12/7/1995.",
		"QCVN 41:2019/BGTVT",
		"",
	}
	var tests []maskCase
	for _, s := range keep {
		tests = append(tests, maskCase{name: s, in: s, want: s})
	}
	runMaskCases(t, tests)
}

func TestMaskMixed(t *testing.T) {
	in := "Tôi là Trương Thị Thu Hà, CCCD 089187020519, biển số 67B1-234.56, email thuha.truong87@example.vn, SĐT 0325 948 170. Ngày 06/4/2025 trả 5.000 đồng theo Nghị định 168/2024/NĐ-CP."
	want := "Tôi là " + M + ", CCCD " + M + ", biển số " + M + ", email " + M + ", SĐT " + M + ". Ngày 06/4/2025 trả 5.000 đồng theo Nghị định 168/2024/NĐ-CP."
	if got := Mask(in, "Trương Thị Thu Hà"); got != want {
		t.Errorf("Mask mixed\n got %q\nwant %q", got, want)
	}
}

func TestMaskNoAllocWithoutPersonalData(t *testing.T) {
	s := "Căn cứ Nghị định số 61/2018/NĐ-CP ngày 23/4/2018, lệ phí 100.000 đồng."
	if n := testing.AllocsPerRun(100, func() { _ = Mask(s) }); n != 0 {
		t.Errorf("Mask without personal data allocated %v times, want 0", n)
	}
}

func TestMaskGroupedIDs(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"CCCD with dots", "CCCD 089.123.456.789 của tôi", "CCCD ••• của tôi"},
		{"CCCD with dashes", "số 089-123-456-789.", "số •••."},
		{"CMND with dashes", "CMND 351-234-567, cấp năm 2010", "CMND •••, cấp năm 2010"},
		{"money stays", "lệ phí 1.500.000.000 đồng", "lệ phí 1.500.000.000 đồng"},
		{"dossier code stays", "mã 000.00.19.H01-250401-0001", "mã 000.00.19.H01-250401-0001"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Mask(tt.in); got != tt.want {
				t.Fatalf("Mask(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
