package agencies

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"tuongtac/problem"
	"tuongtac/store"
)

// Roles an officer may hold over an agency, each allowing what the one before
// it allows and more.
const (
	RoleOfficer = "officer" // claim, answer, transfer
	RoleEditor  = "editor"  // also approve, return, reject, archive
	RoleAdmin   = "admin"   // also agencies and users
)

var roleRank = map[string]int{RoleOfficer: 1, RoleEditor: 2, RoleAdmin: 3}

// ValidRole reports whether r names a role.
func ValidRole(r string) bool { return roleRank[r] > 0 }

// Role is one role over one agency; it covers the agency's whole subtree.
type Role struct {
	Agency string `json:"agency"`
	Role   string `json:"role"`
}

// Allowed reports whether roles grant at least need over agency.
func Allowed(tree *Tree, roles []Role, agency, need string) bool {
	for _, r := range roles {
		if roleRank[r.Role] >= roleRank[need] && roleRank[need] > 0 && tree.IsWithin(agency, r.Agency) {
			return true
		}
	}
	return false
}

// Scopes returns the agencies whose work roles give a view of, leaving out
// any that lie inside another of them (a province role covers its districts).
func Scopes(tree *Tree, roles []Role) []string {
	var out []string
	for _, r := range roles {
		if !ValidRole(r.Role) {
			continue
		}
		covered := false
		for _, o := range roles {
			if o.Agency != r.Agency && ValidRole(o.Role) && tree.IsWithin(r.Agency, o.Agency) {
				covered = true
				break
			}
		}
		if !covered && !slices.Contains(out, r.Agency) {
			out = append(out, r.Agency)
		}
	}
	return out
}

// User is an officer's account.
type User struct {
	ID           string    `json:"id"`
	Email        string    `json:"email"`
	Name         string    `json:"name"`
	PasswordHash string    `json:"password_hash"`
	Roles        []Role    `json:"roles"`
	Disabled     bool      `json:"disabled"`
	CreatedAt    time.Time `json:"created_at"`
	// Lang is the language of the officer's notices ("vi" by default).
	Lang string `json:"lang,omitempty"`
	// Digest collects notices into one daily message instead of one each.
	Digest bool `json:"digest,omitempty"`
}

// PublicUser is a user as the API shows it: no password hash.
type PublicUser struct {
	ID    string `json:"id"`
	Email string `json:"email"`
	Name  string `json:"name"`
	Roles []Role `json:"roles"`
}

// Public drops the secret fields.
func (u *User) Public() PublicUser {
	return PublicUser{ID: u.ID, Email: u.Email, Name: u.Name, Roles: u.Roles}
}

type session struct {
	UserID    string    `json:"user_id"`
	CSRF      string    `json:"csrf"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// SessionTTL is how long a sign-in lasts.
const SessionTTL = 12 * time.Hour

// Migrations creates the users and sessions collections.
func Migrations() []store.Migration {
	return []store.Migration{{ID: "0001-users", Steps: []store.Step{
		store.CreateCollection("users"),
		store.DeclareField("users", "email"),
		store.CreateIndex("users", "email", true, "email"),
		store.CreateCollection("sessions"),
		store.DeclareField("sessions", "user_id"),
		store.CreateIndex("sessions", "user_id", false, "user_id"),
	}}}
}

// Accounts manages officers, their passwords and their sessions.
type Accounts struct {
	users    store.Collection
	sessions store.Collection
	tree     *Tree
	params   PasswordParams
	// Now is the clock; tests may set it.
	Now func() time.Time

	// dummy is a hash verified when the email is unknown, so a sign-in takes
	// as long whether or not the account exists.
	dummyOnce sync.Once
	dummy     string
}

// NewAccounts builds Accounts over a migrated database. Tests pass
// TestPasswordParams; everything else DefaultPasswordParams.
func NewAccounts(db store.DB, tree *Tree, p PasswordParams) *Accounts {
	return &Accounts{users: db.Collection("users"), sessions: db.Collection("sessions"), tree: tree, params: p, Now: store.Now}
}

// NewUser is what an administrator supplies to create an account.
type NewUser struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	Name     string `json:"name"`
	Roles    []Role `json:"roles"`
	// Lang is the language of the officer's notices: "vi" (default) or "en".
	Lang string `json:"lang,omitempty"`
	// Digest sends the officer one daily message instead of one per item.
	Digest bool `json:"digest,omitempty"`
}

// NormalizeEmail is the stored form of an email address.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

func randomID(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// Create validates and stores a new user.
func (a *Accounts) Create(ctx context.Context, in NewUser) (*User, error) {
	var f problem.Fields
	email := NormalizeEmail(in.Email)
	if email == "" {
		f.Add("email", "field.required")
	} else if len(email) > 254 || strings.ContainsAny(email, " \r\n\t<>") || strings.Count(email, "@") != 1 || strings.HasPrefix(email, "@") || strings.HasSuffix(email, "@") {
		f.Add("email", "field.email")
	}
	if err := CheckPassword(in.Password); err != nil {
		f.Add("password", "field.password")
	}
	name := strings.TrimSpace(in.Name)
	if name == "" {
		f.Add("name", "field.required")
	} else if len([]rune(name)) > 100 || strings.ContainsAny(name, "<>") {
		f.Add("name", "field.name.markup")
	}
	if len(in.Roles) == 0 {
		f.Add("roles", "field.required")
	}
	for i, r := range in.Roles {
		if !ValidRole(r.Role) {
			f.Add(fmt.Sprintf("roles[%d].role", i), "field.role")
		}
		if _, ok := a.tree.Get(r.Agency); !ok {
			f.Add(fmt.Sprintf("roles[%d].agency", i), "field.agency.unknown")
		}
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	hash, err := HashPassword(in.Password, a.params)
	if err != nil {
		return nil, fmt.Errorf("agencies: create user: %w", err)
	}
	lang := in.Lang
	if lang != "en" {
		lang = "vi"
	}
	u := &User{ID: "u_" + randomID(9), Email: email, Name: name, PasswordHash: hash, Roles: in.Roles, CreatedAt: a.Now(), Lang: lang, Digest: in.Digest}
	if err := a.users.Insert(ctx, u.ID, u); err != nil {
		if errors.Is(err, store.ErrDuplicate) {
			return nil, problem.Conflict("conflict.email_taken")
		}
		return nil, fmt.Errorf("agencies: create user: %w", err)
	}
	return u, nil
}

// Count reports how many users exist (the bootstrap admin is made on zero).
func (a *Accounts) Count(ctx context.Context) (int64, error) {
	return a.users.Count(ctx, store.Query{})
}

// ByEmail finds a user by email.
func (a *Accounts) ByEmail(ctx context.Context, email string) (*User, error) {
	var us []User
	err := a.users.Find(ctx, store.Query{Where: []store.Cond{store.Where("email", store.Eq, NormalizeEmail(email))}, Limit: 1}, &us)
	if err != nil {
		return nil, fmt.Errorf("agencies: user by email: %w", err)
	}
	if len(us) == 0 {
		return nil, problem.NotFound()
	}
	return &us[0], nil
}

// Get finds a user by id.
func (a *Accounts) Get(ctx context.Context, id string) (*User, error) {
	var u User
	if _, err := a.users.Get(ctx, id, &u); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, problem.NotFound()
		}
		return nil, fmt.Errorf("agencies: get user: %w", err)
	}
	return &u, nil
}

// Session is a signed-in user with the token to put in the cookie and the
// CSRF token unsafe requests must echo.
type Session struct {
	Token string
	CSRF  string
	User  *User
}

func hashToken(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:])
}

// Login checks the password and opens a session. Wrong email and wrong
// password give the same error and take the same time.
func (a *Accounts) Login(ctx context.Context, email, password string) (*Session, error) {
	u, err := a.ByEmail(ctx, email)
	if err != nil && !problem.Is(err, problem.KindNotFound) {
		return nil, err
	}
	if u == nil || u.Disabled {
		a.dummyOnce.Do(func() { a.dummy, _ = HashPassword("not a real password", a.params) })
		_, _ = VerifyPassword(password, a.dummy)
		return nil, &problem.Error{Kind: problem.KindUnauthorized, Message: problem.Msg("error.login")}
	}
	ok, err := VerifyPassword(password, u.PasswordHash)
	if err != nil || !ok {
		return nil, &problem.Error{Kind: problem.KindUnauthorized, Message: problem.Msg("error.login")}
	}
	now := a.Now()
	s := &Session{Token: randomID(32), CSRF: randomID(24), User: u}
	doc := session{UserID: u.ID, CSRF: s.CSRF, CreatedAt: now, ExpiresAt: now.Add(SessionTTL)}
	if err := a.sessions.Insert(ctx, hashToken(s.Token), doc); err != nil {
		return nil, fmt.Errorf("agencies: login: %w", err)
	}
	return s, nil
}

// Session returns the session for a cookie token, or problem.Unauthorized.
func (a *Accounts) Session(ctx context.Context, token string) (*Session, error) {
	if token == "" || len(token) > 128 {
		return nil, problem.Unauthorized()
	}
	var doc session
	if _, err := a.sessions.Get(ctx, hashToken(token), &doc); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, problem.Unauthorized()
		}
		return nil, fmt.Errorf("agencies: session: %w", err)
	}
	if !a.Now().Before(doc.ExpiresAt) {
		_ = a.sessions.Delete(ctx, hashToken(token))
		return nil, problem.Unauthorized()
	}
	u, err := a.Get(ctx, doc.UserID)
	if err != nil || u.Disabled {
		return nil, problem.Unauthorized()
	}
	return &Session{Token: token, CSRF: doc.CSRF, User: u}, nil
}

// Logout ends a session.
func (a *Accounts) Logout(ctx context.Context, token string) error {
	err := a.sessions.Delete(ctx, hashToken(token))
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("agencies: logout: %w", err)
	}
	return nil
}

// All returns every account, for the few places that look people up by
// agency (who to notify): officers number in the hundreds, so a walk over
// the collection is cheaper than an index on roles.
func (a *Accounts) All(ctx context.Context) ([]User, error) {
	var out []User
	after := ""
	for {
		page, err := a.users.Scan(ctx, after, 500)
		if err != nil {
			return nil, fmt.Errorf("agencies: users: %w", err)
		}
		if len(page) == 0 {
			return out, nil
		}
		for _, d := range page {
			var u User
			if err := json.Unmarshal(d.JSON, &u); err != nil {
				return nil, fmt.Errorf("agencies: user %s: %w", d.ID, err)
			}
			out = append(out, u)
			after = d.ID
		}
	}
}
