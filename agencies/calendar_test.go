package agencies

import (
	"errors"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"
)

func mustCalendar(t *testing.T) *Calendar {
	t.Helper()
	c, err := DefaultCalendar()
	if err != nil {
		t.Fatalf("DefaultCalendar: %v", err)
	}
	return c
}

// vn builds an instant from a wall-clock time in Vietnam, "2026-02-13 18:30".
func vn(t *testing.T, s string) time.Time {
	t.Helper()
	c := mustCalendar(t)
	tm, err := time.ParseInLocation("2006-01-02 15:04", s, c.Location())
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

// endOf is the expected deadline: 23:59:59 in Vietnam on date, in UTC.
func endOf(t *testing.T, date string) time.Time {
	t.Helper()
	return vn(t, date+" 23:59").Add(59 * time.Second).UTC()
}

func TestLocation(t *testing.T) {
	c := mustCalendar(t)
	if got := c.Location().String(); got != TimeZone {
		t.Errorf("Location = %q, want %q (time/tzdata should be embedded)", got, TimeZone)
	}
	if _, off := time.Date(2026, 6, 1, 0, 0, 0, 0, c.Location()).Zone(); off != 7*3600 {
		t.Errorf("offset = %d", off)
	}
}

func TestAddWorkingDays(t *testing.T) {
	c := mustCalendar(t)
	tests := []struct {
		name     string
		received string // wall clock in Vietnam
		n        int
		deadline string // date whose 23:59:59 in Vietnam is the deadline
	}{
		{"weekday plain", "2026-03-10 09:00", 1, "2026-03-11"},
		{"weekend skipping, 5 days from Monday", "2026-03-09 09:00", 5, "2026-03-16"},
		{"receipt day does not count even at 07:00", "2026-03-09 07:00", 1, "2026-03-10"},
		{"received Friday evening", "2026-03-13 21:00", 1, "2026-03-16"},
		{"received Saturday", "2026-03-14 10:00", 1, "2026-03-16"},
		{"received Sunday just before midnight", "2026-03-15 23:59", 1, "2026-03-16"},
		{"received Saturday, 10 days", "2026-03-14 10:00", 10, "2026-03-27"},

		{"Tết 2026: last working day before the break", "2026-02-12 10:00", 1, "2026-02-13"},
		{"Tết 2026: break 14-22/02 skipped", "2026-02-12 10:00", 2, "2026-02-23"},
		{"Tết 2026: received Friday before the break", "2026-02-13 16:00", 1, "2026-02-23"},
		{"Tết 2026: received on mùng 1", "2026-02-17 10:00", 1, "2026-02-23"},
		{"Tết 2026: received during the break, 10 days", "2026-02-17 10:00", 10, "2026-03-06"},
		{"Tết 2025: 10 days across the break", "2025-01-24 10:00", 10, "2025-02-14"},
		{"Tết 2027 (derived): break 04-10/02", "2027-02-03 10:00", 1, "2027-02-11"},

		{"Giỗ Tổ 2026 compensatory Monday 27/04", "2026-04-24 10:00", 1, "2026-04-28"},
		{"30/4-1/5 2026: Thursday and Friday off", "2026-04-29 10:00", 1, "2026-05-04"},
		{"30/4-1/5 2026: 10 days", "2026-04-29 10:00", 10, "2026-05-15"},
		{"Giỗ Tổ and 30/4 2026 together", "2026-04-24 10:00", 3, "2026-05-04"},
		{"30/4-1/5 2025: break 30/4-4/5", "2025-04-29 10:00", 1, "2025-05-05"},

		{"2/9 2026: break 29/08-02/09", "2026-08-28 10:00", 1, "2026-09-03"},
		{"2/9 2025: break 30/08-02/09", "2025-08-29 10:00", 1, "2025-09-03"},

		{"make-up Saturday 22/08/2026 counts", "2026-08-21 10:00", 1, "2026-08-22"},
		{"make-up Saturday 22/08/2026 then Monday", "2026-08-21 10:00", 2, "2026-08-24"},
		{"make-up Saturday 26/04/2025 counts", "2025-04-25 10:00", 1, "2025-04-26"},
		{"make-up Saturday 10/01/2026 counts", "2026-01-09 10:00", 1, "2026-01-10"},
		{"received on make-up Saturday: it does not count", "2026-01-10 10:00", 1, "2026-01-12"},

		{"year boundary into Tết Dương lịch 2026", "2025-12-31 10:00", 1, "2026-01-05"},
		{"year boundary, 3 days", "2025-12-29 10:00", 3, "2026-01-05"},
		{"beyond the file: weekends only (1/1/2028 is a Saturday)", "2027-12-31 10:00", 1, "2028-01-03"},
		{"beyond the file: 2028", "2028-01-07 10:00", 1, "2028-01-10"},
		{"before the file: 2024", "2024-12-27 10:00", 1, "2024-12-30"},

		{"n=0 is the end of the receipt day", "2026-03-11 10:00", 0, "2026-03-11"},
		{"n=0 on a Saturday", "2026-03-14 10:00", 0, "2026-03-14"},
		{"negative n is treated as 0", "2026-03-11 10:00", -3, "2026-03-11"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			from := vn(t, tc.received)
			got := c.AddWorkingDays(from, tc.n)
			want := endOf(t, tc.deadline)
			if !got.Equal(want) {
				t.Errorf("AddWorkingDays(%s, %d) = %s (%s in Vietnam), want end of %s",
					tc.received, tc.n, got, got.In(c.Location()).Format("Mon 2006-01-02 15:04:05"), tc.deadline)
			}
			if got.Location() != time.UTC || got.Nanosecond() != 0 {
				t.Errorf("result %v is not UTC truncated to the second", got)
			}
			if tc.n >= 0 {
				if back := c.WorkingDaysBetween(from, got); back != tc.n {
					t.Errorf("WorkingDaysBetween(received, deadline) = %d, want %d", back, tc.n)
				}
			}
		})
	}
}

func TestAddWorkingDaysJudgesDateInVietnam(t *testing.T) {
	c := mustCalendar(t)
	tests := []struct {
		name     string
		from     time.Time
		deadline string
	}{
		// 17:30 UTC Thursday is 00:30 Friday in Vietnam: received on Friday.
		{"UTC evening is next morning in Vietnam", time.Date(2026, 3, 12, 17, 30, 0, 0, time.UTC), "2026-03-16"},
		{"UTC afternoon is same day in Vietnam", time.Date(2026, 3, 12, 16, 59, 59, 0, time.UTC), "2026-03-13"},
		{"other zone", time.Date(2026, 3, 12, 20, 0, 0, 0, time.FixedZone("EST", -5*3600)), "2026-03-16"},
		{"sub-second input", time.Date(2026, 3, 12, 3, 0, 0, 999999999, time.UTC), "2026-03-13"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got, want := c.AddWorkingDays(tc.from, 1), endOf(t, tc.deadline); !got.Equal(want) {
				t.Errorf("got %s, want %s", got, want)
			}
		})
	}
}

func TestIsWorkingDay(t *testing.T) {
	c := mustCalendar(t)
	tests := []struct {
		name string
		at   string
		want bool
	}{
		{"ordinary Tuesday", "2026-03-10 10:00", true},
		{"ordinary Saturday", "2026-03-14 10:00", false},
		{"ordinary Sunday", "2026-03-15 10:00", false},
		{"Tết Dương lịch 2026", "2026-01-01 10:00", false},
		{"swapped Friday 02/01/2026", "2026-01-02 10:00", false},
		{"make-up Saturday 10/01/2026", "2026-01-10 10:00", true},
		{"Tết 2026 mùng 1", "2026-02-17 10:00", false},
		{"Tết 2026 first working day after", "2026-02-23 08:00", true},
		{"Giỗ Tổ compensatory Monday 2026", "2026-04-27 10:00", false},
		{"30/4/2026", "2026-04-30 10:00", false},
		{"1/5/2026", "2026-05-01 10:00", false},
		{"make-up Saturday 22/08/2026", "2026-08-22 10:00", true},
		{"swapped Monday 31/08/2026", "2026-08-31 10:00", false},
		{"2/9/2026", "2026-09-02 10:00", false},
		{"3/9/2026", "2026-09-03 10:00", true},
		{"make-up Saturday 26/04/2025", "2025-04-26 10:00", true},
		{"swapped Friday 02/05/2025", "2025-05-02 10:00", false},
		{"Culture Day 24/11/2026 not included", "2026-11-24 10:00", true},
		{"beyond the file, Monday", "2028-01-03 10:00", true},
		{"beyond the file, Saturday", "2028-01-01 10:00", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := c.IsWorkingDay(vn(t, tc.at)); got != tc.want {
				t.Errorf("IsWorkingDay(%s) = %v, want %v", tc.at, got, tc.want)
			}
		})
	}
	// 2026-03-13 17:30 UTC is Saturday 00:30 in Vietnam.
	if c.IsWorkingDay(time.Date(2026, 3, 13, 17, 30, 0, 0, time.UTC)) {
		t.Error("a UTC Friday evening that is Saturday in Vietnam counted as a working day")
	}
}

func TestWorkingDaysBetween(t *testing.T) {
	c := mustCalendar(t)
	tests := []struct {
		name     string
		from, to string
		want     int
	}{
		{"same instant", "2026-03-10 09:00", "2026-03-10 09:00", 0},
		{"same day, later", "2026-03-10 09:00", "2026-03-10 17:00", 0},
		{"same day, earlier", "2026-03-10 17:00", "2026-03-10 09:00", 0},
		{"next day", "2026-03-10 23:59", "2026-03-11 00:00", 1},
		{"Friday to Monday", "2026-03-13 10:00", "2026-03-16 10:00", 1},
		{"Friday to Sunday", "2026-03-13 10:00", "2026-03-15 10:00", 0},
		{"reversed", "2026-03-16 10:00", "2026-03-13 10:00", -1},
		{"across Tết 2026", "2026-02-13 10:00", "2026-02-23 10:00", 1},
		{"overdue by 2", "2026-03-06 23:59", "2026-03-10 11:00", 2},
		{"whole year 2025", "2024-12-31 12:00", "2025-12-31 12:00", 250},
		{"whole year 2026", "2025-12-31 12:00", "2026-12-31 12:00", 250},
		{"whole year 2027 (derived)", "2026-12-31 12:00", "2027-12-31 12:00", 250},
		{"whole year 2028 (weekends only)", "2027-12-31 12:00", "2028-12-31 12:00", 260},
		{"reversed whole year", "2026-12-31 12:00", "2025-12-31 12:00", -250},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := c.WorkingDaysBetween(vn(t, tc.from), vn(t, tc.to)); got != tc.want {
				t.Errorf("WorkingDaysBetween(%s, %s) = %d, want %d", tc.from, tc.to, got, tc.want)
			}
		})
	}
}

// TestWorkingDaysBetweenMatchesNaiveCount checks the arithmetic version against a
// day-by-day count, over a range that starts before and ends after the file.
func TestWorkingDaysBetweenMatchesNaiveCount(t *testing.T) {
	c := mustCalendar(t)
	start := time.Date(2024, 6, 1, 12, 0, 0, 0, c.Location())
	const span = 5 * 366
	naive := func(a, b int) int {
		n := 0
		for d := a + 1; d <= b; d++ {
			if c.IsWorkingDay(start.AddDate(0, 0, d)) {
				n++
			}
		}
		return n
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 300 {
		a, b := r.IntN(span), r.IntN(span)
		want := naive(a, b)
		if b < a {
			want = -naive(b, a)
		}
		if got := c.WorkingDaysBetween(start.AddDate(0, 0, a), start.AddDate(0, 0, b)); got != want {
			t.Fatalf("WorkingDaysBetween(+%d, +%d days) = %d, naive count %d", a, b, got, want)
		}
		if n := r.IntN(70); c.WorkingDaysBetween(start.AddDate(0, 0, a), c.AddWorkingDays(start.AddDate(0, 0, a), n)) != n {
			t.Fatalf("round trip failed from +%d days with n=%d", a, n)
		}
	}
	// Extreme inputs are answered without iterating over every day.
	if got := c.WorkingDaysBetween(time.Time{}, time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)); got <= 0 {
		t.Errorf("zero time to year 9999 = %d", got)
	}
}

func TestYearStatusAndHolidays(t *testing.T) {
	c := mustCalendar(t)
	tests := []struct {
		name   string
		year   int
		status string
		ok     bool
		breaks int
	}{
		{"2025 announced", 2025, StatusAnnounced, true, 5},
		{"2026 announced", 2026, StatusAnnounced, true, 5},
		{"2027 derived", 2027, StatusDerived, true, 5},
		{"2028 not covered", 2028, "", false, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, ok := c.YearStatus(tc.year)
			if s != tc.status || ok != tc.ok {
				t.Errorf("YearStatus(%d) = %q, %v", tc.year, s, ok)
			}
			if got := len(c.Holidays(tc.year)); got != tc.breaks {
				t.Errorf("len(Holidays(%d)) = %d, want %d", tc.year, got, tc.breaks)
			}
		})
	}
	h, ok := c.HolidayOn(vn(t, "2026-02-17 10:00"))
	if !ok || h.NameEN != "Lunar New Year (Tet)" || !strings.HasPrefix(h.NameVI, "Tết Nguyên đán") {
		t.Errorf("HolidayOn(mùng 1 Tết 2026) = %+v, %v", h, ok)
	}
	if h.From.Format(time.DateOnly) != "2026-02-14" || h.To.Format(time.DateOnly) != "2026-02-22" || h.From.Location() != c.Location() {
		t.Errorf("Tết 2026 range = %s..%s", h.From, h.To)
	}
	if h, ok := c.HolidayOn(vn(t, "2026-03-10 10:00")); ok {
		t.Errorf("HolidayOn(ordinary day) = %+v", h)
	}
}

func TestLoadCalendarValid(t *testing.T) {
	// Notes of any shape, null lists, a break starting in the previous year,
	// and no named breaks at all.
	const in = `{"_note":["free text"],"years":{
		"2030":{"status":" Announced ","days_off":["2029-12-31","2030-01-01"],"make_up_working_days":null,
			"named":[{"name_vi":"Tết Dương lịch","from":"2029-12-31","to":"2030-01-01"}],"caveats":[]},
		"2031":{"status":"derived"}}}`
	c, err := LoadCalendar(strings.NewReader(in))
	if err != nil {
		t.Fatalf("LoadCalendar: %v", err)
	}
	if s, _ := c.YearStatus(2030); s != StatusAnnounced {
		t.Errorf("status = %q", s)
	}
	if c.IsWorkingDay(time.Date(2029, 12, 31, 10, 0, 0, 0, c.Location())) {
		t.Error("2029-12-31, listed under 2030, is a working day")
	}
	if h, ok := c.HolidayOn(time.Date(2030, 1, 1, 10, 0, 0, 0, c.Location())); !ok || h.NameEN != "" {
		t.Errorf("HolidayOn = %+v, %v", h, ok)
	}
}

func TestLoadCalendarErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"not json", `years`, "decoding JSON"},
		{"trailing data", `{"years":{"2026":{}}} x`, "after the JSON"},
		{"no years", `{"_note":"x"}`, `no "years"`},
		{"bad year key", `{"years":{"26":{}}}`, "four-digit year"},
		{"null year", `{"years":{"2026":null}}`, "is null"},
		{"bad date", `{"years":{"2026":{"days_off":["2026-02-30"]}}}`, "not a YYYY-MM-DD"},
		{"day-first date", `{"years":{"2026":{"days_off":["17/02/2026"]}}}`, "not a YYYY-MM-DD"},
		{"date under the wrong year", `{"years":{"2026":{"days_off":["2062-02-17"]}}}`, "wrong year"},
		{"make-up on a weekday", `{"years":{"2026":{"make_up_working_days":["2026-08-21"]}}}`, "is a Friday"},
		{"both off and make-up", `{"years":{"2026":{"days_off":["2026-08-22"],"make_up_working_days":["2026-08-22"]}}}`, "both a day off and a make-up"},
		{"named day not in days_off", `{"years":{"2026":{"days_off":["2026-01-01"],"named":[{"name_vi":"x","from":"2026-01-01","to":"2026-01-02"}]}}}`, "2026-01-02, which is not in days_off"},
		{"named range reversed", `{"years":{"2026":{"days_off":["2026-01-01"],"named":[{"name_vi":"x","from":"2026-01-01","to":"2025-12-31"}]}}}`, "before it starts"},
		{"named without a name", `{"years":{"2026":{"days_off":["2026-01-01"],"named":[{"from":"2026-01-01","to":"2026-01-01"}]}}}`, "has no name"},
		{"days_off not a list", `{"years":{"2026":{"days_off":"2026-01-01"}}}`, "decoding JSON"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadCalendar(strings.NewReader(tc.in))
			if err == nil {
				t.Fatalf("LoadCalendar succeeded, want error containing %q", tc.want)
			}
			if !errors.Is(err, ErrInvalidCalendar) {
				t.Errorf("error %v does not wrap ErrInvalidCalendar", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}

func TestCalendarConcurrentUse(t *testing.T) {
	c := mustCalendar(t)
	from := time.Date(2026, 1, 1, 3, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for d := range 400 {
				at := from.AddDate(0, 0, d+i)
				c.AddWorkingDays(at, 10)
				c.WorkingDaysBetween(from, at)
				c.HolidayOn(at)
			}
		})
	}
	wg.Wait()
}
