package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"tuongtac/agencies"
	"tuongtac/i18n"
	"tuongtac/threads"
)

// oaMethods are the operation keys of an OpenAPI path item.
var oaMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// fetchOpenAPI gets the served document and decodes it.
func fetchOpenAPI(t *testing.T, ta *testApp) map[string]any {
	t.Helper()
	res, body := ta.anon().get("/api/v1/openapi.json")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/v1/openapi.json: %d %s", res.StatusCode, body)
	}
	if ct := res.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	if cc := res.Header.Get("Cache-Control"); cc != "public, max-age=300" {
		t.Errorf("Cache-Control = %q, want public, max-age=300", cc)
	}
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatalf("document is not JSON: %v", err)
	}
	return doc
}

// oaResolve follows a local JSON pointer such as #/components/schemas/Error.
func oaResolve(doc map[string]any, ref string) (any, bool) {
	if !strings.HasPrefix(ref, "#/") {
		return nil, false
	}
	var cur any = doc
	for _, part := range strings.Split(ref[2:], "/") {
		part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[part]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// oaWalk calls fn on every JSON object in v, with its location.
func oaWalk(v any, at string, fn func(at string, m map[string]any)) {
	switch x := v.(type) {
	case map[string]any:
		fn(at, x)
		for k, e := range x {
			oaWalk(e, at+"/"+k, fn)
		}
	case []any:
		for i, e := range x {
			oaWalk(e, fmt.Sprintf("%s/%d", at, i), fn)
		}
	}
}

// oaDeref resolves v if it is a $ref.
func oaDeref(doc map[string]any, v any) map[string]any {
	m, _ := v.(map[string]any)
	if ref, ok := m["$ref"].(string); ok {
		r, _ := oaResolve(doc, ref)
		m, _ = r.(map[string]any)
	}
	return m
}

func oaGet(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func oaStrings(v any) []string {
	var out []string
	for _, e := range oaSlice(v) {
		out = append(out, fmt.Sprint(e))
	}
	return out
}

func oaSlice(v any) []any { s, _ := v.([]any); return s }

func TestOpenAPIDocument(t *testing.T) {
	ta := newTestApp(t)
	doc := fetchOpenAPI(t, ta)

	if doc["openapi"] != "3.0.3" {
		t.Errorf("openapi = %v, want 3.0.3", doc["openapi"])
	}
	if oaGet(doc, "info", "title") == nil || oaGet(doc, "info", "version") == nil {
		t.Error("info needs title and version")
	}
	if s := oaSlice(doc["servers"]); len(s) != 1 || oaGet(s[0], "url") != "/" {
		t.Errorf("servers = %v, want [{url: /}]", doc["servers"])
	}

	// Every $ref resolves to a defined component, and every component is used.
	used := map[string]bool{}
	oaWalk(doc, "#", func(at string, m map[string]any) {
		ref, ok := m["$ref"]
		if !ok {
			return
		}
		s, _ := ref.(string)
		if !strings.HasPrefix(s, "#/components/") || strings.Count(s, "/") != 3 {
			t.Errorf("%s: $ref %v is not a local component", at, ref)
			return
		}
		if _, ok := oaResolve(doc, s); !ok {
			t.Errorf("%s: $ref %s does not resolve", at, s)
		}
		if len(m) != 1 {
			t.Errorf("%s: $ref %s has siblings, which OpenAPI 3.0 ignores", at, s)
		}
		used[s] = true
	})
	for _, kind := range []string{"schemas", "responses", "parameters"} {
		comps, _ := oaGet(doc, "components", kind).(map[string]any)
		if len(comps) == 0 {
			t.Errorf("components.%s is empty", kind)
		}
		for name := range comps {
			if !used["#/components/"+kind+"/"+name] {
				t.Errorf("components.%s.%s is never used", kind, name)
			}
		}
	}

	// Security schemes: the session cookie and the CSRF header.
	schemes, _ := oaGet(doc, "components", "securitySchemes").(map[string]any)
	for name, want := range map[string][2]string{"session": {"cookie", sessionCookie}, "csrf": {"header", "X-CSRF-Token"}} {
		s := oaGet(schemes, name)
		if oaGet(s, "type") != "apiKey" || oaGet(s, "in") != want[0] || oaGet(s, "name") != want[1] {
			t.Errorf("securitySchemes.%s = %v, want apiKey in %s named %s", name, s, want[0], want[1])
		}
	}

	tags := map[string]bool{}
	for _, tag := range oaSlice(doc["tags"]) {
		tags[fmt.Sprint(oaGet(tag, "name"))] = true
	}
	for _, want := range []string{"public", "officers", "admin", "operations"} {
		if !tags[want] {
			t.Errorf("tag %s is not declared", want)
		}
	}

	// Every operation: unique id, declared tags, words, a success response,
	// declared path parameters, known security, CSRF with the session on
	// unsafe methods.
	paramRE := regexp.MustCompile(`\{([^}]+)\}`)
	ids := map[string]string{}
	paths, _ := doc["paths"].(map[string]any)
	if len(paths) == 0 {
		t.Fatal("no paths")
	}
	for path, item := range paths {
		for _, method := range oaMethods {
			op, ok := oaGet(item, method).(map[string]any)
			if !ok {
				continue
			}
			where := strings.ToUpper(method) + " " + path
			id, _ := op["operationId"].(string)
			if id == "" {
				t.Errorf("%s: no operationId", where)
			} else if prev, dup := ids[id]; dup {
				t.Errorf("%s: operationId %s also used by %s", where, id, prev)
			}
			ids[id] = where
			if op["summary"] == "" || op["summary"] == nil || op["description"] == "" || op["description"] == nil {
				t.Errorf("%s: needs a summary and a description", where)
			}
			opTags := oaStrings(op["tags"])
			if len(opTags) == 0 {
				t.Errorf("%s: no tag", where)
			}
			for _, tag := range opTags {
				if !tags[tag] {
					t.Errorf("%s: undeclared tag %s", where, tag)
				}
			}
			responses, _ := op["responses"].(map[string]any)
			ok2xx := false
			for status, r := range responses {
				if strings.HasPrefix(status, "2") {
					ok2xx = true
				}
				if oaDeref(doc, r)["description"] == nil {
					t.Errorf("%s: response %s has no description", where, status)
				}
			}
			if !ok2xx {
				t.Errorf("%s: no success response", where)
			}
			if rr, ok := responses["429"]; ok && oaGet(oaDeref(doc, rr), "headers", "Retry-After") == nil {
				t.Errorf("%s: 429 without Retry-After", where)
			}

			declared := map[string]bool{}
			for _, p := range append(oaSlice(oaGet(item, "parameters")), oaSlice(op["parameters"])...) {
				p := oaDeref(doc, p)
				if p["in"] == "path" {
					if p["required"] != true {
						t.Errorf("%s: path parameter %v must be required", where, p["name"])
					}
					declared[fmt.Sprint(p["name"])] = true
				}
			}
			for _, m := range paramRE.FindAllStringSubmatch(path, -1) {
				if !declared[m[1]] {
					t.Errorf("%s: path parameter {%s} is not declared", where, m[1])
				}
				delete(declared, m[1])
			}
			for name := range declared {
				t.Errorf("%s: parameter %s is not in the path", where, name)
			}

			for _, req := range oaSlice(op["security"]) {
				req, _ := req.(map[string]any)
				for name := range req {
					if schemes[name] == nil {
						t.Errorf("%s: security names unknown scheme %s", where, name)
					}
				}
				if _, session := req["session"]; session && method != "get" {
					if _, csrf := req["csrf"]; !csrf {
						t.Errorf("%s: an unsafe officer call must require X-CSRF-Token", where)
					}
				}
			}
			if strings.HasPrefix(path, "/api/v1/moderation/") || strings.HasPrefix(path, "/api/v1/admin/") {
				if len(oaSlice(op["security"])) == 0 {
					t.Errorf("%s: officer operation without security", where)
				}
			}
			if rb, ok := op["requestBody"]; ok {
				if oaGet(rb, "content", "application/json", "schema") == nil {
					t.Errorf("%s: request body is not application/json", where)
				}
			}
		}
	}

	// The error shape of http.go.
	errBody := oaGet(doc, "components", "schemas", "ErrorBody")
	for _, f := range []string{"code", "message", "fields"} {
		if oaGet(errBody, "properties", f) == nil {
			t.Errorf("ErrorBody lacks %s", f)
		}
	}
	codes := oaStrings(oaGet(errBody, "properties", "code", "enum"))
	for _, ks := range kindStatus {
		if !slices.Contains(codes, ks.code) {
			t.Errorf("error code %s is not in the ErrorBody enum", ks.code)
		}
	}
	for _, status := range []string{"400", "401", "403", "404", "409", "413", "415", "429"} {
		found := false
		for _, item := range paths {
			for _, method := range oaMethods {
				if oaGet(item, method, "responses", status) != nil {
					found = true
				}
			}
		}
		if !found {
			t.Errorf("no operation documents status %s", status)
		}
	}

	// Enums and limits come from the code that enforces them.
	schemas := oaGet(doc, "components", "schemas")
	for name, want := range map[string][]string{
		"Kind": threads.Kinds, "State": threads.States, "Lang": i18n.Languages,
		"RoleName": {agencies.RoleOfficer, agencies.RoleEditor, agencies.RoleAdmin},
	} {
		if got := oaStrings(oaGet(schemas, name, "enum")); !slices.Equal(got, want) {
			t.Errorf("%s enum = %v, want %v", name, got, want)
		}
	}
	nt := oaGet(schemas, "NewThread")
	for field, want := range map[string]int{
		"title": threads.TitleMax, "body": threads.BodyMax, "name": threads.NameMax,
		"email": threads.EmailMax, "phone": threads.PhoneMax, "topic": threads.TopicMax,
	} {
		if got := oaGet(nt, "properties", field, "maxLength"); got != float64(want) {
			t.Errorf("NewThread.%s maxLength = %v, want %d", field, got, want)
		}
	}
	if req := oaStrings(oaGet(nt, "required")); !slices.Equal(req, []string{"agency", "kind", "title", "body", "consent"}) {
		t.Errorf("NewThread required = %v", req)
	}
	for _, c := range []struct{ field, ok, bad string }{
		{"topic", "dat-dai", "Dat dai"},
		{"phone", "0912 345 678", "phone me"},
	} {
		re, err := regexp.Compile(fmt.Sprint(oaGet(nt, "properties", c.field, "pattern")))
		if err != nil {
			t.Errorf("NewThread.%s pattern: %v", c.field, err)
			continue
		}
		if !re.MatchString(c.ok) || re.MatchString(c.bad) {
			t.Errorf("NewThread.%s pattern %s: %q should match and %q not", c.field, re, c.ok, c.bad)
		}
	}
	// Every object schema with required members has them as properties.
	for name, s := range oaGet(schemas).(map[string]any) {
		props, _ := oaGet(s, "properties").(map[string]any)
		for _, r := range oaStrings(oaGet(s, "required")) {
			if props[r] == nil {
				t.Errorf("schema %s requires %s, which it does not define", name, r)
			}
		}
	}
}

// oaParamRE matches a fiber route parameter, with an optional constraint
// and optional marker.
var oaParamRE = regexp.MustCompile(`:([A-Za-z0-9_]+)(?:<[^>]*>)?\??`)

// oaRoutes lists the API's routes as "METHOD /openapi/{path}", with the
// moderation actions expanded.
func oaRoutes(t *testing.T, ta *testApp) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for _, r := range ta.app.Fiber().GetRoutes(true) {
		if r.Method == http.MethodHead || r.Method == http.MethodConnect {
			continue
		}
		if !strings.HasPrefix(r.Path, "/api/") && r.Path != "/healthz" && r.Path != "/readyz" {
			continue // pages are not part of the API document
		}
		p := oaParamRE.ReplaceAllString(r.Path, "{$1}")
		if base, ok := strings.CutSuffix(p, "/{action}"); ok {
			for _, a := range modActions {
				out[r.Method+" "+base+"/"+a] = true
			}
			continue
		}
		out[r.Method+" "+p] = true
	}
	return out
}

// oaDocumented lists the document's operations as "METHOD /path".
func oaDocumented(doc map[string]any) map[string]bool {
	out := map[string]bool{}
	paths, _ := doc["paths"].(map[string]any)
	for path, item := range paths {
		for _, method := range oaMethods {
			if oaGet(item, method) != nil {
				out[strings.ToUpper(method)+" "+path] = true
			}
		}
	}
	return out
}

func oaSortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestOpenAPICoversRoutes fails when a route is added without documentation,
// or documentation stays behind after a route is gone.
func TestOpenAPICoversRoutes(t *testing.T) {
	ta := newTestApp(t)
	routes := oaRoutes(t, ta)
	docs := oaDocumented(fetchOpenAPI(t, ta))
	for _, must := range []string{"GET /healthz", "GET /readyz", "POST /api/v1/threads", "GET /api/v1/threads/{id}", "POST /api/v1/moderation/threads/{id}/claim"} {
		if !routes[must] {
			t.Fatalf("route walk missed %s; routes: %v", must, oaSortedKeys(routes))
		}
	}
	for _, r := range oaSortedKeys(routes) {
		if !docs[r] {
			t.Errorf("route %s is not in the OpenAPI document (server/openapi.go)", r)
		}
	}
	for _, d := range oaSortedKeys(docs) {
		if !routes[d] {
			t.Errorf("the OpenAPI document has %s, which is no route", d)
		}
	}
}

// TestOpenAPIActionsAreHandled checks every documented workflow action is one
// runAction knows: on an existing thread none answers 404, while an unknown
// action does.
func TestOpenAPIActionsAreHandled(t *testing.T) {
	ta := newTestApp(t)
	res, body := ta.anon().json("POST", "/api/v1/threads", map[string]any{
		"agency": "sotnmt", "kind": "question", "topic": "dat-dai",
		"title":   "Hỏi về thời hạn cấp giấy phép xây dựng",
		"body":    "Xin hỏi hồ sơ xin giấy phép xây dựng nhà ở riêng lẻ được giải quyết trong bao nhiêu ngày?",
		"consent": true,
	})
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("submit: %d %s", res.StatusCode, body)
	}
	var rec struct {
		ID string `json:"id"`
	}
	mustDecode(t, body, &rec)
	admin := ta.login(adminEmail, testPass)
	for _, action := range modActions {
		res, body := admin.json("POST", "/api/v1/moderation/threads/"+rec.ID+"/"+action, nil)
		if res.StatusCode == http.StatusNotFound {
			t.Errorf("documented action %s answers 404: %s", action, body)
		}
	}
	if res, body := admin.json("POST", "/api/v1/moderation/threads/"+rec.ID+"/no-such-action", nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("unknown action: %d %s, want 404", res.StatusCode, body)
	}
}
