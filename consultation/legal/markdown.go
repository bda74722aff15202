package legal

import (
	"regexp"
	"strings"
)

var (
	mdHeadingRE = regexp.MustCompile(`^#{1,6}(?:\s+|$)(.*?)(?:\s+#+)?$`)
	mdOrderedRE = regexp.MustCompile(`^(\d{1,3})\)\s`)
	mdImageRE   = regexp.MustCompile(`!\[([^\]]*)\]\([^)]*\)`)
	mdLinkRE    = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`)
	mdEscapeRE  = regexp.MustCompile("\\\\([\\\\`*_{}\\[\\]()#+\\-.!|>~])")
)

// markdownLine reduces one cleaned Markdown line to its text: headings lose
// their "#" (and are marked), quotes their ">", emphasis, code and link
// markup go, escapes are undone. Lines of code fences are skipped; their
// contents are kept as text.
func markdownLine(t string, fence *bool) (text string, head, skip bool) {
	if strings.HasPrefix(t, "```") || strings.HasPrefix(t, "~~~") {
		*fence = !*fence
		return "", false, true
	}
	if *fence {
		return t, false, false
	}
	for strings.HasPrefix(t, ">") {
		t = strings.TrimSpace(t[1:])
	}
	if m := mdHeadingRE.FindStringSubmatch(t); m != nil {
		t, head = m[1], true
	}
	t = mdOrderedRE.ReplaceAllString(t, "$1. ")
	t = mdImageRE.ReplaceAllString(t, "$1")
	t = mdLinkRE.ReplaceAllString(t, "$1")
	t = strings.NewReplacer("***", "", "**", "", "__", "", "`", "").Replace(t)
	t = stripStars(t)
	t = mdEscapeRE.ReplaceAllString(t, "$1")
	return strings.TrimSpace(t), head, false
}

// stripStars removes single "*" used for emphasis (touching a word) and
// keeps a "* " bullet at the start of a line and a "*" standing between
// spaces.
func stripStars(t string) string {
	if !strings.Contains(t, "*") {
		return t
	}
	var b strings.Builder
	for i := 0; i < len(t); i++ {
		c := t[i]
		if c != '*' {
			b.WriteByte(c)
			continue
		}
		spaceBefore := i == 0 || t[i-1] == ' '
		spaceAfter := i+1 == len(t) || t[i+1] == ' '
		if i == 0 && spaceAfter && len(t) > 1 || spaceBefore && spaceAfter {
			b.WriteByte(c)
		}
	}
	return b.String()
}
