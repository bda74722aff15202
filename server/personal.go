package main

import (
	"context"
	"encoding/json"
	"time"

	"github.com/gofiber/fiber/v2"

	"tuongtac/agencies"
	"tuongtac/consultation"
	"tuongtac/pii"
	"tuongtac/problem"
	"tuongtac/store"
	"tuongtac/threads"
)

// Personal data requests (Decree 13/2023): a province administrator answers
// a person's request with everything held under their email address, and
// erases it on request. Public threads stay, masked as they already were.
// These walk the collections (no index on askers' addresses, on purpose):
// they are rare administrative acts, never a request path for the public.

type personalThread struct {
	ID        string    `json:"id"`
	Agency    string    `json:"agency"`
	Title     string    `json:"title"`
	State     string    `json:"state"`
	Name      string    `json:"name"`
	Phone     string    `json:"phone"`
	CreatedAt time.Time `json:"created_at"`
}

type personalComment struct {
	ID           string    `json:"id"`
	Consultation string    `json:"consultation"`
	Name         string    `json:"name"`
	Body         string    `json:"body"`
	CreatedAt    time.Time `json:"created_at"`
}

type heldData struct {
	Email    string            `json:"email"`
	Threads  []personalThread  `json:"threads"`
	Comments []personalComment `json:"comments"`
}

// eachDoc walks a collection, decoding each document into a fresh T.
func eachDoc[T any](ctx context.Context, c store.Collection, fn func(id string, v *T) error) error {
	after := ""
	for {
		page, err := c.Scan(ctx, after, 500)
		if err != nil {
			return err
		}
		if len(page) == 0 {
			return nil
		}
		for _, d := range page {
			after = d.ID
			v := new(T)
			if err := json.Unmarshal(d.JSON, v); err != nil {
				return err
			}
			if err := fn(d.ID, v); err != nil {
				return err
			}
		}
	}
}

func (a *App) collectPersonal(ctx context.Context, email string) (*heldData, error) {
	out := &heldData{Email: email, Threads: []personalThread{}, Comments: []personalComment{}}
	err := eachDoc(ctx, a.db.Collection("threads"), func(id string, t *threads.Thread) error {
		if t.Asker.Email == email {
			out.Threads = append(out.Threads, personalThread{ID: t.ID, Agency: t.Agency, Title: t.Title, State: t.State, Name: t.Asker.Name, Phone: t.Asker.Phone, CreatedAt: t.CreatedAt})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = eachDoc(ctx, a.db.Collection("consultation_comments"), func(id string, m *consultation.Comment) error {
		if m.Author.Email == email {
			out.Comments = append(out.Comments, personalComment{ID: m.ID, Consultation: m.Consultation, Name: m.Author.Name, Body: m.Body, CreatedAt: m.CreatedAt})
		}
		return nil
	})
	return out, err
}

func (a *App) personalEmail(c *fiber.Ctx, email string) (string, error) {
	if err := a.requireRootAdmin(c); err != nil {
		return "", err
	}
	email = agencies.NormalizeEmail(email)
	if email == "" {
		return "", problem.Invalid("email", "field.required")
	}
	return email, nil
}

// apiPersonalExport is GET /api/v1/admin/personal-data?email=.
func (a *App) apiPersonalExport(c *fiber.Ctx) error {
	email, err := a.personalEmail(c, c.Query("email"))
	if err != nil {
		return err
	}
	d, err := a.collectPersonal(c.UserContext(), email)
	if err != nil {
		return err
	}
	return c.JSON(d)
}

// apiPersonalErase is POST /api/v1/admin/personal-data/erase {"email"}: the
// asker's name, address and phone are removed from their threads, and the
// personal data inside the texts masked (as on the public pages); the
// same for consultation comments. Each thread's audit trail records it.
func (a *App) apiPersonalErase(c *fiber.Ctx) error {
	m, err := object(c)
	if err != nil {
		return err
	}
	var email string
	var f problem.Fields
	str(m, "email", &email, &f)
	if err := f.Err(); err != nil {
		return err
	}
	if email, err = a.personalEmail(c, email); err != nil {
		return err
	}
	ctx, s := c.UserContext(), a.session(c)
	d, err := a.collectPersonal(ctx, email)
	if err != nil {
		return err
	}
	now := store.Now()
	for _, pt := range d.Threads {
		_, err := a.threads.Store.Update(ctx, pt.ID, func(t *threads.Thread) error {
			if t.Asker.Email != email {
				return nil
			}
			names := []string{}
			if t.Asker.Name != "" {
				names = append(names, t.Asker.Name)
			}
			t.Title, t.Body = pii.Mask(t.Title, names...), pii.Mask(t.Body, names...)
			if t.Public != nil && t.Public.AskerName != "" {
				t.Public.AskerName = ""
			}
			t.Asker = threads.Asker{}
			t.AppendAudit(threads.AuditEntry{At: now, Actor: s.User.ID, ActorName: s.User.Name, Action: "erase", From: t.State, To: t.State, Reason: "personal data erased on request"})
			threads.Reindex(t, now)
			return nil
		})
		if err != nil {
			return err
		}
	}
	for _, pc := range d.Comments {
		_, err := a.consult.Store.UpdateComment(ctx, pc.ID, store.Now, func(m *consultation.Comment) error {
			if m.Author.Email != email {
				return nil
			}
			names := []string{}
			if m.Author.Name != "" {
				names = append(names, m.Author.Name)
			}
			m.Body = pii.Mask(m.Body, names...)
			m.Author.Name, m.Author.Email, m.Author.ShowName, m.Author.IPHash = "", "", false, ""
			return nil
		})
		if err != nil {
			return err
		}
	}
	a.threads.Store.Kick()
	return c.JSON(fiber.Map{"email": email, "threads": len(d.Threads), "comments": len(d.Comments)})
}
