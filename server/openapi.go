package main

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/gofiber/fiber/v2"

	"tuongtac/agencies"
	"tuongtac/i18n"
	"tuongtac/moderation"
	"tuongtac/search"
	"tuongtac/threads"
)

// The OpenAPI 3.0.3 document of the HTTP API (shared/design/API.md), served at
// GET /api/v1/openapi.json. It is written here as Go values, built and
// marshalled once when the program starts; limits and enums come from the
// packages that enforce them, so the document cannot drift from the checks.
// openapi_test.go fails when a route under /api/ (or /healthz, /readyz) has no
// operation here, or an operation here has no route.

// modActions are the workflow actions of POST
// /api/v1/moderation/threads/{id}/{action}, each documented as its own path.
// runAction must handle every one of them.
var modActions = []string{"claim", "release", "answer", "approve", "return", "reject", "transfer", "archive"}

// openAPIJSON is the marshalled document, served as is.
var openAPIJSON = func() []byte {
	b, err := json.Marshal(withConsultationAPI(openAPIDocument()))
	if err != nil {
		panic(fmt.Sprintf("openapi: %v", err))
	}
	return b
}()

// openAPI serves the OpenAPI document.
func (a *App) openAPI(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	c.Set(fiber.HeaderCacheControl, "public, max-age=300")
	return c.Send(openAPIJSON)
}

// oaMap is one JSON object of the document.
type oaMap = map[string]any

// Security requirements: the session cookie alone for reads, and the CSRF
// header with it for unsafe methods.
var (
	oaSessionOnly = []oaMap{{"session": []string{}}}
	oaSessionCSRF = []oaMap{{"session": []string{}, "csrf": []string{}}}
)

func oaRef(kind, name string) oaMap { return oaMap{"$ref": "#/components/" + kind + "/" + name} }

func oaSchema(name string) oaMap { return oaRef("schemas", name) }

// oaSchemaDesc refers to a schema and describes this use of it ($ref may
// have no siblings in OpenAPI 3.0, hence allOf).
func oaSchemaDesc(name, desc string) oaMap {
	return oaMap{"allOf": []oaMap{oaSchema(name)}, "description": desc}
}

func oaObject(desc string, required []string, props oaMap) oaMap {
	m := oaMap{"type": "object", "properties": props}
	if desc != "" {
		m["description"] = desc
	}
	if len(required) > 0 {
		m["required"] = required
	}
	return m
}

func oaString(desc string) oaMap { return oaMap{"type": "string", "description": desc} }

// oaText is a string of at most max characters (and at least min when min > 0).
func oaText(desc string, min, max int) oaMap {
	m := oaString(desc)
	if min > 0 {
		m["minLength"] = min
	}
	if max > 0 {
		m["maxLength"] = max
	}
	return m
}

func oaTime(desc string) oaMap {
	return oaMap{"type": "string", "format": "date-time", "description": desc}
}

func oaBool(desc string) oaMap { return oaMap{"type": "boolean", "description": desc} }

func oaInt(desc string) oaMap { return oaMap{"type": "integer", "description": desc} }

func oaArray(desc string, items oaMap) oaMap {
	return oaMap{"type": "array", "items": items, "description": desc}
}

func oaEnum(desc string, values []string) oaMap {
	return oaMap{"type": "string", "enum": values, "description": desc}
}

// oaJSON is a response with a JSON body.
func oaJSON(desc string, schema oaMap) oaMap {
	return oaMap{"description": desc, "content": oaMap{fiber.MIMEApplicationJSON: oaMap{"schema": schema}}}
}

// oaBody is a JSON request body.
func oaBody(desc string, required bool, schema oaMap) oaMap {
	return oaMap{"description": desc, "required": required, "content": oaMap{fiber.MIMEApplicationJSON: oaMap{"schema": schema}}}
}

// oaResponses adds the shared error responses named by status to ok.
func oaResponses(ok oaMap, errs ...string) oaMap {
	for _, status := range errs {
		ok[status] = oaRef("responses", oaErrorResponses[status])
	}
	return ok
}

// oaMailAction documents one admin action on a mail message.
func oaMailAction(id, desc string) oaMap {
	return oaMap{
		"parameters": []oaMap{{"name": "id", "in": "path", "required": true, "description": "The message's id.", "schema": oaMap{"type": "string"}}},
		"post": oaWith(oaOp("admin", id, desc, "Province administrators only.",
			oaResponses(oaMap{"200": oaJSON("The message.", oaMap{"type": "object"})}, "401", "403", "404", "409")),
			oaMap{"security": oaSessionCSRF}),
	}
}

// oaErrorResponses names the shared error response of each status.
var oaErrorResponses = map[string]string{
	"400": "BadRequest",
	"401": "Unauthorized",
	"403": "Forbidden",
	"404": "NotFound",
	"409": "Conflict",
	"413": "PayloadTooLarge",
	"415": "UnsupportedMediaType",
	"429": "TooManyRequests",
	"503": "Unavailable",
}

// oaOp is one operation.
func oaOp(tag, id, summary, desc string, responses oaMap) oaMap {
	return oaMap{"tags": []string{tag}, "operationId": id, "summary": summary, "description": desc, "responses": responses}
}

// oaWith sets extra members of an operation and returns it.
func oaWith(op oaMap, extra oaMap) oaMap {
	for k, v := range extra {
		op[k] = v
	}
	return op
}

// oaErrorCodes lists the error codes the API answers with, from kindStatus.
func oaErrorCodes() []string {
	codes := []string{"internal"}
	for _, ks := range kindStatus {
		codes = append(codes, ks.code)
	}
	sort.Strings(codes)
	return codes
}

const (
	kindDesc = "What the citizen sends: question (hỏi đáp), feedback (góp ý) or complaint " +
		"(phản ánh: a report of a problem). Formal complaints and denunciations (khiếu nại, tố cáo) " +
		"follow other laws and are out of scope."
	stateDesc = "Where the thread is in the workflow: queued (waiting in the agency's queue), assigned " +
		"(claimed by an officer), pending_approval (an answer waits for an editor), held (on hold, still open), " +
		"published (the answer is public), answered_private (answered to the asker only), rejected " +
		"(closed without an answer) or archived (withdrawn from public view and kept, Article 23)."
	roleDesc = "A role over an agency and all its sub-agencies: officer (cán bộ: claim, answer, transfer), " +
		"editor (biên tập: also approve, return, reject, archive) or admin (quản trị: also agencies and users)."
	agencyIDDesc = "Agency id (opaque, stable across renames; may contain dots), as listed by GET /api/v1/agencies."
	slugPattern  = `^[a-z0-9]+(?:-[a-z0-9]+)*$`
	phonePattern = `^\+?[0-9](?:[0-9]|[ .\-][0-9]){6,18}$`
)

// openAPISchemas is components.schemas: every body the API reads or writes.
func openAPISchemas() oaMap {
	return oaMap{
		"Error": oaObject("Every error answer of the API.", []string{"error"}, oaMap{
			"error": oaSchema("ErrorBody"),
		}),
		"ErrorBody": oaObject("What went wrong.", []string{"code", "message"}, oaMap{
			"code": oaEnum("Machine-readable kind of error: validation (400), unauthorized (401), forbidden (403), "+
				"not_found (404), conflict (409: the thread's state does not allow this, or it is a duplicate), "+
				"too_large (413), unsupported_media_type (415), rate_limited (429) or internal (500).", oaErrorCodes()),
			"message": oaString("A sentence for people, in the reader's language (?lang=, the lang cookie, then Accept-Language; Vietnamese by default)."),
			"fields": oaMap{
				"type":                 "object",
				"description":          "On validation errors: a message for each member of the request that is wrong, by name (for example title, or roles[0].agency).",
				"additionalProperties": oaMap{"type": "string"},
			},
		}),
		"Status": oaObject("The process is serving, or the request was done.", []string{"status"}, oaMap{
			"status": oaEnum("Always ok.", []string{"ok"}),
		}),
		"Readiness": oaObject("Whether the service can do its work.", []string{"status", "store"}, oaMap{
			"status": oaEnum("ok when the store answers, else unavailable.", []string{"ok", "unavailable"}),
			"store":  oaString("The document backend in use (sqlite or mongo) when ready; down when not."),
		}),

		"Kind":     oaEnum(kindDesc, threads.Kinds),
		"State":    oaEnum(stateDesc, threads.States),
		"Lang":     oaEnum("Language: vi (Vietnamese, the default) or en (English).", i18n.Languages),
		"RoleName": oaEnum(roleDesc, []string{agencies.RoleOfficer, agencies.RoleEditor, agencies.RoleAdmin}),

		"AgencyName": oaObject("An agency's official names; the Vietnamese one is the legal one.", []string{"vi", "en"}, oaMap{
			"vi": oaString("Name in Vietnamese."),
			"en": oaString("Name in English; may be empty."),
		}),
		"Agency": oaObject("An agency (cơ quan) of the province's tree.", []string{"id", "name", "level", "parent", "domain", "sla_working_days"}, oaMap{
			"id":     oaString(agencyIDDesc),
			"name":   oaSchema("AgencyName"),
			"level":  oaString("Descriptive level such as province, department, district or commune; not a closed list."),
			"parent": oaMap{"type": "string", "nullable": true, "description": "The parent agency's id; null for the root (the provincial People's Committee)."},
			"domain": oaString("The agency's web domain (Article 5.4)."),
			"sla_working_days": oaMap{"type": "integer", "minimum": 1, "maximum": agencies.MaxSLAWorkingDays,
				"description": "Working days the agency has to answer a thread."},
		}),
		"AgencyList": oaObject("Every agency, parents before their children.", []string{"items"}, oaMap{
			"items": oaArray("The agencies.", oaSchema("Agency")),
		}),

		"NewThread": oaObject("A citizen's question, feedback or complaint. Lengths count characters after Unicode NFC normalisation.",
			[]string{"agency", "kind", "title", "body", "consent"}, oaMap{
				"agency": oaText("The agency asked. "+agencyIDDesc, 0, 64),
				"kind":   oaSchema("Kind"),
				"topic": oaMap{"type": "string", "maxLength": threads.TopicMax, "pattern": slugPattern,
					"description": "A free topic slug (chủ đề): lowercase letters, digits and hyphens; not a closed list."},
				"title": oaText("The subject, one line.", threads.TitleMin, threads.TitleMax),
				"body":  oaText("The question or report itself.", threads.BodyMin, threads.BodyMax),
				"name":  oaText("The asker's full name (họ tên), without < or >. Personal data: never shown publicly unless show_name.", 0, threads.NameMax),
				"email": oaMap{"type": "string", "format": "email", "maxLength": threads.EmailMax,
					"description": "One email address, for notices about the thread. Personal data: never shown publicly."},
				"phone": oaMap{"type": "string", "maxLength": threads.PhoneMax, "pattern": phonePattern,
					"description": "Phone number: digits with an optional leading +, spaces, dots or dashes. Personal data: never shown publicly."},
				"show_name": oaMap{"type": "boolean", "default": false, "description": "Show the asker's name on the published thread."},
				"consent": oaMap{"type": "boolean", "enum": []bool{true},
					"description": "The asker agrees to the processing of their personal data (Decree 13/2023/NĐ-CP); must be JSON true."},
				"lang": oaSchemaDesc("Lang", "The language to write to the asker in; vi by default."),
			}),
		"Receipt": oaObject("What the asker gets back. The tracking code (mã tra cứu) is shown once and never stored: only its hash is.",
			[]string{"id", "tracking_code", "state", "due_at"}, oaMap{
				"id":            oaString("The thread's id."),
				"tracking_code": oaString("The asker's private tracking code, such as 7K3M-Q9TB-2XHC-V8RD, for GET /api/v1/track/{code}."),
				"state":         oaSchema("State"),
				"due_at":        oaTime("The end of the last working day the agency has to answer."),
			}),
		"ListPage": oaObject("One page of published threads, newest first. With q, year or sort the page comes from the search index: "+
			"items then also carry title_html and snippet_html, and facets counts every match.", []string{"items", "total", "page", "per_page"}, oaMap{
			"items":    oaArray("The threads of this page; empty, never null, past the end.", oaSchema("SearchItem")),
			"total":    oaMap{"type": "integer", "format": "int64", "description": "How many threads match in all."},
			"page":     oaInt("This page's number, from 1."),
			"per_page": oaInt("Threads per page."),
			"facets":   oaSchema("Facets"),
		}),
		"SearchItem": oaObject("A thread in a list or a search result.", []string{"id", "agency", "kind", "topic", "title", "excerpt"}, oaMap{
			"state":        oaString("Officers' search only: the thread's state."),
			"id":           oaString("The thread's id."),
			"agency":       oaString("The answering agency's id."),
			"kind":         oaSchema("Kind"),
			"topic":        oaString("Topic slug; empty when none was given."),
			"title":        oaString("The title, personal data masked."),
			"excerpt":      oaString("The start of the body (or, in a search, the best passage), personal data masked."),
			"published_at": oaTime("When the answer was published; absent in officers' search for unpublished threads."),
			"title_html":   oaString("Search only: the title, HTML-escaped, with the matched words in <mark>."),
			"snippet_html": oaString("Search only: the best passage, HTML-escaped, with the matched words in <mark>."),
		}),
		"Facets": oaObject("Search only: how many matches each value has, over every match (not only the page). "+
			"agency counts per agency id including sub-agencies.", []string{"agency", "kind", "topic", "year"}, oaMap{
			"agency": oaMap{"type": "object", "additionalProperties": oaMap{"type": "integer"}},
			"kind":   oaMap{"type": "object", "additionalProperties": oaMap{"type": "integer"}},
			"topic":  oaMap{"type": "object", "additionalProperties": oaMap{"type": "integer"}},
			"year":   oaMap{"type": "object", "additionalProperties": oaMap{"type": "integer"}},
		}),
		"Suggestions": oaObject("Titles offered while typing.", []string{"items"}, oaMap{
			"items": oaArray("Up to limit published threads.", oaObject("One suggestion.", []string{"id", "title", "title_html"}, oaMap{
				"id":         oaString("The thread's id."),
				"title":      oaString("The title, personal data masked (plain text: escape it)."),
				"title_html": oaString("The title, HTML-escaped, with the typed words in <mark>."),
			})),
		}),
		"Message": oaObject("One message of a public thread.", []string{"author", "body", "at"}, oaMap{
			"author": oaEnum("Who wrote it: the citizen or the agency.", []string{"citizen", "agency"}),
			"body":   oaString("The text, personal data masked."),
			"at":     oaTime("When it was written or published."),
		}),
		"PublicThread": oaObject("A published thread as the public sees it: personal data masked, the asker's name only if they chose to show it.",
			[]string{"id", "agency", "kind", "topic", "title", "body", "messages", "created_at", "published_at"}, oaMap{
				"id":           oaString("The thread's id."),
				"agency":       oaString("The answering agency's id."),
				"kind":         oaSchema("Kind"),
				"topic":        oaString("Topic slug; empty when none was given."),
				"title":        oaString("The title, personal data masked."),
				"body":         oaString("The question, personal data masked."),
				"asker_name":   oaString("The asker's name, present only when they chose to show it."),
				"messages":     oaArray("The agency's answer and any later messages, oldest first.", oaSchema("Message")),
				"created_at":   oaTime("When the citizen sent it."),
				"published_at": oaTime("When the answer was published."),
			}),
		"TrackEvent": oaObject("A step of the asker's history: what happened, not who did it.", []string{"at", "action", "state"}, oaMap{
			"at":     oaTime("When."),
			"action": oaString("What happened: submitted, claim, approve, reject, transfer or archive (steps internal to the agency are left out)."),
			"state":  oaSchemaDesc("State", "The state the thread went to."),
			"agency": oaString("On transfer: the agency the thread went to."),
			"reason": oaString("On transfer, reject and archive: why."),
		}),
		"TrackView": oaObject("The asker's private view of their thread (theo dõi), reached only with the tracking code.",
			[]string{"id", "agency", "kind", "title", "body", "state", "created_at", "due_at", "public", "history"}, oaMap{
				"id":          oaString("The thread's id."),
				"agency":      oaString("The agency that has the thread now."),
				"kind":        oaSchema("Kind"),
				"title":       oaString("The title as sent."),
				"body":        oaString("The body as sent."),
				"state":       oaSchema("State"),
				"created_at":  oaTime("When the citizen sent it."),
				"due_at":      oaTime("The end of the last working day the agency has to answer."),
				"answer":      oaString("The approved answer, once published, answered privately or archived after an answer."),
				"answered_at": oaTime("When the answer was written; the zero time 0001-01-01T00:00:00Z while there is none."),
				"reason":      oaString("Why the thread was rejected or archived."),
				"public":      oaBool("Whether the thread is published."),
				"history":     oaArray("What happened so far, oldest first.", oaSchema("TrackEvent")),
			}),

		"LoginRequest": oaObject("An officer's credentials.", []string{"email", "password"}, oaMap{
			"email":    oaText("The account's email address.", 1, 0),
			"password": oaMap{"type": "string", "format": "password", "minLength": 1, "description": "The password."},
		}),
		"Session": oaObject("The signed-in officer and the CSRF token their unsafe requests must send in X-CSRF-Token.",
			[]string{"csrf_token", "user"}, oaMap{
				"csrf_token": oaString("Send it back in the X-CSRF-Token header with every POST of this session."),
				"user":       oaSchema("PublicUser"),
			}),
		"Role": oaObject("One role over one agency; it covers the agency's whole subtree.", []string{"agency", "role"}, oaMap{
			"agency": oaString(agencyIDDesc),
			"role":   oaSchema("RoleName"),
		}),
		"PublicUser": oaObject("An officer's account (no password hash).", []string{"id", "email", "name", "roles"}, oaMap{
			"id":    oaString("The account's id."),
			"email": oaString("Email address, lower-cased."),
			"name":  oaString("Full name."),
			"roles": oaArray("What the officer may do, and where.", oaSchema("Role")),
		}),
		"NewUser": oaObject("A new officer account.", []string{"email", "password", "name", "roles"}, oaMap{
			"email": oaMap{"type": "string", "format": "email", "maxLength": threads.EmailMax, "description": "Email address; unique (409 if taken)."},
			"password": oaMap{"type": "string", "format": "password", "minLength": agencies.MinPasswordChars,
				"description": fmt.Sprintf("At least %d characters (after NFC normalisation) and at most %d bytes; passphrases welcome, no composition rules.",
					agencies.MinPasswordChars, agencies.MaxPasswordBytes)},
			"name":   oaText("Full name, without < or >.", 1, 100),
			"roles":  oaMap{"type": "array", "minItems": 1, "items": oaSchema("Role"), "description": "At least one role; the caller must be an administrator over each agency."},
			"lang":   oaEnum("Language of the officer's notices (default vi).", []string{"vi", "en"}),
			"digest": oaMap{"type": "boolean", "description": "One daily message of new items instead of one message each."},
		}),

		"QueueItem": oaObject("One row of an officer's queue.", []string{"id", "agency", "state", "kind", "title", "due_at", "assignee", "created_at", "overdue"}, oaMap{
			"id":            oaString("The thread's id."),
			"agency":        oaString("The agency that has the thread."),
			"state":         oaSchema("State"),
			"kind":          oaSchema("Kind"),
			"title":         oaString("The title as sent."),
			"due_at":        oaTime("The end of the last working day the agency has to answer."),
			"assignee":      oaString("Id of the officer holding the thread; empty when nobody does."),
			"assignee_name": oaString("Name of the officer holding the thread, when someone does."),
			"created_at":    oaTime("When the citizen sent it."),
			"overdue":       oaBool("Still open past due_at."),
		}),
		"QueueList": oaObject(fmt.Sprintf("Threads waiting in the caller's agencies, soonest due first (so overdue ones lead); at most %d.", moderation.MaxQueue),
			[]string{"items"}, oaMap{
				"items": oaArray("The queue; empty, never null.", oaSchema("QueueItem")),
			}),
		"Asker": oaObject("The citizen's contact. Personal data: officers only, never public.", []string{"name", "email", "phone", "show_name"}, oaMap{
			"name":      oaString("Full name; may be empty."),
			"email":     oaString("Email address; may be empty."),
			"phone":     oaString("Phone number; may be empty."),
			"show_name": oaBool("The asker chose to show their name publicly."),
		}),
		"Answer": oaObject("An agency's answer.", []string{"body", "author", "author_name", "at"}, oaMap{
			"body":        oaText("The text.", 0, threads.AnswerMax),
			"author":      oaString("Id of the officer who wrote it."),
			"author_name": oaString("Name of the officer who wrote it."),
			"at":          oaTime("When it was written."),
			"approved_by": oaString("Id of the editor who approved it, once approved."),
		}),
		"PublicView": oaObject("What the public sees of a published thread, personal data masked at approval.", []string{"title", "body", "answer", "answered_at"}, oaMap{
			"title":       oaString("Masked title."),
			"body":        oaString("Masked body."),
			"answer":      oaString("Masked answer."),
			"asker_name":  oaString("The asker's name, when they chose to show it."),
			"answered_at": oaTime("When the answer was published."),
		}),
		"AuditEntry": oaObject("One step of the audit trail (nhật ký): who, when, from, to, why.", []string{"at", "actor", "actor_name", "action", "from", "to"}, oaMap{
			"at":          oaTime("When."),
			"actor":       oaString("The officer's user id, or citizen, or system."),
			"actor_name":  oaString("The officer's name; empty for the citizen and the system."),
			"action":      oaString("What was done: submitted, or one of the workflow actions (claim, release, answer, approve, return, reject, transfer, archive)."),
			"from":        oaString("The state before; empty on submission."),
			"to":          oaString("The state after."),
			"reason":      oaString("The reason or note given, if any."),
			"from_agency": oaString("On transfer: the agency the thread left."),
			"to_agency":   oaString("On transfer and submission: the agency the thread went to."),
		}),
		"Thread": oaObject("The full thread as officers see it, personal data included, with its audit trail. "+
			"Responses also carry internal bookkeeping members (a1 to a4, open, tracking, outbox, pending) that are not part of the contract: ignore them.",
			[]string{"id", "agency", "kind", "topic", "title", "body", "lang", "asker", "state", "assignee", "created_at", "updated_at", "due_at", "published_at", "audit"}, oaMap{
				"id":            oaString("The thread's id."),
				"agency":        oaString("The agency that has the thread now."),
				"kind":          oaSchema("Kind"),
				"topic":         oaString("Topic slug; empty when none was given."),
				"title":         oaString("The title as sent."),
				"body":          oaString("The body as sent."),
				"lang":          oaSchema("Lang"),
				"asker":         oaSchema("Asker"),
				"state":         oaSchema("State"),
				"assignee":      oaString("Id of the officer holding the thread; empty when nobody does."),
				"assignee_name": oaString("Name of the officer holding the thread, when someone does."),
				"created_at":    oaTime("When the citizen sent it."),
				"updated_at":    oaTime("When it last changed."),
				"due_at":        oaTime("The end of the last working day the agency has to answer."),
				"published_at":  oaString("Empty until published, then a UTC RFC 3339 time."),
				"draft":         oaSchemaDesc("Answer", "The answer waiting for approval or being revised."),
				"answer":        oaSchemaDesc("Answer", "The approved answer."),
				"public":        oaSchemaDesc("PublicView", "The masked public view, once published."),
				"return_note":   oaString("The editor's note when an answer was sent back."),
				"reason":        oaString("Why the thread was rejected or archived; shown to the asker."),
				"audit":         oaArray("Every step so far, oldest first.", oaSchema("AuditEntry")),
			}),

		"AnswerRequest": oaObject("The holder's answer.", []string{"body"}, oaMap{
			"body": oaText("The answer (trả lời).", 1, threads.AnswerMax),
		}),
		"ApproveRequest": oaObject("An editor's approval; the whole body is optional.", nil, oaMap{
			"private": oaMap{"type": "boolean", "default": false, "description": "Answer the asker only (answered_private) instead of publishing."},
			"body":    oaText("The editor's final wording of the answer, replacing the draft.", 0, threads.AnswerMax),
		}),
		"ReturnRequest": oaMap{
			"type":        "object",
			"description": "Why the answer goes back for revision. note is read, else reason.",
			"properties": oaMap{
				"note":   oaText("The editor's note to the author.", 1, threads.ReasonMax),
				"reason": oaText("Accepted in place of note.", 1, threads.ReasonMax),
			},
			"anyOf": []oaMap{{"required": []string{"note"}}, {"required": []string{"reason"}}},
		},
		"ReasonRequest": oaObject("Why; shown to the asker.", []string{"reason"}, oaMap{
			"reason": oaText("The reason (lý do).", 1, threads.ReasonMax),
		}),
		"TransferRequest": oaObject("Where the thread goes, and why.", []string{"agency", "reason"}, oaMap{
			"agency": oaString("The receiving agency; not the current one (409). " + agencyIDDesc),
			"reason": oaText("Why it goes there; shown to the asker.", 1, threads.ReasonMax),
		}),
	}
}

// openAPIResponses is components.responses: the error answers.
func openAPIResponses() oaMap {
	e := oaSchema("Error")
	return oaMap{
		"BadRequest":           oaJSON("Bad input (validation): malformed JSON or a member that is wrong; fields says which.", e),
		"Unauthorized":         oaJSON("Not signed in, the session expired, or (on login) the email or password is wrong.", e),
		"Forbidden":            oaJSON("Signed in but not allowed: no role over the agency, the role is too low, or the X-CSRF-Token header is missing or wrong.", e),
		"NotFound":             oaJSON("No such thing, or nothing the caller may see.", e),
		"Conflict":             oaJSON("The current state does not allow this (for example the thread is already claimed), or it is a duplicate.", e),
		"PayloadTooLarge":      oaJSON(fmt.Sprintf("The request body is larger than %d bytes.", BodyLimit), e),
		"UnsupportedMediaType": oaJSON("The request body is not application/json.", e),
		"TooManyRequests": oaWith(oaJSON("Too many requests from this client: wait the seconds in Retry-After.", e), oaMap{
			"headers": oaMap{"Retry-After": oaMap{"description": "Seconds to wait before trying again.", "schema": oaMap{"type": "integer", "minimum": 1}}},
		}),
		"Unavailable": oaWith(oaJSON("Over capacity, or a backend (such as search) is briefly down: try again after Retry-After.", e), oaMap{
			"headers": oaMap{"Retry-After": oaMap{"description": "Seconds to wait before trying again.", "schema": oaMap{"type": "integer", "minimum": 1}}},
		}),
	}
}

// openAPIParameters is components.parameters.
func openAPIParameters() oaMap {
	return oaMap{
		"ThreadID": oaMap{"name": "id", "in": "path", "required": true, "description": "The thread's id (opaque).", "schema": oaMap{"type": "string"}},
		"TrackingCode": oaMap{"name": "code", "in": "path", "required": true,
			"description": "The tracking code from the receipt (mã tra cứu). Case, dashes and spaces are ignored; O reads as 0, I and L as 1.",
			"schema":      oaMap{"type": "string"}, "example": "7K3M-Q9TB-2XHC-V8RD"},
		"AgencyFilter": oaMap{"name": "agency", "in": "query", "required": false,
			"description": "Only this agency and its sub-agencies. " + agencyIDDesc, "schema": oaMap{"type": "string"}},
	}
}

// openAPIActions documents each workflow action as its own operation.
func openAPIActions() map[string]oaMap {
	type action struct {
		summary, desc string
		body          oaMap // nil: no body
		bodyRequired  bool
		errs          []string
	}
	std := []string{"400", "401", "403", "404", "409", "413", "415"}
	acts := map[string]action{
		"claim": {"Claim a thread",
			"Takes a queued thread for the caller (officer or above): → assigned to them. 409 if someone else already holds it. No body.",
			nil, false, std},
		"release": {"Give a claimed thread back",
			"The holder (or an editor) gives the claim back: → queued. No body.",
			nil, false, std},
		"answer": {"Answer a thread",
			"The holder writes the answer (trả lời): → pending_approval, waiting for an editor.",
			oaSchema("AnswerRequest"), true, std},
		"approve": {"Approve the answer",
			"Editor: approves the pending answer: → published, with personal data masked in the public view (duyệt và đăng), or with private true → answered_private, sent to the asker only. " +
				"body, if given, is the editor's final wording. An agency may require a second person (409 when the author approves their own answer).",
			oaSchema("ApproveRequest"), false, std},
		"return": {"Send the answer back",
			"Editor: returns the pending answer with a note: → assigned to its author to revise.",
			oaSchema("ReturnRequest"), true, std},
		"reject": {"Reject a thread",
			"Editor: closes an open thread without an answer (từ chối): → rejected. The reason is required and shown to the asker.",
			oaSchema("ReasonRequest"), true, std},
		"transfer": {"Transfer a thread to another agency",
			"Sends the thread to another agency's queue (chuyển): → queued there, its working days counted again from now. The reason is shown to the asker.",
			oaSchema("TransferRequest"), true, std},
		"archive": {"Archive a closed thread",
			"Editor: withdraws a published, privately answered or rejected thread from public view and keeps it (lưu trữ, Article 23): → archived.",
			oaSchema("ReasonRequest"), true, std},
	}
	out := map[string]oaMap{}
	for _, name := range modActions {
		a, ok := acts[name]
		if !ok {
			panic("openapi: action " + name + " has no documentation")
		}
		op := oaOp("officers", name+"Thread", a.summary, a.desc+" Answers the updated thread.",
			oaResponses(oaMap{"200": oaJSON("The updated thread.", oaSchema("Thread"))}, a.errs...))
		op["security"] = oaSessionCSRF
		if a.body != nil {
			op["requestBody"] = oaBody("The action's input.", a.bodyRequired, a.body)
		}
		out[name] = op
	}
	return out
}

// openAPIPaths is the document's paths.
func openAPIPaths() oaMap {
	threadID := []oaMap{oaRef("parameters", "ThreadID")}
	paths := oaMap{
		"/healthz": oaMap{"get": oaOp("operations", "getHealth", "Liveness",
			"Answers 200 while the process serves, without touching the store: for load balancers and process supervisors.",
			oaMap{"200": oaJSON("The process serves.", oaSchema("Status"))})},
		"/readyz": oaMap{"get": oaOp("operations", "getReadiness", "Readiness",
			"Answers 200 when the store is reachable, else 503: for taking an instance out of rotation.",
			oaMap{
				"200": oaJSON("Ready.", oaSchema("Readiness")),
				"503": oaJSON("Not ready: the store does not answer.", oaSchema("Readiness")),
			})},
		"/api/v1/openapi.json": oaMap{"get": oaOp("operations", "getOpenAPI", "This document",
			"The OpenAPI 3.0.3 description of this API. Cacheable for five minutes.",
			oaMap{"200": oaJSON("The document.", oaMap{"type": "object"})})},

		"/api/v1/agencies": oaMap{"get": oaOp("public", "listAgencies", "List agencies",
			"Every agency (cơ quan) of the province that takes questions, with its parent, so clients can build the tree. Cacheable for five minutes.",
			oaMap{"200": oaJSON("The agencies.", oaSchema("AgencyList"))})},
		"/api/v1/threads": oaMap{
			"post": oaWith(oaOp("public", "submitThread", "Send a question, feedback or complaint",
				"A citizen sends a question (hỏi đáp), feedback (góp ý) or complaint (phản ánh) to an agency. Nothing is stored unless every member is valid; "+
					"consent must be true. The thread waits in the agency's queue; the receipt carries the private tracking code. "+
					"Identical content within 24 hours is refused as a duplicate (409). Submissions are rate-limited per client (429).",
				oaResponses(oaMap{"201": oaJSON("Accepted and queued.", oaSchema("Receipt"))}, "400", "409", "413", "415", "429")),
				oaMap{"requestBody": oaBody("The thread.", true, oaSchema("NewThread"))}),
			"get": oaWith(oaOp("public", "listThreads", "List published threads",
				"Published threads only, newest first, personal data masked. Filter by agency (its sub-agencies included), kind and topic.",
				oaResponses(oaMap{"200": oaJSON("One page.", oaSchema("ListPage"))}, "400", "503")),
				oaMap{"parameters": []oaMap{
					oaRef("parameters", "AgencyFilter"),
					{"name": "kind", "in": "query", "required": false, "description": "Only this kind.", "schema": oaSchema("Kind")},
					{"name": "topic", "in": "query", "required": false, "description": "Only this topic slug.",
						"schema": oaMap{"type": "string", "maxLength": threads.TopicMax, "pattern": slugPattern}},
					{"name": "q", "in": "query", "required": false,
						"description": "Search text (tìm kiếm), with or without Vietnamese diacritics; \"quoted phrases\" match words in order. " +
							"Every character is text: no query syntax. At most 256 characters and 32 words are used.",
						"schema": oaMap{"type": "string"}},
					{"name": "year", "in": "query", "required": false, "description": "Search: only threads published in this year.",
						"schema": oaMap{"type": "integer", "minimum": 2000, "maximum": 2100}},
					{"name": "sort", "in": "query", "required": false, "description": "Search: relevance (title matches first; default) or newest.",
						"schema": oaMap{"type": "string", "enum": []string{"relevance", "newest"}}},
					{"name": "page", "in": "query", "required": false, "description": "Page number, from 1.",
						"schema": oaMap{"type": "integer", "minimum": 1, "maximum": threads.MaxPage, "default": 1}},
					{"name": "per_page", "in": "query", "required": false, "description": "Threads per page.",
						"schema": oaMap{"type": "integer", "minimum": 1, "maximum": threads.MaxPerPage, "default": threads.DefaultPerPage}},
				}}),
		},
		"/api/v1/threads/{id}": oaMap{
			"parameters": threadID,
			"get": oaOp("public", "getThread", "Read a published thread",
				"A published thread with its answer, personal data masked (the asker's name only if they chose to show it). 404 for any thread that is not published.",
				oaResponses(oaMap{"200": oaJSON("The thread.", oaSchema("PublicThread"))}, "404")),
		},
		"/api/v1/track/{code}": oaMap{
			"parameters": []oaMap{oaRef("parameters", "TrackingCode")},
			"get": oaOp("public", "trackThread", "Track a thread with its tracking code",
				"The asker's private view (theo dõi): state, deadline, history, and the answer when there is one. Never cached (Cache-Control: no-store).",
				oaResponses(oaMap{"200": oaJSON("The asker's view.", oaSchema("TrackView"))}, "404")),
		},

		"/api/v1/auth/login": oaMap{"post": oaWith(oaOp("officers", "login", "Sign in",
			"An officer (cán bộ) signs in. Sets the "+sessionCookie+" session cookie (HttpOnly, "+fmt.Sprintf("%d hours", int(agencies.SessionTTL.Hours()))+") and answers the CSRF token that unsafe requests must send in X-CSRF-Token. "+
				"Failures are throttled per address and per email (429).",
			oaResponses(oaMap{"200": oaWith(oaJSON("Signed in.", oaSchema("Session")), oaMap{
				"headers": oaMap{"Set-Cookie": oaMap{"description": "The " + sessionCookie + " session cookie.", "schema": oaMap{"type": "string"}}},
			})}, "400", "401", "413", "415", "429")),
			oaMap{"requestBody": oaBody("The credentials.", true, oaSchema("LoginRequest"))})},
		"/api/v1/auth/logout": oaMap{"post": oaWith(oaOp("officers", "logout", "Sign out",
			"Ends the caller's session and clears the cookie.",
			oaResponses(oaMap{"200": oaJSON("Signed out.", oaSchema("Status"))}, "401", "403")),
			oaMap{"security": oaSessionCSRF})},
		"/api/v1/auth/me": oaMap{"get": oaWith(oaOp("officers", "getSession", "Who am I",
			"The signed-in officer, their roles, and the session's CSRF token (for a page reloaded after login).",
			oaResponses(oaMap{"200": oaJSON("The session.", oaSchema("Session"))}, "401")),
			oaMap{"security": oaSessionOnly})},

		"/api/v1/admin/users": oaMap{"post": oaWith(oaOp("admin", "createUser", "Create an officer account",
			"Administrator (quản trị): creates an account with roles over agencies. The caller must be an administrator over every agency they grant a role in. 409 if the email is taken.",
			oaResponses(oaMap{"201": oaJSON("Created.", oaSchema("PublicUser"))}, "400", "401", "403", "409", "413", "415")),
			oaMap{"security": oaSessionCSRF, "requestBody": oaBody("The account.", true, oaSchema("NewUser"))})},

		"/api/v1/admin/mail": oaMap{"get": oaWith(oaOp("admin", "listMail", "The mail outbox's problem letters",
			"Province administrators: messages in a state (default dead: refused too often; uncertain: a crash at the moment of sending, "+
				"so it may or may not have arrived), with counts per state. Bodies of sent mail are not kept.",
			oaResponses(oaMap{"200": oaJSON("The messages and the counts.", oaMap{"type": "object"})}, "401", "403")),
			oaMap{"security": oaSessionOnly, "parameters": []oaMap{
				{"name": "state", "in": "query", "required": false, "description": "held, queued, sending, committing, sent, dead, uncertain or cancelled.", "schema": oaMap{"type": "string"}},
			}})},
		"/api/v1/admin/personal-data": oaMap{"get": oaWith(oaOp("admin", "exportPersonalData", "What is held about an email address",
			"Province administrators, to answer a person's request (Decree 13/2023): every thread asked under the address (with the name and "+
				"phone given) and every consultation comment. Walks the collections: an administrative act, not a request path.",
			oaResponses(oaMap{"200": oaJSON("What is held.", oaMap{"type": "object"})}, "400", "401", "403")),
			oaMap{"security": oaSessionOnly, "parameters": []oaMap{
				{"name": "email", "in": "query", "required": true, "description": "The person's address.", "schema": oaMap{"type": "string"}},
			}})},
		"/api/v1/admin/personal-data/erase": oaMap{"post": oaWith(oaOp("admin", "erasePersonalData", "Erase what is held about an email address",
			"Province administrators: removes the name, address and phone from the person's threads and comments and masks personal data in "+
				"their texts. Published threads stay public, masked as before; each thread's audit trail records the erasure.",
			oaResponses(oaMap{"200": oaJSON("How many threads and comments were changed.", oaMap{"type": "object"})}, "400", "401", "403", "415")),
			oaMap{"security": oaSessionCSRF, "requestBody": oaBody("Whose data.", true, oaObject("The address.", []string{"email"}, oaMap{
				"email": oaString("The person's address."),
			}))})},
		"/api/v1/admin/mail/{id}/requeue":   oaMailAction("requeueMail", "Send a dead or uncertain message again (same Message-ID)."),
		"/api/v1/admin/mail/{id}/mark-sent": oaMailAction("markMailSent", "Record that an uncertain message did arrive."),
		"/api/v1/admin/mail/{id}/discard":   oaMailAction("discardMail", "Give up on a message."),
		"/api/v1/threads/{id}/follow": oaMap{
			"parameters": []oaMap{{"name": "id", "in": "path", "required": true, "description": "A published thread's id.", "schema": oaMap{"type": "string"}}},
			"post": oaWith(oaOp("public", "followThread", "Follow a published thread by email",
				"Social feature (Article 7.1.b): updates on the thread go to the address once it is confirmed. "+
					"status is following, or confirm_email when a confirmation link was sent first.",
				oaResponses(oaMap{"202": oaJSON("Recorded.", oaObject("The follow.", []string{"status"}, oaMap{
					"status": oaEnum("following or confirm_email.", []string{"following", "confirm_email"}),
				}))}, "400", "404", "415", "429")),
				oaMap{"requestBody": oaBody("Who follows.", true, oaObject("A follower.", []string{"email"}, oaMap{
					"email": oaString("The follower's address (kept private)."),
					"lang":  oaEnum("Language of the updates.", []string{"vi", "en"}),
				}))}),
		},
		"/api/v1/threads/suggest": oaMap{"get": oaWith(oaOp("public", "suggestThreads", "Titles as the person types",
			"Published titles whose words start with what is typed in q (diacritics optional; every word but the last complete). "+
				"Takes the list's agency, kind, topic and year filters.",
			oaResponses(oaMap{"200": oaJSON("The suggestions.", oaSchema("Suggestions"))}, "400", "503")),
			oaMap{"parameters": []oaMap{
				{"name": "q", "in": "query", "required": false, "description": "What has been typed so far.", "schema": oaMap{"type": "string"}},
				oaRef("parameters", "AgencyFilter"),
				{"name": "limit", "in": "query", "required": false, "description": "How many titles at most.",
					"schema": oaMap{"type": "integer", "minimum": 1, "maximum": search.MaxSuggestions, "default": search.DefaultSuggestions}},
			}})},
		"/api/v1/moderation/search": oaMap{"get": oaWith(oaOp("officers", "searchModeration", "Search the officer's threads",
			"Full-text search over the threads of the caller's agencies and their sub-agencies, in every state, as written (personal data included). "+
				"An agency outside the caller's scope is 403. Same text rules and facets as the public search.",
			oaResponses(oaMap{"200": oaJSON("One page of matches.", oaSchema("ListPage"))}, "400", "401", "403", "503")),
			oaMap{"security": oaSessionOnly, "parameters": []oaMap{
				{"name": "q", "in": "query", "required": false, "description": "Search text.", "schema": oaMap{"type": "string"}},
				oaRef("parameters", "AgencyFilter"),
				{"name": "state", "in": "query", "required": false, "description": "Only threads in this state.", "schema": oaSchema("State")},
				{"name": "page", "in": "query", "required": false, "description": "Page number, from 1.", "schema": oaMap{"type": "integer", "minimum": 1}},
				{"name": "per_page", "in": "query", "required": false, "description": "Threads per page.", "schema": oaMap{"type": "integer", "minimum": 1, "maximum": search.MaxPerPage}},
			}})},
		"/api/v1/moderation/queue": oaMap{"get": oaWith(oaOp("officers", "listQueue", "The officer's queue",
			"Threads waiting in the caller's agencies and their sub-agencies (hàng chờ), soonest due first. By default every open state "+
				"(queued, assigned, pending_approval, held) of every agency the caller has a role over.",
			oaResponses(oaMap{"200": oaJSON("The queue.", oaSchema("QueueList"))}, "400", "401", "403")),
			oaMap{"security": oaSessionOnly, "parameters": []oaMap{
				oaRef("parameters", "AgencyFilter"),
				{"name": "state", "in": "query", "required": false, "description": "Only threads in this state (default: every open state).", "schema": oaSchema("State")},
				{"name": "limit", "in": "query", "required": false, "description": "How many threads at most.",
					"schema": oaMap{"type": "integer", "minimum": 1, "maximum": moderation.MaxQueue, "default": moderation.DefaultQueue}},
			}})},
		"/api/v1/moderation/threads/{id}": oaMap{
			"parameters": threadID,
			"get": oaWith(oaOp("officers", "getModerationThread", "Read a thread as an officer",
				"The full thread, personal data included, with its draft, answer and audit trail, for an officer of its agency or an ancestor.",
				oaResponses(oaMap{"200": oaJSON("The thread.", oaSchema("Thread"))}, "401", "403", "404")),
				oaMap{"security": oaSessionOnly}),
		},
	}
	for p, v := range openAPIChatPaths() {
		paths[p] = v
	}
	for name, op := range openAPIActions() {
		paths["/api/v1/moderation/threads/{id}/"+name] = oaMap{"parameters": threadID, "post": op}
	}
	return paths
}

// openAPIDocument builds the whole document.
func openAPIDocument() oaMap {
	return oaMap{
		"openapi": "3.0.3",
		"info": oaMap{
			"title":   "Tương tác HTTP API",
			"version": "1.0.0",
			"description": strings.Join([]string{
				"The HTTP API of the province's citizen–government interaction portal (cổng tương tác): citizens send questions, feedback and complaints to agencies; officers answer them through a moderated workflow; answers are published with personal data masked.",
				"Sub-portals, the provincial public-service portal and monitoring systems integrate through it (Article 8.2): it is extended, never broken.",
				"JSON in and out, UTF-8; times are RFC 3339. Ids are opaque strings. Lists are {\"items\": [...]}, items never null.",
				"Officers sign in with POST /api/v1/auth/login: the " + sessionCookie + " cookie identifies them, and every unsafe request also sends the X-CSRF-Token header with the token login returned.",
				"Errors are {\"error\": {\"code\", \"message\", \"fields\"}}; messages follow ?lang=vi|en, the lang cookie or Accept-Language.",
			}, "\n\n"),
		},
		"servers": []oaMap{{"url": "/"}},
		"tags": []oaMap{
			{"name": "public", "description": "For citizens and integrating portals: no sign-in."},
			{"name": "officers", "description": "For agency officers (cán bộ), editors (biên tập) and administrators: session cookie, plus X-CSRF-Token on unsafe methods."},
			{"name": "admin", "description": "For administrators (quản trị): accounts."},
			{"name": "operations", "description": "For operators and tools: health, readiness and this document."},
		},
		"paths": openAPIPaths(),
		"components": oaMap{
			"schemas":    openAPISchemas(),
			"responses":  openAPIResponses(),
			"parameters": openAPIParameters(),
			"securitySchemes": oaMap{
				"session": oaMap{"type": "apiKey", "in": "cookie", "name": sessionCookie,
					"description": "The session cookie set by POST /api/v1/auth/login (HttpOnly, SameSite=Lax)."},
				"csrf": oaMap{"type": "apiKey", "in": "header", "name": "X-CSRF-Token",
					"description": "The csrf_token returned by login (or GET /api/v1/auth/me); required with the session cookie on every unsafe officer request."},
			},
		},
	}
}
