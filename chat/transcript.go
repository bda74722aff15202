package chat

import (
	"strings"

	"tuongtac/i18n"
)

// Transcript is the conversation as plain text, in lang: a heading with the
// agency's name and the chat's reference, then one line per message with
// its time (Asia/Ho_Chi_Minh) and who wrote it. Officers appear as the
// agency, never by name.
func Transcript(ch *Chat, msgs []Message, agencyName, lang string) string {
	var b strings.Builder
	b.WriteString(i18n.T(lang, "chat.transcript.heading", agencyName))
	b.WriteString("\n")
	b.WriteString(i18n.T(lang, "chat.transcript.ref", ch.ID))
	b.WriteString("\n")
	b.WriteString(i18n.T(lang, "chat.transcript.started", i18n.DateTime(ch.CreatedAt)))
	b.WriteString("\n\n")
	for _, m := range msgs {
		who := i18n.T(lang, "chat.transcript.citizen")
		if m.From == FromAgency {
			who = agencyName
		}
		b.WriteString("[")
		b.WriteString(i18n.DateTime(m.At))
		b.WriteString("] ")
		b.WriteString(who)
		b.WriteString(":\n")
		for _, line := range strings.Split(m.Body, "\n") {
			b.WriteString("  ")
			b.WriteString(line)
			b.WriteString("\n")
		}
	}
	if !ch.ClosedAt.IsZero() {
		b.WriteString("\n")
		b.WriteString(i18n.T(lang, "chat.transcript.ended", i18n.DateTime(ch.ClosedAt)))
		b.WriteString("\n")
	}
	return b.String()
}

// Said joins what one side wrote, a paragraph per message: the starting
// text of a Q&A an officer makes of a chat.
func Said(msgs []Message, from string) string {
	var parts []string
	for _, m := range msgs {
		if m.From == from {
			parts = append(parts, m.Body)
		}
	}
	return strings.Join(parts, "\n\n")
}
