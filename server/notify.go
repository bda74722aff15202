package main

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"tuongtac/agencies"
	"tuongtac/chat"
	"tuongtac/consultation"
	"tuongtac/i18n"
	"tuongtac/notifications"
	"tuongtac/problem"
	"tuongtac/store"
	"tuongtac/threads"
)

// notifier turns thread events into mail: the asker's (only to a verified
// address; the receipt waits for verification) and the officers'. It is
// idempotent by outbox entry id, as threads.Notifier requires.
type notifier struct {
	a *App
}

var _ threads.Notifier = notifier{}
var _ notifications.People = notifier{}

// openMail builds the mail service and the mailer: SMTP_URL, or .eml files
// in DATA_DIR/mail when no relay is set.
func openMail(db store.DB, cfg Config) (*notifications.Service, notifications.Mailer, error) {
	svc, err := notifications.New(db, notifications.Config{BaseURL: cfg.BaseURL, From: cfg.MailFrom})
	if err != nil {
		return nil, nil, err
	}
	m, err := notifications.NewMailer(cfg.SMTPURL, filepath.Join(cfg.DataDir, "mail"))
	if err != nil {
		return nil, nil, err
	}
	return svc, m, nil
}

func (n notifier) base() string { return strings.TrimRight(n.a.cfg.BaseURL, "/") }

func (n notifier) agencyName(id, lang string) string {
	if ag, ok := n.a.tree.Get(id); ok {
		return ag.DisplayName(lang)
	}
	return id
}

// ThreadEvent sends what one event means to whom it concerns.
func (n notifier) ThreadEvent(ctx context.Context, t *threads.Thread, e threads.OutboxEntry) error {
	lang := t.Lang
	data := notifications.Data{
		Title: t.Title, Kind: t.Kind, Agency: n.agencyName(t.Agency, lang), DueAt: t.DueAt,
		TrackURL: n.base() + "/track", Reason: t.Reason,
	}
	if t.Asker.ShowName {
		data.Name = t.Asker.Name
	}
	var errs []error
	citizen := ""
	switch e.Event {
	case "submitted":
		citizen = notifications.TmplReceived
		data.Code = e.Code
		if e.Code != "" {
			data.TrackURL = n.base() + "/track/" + url.PathEscape(e.Code)
		}
		if t.Asker.Email != "" {
			// Double opt-in: the receipt is held until the address is confirmed.
			if err := n.a.mail.RequestVerification(ctx, t.Asker.Email, lang); err != nil && !problem.Is(err, problem.KindTooMany) && !problem.Is(err, problem.KindValidation) {
				errs = append(errs, err)
			}
		}
		errs = append(errs, n.officers(ctx, e.ID, t))
	case "transferred":
		citizen = notifications.TmplTransferred
		data.FromAgency, data.ToAgency = n.agencyName(e.FromAgency, lang), data.Agency
		for i := len(t.Audit) - 1; i >= 0; i-- {
			if t.Audit[i].Action == "transfer" {
				data.Reason = t.Audit[i].Reason
				break
			}
		}
		errs = append(errs, n.officers(ctx, e.ID, t))
	case "published":
		citizen = notifications.TmplPublished
		data.ThreadURL = n.base() + "/threads/" + url.PathEscape(t.ID)
	case "answered_private":
		citizen = notifications.TmplAnsweredPrivate
		if t.Answer != nil {
			data.Answer = t.Answer.Body
		}
	case "rejected":
		citizen = notifications.TmplRejected
	case "archived":
		// Followers hear that a thread they follow was withdrawn.
		if _, err := n.a.mail.NotifyFollowers(ctx, e.ID, t.ID, notifications.TmplFollowedUpdate, data); err != nil {
			errs = append(errs, err)
		}
	default:
		return nil
	}
	if citizen != "" && t.Asker.Email != "" {
		if _, err := n.a.mail.Notify(ctx, e.ID, t.Asker.Email, citizen, data); err != nil && !problem.Is(err, problem.KindValidation) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// officers tells the agency's officers and editors of a new item.
func (n notifier) officers(ctx context.Context, eventID string, t *threads.Thread) error {
	people, err := n.withRole(ctx, t.Agency, agencies.RoleOfficer)
	if err != nil || len(people) == 0 {
		return err
	}
	data := notifications.Data{Title: t.Title, Kind: t.Kind, Agency: n.agencyName(t.Agency, "vi"), DueAt: t.DueAt,
		ConsoleURL: n.base() + "/console/threads/" + url.PathEscape(t.ID)}
	return n.a.mail.NotifyOfficers(ctx, eventID, people, notifications.TmplOfficerNewItem, data)
}

// withRole lists the active users holding at least role directly on agency.
func (n notifier) withRole(ctx context.Context, agency, role string) ([]notifications.Recipient, error) {
	users, err := n.a.accounts.All(ctx)
	if err != nil {
		return nil, err
	}
	var out []notifications.Recipient
	for _, u := range users {
		if u.Disabled {
			continue
		}
		for _, r := range u.Roles {
			if r.Agency == agency && agencies.Allowed(n.a.tree, []agencies.Role{r}, agency, role) {
				out = append(out, recipient(u))
				break
			}
		}
	}
	return out, nil
}

func recipient(u agencies.User) notifications.Recipient {
	lang := u.Lang
	if lang == "" {
		lang = "vi"
	}
	return notifications.Recipient{ID: u.ID, Email: u.Email, Name: u.Name, Lang: lang, Digest: u.Digest}
}

// Officers implements notifications.People.
func (n notifier) Officers(ctx context.Context, agency string) ([]notifications.Recipient, error) {
	return n.withRole(ctx, agency, agencies.RoleOfficer)
}

// Editors implements notifications.People.
func (n notifier) Editors(ctx context.Context, agency string) ([]notifications.Recipient, error) {
	return n.withRole(ctx, agency, agencies.RoleEditor)
}

// User implements notifications.People.
func (n notifier) User(ctx context.Context, id string) (notifications.Recipient, bool, error) {
	u, err := n.a.accounts.Get(ctx, id)
	if problem.Is(err, problem.KindNotFound) {
		return notifications.Recipient{}, false, nil
	}
	if err != nil {
		return notifications.Recipient{}, false, err
	}
	return recipient(*u), !u.Disabled, nil
}

// Parent implements notifications.People.
func (n notifier) Parent(agency string) string {
	ag, _ := n.a.tree.Get(agency)
	return ag.Parent
}

// remind sends the due-tomorrow and overdue notices for open threads, every
// hour until ctx ends; running it again sends nothing twice.
func (a *App) remind(ctx context.Context) {
	tick := time.NewTicker(time.Hour)
	defer tick.Stop()
	for {
		if n, err := a.remindOnce(ctx, time.Now()); err != nil && ctx.Err() == nil {
			a.log.Warn("reminders", slog.String("error", err.Error()))
		} else if n > 0 {
			a.log.Info("reminders", slog.Int("sent", n))
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

func (a *App) remindOnce(ctx context.Context, now time.Time) (int, error) {
	cutoff := a.cal.AddWorkingDays(now, 1)
	cards, err := a.threads.Store.Cards(ctx, a.mod.QueueQuery(a.tree.Root().ID, "", 1000))
	if err != nil {
		return 0, err
	}
	var ds []notifications.Deadline
	for _, c := range cards {
		if c.DueAt.After(cutoff) {
			break // soonest due first: the rest are later
		}
		ds = append(ds, notifications.Deadline{ThreadID: c.ID, Title: c.Title, Agency: c.Agency,
			AgencyName: notifier{a}.agencyName(c.Agency, "vi"), Assignee: c.Assignee, DueAt: c.DueAt,
			ConsoleURL: strings.TrimRight(a.cfg.BaseURL, "/") + "/console/threads/" + url.PathEscape(c.ID)})
	}
	return a.mail.Remind(ctx, notifications.Escalation{People: notifier{a}, Calendar: a.cal}, ds, now)
}

// Pages for the links in mails.

func (a *App) mailRoutes(app *fiber.App) {
	app.Get("/verify/:token", a.pageVerify)
	app.Post("/verify/:token", a.pageVerify)
	app.Get("/unsubscribe/:token", a.pageUnsubscribe)
	// No CSRF token: mail programs post List-Unsubscribe=One-Click without cookies.
	app.Post("/unsubscribe/:token", a.pageUnsubscribe)
	app.Post("/threads/:id/follow", a.pageFollow)
}

func (a *App) mailPage(c *fiber.Ctx, status int, titleKey, bodyKey, action, button string) error {
	lang := langOf(c)
	c.Set(fiber.HeaderCacheControl, "no-store")
	p := a.page(c, "home", i18n.T(lang, titleKey), mailPageData{Heading: i18n.T(lang, titleKey), Body: i18n.T(lang, bodyKey), Action: action, Button: button})
	p.NoIndex = true
	return a.render(c, status, "mail", p)
}

type mailPageData struct {
	Heading, Body, Action, Button string
}

// pageVerify confirms an address: GET shows a button (link scanners in mail
// systems must not confirm), POST confirms.
func (a *App) pageVerify(c *fiber.Ctx) error {
	lang := langOf(c)
	tok := c.Params("token")
	if c.Method() == fiber.MethodGet {
		return a.mailPage(c, 200, "mail.verify_title", "mail.verify_ask", "/verify/"+url.PathEscape(tok), i18n.T(lang, "mail.verify_button"))
	}
	if _, err := a.mail.Verify(c.UserContext(), tok); err != nil {
		if problem.Is(err, problem.KindNotFound) {
			return a.mailPage(c, 404, "mail.verify_title", "mail.verify_unknown", "", "")
		}
		return err
	}
	return a.mailPage(c, 200, "mail.verify_title", "mail.verify_done", "", "")
}

// pageUnsubscribe stops all mail to an address: GET asks, POST (also the
// one-click POST of mail programs) does it.
func (a *App) pageUnsubscribe(c *fiber.Ctx) error {
	lang := langOf(c)
	tok := c.Params("token")
	if c.Method() == fiber.MethodGet {
		return a.mailPage(c, 200, "mail.unsub_title", "mail.unsub_ask", "/unsubscribe/"+url.PathEscape(tok), i18n.T(lang, "mail.unsub_button"))
	}
	if _, err := a.mail.Unsubscribe(c.UserContext(), tok); err != nil && !problem.Is(err, problem.KindNotFound) {
		return err
	}
	// Unknown or done: either way nothing more is sent.
	return a.mailPage(c, 200, "mail.unsub_title", "mail.unsub_done", "", "")
}

// Admin: the mail outbox's dead and uncertain letters.

func (a *App) apiMailList(c *fiber.Ctx) error {
	if err := a.requireRootAdmin(c); err != nil {
		return err
	}
	state := c.Query("state", notifications.StateDead)
	ms, err := a.mail.List(c.UserContext(), state, 200)
	if err != nil {
		return err
	}
	counts, err := a.mail.Counts(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": ms, "counts": counts})
}

func (a *App) apiMailAction(action string) fiber.Handler {
	return func(c *fiber.Ctx) error { return a.mailAction(c, action) }
}

func (a *App) mailAction(c *fiber.Ctx, action string) error {
	if err := a.requireRootAdmin(c); err != nil {
		return err
	}
	ctx, id := c.UserContext(), c.Params("id")
	var err error
	switch action {
	case "requeue":
		err = a.mail.Requeue(ctx, id)
	case "mark-sent":
		err = a.mail.MarkSent(ctx, id)
	case "discard":
		err = a.mail.Discard(ctx, id)
	default:
		return problem.NotFound()
	}
	if err != nil {
		return err
	}
	m, err := a.mail.Get(ctx, id)
	if err != nil {
		return err
	}
	return c.JSON(m)
}

func (a *App) requireRootAdmin(c *fiber.Ctx) error {
	if !agencies.Allowed(a.tree, a.session(c).User.Roles, a.tree.Root().ID, agencies.RoleAdmin) {
		return problem.Forbidden()
	}
	return nil
}

// apiFollow lets anyone follow a published thread by email (Article 7.1.b):
// updates start once the address is confirmed.
func (a *App) apiFollow(c *fiber.Ctx) error {
	m, err := object(c)
	if err != nil {
		return err
	}
	var email, lang string
	var f problem.Fields
	str(m, "email", &email, &f)
	str(m, "lang", &lang, &f)
	if email == "" {
		f.Add("email", "field.required")
	}
	if err := f.Err(); err != nil {
		return err
	}
	if _, err := a.threads.GetPublic(c.UserContext(), c.Params("id")); err != nil {
		return err
	}
	if err := a.submitAllowed(c); err != nil {
		return err
	}
	verified, err := a.mail.Follow(c.UserContext(), email, i18n.Lang(lang), c.Params("id"))
	if err != nil {
		return err
	}
	status := "following"
	if !verified {
		status = "confirm_email"
	}
	return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"status": status})
}

// pageFollow is the thread page's follow form, without JavaScript.
func (a *App) pageFollow(c *fiber.Ctx) error {
	lang := langOf(c)
	if _, err := a.threads.GetPublic(c.UserContext(), c.Params("id")); err != nil {
		return err
	}
	if err := a.submitAllowed(c); err != nil {
		return err
	}
	verified, err := a.mail.Follow(c.UserContext(), c.FormValue("email"), lang, c.Params("id"))
	if problem.Is(err, problem.KindValidation) {
		return a.mailPage(c, fiber.StatusBadRequest, "mail.follow_title", "mail.follow_bad", "", "")
	}
	if err != nil {
		return err
	}
	if !verified {
		return a.mailPage(c, fiber.StatusOK, "mail.follow_title", "mail.follow_confirm", "", "")
	}
	return a.mailPage(c, fiber.StatusOK, "mail.follow_title", "mail.follow_done", "", "")
}

var _ consultation.Notifier = notifier{}

// CommentAnswered tells a consultation comment's author of the agency's
// response (only to a confirmed address; idempotent by entry id).
func (n notifier) CommentAnswered(ctx context.Context, m *consultation.Comment, e consultation.OutboxItem) error {
	if m.Author.Email == "" || m.Response == nil {
		return nil
	}
	lang := i18n.Lang(m.Lang)
	data := notifications.Data{
		Title: m.ConsultationTitle, Draft: m.ConsultationTitle, Comment: m.Body, Reply: m.Response.Text,
		Agency:    n.agencyName(m.Agency, lang),
		ThreadURL: n.base() + "/consultations/" + url.PathEscape(m.Consultation),
	}
	if m.Author.ShowName {
		data.Name = m.Author.Name
	}
	_, err := n.a.mail.Notify(ctx, e.ID, m.Author.Email, notifications.TmplCommentAnswered, data)
	if problem.Is(err, problem.KindValidation) {
		return nil // an address that cannot receive mail: nothing to retry
	}
	return err
}

var _ chat.Mailer = notifier{}

// MailTranscript sends a closed chat's transcript to the address the citizen
// gave (only once it is confirmed; idempotent by request id).
func (n notifier) MailTranscript(ctx context.Context, req chat.MailRequest, c *chat.Chat, msgs []chat.Message) error {
	lang := i18n.Lang(req.Lang)
	var b strings.Builder
	for _, m := range msgs {
		who := i18n.T(lang, "chat.you")
		if m.From == chat.FromAgency {
			who = n.agencyName(c.Agency, lang)
		}
		b.WriteString(i18n.DateTime(m.At) + " — " + who + ":\n" + m.Body + "\n\n")
	}
	data := notifications.Data{Agency: n.agencyName(c.Agency, lang), Answer: strings.TrimSpace(b.String())}
	_, err := n.a.mail.Notify(ctx, "chat/"+c.ID+"/"+req.ID, req.Email, notifications.TmplChatTranscript, data)
	if problem.Is(err, problem.KindValidation) {
		return nil // an address that cannot receive mail: nothing to retry
	}
	return err
}
