package agencies

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // a static binary on a host without zoneinfo still knows Asia/Ho_Chi_Minh
)

// TimeZone is the zone in which dates are judged: a question received at 23:30 in
// An Giang belongs to that day there, whatever the server's clock says.
const TimeZone = "Asia/Ho_Chi_Minh"

// Year statuses found in holidays-vn.json. Deadlines that fall in a "derived" year
// (or beyond the file) rest on rules rather than an official notice and may move
// when the Government publishes the year's schedule.
const (
	StatusAnnounced = "announced"
	StatusDerived   = "derived"
)

// ErrInvalidCalendar is wrapped by every validation error from LoadCalendar, so a
// bad holiday file is distinguishable from an I/O failure.
var ErrInvalidCalendar = errors.New("agencies: invalid holiday calendar")

//go:embed holidays-vn.json
var defaultHolidaysJSON []byte

var vnLocation = sync.OnceValue(func() *time.Location {
	loc, err := time.LoadLocation(TimeZone)
	if err != nil {
		// Vietnam has kept UTC+7 without daylight saving since 1975, so a fixed
		// zone gives the same dates for every deadline this service computes.
		return time.FixedZone("ICT", 7*3600)
	}
	return loc
})

// day is a civil date, counted in days since 1970-01-01; it makes "next day" and
// range counting plain integer arithmetic, free of time-zone and DST surprises.
type day int64

func civilDay(y int, m time.Month, d int) day {
	return day(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

func (d day) date() (int, time.Month, int) {
	return time.Unix(int64(d)*86400, 0).UTC().Date()
}

func (d day) weekday() time.Weekday {
	return time.Weekday(floorMod(int64(d)+4, 7)) // 1970-01-01 was a Thursday
}

func (d day) weekend() bool {
	wd := d.weekday()
	return wd == time.Saturday || wd == time.Sunday
}

func (d day) String() string {
	y, m, dd := d.date()
	return fmt.Sprintf("%04d-%02d-%02d", y, m, dd)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func floorMod(a, b int64) int64 { return a - floorDiv(a, b)*b }

// weekdaysBefore counts Monday-to-Friday dates in [1970-01-05, k) (negative for k
// before it); only differences are meaningful.
func weekdaysBefore(k day) int64 {
	x := int64(k) - 4 // 1970-01-05 was a Monday
	return 5*floorDiv(x, 7) + min(floorMod(x, 7), 5)
}

// Holiday is one named break from the file, for telling a citizen why nobody
// answered last week ("Tết Nguyên đán").
type Holiday struct {
	NameVI, NameEN string
	// From and To are the first and last day of the break (inclusive, weekends
	// included), at midnight in Asia/Ho_Chi_Minh.
	From, To time.Time
}

// Calendar knows which dates are working days for Vietnamese civil servants. It is
// immutable after loading and safe for concurrent use. Obtain one from
// LoadCalendar or DefaultCalendar: the zero Calendar is not usable.
type Calendar struct {
	loc         *time.Location
	off         map[day]struct{} // days_off, any weekday
	makeUp      map[day]struct{} // make_up_working_days (all on weekends)
	offWeekdays []day            // sorted days_off that fall Monday-Friday
	makeUpDays  []day            // sorted make_up_working_days
	status      map[int]string   // year -> status, for years the file covers
	holidays    []Holiday
}

type calendarFile struct {
	Years map[string]*yearFile `json:"years"`
}

type yearFile struct {
	Status  string      `json:"status"`
	DaysOff []string    `json:"days_off"`
	MakeUp  []string    `json:"make_up_working_days"`
	Named   []namedFile `json:"named"`
}

type namedFile struct {
	NameVI string `json:"name_vi"`
	NameEN string `json:"name_en"`
	From   string `json:"from"`
	To     string `json:"to"`
}

var yearKeyRE = regexp.MustCompile(`^[0-9]{4}$`)

// LoadCalendar reads a holiday file in the format of holidays-vn.json: a "years"
// object keyed by year, each with days_off, make_up_working_days, named breaks and
// a status; other fields (notes, sources, caveats) are ignored. It rejects dates
// that cannot be parsed, a date that is both a day off and a make-up working day,
// a make-up working day that is not a Saturday or Sunday, and a named break with a
// day missing from days_off, because each of these is a typo that would shift
// citizens' deadlines. All validation errors wrap ErrInvalidCalendar.
func LoadCalendar(r io.Reader) (*Calendar, error) {
	dec := json.NewDecoder(r)
	var f calendarFile
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%w: decoding JSON: %v", ErrInvalidCalendar, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: unexpected data after the JSON object", ErrInvalidCalendar)
	}
	return buildCalendar(&f)
}

var defaultCalendar = sync.OnceValues(func() (*Calendar, error) {
	return LoadCalendar(bytes.NewReader(defaultHolidaysJSON))
})

// DefaultCalendar returns the calendar embedded in the binary (holidays-vn.json,
// 2025-2027). The same immutable *Calendar is returned on every call.
func DefaultCalendar() (*Calendar, error) {
	return defaultCalendar()
}

func badCal(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidCalendar, fmt.Sprintf(format, args...))
}

func parseDay(s string, year int, field string) (day, error) {
	t, err := time.Parse(time.DateOnly, strings.TrimSpace(s))
	if err != nil {
		return 0, badCal("year %d, %s: %q is not a YYYY-MM-DD date", year, field, s)
	}
	// A break may start in the last days of the previous year (Tết Dương lịch)
	// or, for a late Tết, run into the next; anything further is a typo.
	if d := t.Year() - year; d < -1 || d > 1 {
		return 0, badCal("year %d, %s: date %s is filed under the wrong year", year, field, s)
	}
	return civilDay(t.Date()), nil
}

func buildCalendar(f *calendarFile) (*Calendar, error) {
	if len(f.Years) == 0 {
		return nil, badCal(`no "years"`)
	}
	c := &Calendar{
		loc:    vnLocation(),
		off:    map[day]struct{}{},
		makeUp: map[day]struct{}{},
		status: map[int]string{},
	}
	keys := make([]string, 0, len(f.Years))
	for k := range f.Years {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !yearKeyRE.MatchString(k) {
			return nil, badCal("year key %q is not a four-digit year", k)
		}
		year, _ := strconv.Atoi(k)
		y := f.Years[k]
		if y == nil {
			return nil, badCal("year %d is null", year)
		}
		c.status[year] = strings.ToLower(strings.TrimSpace(y.Status))
		for _, s := range y.DaysOff {
			d, err := parseDay(s, year, "days_off")
			if err != nil {
				return nil, err
			}
			c.off[d] = struct{}{}
		}
		for _, s := range y.MakeUp {
			d, err := parseDay(s, year, "make_up_working_days")
			if err != nil {
				return nil, err
			}
			if !d.weekend() {
				return nil, badCal("year %d: make-up working day %s is a %s; only a Saturday or Sunday can be made a working day", year, d, d.weekday())
			}
			c.makeUp[d] = struct{}{}
		}
	}
	for d := range c.makeUp {
		if _, ok := c.off[d]; ok {
			return nil, badCal("%s is both a day off and a make-up working day", d)
		}
	}
	// Named breaks are checked after all years are read, since a break may
	// borrow a day listed under the neighbouring year.
	for _, k := range keys {
		year, _ := strconv.Atoi(k)
		for i, n := range f.Years[k].Named {
			from, err := parseDay(n.From, year, "named.from")
			if err != nil {
				return nil, err
			}
			to, err := parseDay(n.To, year, "named.to")
			if err != nil {
				return nil, err
			}
			name := strings.TrimSpace(n.NameVI)
			if name == "" {
				name = strings.TrimSpace(n.NameEN)
			}
			if name == "" {
				return nil, badCal("year %d: named break #%d has no name", year, i+1)
			}
			if to < from {
				return nil, badCal("year %d: break %q ends (%s) before it starts (%s)", year, name, to, from)
			}
			for d := from; d <= to; d++ {
				if _, ok := c.off[d]; !ok {
					return nil, badCal("year %d: break %q includes %s, which is not in days_off", year, name, d)
				}
			}
			c.holidays = append(c.holidays, Holiday{
				NameVI: strings.TrimSpace(n.NameVI),
				NameEN: strings.TrimSpace(n.NameEN),
				From:   c.midnight(from),
				To:     c.midnight(to),
			})
		}
	}
	for d := range c.off {
		if !d.weekend() {
			c.offWeekdays = append(c.offWeekdays, d)
		}
	}
	for d := range c.makeUp {
		c.makeUpDays = append(c.makeUpDays, d)
	}
	slices.Sort(c.offWeekdays)
	slices.Sort(c.makeUpDays)
	slices.SortFunc(c.holidays, func(a, b Holiday) int { return a.From.Compare(b.From) })
	return c, nil
}

func (c *Calendar) midnight(d day) time.Time {
	y, m, dd := d.date()
	return time.Date(y, m, dd, 0, 0, 0, 0, c.loc)
}

func (c *Calendar) dayOf(t time.Time) day {
	return civilDay(t.In(c.loc).Date())
}

func (c *Calendar) working(d day) bool {
	if _, ok := c.makeUp[d]; ok {
		return true
	}
	if d.weekend() {
		return false
	}
	_, off := c.off[d]
	return !off
}

// Location is the zone (Asia/Ho_Chi_Minh, or a fixed UTC+7 if the zone database
// is unavailable) in which the calendar judges dates; use it to display
// deadlines to citizens and officers.
func (c *Calendar) Location() *time.Location { return c.loc }

// YearStatus reports how trustworthy the calendar is for a year: StatusAnnounced
// when an official notice fixed the days off, StatusDerived when they were
// computed from the Labour Code and may still change; ok is false for a year the
// file does not cover, where only weekends are treated as days off.
func (c *Calendar) YearStatus(year int) (status string, ok bool) {
	s, ok := c.status[year]
	return s, ok
}

// IsWorkingDay reports whether the date of t in Asia/Ho_Chi_Minh is a working day
// for civil servants: Monday to Friday and not an official day off, or a Saturday
// or Sunday designated as a make-up working day. For dates the file does not
// cover, only Saturdays and Sundays are days off.
func (c *Calendar) IsWorkingDay(t time.Time) bool {
	return c.working(c.dayOf(t))
}

// AddWorkingDays computes the answer deadline for something received at from when
// the agency has n working days.
//
// The rule: the day of receipt never counts, even when it is a working day and
// the question arrives at 07:00. Counting starts on the first working day after
// the receipt date (so something received on a Friday evening, a Saturday or
// during Tết starts counting on the next working day), each working day counts
// one, and the deadline is the end of the n-th working day, 23:59:59 in
// Asia/Ho_Chi_Minh. The result is in UTC, truncated to the second, ready to
// store. With n <= 0 the deadline is the end of the receipt date itself.
//
// Days off come from the holiday file; for dates beyond the years it covers
// (see YearStatus) only Saturdays and Sundays are treated as days off, so such
// deadlines may come out earlier than the official schedule will make them.
func (c *Calendar) AddWorkingDays(from time.Time, n int) time.Time {
	d := c.dayOf(from)
	for counted := 0; counted < n; {
		d++
		if c.working(d) {
			counted++
		}
	}
	y, m, dd := d.date()
	return time.Date(y, m, dd, 23, 59, 59, 0, c.loc).UTC()
}

// WorkingDaysBetween counts the working days after from's date up to and
// including to's date (both judged in Asia/Ho_Chi_Minh), for displays such as
// "overdue by 3 working days" (from = deadline, to = now). It is negative when to
// is before from, and WorkingDaysBetween(t, AddWorkingDays(t, n)) == n for n >= 0.
// The same beyond-the-file fallback as AddWorkingDays applies. It runs in
// logarithmic time, so arbitrary (even hostile) dates are cheap.
func (c *Calendar) WorkingDaysBetween(from, to time.Time) int {
	a, b := c.dayOf(from), c.dayOf(to)
	if b < a {
		return -c.countWorking(b, a)
	}
	return c.countWorking(a, b)
}

// countWorking counts working days in (a, b], with a <= b.
func (c *Calendar) countWorking(a, b day) int {
	n := weekdaysBefore(b+1) - weekdaysBefore(a+1)
	n -= int64(countIn(c.offWeekdays, a, b))
	n += int64(countIn(c.makeUpDays, a, b))
	return int(n)
}

// countIn counts elements of sorted s in (a, b].
func countIn(s []day, a, b day) int {
	upper := func(v day) int { return sort.Search(len(s), func(i int) bool { return s[i] > v }) }
	return upper(b) - upper(a)
}

// HolidayOn returns the named break that the date of t (in Asia/Ho_Chi_Minh) falls
// in, so the UI can explain a gap in answers; ok is false outside any break.
func (c *Calendar) HolidayOn(t time.Time) (Holiday, bool) {
	d := c.dayOf(t)
	for _, h := range c.holidays {
		if c.dayOf(h.From) <= d && d <= c.dayOf(h.To) {
			return h, true
		}
	}
	return Holiday{}, false
}

// Holidays lists the named breaks of a year (those starting in it), in date order,
// for publishing the office calendar.
func (c *Calendar) Holidays(year int) []Holiday {
	var out []Holiday
	for _, h := range c.holidays {
		if h.From.Year() == year {
			out = append(out, h)
		}
	}
	return out
}
