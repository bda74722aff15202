package threads

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/go-playground/validator/v10"

	"tuongtac/agencies"
	"tuongtac/pii"
	"tuongtac/problem"
	"tuongtac/store"
	"tuongtac/vntext"
)

// Length limits, counted in characters after NFC normalisation.
const (
	TitleMin = 5
	TitleMax = 200
	BodyMin  = 20
	BodyMax  = 10000
	NameMax  = 100
	EmailMax = 254
	PhoneMax = 20
	TopicMax = 64
	// AnswerMax bounds an officer's answer.
	AnswerMax = 20000
	// ReasonMax bounds a reason or note.
	ReasonMax = 2000
)

// DedupWindow is how long identical content from anyone is refused as a
// duplicate after it was accepted.
const DedupWindow = 24 * time.Hour

// Input is what a citizen submits, as parsed from JSON or a form.
type Input struct {
	Agency   string `validate:"required,max=64"`
	Kind     string `validate:"required,oneof=question feedback complaint"`
	Topic    string `validate:"omitempty,max=64,slug"`
	Title    string `validate:"required,min=5,max=200"`
	Body     string `validate:"required,min=20,max=10000"`
	Name     string `validate:"omitempty,max=100,nomarkup"`
	Email    string `validate:"omitempty,max=254,email,singleline"`
	Phone    string `validate:"omitempty,max=20,phone"`
	ShowName bool
	Consent  bool
	Lang     string `validate:"omitempty,oneof=vi en"`
}

var (
	slugRE  = regexp.MustCompile(`^[a-z0-9]+(?:-[a-z0-9]+)*$`)
	phoneRE = regexp.MustCompile(`^\+?[0-9](?:[0-9]|[ .\-][0-9]){6,18}$`)
)

// Validator is the input validator, with tuongtac's own rules registered:
// slug, phone, nomarkup and singleline.
var Validator = func() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	must := func(tag string, fn validator.Func) {
		if err := v.RegisterValidation(tag, fn); err != nil {
			panic(err)
		}
	}
	must("slug", func(fl validator.FieldLevel) bool { return slugRE.MatchString(fl.Field().String()) })
	must("phone", func(fl validator.FieldLevel) bool { return phoneRE.MatchString(fl.Field().String()) })
	must("nomarkup", func(fl validator.FieldLevel) bool { return !strings.ContainsAny(fl.Field().String(), "<>") })
	// One plain address: no line breaks (header injection), and none of the
	// quoting, commas or spaces that make one field carry several addresses.
	must("singleline", func(fl validator.FieldLevel) bool {
		return !strings.ContainsAny(fl.Field().String(), "\r\n\t\x00\",;<> ")
	})
	return v
}()

// fieldNames maps struct fields to the API's field names.
var fieldNames = map[string]string{
	"Agency": "agency", "Kind": "kind", "Topic": "topic", "Title": "title", "Body": "body",
	"Name": "name", "Email": "email", "Phone": "phone", "Consent": "consent", "Lang": "lang",
}

// FieldErrors turns validator errors into problem fields with catalogue keys
// field.<name>.<rule> (the server falls back to field.<rule>).
func FieldErrors(err error, names map[string]string, f *problem.Fields) {
	verrs, ok := err.(validator.ValidationErrors)
	if !ok {
		return
	}
	for _, fe := range verrs {
		name := names[fe.StructField()]
		if name == "" {
			name = strings.ToLower(fe.StructField())
		}
		switch fe.Tag() {
		case "min", "max":
			var n int
			fmt.Sscan(fe.Param(), &n)
			f.Add(name, "field."+name+"."+fe.Tag(), n)
		case "nomarkup":
			f.Add(name, "field."+name+".markup")
		case "singleline":
			f.Add(name, "field.email")
		default:
			f.Add(name, "field."+name+"."+fe.Tag())
		}
	}
}

// Service submits threads and serves their public and private views.
type Service struct {
	Store    *Store
	Tree     *agencies.Tree
	Calendar *agencies.Calendar
	// Now is the clock; tests may set it.
	Now func() time.Time
	// Secret is the installation's key for derived tracking codes.
	Secret []byte
	// OnSubmit, if set, hears of every new thread after it is stored (live
	// consoles). It must not block.
	OnSubmit func(ctx context.Context, t *Thread)
}

// NewService builds a Service.
func NewService(st *Store, tree *agencies.Tree, cal *agencies.Calendar) *Service {
	return &Service{Store: st, Tree: tree, Calendar: cal, Now: store.Now}
}

// Receipt is what the asker gets back: the id and the private tracking code.
type Receipt struct {
	ID           string    `json:"id"`
	TrackingCode string    `json:"tracking_code"`
	State        string    `json:"state"`
	DueAt        time.Time `json:"due_at"`
}

// Meta is what the server knows of the request besides its body.
type Meta struct {
	// ClientHash is a salted hash of the client's address.
	ClientHash string
	// Token, if set, makes the submission idempotent: the tracking code is
	// derived from it, so sending the same content with the same token again
	// returns the same receipt instead of a duplicate error. The form puts a
	// fresh one in its check page; API clients send Idempotency-Key.
	Token string
}

// NewSubmissionToken returns a fresh idempotency token for a form.
func NewSubmissionToken() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return strings.ToLower(b32.EncodeToString(b[:]))
}

var tokenRE = regexp.MustCompile(`^[A-Za-z0-9_-]{16,128}$`)

// codeFromToken derives a tracking code from an idempotency token with the
// installation's secret, so only this service can make it.
func (s *Service) codeFromToken(token string) string {
	m := hmac.New(sha256.New, s.Secret)
	m.Write([]byte("tracking:"))
	m.Write([]byte(token))
	c := b32.EncodeToString(m.Sum(nil)[:10])
	return c[0:4] + "-" + c[4:8] + "-" + c[8:12] + "-" + c[12:16]
}

// Clean normalises every text field the way it is stored: NFC, invisible and
// bidi characters removed, whitespace trimmed.
func (in *Input) Clean() {
	in.Agency = strings.TrimSpace(in.Agency)
	in.Kind = strings.TrimSpace(in.Kind)
	in.Topic = strings.TrimSpace(in.Topic)
	in.Title = vntext.CleanLine(in.Title)
	in.Body = vntext.Clean(in.Body)
	in.Name = vntext.CleanLine(in.Name)
	in.Email = strings.TrimSpace(in.Email)
	in.Phone = strings.TrimSpace(in.Phone)
	in.Lang = strings.TrimSpace(in.Lang)
}

// Validate cleans and checks in, adding to f every field that is wrong.
func (s *Service) Validate(in *Input, f *problem.Fields) {
	in.Clean()
	if err := Validator.Struct(in); err != nil {
		FieldErrors(err, fieldNames, f)
	}
	if in.Agency != "" {
		if _, ok := s.Tree.Get(in.Agency); !ok {
			f.Add("agency", "field.agency.unknown")
		}
	}
	if !in.Consent {
		f.Add("consent", "field.consent.required")
	}
}

// Submit validates and stores a new thread. Nothing is stored unless all of
// the input is valid; identical content within DedupWindow is a conflict.
func (s *Service) Submit(ctx context.Context, in Input, meta Meta, pre problem.Fields) (*Receipt, error) {
	f := pre
	s.Validate(&in, &f)
	if err := f.Err(); err != nil {
		return nil, err
	}
	ag, _ := s.Tree.Get(in.Agency)
	if meta.Token != "" && !tokenRE.MatchString(meta.Token) {
		return nil, problem.Invalid("idempotency_key", "field.token")
	}
	now := s.Now()
	code, hash, err := NewTrackingCode()
	if err != nil {
		return nil, err
	}
	if meta.Token != "" && len(s.Secret) > 0 {
		code = s.codeFromToken(meta.Token)
		hash = TrackingHash(code)
	}
	path := s.Tree.Path(in.Agency)
	lang := in.Lang
	if lang == "" {
		lang = "vi"
	}
	t := &Thread{
		ID:     NewID(now),
		Agency: in.Agency,
		A1:     path[0], A2: path[1], A3: path[2], A4: path[3],
		Kind: in.Kind, Topic: in.Topic, Title: in.Title, Body: in.Body, Lang: lang,
		Asker:     Asker{Name: in.Name, Email: strings.ToLower(in.Email), Phone: in.Phone, ShowName: in.ShowName && in.Name != "", IPHash: meta.ClientHash},
		State:     StateQueued,
		Tracking:  hash,
		CreatedAt: now,
		DueAt:     s.Calendar.AddWorkingDays(now, ag.SLAWorkingDays),
	}
	t.AppendAudit(AuditEntry{At: now, Actor: "citizen", Action: "submitted", To: StateQueued, ToAgency: in.Agency})
	Reindex(t, now)
	Notify(t, "submitted", now)
	t.Outbox[len(t.Outbox)-1].Code = code // for the receipt email only
	t.Touch(now)
	key := dedupKey(in)
	if err := s.Store.claimDedup(ctx, key, t.ID, now, DedupWindow); err != nil {
		if problem.Is(err, problem.KindConflict) && meta.Token != "" {
			if r := s.repeat(ctx, key, hash, code); r != nil {
				return r, nil
			}
		}
		return nil, err
	}
	if err := s.Store.c.Insert(ctx, t.ID, t); err != nil {
		s.Store.releaseDedup(ctx, key)
		if errors.Is(err, store.ErrDuplicate) {
			// the same token with other content: a new check page is needed
			return nil, problem.Conflict("error.duplicate")
		}
		return nil, fmt.Errorf("threads: submit: %w", err)
	}
	// The outbox worker indexes it in the background: submissions stay fast.
	s.Store.kick()
	if s.OnSubmit != nil {
		s.OnSubmit(ctx, t)
	}
	return &Receipt{ID: t.ID, TrackingCode: code, State: t.State, DueAt: t.DueAt}, nil
}

// repeat returns the receipt of the thread already stored for this content
// if it was sent with the same token, nil otherwise.
func (s *Service) repeat(ctx context.Context, key, hash, code string) *Receipt {
	var d dedupDoc
	if _, err := s.Store.dedup.Get(ctx, key, &d); err != nil {
		return nil
	}
	t, _, err := s.Store.Get(ctx, d.Thread)
	if err != nil || t.Tracking != hash {
		return nil
	}
	return &Receipt{ID: t.ID, TrackingCode: code, State: t.State, DueAt: t.DueAt}
}

func dedupKey(in Input) string {
	h := sha256.New()
	for _, s := range []string{in.Agency, in.Kind, vntext.Fold(in.Title), vntext.Fold(in.Body), strings.ToLower(in.Email), in.Phone} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

var b32 = base32.NewEncoding("0123456789ABCDEFGHJKMNPQRSTVWXYZ").WithPadding(base32.NoPadding)

// NewID returns an opaque id that sorts by creation time: 48 bits of
// milliseconds and 32 random bits, in lower-case Crockford base32.
func NewID(now time.Time) string {
	var b [10]byte
	binary.BigEndian.PutUint64(b[:8], uint64(now.UnixMilli())<<16)
	if _, err := rand.Read(b[6:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return strings.ToLower(b32.EncodeToString(b[:]))
}

// NewTrackingCode returns a tracking code of 80 random bits, written as four
// groups of four Crockford base32 characters, and the hash that is stored.
func NewTrackingCode() (code, hash string, err error) {
	var b [10]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", "", fmt.Errorf("threads: tracking code: %w", err)
	}
	s := b32.EncodeToString(b[:])
	code = s[0:4] + "-" + s[4:8] + "-" + s[8:12] + "-" + s[12:16]
	return code, TrackingHash(code), nil
}

// TrackingHash normalises a tracking code as people type it (any case, with or
// without dashes and spaces, O for 0 and I or L for 1) and hashes it.
func TrackingHash(code string) string {
	var sb strings.Builder
	for _, r := range strings.ToUpper(code) {
		switch {
		case r == '-' || r == ' ':
			continue
		case r == 'O':
			r = '0'
		case r == 'I' || r == 'L':
			r = '1'
		}
		sb.WriteRune(r)
	}
	sum := sha256.Sum256([]byte(sb.String()))
	return hex.EncodeToString(sum[:])
}

// ValidTrackingCode reports whether s could be a tracking code, so obviously
// wrong input is refused without a lookup.
func ValidTrackingCode(s string) bool {
	n := 0
	for _, r := range s {
		switch {
		case r == '-' || r == ' ':
		case r >= '0' && r <= '9', r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
			n++
		default:
			return false
		}
	}
	return n == 16
}

// MakePublic masks personal data in the thread's title, body and answer and
// stores the result as the public view. Officers keep seeing the original.
func MakePublic(t *Thread, answeredAt time.Time) {
	var names []string
	if t.Asker.Name != "" {
		names = append(names, t.Asker.Name)
	}
	p := &Public{
		Title:      pii.Mask(t.Title, names...),
		Body:       pii.Mask(t.Body, names...),
		AnsweredAt: answeredAt,
	}
	if t.Answer != nil {
		p.Answer = pii.Mask(t.Answer.Body, names...)
	}
	if t.Asker.ShowName {
		p.AskerName = t.Asker.Name
	}
	// A topic is a free slug: if it spells personal data it is not shown.
	p.Topic = t.Topic
	if spaced := strings.ReplaceAll(t.Topic, "-", " "); pii.Mask(spaced, names...) != spaced {
		p.Topic = ""
	}
	t.Public = p
	card := publicItem(t)
	t.PublicCard = &card
}

// FormatPublishedAt is the stored form of a publication time.
func FormatPublishedAt(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }
