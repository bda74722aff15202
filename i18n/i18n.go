// Package i18n holds every string a person reads, in Vietnamese (the default) and
// English (Article 6.2), and the formats people expect: dates as dd/mm/yyyy in
// Asia/Ho_Chi_Minh.
package i18n

import (
	"fmt"
	"strings"
	"time"
	_ "time/tzdata" // a static binary still knows Asia/Ho_Chi_Minh
)

// Languages the service speaks; the first is the default.
var Languages = []string{"vi", "en"}

// Lang returns a supported language code for s, defaulting to Vietnamese.
func Lang(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if strings.HasPrefix(s, "en") {
		return "en"
	}
	return "vi"
}

// FromAcceptLanguage picks vi or en from an Accept-Language header, taking the
// first of the two that it names; Vietnamese when it names neither.
func FromAcceptLanguage(h string) string {
	for _, part := range strings.Split(h, ",") {
		tag := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		switch {
		case strings.HasPrefix(tag, "vi"):
			return "vi"
		case strings.HasPrefix(tag, "en"):
			return "en"
		}
	}
	return "vi"
}

// T translates key into lang, formatting args with fmt verbs in the message. An
// unknown key is returned as it is, so a missing string shows and tests catch it.
func T(lang, key string, args ...any) string {
	m, ok := catalog[key]
	if !ok {
		return key
	}
	s := m[0]
	if lang == "en" && m[1] != "" {
		s = m[1]
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// Has reports whether key is in the catalogue.
func Has(key string) bool { _, ok := catalog[key]; return ok }

// Zone is Asia/Ho_Chi_Minh, the time zone every page shows.
var Zone = func() *time.Location {
	z, err := time.LoadLocation("Asia/Ho_Chi_Minh")
	if err != nil {
		return time.FixedZone("ICT", 7*3600)
	}
	return z
}()

// Date formats t as dd/mm/yyyy in Asia/Ho_Chi_Minh.
func Date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(Zone).Format("02/01/2006")
}

// DateTime formats t as dd/mm/yyyy HH:MM in Asia/Ho_Chi_Minh.
func DateTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(Zone).Format("02/01/2006 15:04")
}
