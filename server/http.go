package main

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"log/slog"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"tuongtac/i18n"
	"tuongtac/problem"
)

// BodyLimit bounds every request body. A question's longest body in UTF-8,
// JSON-escaped, fits well inside it.
const BodyLimit = 256 << 10

func (a *App) newFiber() *fiber.App {
	cfg := fiber.Config{
		AppName:               "tuongtac",
		BodyLimit:             BodyLimit,
		ErrorHandler:          a.handleError,
		ReadTimeout:           15 * time.Second,
		WriteTimeout:          30 * time.Second,
		IdleTimeout:           75 * time.Second,
		DisableStartupMessage: true,
		// Browsers on *.angiang.gov.vn may carry large shared cookies.
		ReadBufferSize: 16 << 10,
		// Values from the request outlive handlers (logs, documents): never let
		// fiber reuse their memory.
		Immutable: true,
	}
	app := fiber.New(cfg)
	app.Use(a.recoverer, a.requestID, a.accessLog, a.shed, a.securityHeaders, a.language)
	a.routes(app)
	app.Use(func(c *fiber.Ctx) error { return problem.NotFound() })
	return app
}

// clientIP is the address the request came from. X-Forwarded-For is believed
// only when the connection comes from a trusted proxy, and then read from the
// right: the first address that is not itself a trusted proxy is the client
// (the leftmost entries are whatever the client chose to send).
func (a *App) clientIP(c *fiber.Ctx) string {
	remote := c.Context().RemoteIP()
	if len(a.proxies) == 0 || !a.trusted(remote) {
		return remote.String()
	}
	hops := strings.Split(c.Get(fiber.HeaderXForwardedFor), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		ip := net.ParseIP(strings.TrimSpace(hops[i]))
		if ip == nil {
			break // garbage: stop believing the header here
		}
		if !a.trusted(ip) {
			return ip.String()
		}
	}
	return remote.String()
}

func (a *App) trusted(ip net.IP) bool {
	for _, n := range a.proxies {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

// parseProxies turns TRUSTED_PROXIES entries into networks (an address is a
// network of one).
func parseProxies(list []string) []*net.IPNet {
	var out []*net.IPNet
	for _, p := range list {
		if !strings.Contains(p, "/") {
			if ip := net.ParseIP(p); ip != nil {
				bits := 128
				if ip.To4() != nil {
					ip, bits = ip.To4(), 32
				}
				out = append(out, &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)})
			}
			continue
		}
		if _, n, err := net.ParseCIDR(p); err == nil {
			out = append(out, n)
		}
	}
	return out
}

// shed answers 503 at once when more than MaxInFlight requests are being
// served: over capacity, a quick "try again" beats a queue without bound.
// Health checks are never shed.
func (a *App) shed(c *fiber.Ctx) error {
	n := a.inFlight.Add(1)
	defer a.inFlight.Add(-1)
	if n > int64(a.cfg.MaxInFlight) && c.Path() != "/healthz" && c.Path() != "/readyz" {
		return &problem.Error{Kind: problem.KindUnavailable, Message: problem.Msg("error.overloaded"), RetryAfter: 1}
	}
	return c.Next()
}

// Fiber returns the HTTP application (for tests and the listener).
func (a *App) Fiber() *fiber.App { return a.fiber }

var requestIDRE = regexp.MustCompile(`^[A-Za-z0-9._-]{8,64}$`)

func (a *App) requestID(c *fiber.Ctx) error {
	id := c.Get(fiber.HeaderXRequestID)
	if !requestIDRE.MatchString(id) {
		b := make([]byte, 12)
		_, _ = rand.Read(b)
		id = base64.RawURLEncoding.EncodeToString(b)
	}
	c.Locals("rid", id)
	c.Set(fiber.HeaderXRequestID, id)
	return c.Next()
}

func rid(c *fiber.Ctx) string {
	s, _ := c.Locals("rid").(string)
	return s
}

// accessLog writes one line per request: the route pattern, never the path
// itself (a tracking code is a path part) and never the query (it may hold a
// search for a name).
func (a *App) accessLog(c *fiber.Ctx) error {
	start := time.Now()
	err := c.Next()
	if err != nil {
		if herr := a.handleError(c, err); herr != nil {
			c.Status(fiber.StatusInternalServerError)
		}
	}
	route := c.Route().Path
	if route == "/" && c.Path() != "/" {
		route = "(unmatched)"
	}
	status := c.Response().StatusCode()
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelError
	}
	if route == "/healthz" || route == "/readyz" {
		level = slog.LevelDebug
	}
	a.log.LogAttrs(c.UserContext(), level, "request",
		slog.String("request_id", rid(c)),
		slog.String("method", c.Method()),
		slog.String("route", route),
		slog.Int("status", status),
		slog.Duration("took", time.Since(start)),
	)
	return nil
}

func (a *App) recoverer(c *fiber.Ctx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			a.log.Error("panic", slog.String("request_id", rid(c)), slog.Any("panic", r))
			err = errors.New("internal error")
		}
	}()
	return c.Next()
}

func (a *App) securityHeaders(c *fiber.Ctx) error {
	a.setSecurityHeaders(c)
	return c.Next()
}

func (a *App) setSecurityHeaders(c *fiber.Ctx) {
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("Referrer-Policy", "strict-origin-when-cross-origin")
	if !strings.HasPrefix(c.Path(), "/embed") {
		c.Set("X-Frame-Options", "DENY")
	}
	c.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
	c.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
	if a.cfg.SecureCookies() {
		c.Set("Strict-Transport-Security", "max-age=31536000")
	}
}

// language picks the reader's language: ?lang=, then the lang cookie, then
// Accept-Language; Vietnamese by default. Choosing ?lang= remembers it.
func (a *App) language(c *fiber.Ctx) error {
	lang := ""
	if q := c.Query("lang"); q != "" {
		lang = i18n.Lang(q)
		if !strings.HasPrefix(c.Path(), "/api/") {
			c.Cookie(&fiber.Cookie{Name: "lang", Value: lang, Path: "/", MaxAge: 365 * 24 * 3600, SameSite: "Lax", Secure: a.cfg.SecureCookies()})
		}
	} else if ck := c.Cookies("lang"); ck != "" {
		lang = i18n.Lang(ck)
	} else {
		lang = i18n.FromAcceptLanguage(c.Get(fiber.HeaderAcceptLanguage))
	}
	c.Locals("lang", lang)
	return c.Next()
}

func langOf(c *fiber.Ctx) string {
	if s, ok := c.Locals("lang").(string); ok {
		return s
	}
	return "vi"
}

// apiError is the API's error shape.
type apiError struct {
	Error apiErrorBody `json:"error"`
}

type apiErrorBody struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
}

var kindStatus = map[problem.Kind]struct {
	status int
	code   string
}{
	problem.KindValidation:   {fiber.StatusBadRequest, "validation"},
	problem.KindUnauthorized: {fiber.StatusUnauthorized, "unauthorized"},
	problem.KindForbidden:    {fiber.StatusForbidden, "forbidden"},
	problem.KindNotFound:     {fiber.StatusNotFound, "not_found"},
	problem.KindConflict:     {fiber.StatusConflict, "conflict"},
	problem.KindTooLarge:     {fiber.StatusRequestEntityTooLarge, "too_large"},
	problem.KindUnsupported:  {fiber.StatusUnsupportedMediaType, "unsupported_media_type"},
	problem.KindTooMany:      {fiber.StatusTooManyRequests, "rate_limited"},
	problem.KindUnavailable:  {fiber.StatusServiceUnavailable, "unavailable"},
}

// msg translates a message, translating arguments that are messages too
// (a state's name inside a conflict message, say).
func msg(lang string, m problem.Message) string {
	args := make([]any, len(m.Args))
	for i, a := range m.Args {
		if inner, ok := a.(problem.Message); ok {
			args[i] = i18n.T(lang, inner.Key, inner.Args...)
		} else {
			args[i] = a
		}
	}
	return i18n.T(lang, m.Key, args...)
}

// translateField finds the message for a field: field.<name>.<rule> as given,
// else the generic field.<rule>.
func translateField(lang string, m problem.Message) string {
	if i18n.Has(m.Key) {
		return msg(lang, m)
	}
	parts := strings.Split(m.Key, ".")
	if len(parts) >= 3 {
		generic := parts[0] + "." + parts[len(parts)-1]
		if i18n.Has(generic) {
			return i18n.T(lang, generic, m.Args...)
		}
	}
	return i18n.T(lang, "field.type")
}

// toProblem turns any error into a problem, logging the ones that are ours.
func (a *App) toProblem(c *fiber.Ctx, err error) (*problem.Error, int) {
	if p, ok := problem.As(err); ok {
		return p, kindStatus[p.Kind].status
	}
	var fe *fiber.Error
	if errors.As(err, &fe) {
		switch fe.Code {
		case fiber.StatusNotFound, fiber.StatusMethodNotAllowed:
			return problem.NotFound(), fiber.StatusNotFound
		case fiber.StatusRequestEntityTooLarge:
			return &problem.Error{Kind: problem.KindTooLarge, Message: problem.Msg("error.too_large")}, fe.Code
		case fiber.StatusUnsupportedMediaType:
			return &problem.Error{Kind: problem.KindUnsupported, Message: problem.Msg("error.unsupported")}, fe.Code
		case fiber.StatusBadRequest, fiber.StatusRequestHeaderFieldsTooLarge, fiber.StatusRequestURITooLong:
			return &problem.Error{Kind: problem.KindValidation, Message: problem.Msg("error.validation")}, fiber.StatusBadRequest
		}
	}
	a.log.Error("request failed", slog.String("request_id", rid(c)), slog.String("route", c.Route().Path), slog.String("error", err.Error()))
	return &problem.Error{Message: problem.Msg("error.internal")}, fiber.StatusInternalServerError
}

// handleError is the one place errors become responses: the API's JSON shape
// under /api/, an HTML page elsewhere.
func (a *App) handleError(c *fiber.Ctx, err error) error {
	p, status := a.toProblem(c, err)
	a.setSecurityHeaders(c) // errors fiber raises before routing skip the middleware
	lang := langOf(c)
	if p.RetryAfter > 0 {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(p.RetryAfter))
	}
	if wantsJSON(c) {
		body := apiErrorBody{Code: "internal", Message: msg(lang, p.Message)}
		if status != fiber.StatusInternalServerError {
			body.Code = kindStatus[p.Kind].code
		}
		if len(p.Fields) > 0 {
			body.Fields = map[string]string{}
			for f, m := range p.Fields {
				body.Fields[f] = translateField(lang, m)
			}
		}
		return c.Status(status).JSON(apiError{Error: body})
	}
	return a.renderError(c, status, msg(lang, p.Message))
}

// wantsJSON reports whether an error goes out in the API's shape: under
// /api/ and for health checks, and for requests too broken to have a path
// (a client that sends those is not a browser reading a page).
func wantsJSON(c *fiber.Ctx) bool {
	p := c.Path()
	// No request id: the request never reached the middleware.
	return strings.HasPrefix(p, "/api/") || p == "/healthz" || p == "/readyz" || rid(c) == ""
}

// limiter is a token bucket per key, kept in memory: each instance limits on
// its own, which is enough to blunt floods.
type limiter struct {
	mu      sync.Mutex
	burst   float64
	perSec  float64
	buckets map[string]*bucket
	sweep   time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newLimiter(burst int, perSec float64) *limiter {
	return &limiter{burst: float64(burst), perSec: perSec, buckets: map[string]*bucket{}}
}

// take spends one token for key. When none is left it returns false and the
// seconds until one is.
func (l *limiter) take(key string) (bool, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	if now.Sub(l.sweep) > time.Minute {
		for k, b := range l.buckets {
			if b.tokens+now.Sub(b.at).Seconds()*l.perSec >= l.burst {
				delete(l.buckets, k)
			}
		}
		l.sweep = now
	}
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[key] = b
	}
	b.tokens = min(l.burst, b.tokens+now.Sub(b.at).Seconds()*l.perSec)
	b.at = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := int((1-b.tokens)/l.perSec) + 1
	return false, wait
}

// peek reports whether key has a token left, without spending it.
func (l *limiter) peek(key string) (bool, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok {
		return true, 0
	}
	tokens := min(l.burst, b.tokens+time.Since(b.at).Seconds()*l.perSec)
	if tokens >= 1 {
		return true, 0
	}
	return false, int((1-tokens)/l.perSec) + 1
}

// reset forgets key (after a successful sign-in).
func (l *limiter) reset(key string) {
	l.mu.Lock()
	delete(l.buckets, key)
	l.mu.Unlock()
}
