package main

import (
	"fmt"

	"github.com/gofiber/fiber/v2"

	"tuongtac/consultation"
	"tuongtac/consultation/legal"
)

// The consultation part of the OpenAPI document: its paths, schemas and
// parameters, merged into the document by withConsultationAPI. Limits and
// enums come from the consultation package, which enforces them.

// withConsultationAPI adds the consultation routes to doc and returns it.
func withConsultationAPI(doc oaMap) oaMap {
	merge := func(dst any, src oaMap) {
		m, ok := dst.(oaMap)
		if !ok {
			panic("openapi: consultation: the document has no such section")
		}
		for k, v := range src {
			if _, dup := m[k]; dup {
				panic("openapi: consultation: " + k + " is already defined")
			}
			m[k] = v
		}
	}
	comps, _ := doc["components"].(oaMap)
	merge(doc["paths"], openAPIConsultationPaths())
	merge(comps["schemas"], openAPIConsultationSchemas())
	merge(comps["parameters"], openAPIConsultationParameters())
	return doc
}

// oaCounts is an object of counts by key.
func oaCounts(desc string) oaMap {
	return oaMap{"type": "object", "description": desc, "additionalProperties": oaMap{"type": "integer", "format": "int64"}}
}

const (
	consultationStateDesc = "Where the consultation is: scheduled (its period has not started; the draft can be read), open (comments are taken), " +
		"closed (the period is over, or an editor closed it early; the agency answers the comments) or synthesis_published " +
		"(the synthesis of comments and responses is public; nothing changes any more)."
	anchorDesc = "The part of the draft: the path of its units from the top, each segment its kind and its number in lower-case ASCII, " +
		"joined by \"/\", such as chuong-ii/dieu-7/khoan-1/diem-dd (đ is written dd). The empty string is the whole draft."
	outcomeDesc = "The agency's response: accepted (tiếp thu), partly (tiếp thu một phần), not_accepted (không tiếp thu, with the reason) or noted (ghi nhận)."
	draftDesc   = "The draft is typed (text: plain text, as from a PDF, or Markdown) or sent as a Word DOCX file. " +
		"As JSON, send text; with multipart/form-data, send the same fields and the file in part file (a file makes the format docx unless format says otherwise)."
)

// openAPIConsultationSchemas is the consultation part of components.schemas.
func openAPIConsultationSchemas() oaMap {
	return oaMap{
		"ConsultationState": oaEnum(consultationStateDesc, consultation.States),
		"CommentState": oaEnum("Where a comment is: pending (waiting for moderation, not public), approved (public, personal data masked) "+
			"or rejected (not public).", consultation.CommentStates),
		"Outcome": oaEnum(outcomeDesc, consultation.Outcomes),

		"Node": oaObject("A unit of the draft: part (phan), chapter (chuong), section (muc), article (dieu), clause (khoan), point (diem), "+
			"or a paragraph (doan) of text without legal structure.", []string{"anchor", "kind", "number", "title", "text", "children"}, oaMap{
			"anchor": oaString(anchorDesc),
			"kind": oaEnum("The unit's kind.", []string{string(legal.KindPart), string(legal.KindChapter), string(legal.KindSection),
				string(legal.KindArticle), string(legal.KindClause), string(legal.KindPoint), string(legal.KindParagraph)}),
			"number":   oaString("The unit's number without punctuation: \"II\" for a chapter, \"7\" for an article, \"1\" for a clause, \"đ\" for a point."),
			"title":    oaString("The heading of a part, chapter, section or article; empty for clauses and points."),
			"text":     oaString("The unit's own text, before its first child; paragraphs separated by \\n."),
			"children": oaArray("The units inside this one, in order.", oaSchema("Node")),
			"flags": oaArray("Numbering problems of this unit, kept as written.",
				oaEnum("A numbering problem.", []string{legal.IssueDuplicate, legal.IssueOutOfOrder, legal.IssueSkipped})),
		}),
		"NumberingIssue": oaObject("A numbering problem found in the draft: the draft is kept as written.", []string{"code", "anchor", "kind", "number", "line"}, oaMap{
			"code":     oaEnum("What is wrong.", []string{legal.IssueDuplicate, legal.IssueOutOfOrder, legal.IssueSkipped}),
			"anchor":   oaString("The unit's anchor."),
			"kind":     oaString("The unit's kind."),
			"number":   oaString("The number as written."),
			"expected": oaString("The number that would have continued the sequence."),
			"line":     oaInt("The line (or DOCX paragraph) of the unit's heading, from 1."),
		}),
		"VersionSummary": oaObject("A version of the draft.", []string{"n", "articles", "created_at"}, oaMap{
			"n":          oaInt("The version's number, from 1."),
			"note":       oaString("What this version changed, as the editor wrote it."),
			"articles":   oaInt("How many articles it has."),
			"created_at": oaTime("When it was published."),
		}),
		"ConsultationView": oaObject("A consultation on a draft (lấy ý kiến dự thảo): the current version of the draft by its structure, "+
			"with the approved comments counted by part. Every consultation is public from its creation.",
			[]string{"id", "agency", "title", "state", "opens_at", "closes_at", "version", "versions", "structure", "comment_counts", "comment_totals", "comments_total"}, oaMap{
				"id":                     oaString("The consultation's id."),
				"agency":                 oaString("The consulting agency. " + agencyIDDesc),
				"title":                  oaString("The consultation's title."),
				"summary":                oaString("What the agency asks comments on."),
				"state":                  oaSchema("ConsultationState"),
				"opens_at":               oaTime("When comments open."),
				"closes_at":              oaTime("When comments close (comments are taken before this instant); moved to the closing time when an editor closes early."),
				"closed_early":           oaBool("Whether an editor closed the period before its planned end."),
				"short_period_reason":    oaString("Why the period is shorter than the usual minimum, when it is."),
				"version":                oaInt("The current version of the draft."),
				"versions":               oaArray("Every version, oldest first.", oaSchema("VersionSummary")),
				"draft_title":            oaString("The title found in the draft's text, if any."),
				"preamble":               oaString("The text before the first unit: the title block, the recitals."),
				"structure":              oaArray("The draft's top-level units.", oaSchema("Node")),
				"closing":                oaString("The text after the draft's end mark (signatures, recipients)."),
				"issues":                 oaArray("Numbering problems of the current version.", oaSchema("NumberingIssue")),
				"comment_counts":         oaCounts("Approved comments by anchor of the current version; the key \"\" is the whole draft. Parts without comments are absent."),
				"comment_totals":         oaCounts("Approved comments by anchor, each part's descendants included (an article's total counts its clauses and points)."),
				"comments_total":         oaMap{"type": "integer", "format": "int64", "description": "Approved comments in all."},
				"removed_comments":       oaMap{"type": "integer", "format": "int64", "description": "Approved comments on parts a later version removed."},
				"synthesis_published_at": oaTime("When the synthesis was published; absent before."),
				"created_at":             oaTime("When the consultation was created."),
			}),
		"ConsultationListItem": oaObject("A consultation in a list.", []string{"id", "agency", "title", "state", "opens_at", "closes_at", "version", "comments"}, oaMap{
			"id":                     oaString("The consultation's id."),
			"agency":                 oaString("The consulting agency's id."),
			"title":                  oaString("The title."),
			"summary":                oaString("The start of the summary."),
			"state":                  oaSchema("ConsultationState"),
			"opens_at":               oaTime("When comments open."),
			"closes_at":              oaTime("When comments close."),
			"version":                oaInt("The current version of the draft."),
			"comments":               oaMap{"type": "integer", "format": "int64", "description": "Approved comments."},
			"synthesis_published_at": oaTime("When the synthesis was published; absent before."),
		}),
		"ConsultationListPage": oaObject("One page of consultations.", []string{"items", "total", "page", "per_page"}, oaMap{
			"items":    oaArray("The consultations of this page; empty, never null, past the end.", oaSchema("ConsultationListItem")),
			"total":    oaMap{"type": "integer", "format": "int64", "description": "How many match in all."},
			"page":     oaInt("This page's number, from 1."),
			"per_page": oaInt("Consultations per page."),
		}),
		"NewConsultation": oaObject("A consultation to open. "+draftDesc+" Dates without a zone are read in Vietnam's time "+
			"(2025-03-10T08:00, 10/03/2025 08:00, or a date alone: the start of that day for opens_at, its end for closes_at).",
			[]string{"agency", "title", "opens_at", "closes_at"}, oaMap{
				"agency":   oaString("The consulting agency: the caller must be an editor of it or of an agency above it. " + agencyIDDesc),
				"title":    oaText("The consultation's title.", consultation.TitleMin, consultation.TitleMax),
				"summary":  oaText("What the agency asks comments on.", 0, consultation.SummaryMax),
				"opens_at": oaString(fmt.Sprintf("When comments open: RFC 3339, or a local date and time; at most %d minutes in the past.", int(consultation.OpenGrace.Minutes()))),
				"closes_at": oaString(fmt.Sprintf("When comments close; at most %d days after opens_at. A period shorter than %d days needs short_period_reason.",
					consultation.MaxPeriodDays, consultation.DefaultMinPeriodDays)),
				"short_period_reason": oaText("Why the period is shorter than the minimum; public.", 0, consultation.ReasonMax),
				"format":              oaEnum("How text is written (text by default; docx with a file).", []string{string(legal.FormatText), string(legal.FormatMarkdown), string(legal.FormatDOCX)}),
				"text":                oaString("The draft's full text."),
			}),
		"NewConsultationUpload": oaObject("A consultation to open, with the draft as a DOCX file: the members of NewConsultation as form fields, and the file.",
			[]string{"agency", "title", "opens_at", "closes_at"}, oaMap{
				"agency":              oaString(agencyIDDesc),
				"title":               oaText("The consultation's title.", consultation.TitleMin, consultation.TitleMax),
				"summary":             oaText("What the agency asks comments on.", 0, consultation.SummaryMax),
				"opens_at":            oaString("When comments open."),
				"closes_at":           oaString("When comments close."),
				"short_period_reason": oaString("Why the period is shorter than the minimum."),
				"format":              oaString("docx by default with a file."),
				"text":                oaString("The draft's text, when no file is sent."),
				"file":                oaMap{"type": "string", "format": "binary", "description": "The draft as a Word DOCX file, at most 10 MiB."},
			}),
		"NewVersion": oaObject("A revised draft. "+draftDesc, nil, oaMap{
			"format": oaEnum("How text is written.", []string{string(legal.FormatText), string(legal.FormatMarkdown), string(legal.FormatDOCX)}),
			"text":   oaString("The revised draft's full text."),
			"note":   oaText("What changed, for readers.", 0, consultation.NoteMax),
		}),
		"NewVersionUpload": oaObject("A revised draft as a DOCX file.", nil, oaMap{
			"format": oaString("docx by default with a file."),
			"text":   oaString("The revised draft's text, when no file is sent."),
			"note":   oaText("What changed, for readers.", 0, consultation.NoteMax),
			"file":   oaMap{"type": "string", "format": "binary", "description": "The draft as a Word DOCX file, at most 10 MiB."},
		}),
		"DraftVersion": oaObject("One version of a draft.", []string{"n", "format", "created_at", "structure"}, oaMap{
			"n":           oaInt("The version's number."),
			"format":      oaEnum("How it was sent.", []string{string(legal.FormatText), string(legal.FormatMarkdown), string(legal.FormatDOCX)}),
			"filename":    oaString("The uploaded file's name, for a DOCX."),
			"note":        oaString("What changed."),
			"created_at":  oaTime("When it was published."),
			"draft_title": oaString("The title found in the text."),
			"preamble":    oaString("The text before the first unit."),
			"structure":   oaArray("The version's top-level units.", oaSchema("Node")),
			"closing":     oaString("The text after the end mark."),
			"issues":      oaArray("Numbering problems.", oaSchema("NumberingIssue")),
		}),
		"DiffOp": oaObject("A run of text kept (=), deleted (-) or inserted (+).", []string{"op", "text"}, oaMap{
			"op":   oaEnum("What happened to the text.", []string{"=", "-", "+"}),
			"text": oaString("The text; lines are separated by \\n."),
		}),
		"Change": oaObject("What happened to one article (or paragraph) between two versions. Articles are paired by content, so an inserted article "+
			"shows as one addition and the ones after it as renumbered.", []string{"change", "kind", "ops"}, oaMap{
			"change":     oaEnum("added, removed, modified, or renumbered (same text, another number or chapter).", []string{legal.ChangeAdded, legal.ChangeRemoved, legal.ChangeModified, legal.ChangeRenumbered}),
			"kind":       oaString("The unit's kind."),
			"anchor":     oaString("The anchor in the newer version; absent when removed."),
			"old_anchor": oaString("The anchor in the older version; absent when added."),
			"number":     oaString("The number in the newer version."),
			"old_number": oaString("The number in the older version."),
			"title":      oaString("The title in the newer version."),
			"old_title":  oaString("The title in the older version."),
			"ops":        oaArray("The article's text (title, clauses, points, one per line) as a word-level diff from the older version to the newer.", oaSchema("DiffOp")),
		}),
		"Diff": oaObject("What changed between two versions of a draft, article by article.", []string{"from", "to", "changes", "unchanged"}, oaMap{
			"from":      oaInt("The older version."),
			"to":        oaInt("The newer version."),
			"changes":   oaArray("The changes, in the order of the newer version (removed articles where they stood).", oaSchema("Change")),
			"unchanged": oaInt("Articles that are the same, under the same anchor."),
		}),
		"CommentInput": oaObject("A comment from a citizen or an organisation, on the whole draft or one part of it. Lengths count characters after "+
			"Unicode NFC normalisation. It is public only after moderation, personal data masked.", []string{"body", "consent"}, oaMap{
			"anchor":       oaText(anchorDesc+" It must name a part of the current version.", 0, 300),
			"body":         oaText("The comment.", consultation.BodyMin, consultation.BodyMax),
			"name":         oaText("The author's full name, without < or >. Personal data: public only with show_name.", 0, consultation.NameMax),
			"email":        oaMap{"type": "string", "format": "email", "maxLength": consultation.EmailMax, "description": "The author's email. Personal data: never public."},
			"organisation": oaText("The organisation the comment speaks for, without < or >; public with the comment.", 0, consultation.OrganisationMax),
			"show_name":    oaMap{"type": "boolean", "default": false, "description": "Show the author's name with the comment."},
			"consent": oaMap{"type": "boolean", "enum": []bool{true},
				"description": "The author agrees to the processing of their personal data (Decree 13/2023/NĐ-CP); must be JSON true."},
			"lang": oaSchemaDesc("Lang", "The author's language; the request's language by default."),
		}),
		"CommentReceipt": oaObject("A comment taken: it waits for moderation.", []string{"id", "state"}, oaMap{
			"id":    oaString("The comment's id."),
			"state": oaSchema("CommentState"),
		}),
		"PublicComment": oaObject("An approved comment as the public sees it: personal data masked, the author's name only if they chose to show it.",
			[]string{"id", "anchor", "version", "body", "created_at"}, oaMap{
				"id":           oaString("The comment's id."),
				"anchor":       oaString("The part in the current version (\"\" the whole draft); when removed, the part as written on, in version."),
				"removed":      oaBool("A later version removed the part commented on."),
				"version":      oaInt("The version the comment was written on."),
				"name":         oaString("The author's name, present only when they chose to show it."),
				"organisation": oaString("The organisation the comment speaks for."),
				"body":         oaString("The comment, personal data masked."),
				"created_at":   oaTime("When it was sent."),
				"outcome":      oaSchema("Outcome"),
				"response":     oaString("The agency's response, personal data masked."),
				"responded_at": oaTime("When the agency responded."),
			}),
		"CommentPage": oaObject("One page of approved comments, oldest first.", []string{"items", "total", "page", "per_page"}, oaMap{
			"items":    oaArray("The comments of this page; empty, never null.", oaSchema("PublicComment")),
			"total":    oaMap{"type": "integer", "format": "int64", "description": "How many match in all."},
			"page":     oaInt("This page's number, from 1."),
			"per_page": oaInt("Comments per page."),
		}),
		"CommentAuthor": oaObject("Who wrote a comment. Name and email are personal data.", []string{"name", "email", "organisation", "show_name"}, oaMap{
			"name":         oaString("Full name, as given."),
			"email":        oaString("Email, as given."),
			"organisation": oaString("The organisation the comment speaks for."),
			"show_name":    oaBool("Whether the name is public."),
		}),
		"CommentResponse": oaObject("The agency's response to a comment.", []string{"outcome", "text", "by", "by_name", "at"}, oaMap{
			"outcome": oaSchema("Outcome"),
			"text":    oaString("The response as written (the public view masks personal data)."),
			"by":      oaString("The officer's id."),
			"by_name": oaString("The officer's name."),
			"at":      oaTime("When."),
		}),
		"ConsultationAuditEntry": oaObject("One step of a comment's or a consultation's history.", []string{"at", "actor", "actor_name", "action"}, oaMap{
			"at":         oaTime("When."),
			"actor":      oaString("The officer's id, or citizen."),
			"actor_name": oaString("The officer's name."),
			"action":     oaString("What happened: submitted, approve, reject, respond (comments); create, close, add_version, publish_synthesis (consultations)."),
			"from":       oaString("The state before."),
			"to":         oaString("The state after."),
			"reason":     oaString("Why (a rejection), the outcome (a response) or the version's note."),
			"version":    oaInt("The draft version the step concerns."),
		}),
		"Comment": oaObject("A comment as officers see it: the author's details included, for an officer of the consulting agency or an agency above it.",
			[]string{"id", "consultation", "consultation_title", "agency", "version", "anchor", "body", "author", "lang", "state", "responded", "created_at", "updated_at", "audit"}, oaMap{
				"id":                 oaString("The comment's id."),
				"consultation":       oaString("The consultation's id."),
				"consultation_title": oaString("The consultation's title."),
				"agency":             oaString("The consulting agency's id."),
				"version":            oaInt("The draft version the comment was written on."),
				"anchor":             oaString("The part of that version; \"\" the whole draft."),
				"body":               oaString("The comment as sent."),
				"author":             oaSchema("CommentAuthor"),
				"lang":               oaSchema("Lang"),
				"state":              oaSchema("CommentState"),
				"responded":          oaBool("Whether the agency has responded."),
				"response":           oaSchema("CommentResponse"),
				"reason":             oaString("Why it was rejected."),
				"public":             oaSchemaDesc("PublicComment", "What the public sees, once approved."),
				"created_at":         oaTime("When it was sent."),
				"updated_at":         oaTime("When it last changed."),
				"audit":              oaArray("Its history, oldest first.", oaSchema("ConsultationAuditEntry")),
			}),
		"CommentQueueItem": oaObject("A comment in an officer's queue.", []string{"id", "consultation", "consultation_title", "agency", "anchor", "version", "excerpt", "state", "responded", "created_at"}, oaMap{
			"id":                 oaString("The comment's id."),
			"consultation":       oaString("The consultation's id."),
			"consultation_title": oaString("The consultation's title."),
			"agency":             oaString("The consulting agency's id."),
			"anchor":             oaString("The part commented on, in version; \"\" the whole draft."),
			"version":            oaInt("The draft version it was written on."),
			"excerpt":            oaString("The start of the comment (about 240 characters), as sent."),
			"state":              oaSchema("CommentState"),
			"responded":          oaBool("Whether the agency has responded."),
			"outcome":            oaSchema("Outcome"),
			"created_at":         oaTime("When it was sent."),
		}),
		"CommentQueue": oaObject("Comments waiting, oldest first.", []string{"items"}, oaMap{
			"items": oaArray("The comments.", oaSchema("CommentQueueItem")),
		}),
		"CommentRejectRequest": oaObject("Why the comment is not published (kept in its history).", []string{"reason"}, oaMap{
			"reason": oaText("The reason.", 1, consultation.ReasonMax),
		}),
		"CommentRespondRequest": oaObject("The agency's response (tiếp thu, giải trình), public with the comment and in the synthesis.", []string{"outcome"}, oaMap{
			"outcome": oaSchema("Outcome"),
			"text":    oaText("The response; required when partly or not accepted.", 0, consultation.ResponseMax),
		}),
		"Tally": oaObject("Comments counted by the agency's response.", []string{"comments", "accepted", "partly", "not_accepted", "noted", "unanswered"}, oaMap{
			"comments":     oaInt("Approved comments."),
			"accepted":     oaInt("Accepted."),
			"partly":       oaInt("Partly accepted."),
			"not_accepted": oaInt("Not accepted."),
			"noted":        oaInt("Noted."),
			"unanswered":   oaInt("Without a response."),
		}),
		"SynthesisItem": oaObject("One comment in the synthesis, personal data masked.", []string{"id", "anchor", "citation", "citation_en", "version", "body", "created_at"}, oaMap{
			"id":           oaString("The comment's id."),
			"anchor":       oaString("The part in the report's version (\"\" the whole draft); for a removed part, the part as written on."),
			"citation":     oaString("The part as a reader cites it, in Vietnamese (Điểm đ khoản 1 Điều 7)."),
			"citation_en":  oaString("The same in English (Article 7(1)(đ))."),
			"version":      oaInt("The version the comment was written on."),
			"name":         oaString("The author's name, only when they chose to show it."),
			"organisation": oaString("The organisation the comment speaks for."),
			"body":         oaString("The comment, personal data masked."),
			"created_at":   oaTime("When it was sent."),
			"outcome":      oaSchema("Outcome"),
			"response":     oaString("The agency's response, personal data masked."),
			"responded_at": oaTime("When the agency responded."),
		}),
		"SynthesisGroup": oaObject("The comments on one article (its clauses and points included), on the whole draft, or on removed parts.",
			[]string{"anchor", "citation", "citation_en", "counts", "comments"}, oaMap{
				"anchor":      oaString("The article's anchor; \"\" for the whole draft and for removed parts."),
				"kind":        oaString("The unit's kind."),
				"number":      oaString("The article's number."),
				"title":       oaString("The article's title."),
				"citation":    oaString("The group's name in Vietnamese (Điều 7)."),
				"citation_en": oaString("The group's name in English (Article 7)."),
				"removed":     oaBool("The group of comments on parts a later version removed."),
				"counts":      oaSchema("Tally"),
				"comments":    oaArray("The comments, oldest first.", oaSchema("SynthesisItem")),
			}),
		"Synthesis": oaObject("The synthesis of a consultation (báo cáo tổng hợp, tiếp thu, giải trình): every approved comment with the agency's response, "+
			"grouped by article in the order of the draft, with counts.", []string{"consultation", "agency", "title", "opens_at", "closes_at", "published", "version", "generated_at", "totals", "groups"}, oaMap{
			"consultation": oaString("The consultation's id."),
			"agency":       oaString("The consulting agency's id."),
			"title":        oaString("The consultation's title."),
			"opens_at":     oaTime("When comments opened."),
			"closes_at":    oaTime("When comments closed."),
			"published":    oaBool("Always true here."),
			"published_at": oaTime("When the synthesis was published."),
			"version":      oaInt("The draft version the report is grouped by."),
			"generated_at": oaTime("When this report was built."),
			"totals":       oaSchema("Tally"),
			"groups":       oaArray("The whole draft first, then each article, then removed parts.", oaSchema("SynthesisGroup")),
		}),
	}
}

// openAPIConsultationParameters is the consultation part of
// components.parameters.
func openAPIConsultationParameters() oaMap {
	return oaMap{
		"ConsultationID": oaMap{"name": "id", "in": "path", "required": true, "description": "The consultation's id (opaque).", "schema": oaMap{"type": "string"}},
		"CommentID":      oaMap{"name": "id", "in": "path", "required": true, "description": "The comment's id (opaque).", "schema": oaMap{"type": "string"}},
		"VersionNumber": oaMap{"name": "n", "in": "path", "required": true, "description": "The version's number, from 1.",
			"schema": oaMap{"type": "integer", "minimum": 1}},
	}
}

// oaDraftBody is a request body that is JSON or multipart with a file.
func oaDraftBody(desc, jsonSchema, multipartSchema string) oaMap {
	return oaMap{"description": desc, "required": true, "content": oaMap{
		fiber.MIMEApplicationJSON: oaMap{"schema": oaSchema(jsonSchema)},
		fiber.MIMEMultipartForm:   oaMap{"schema": oaSchema(multipartSchema)},
	}}
}

// oaUploadTooLarge is the 413 of the routes that take a draft file.
var oaUploadTooLarge = oaJSON(fmt.Sprintf("The file is larger than 10 MiB, or the request larger than %d bytes.", UploadLimit), oaSchema("Error"))

// openAPIConsultationPaths is the consultation part of the document's paths.
func openAPIConsultationPaths() oaMap {
	cid := []oaMap{oaRef("parameters", "ConsultationID")}
	mid := []oaMap{oaRef("parameters", "CommentID")}
	page := func(desc string) []oaMap {
		return []oaMap{
			{"name": "page", "in": "query", "required": false, "description": "Page number, from 1.",
				"schema": oaMap{"type": "integer", "minimum": 1, "maximum": consultation.MaxPage, "default": 1}},
			{"name": "per_page", "in": "query", "required": false, "description": desc,
				"schema": oaMap{"type": "integer", "minimum": 1, "maximum": consultation.MaxPerPage, "default": consultation.DefaultPerPage}},
		}
	}
	editor := func(op oaMap) oaMap { return oaWith(op, oaMap{"security": oaSessionCSRF}) }
	view := oaSchema("ConsultationView")
	return oaMap{
		"/api/v1/consultations": oaMap{
			"post": editor(oaWith(oaOp("officers", "createConsultation", "Open a consultation on a draft",
				"Editor (biên tập) of the agency or of one above it: publishes a draft for comments (Article 7.1.c). The draft is parsed into its "+
					"chapters, articles, clauses and points, each with a stable anchor; numbering problems are kept and reported in issues. "+
					"Nothing is stored unless every member is valid. "+draftDesc+" Answers the consultation as the public sees it.",
				oaResponses(oaMap{
					"201": oaJSON("Created; Location names it.", view),
					"413": oaUploadTooLarge,
				}, "400", "401", "403", "415")),
				oaMap{"requestBody": oaDraftBody("The consultation and its draft.", "NewConsultation", "NewConsultationUpload")})),
			"get": oaWith(oaOp("public", "listConsultations", "List consultations",
				"Every consultation is public. Without state: newest period first. open and scheduled: soonest closing first; closed and "+
					"synthesis_published: latest first.",
				oaResponses(oaMap{"200": oaJSON("One page.", oaSchema("ConsultationListPage"))}, "400")),
				oaMap{"parameters": append([]oaMap{
					oaRef("parameters", "AgencyFilter"),
					{"name": "state", "in": "query", "required": false, "description": "Only consultations in this state.", "schema": oaSchema("ConsultationState")},
				}, page("Consultations per page.")...)}),
		},
		"/api/v1/consultations/{id}": oaMap{
			"parameters": cid,
			"get": oaOp("public", "getConsultation", "Read a consultation",
				"The current version of the draft by its structure, its period and state, and approved comments counted by part (comment_counts, "+
					"keyed by anchor; \"\" is the whole draft).",
				oaResponses(oaMap{"200": oaJSON("The consultation.", view)}, "404")),
		},
		"/api/v1/consultations/{id}/close": oaMap{
			"parameters": cid,
			"post": editor(oaOp("officers", "closeConsultation", "Close the comment period now",
				"Editor: ends an open period before its planned end (recorded in the audit trail). 409 unless open. No body.",
				oaResponses(oaMap{"200": oaJSON("The consultation, closed.", view)}, "401", "403", "404", "409"))),
		},
		"/api/v1/consultations/{id}/versions": oaMap{
			"parameters": cid,
			"post": editor(oaWith(oaOp("officers", "addConsultationVersion", "Publish a revised draft",
				"Editor: the revised draft becomes the current version, in any state. Comments stay with the part they were written on: parts "+
					"are paired by content, so a renumbered article keeps its comments. "+draftDesc,
				oaResponses(oaMap{
					"201": oaJSON("The consultation with its new version; Location names the version.", view),
					"413": oaUploadTooLarge,
				}, "400", "401", "403", "404", "409", "415")),
				oaMap{"requestBody": oaDraftBody("The revised draft.", "NewVersion", "NewVersionUpload")})),
		},
		"/api/v1/consultations/{id}/versions/{n}": oaMap{
			"parameters": append(append([]oaMap{}, cid...), oaRef("parameters", "VersionNumber")),
			"get": oaOp("public", "getConsultationVersion", "Read one version of the draft",
				"Version n of the draft by its structure.",
				oaResponses(oaMap{"200": oaJSON("The version.", oaSchema("DraftVersion"))}, "404")),
		},
		"/api/v1/consultations/{id}/diff": oaMap{
			"parameters": cid,
			"get": oaWith(oaOp("public", "diffConsultation", "What changed between two versions",
				"Article by article, with a word-level diff of each changed article. By default the previous version against the current one.",
				oaResponses(oaMap{"200": oaJSON("The changes.", oaSchema("Diff"))}, "400", "404")),
				oaMap{"parameters": []oaMap{
					{"name": "from", "in": "query", "required": false, "description": "The older version; 0 or absent: the one before to.", "schema": oaMap{"type": "integer", "minimum": 0}},
					{"name": "to", "in": "query", "required": false, "description": "The newer version; 0 or absent: the current one.", "schema": oaMap{"type": "integer", "minimum": 0}},
				}}),
		},
		"/api/v1/consultations/{id}/comments": oaMap{
			"parameters": cid,
			"post": oaWith(oaOp("public", "commentOnConsultation", "Comment on a draft",
				"A citizen or an organisation comments on the whole draft or on one part of it while the period is open (409 before and after). "+
					"The comment waits for moderation; it is public once approved, personal data masked. consent must be true. "+
					"An identical comment within 24 hours is a duplicate (409). Comments are rate-limited per client, with questions (429).",
				oaResponses(oaMap{"201": oaJSON("Taken, waiting for moderation.", oaSchema("CommentReceipt"))}, "400", "404", "409", "413", "415", "429")),
				oaMap{"requestBody": oaBody("The comment.", true, oaSchema("CommentInput"))}),
			"get": oaWith(oaOp("public", "listConsultationComments", "Read the approved comments",
				"Approved comments, personal data masked, oldest first, with the agency's response when there is one. Their anchors are "+
					"resolved to the current version.",
				oaResponses(oaMap{"200": oaJSON("One page.", oaSchema("CommentPage"))}, "400", "404")),
				oaMap{"parameters": append([]oaMap{
					{"name": "anchor", "in": "query", "required": false,
						"description": "Only the comments on this part; present and empty: the whole draft. Absent: every comment.",
						"schema":      oaMap{"type": "string"}, "allowEmptyValue": true},
					{"name": "subtree", "in": "query", "required": false, "description": "With anchor: also the comments on its clauses and points.",
						"schema": oaMap{"type": "boolean", "default": false}},
				}, page("Comments per page.")...)}),
		},
		"/api/v1/consultations/{id}/synthesis/publish": oaMap{
			"parameters": cid,
			"post": editor(oaOp("officers", "publishSynthesis", "Publish the synthesis",
				"Editor: publishes the synthesis of a closed consultation. Every comment must be moderated and every approved one answered "+
					"first (409 with both counts). Afterwards comments and responses no longer change. No body.",
				oaResponses(oaMap{"200": oaJSON("The consultation, synthesis_published.", view)}, "401", "403", "404", "409"))),
		},
		"/api/v1/consultations/{id}/synthesis": oaMap{
			"parameters": cid,
			"get": oaOp("public", "getSynthesis", "Read the synthesis",
				"The published synthesis (báo cáo tổng hợp, tiếp thu, giải trình): every approved comment, personal data masked, with the "+
					"agency's response, grouped by article, with counts. 404 until published.",
				oaResponses(oaMap{"200": oaJSON("The synthesis.", oaSchema("Synthesis"))}, "404")),
		},
		"/api/v1/consultations/{id}/synthesis.csv": oaMap{
			"parameters": cid,
			"get": oaOp("public", "getSynthesisCSV", "Download the synthesis as CSV",
				"The synthesis as a spreadsheet: a UTF-8 byte-order mark, a header row, one row per comment in report order. Cells a "+
					"spreadsheet would read as a formula are prefixed with an apostrophe. 404 until published.",
				oaResponses(oaMap{"200": oaMap{
					"description": "The CSV file (Content-Disposition: attachment).",
					"content":     oaMap{"text/csv": oaMap{"schema": oaMap{"type": "string"}}},
				}}, "404")),
		},

		"/api/v1/moderation/comments": oaMap{"get": oaWith(oaOp("officers", "listCommentQueue", "Comments to moderate or answer",
			"Comments on the consultations of the caller's agencies and their sub-agencies, oldest first: pending by default; with "+
				"unanswered, approved comments without a response.",
			oaResponses(oaMap{"200": oaJSON("The comments.", oaSchema("CommentQueue"))}, "400", "401", "403", "404")),
			oaMap{"security": oaSessionOnly, "parameters": []oaMap{
				oaRef("parameters", "AgencyFilter"),
				{"name": "consultation", "in": "query", "required": false, "description": "Only this consultation's comments.", "schema": oaMap{"type": "string"}},
				{"name": "state", "in": "query", "required": false, "description": "Only comments in this state (default pending).", "schema": oaSchema("CommentState")},
				{"name": "unanswered", "in": "query", "required": false, "description": "Only approved comments without a response.", "schema": oaMap{"type": "boolean", "default": false}},
				{"name": "limit", "in": "query", "required": false, "description": "How many at most.",
					"schema": oaMap{"type": "integer", "minimum": 1, "maximum": consultation.MaxQueue, "default": consultation.DefaultQueue}},
			}})},
		"/api/v1/moderation/comments/{id}": oaMap{
			"parameters": mid,
			"get": oaWith(oaOp("officers", "getComment", "Read a comment as an officer",
				"The comment in full, the author's details and its history included.",
				oaResponses(oaMap{"200": oaJSON("The comment.", oaSchema("Comment"))}, "401", "403", "404")),
				oaMap{"security": oaSessionOnly}),
		},
		"/api/v1/moderation/comments/{id}/approve": oaMap{
			"parameters": mid,
			"post": editor(oaOp("officers", "approveComment", "Approve a comment",
				"Officer of the consulting agency: publishes a pending comment with personal data masked (the author's name, phone numbers, "+
					"emails, ID numbers) and counts it on its part. No body.",
				oaResponses(oaMap{"200": oaJSON("The comment.", oaSchema("Comment"))}, "400", "401", "403", "404", "409", "415"))),
		},
		"/api/v1/moderation/comments/{id}/reject": oaMap{
			"parameters": mid,
			"post": editor(oaWith(oaOp("officers", "rejectComment", "Reject a comment",
				"Officer: refuses a pending comment, or withdraws an approved one from public view, with a reason.",
				oaResponses(oaMap{"200": oaJSON("The comment.", oaSchema("Comment"))}, "400", "401", "403", "404", "409", "415")),
				oaMap{"requestBody": oaBody("Why.", true, oaSchema("CommentRejectRequest"))})),
		},
		"/api/v1/moderation/comments/{id}/respond": oaMap{
			"parameters": mid,
			"post": editor(oaWith(oaOp("officers", "respondToComment", "Answer a comment",
				"Officer: records (or replaces) the agency's response to an approved comment; it is public with the comment and in the synthesis.",
				oaResponses(oaMap{"200": oaJSON("The comment.", oaSchema("Comment"))}, "400", "401", "403", "404", "409", "415")),
				oaMap{"requestBody": oaBody("The response.", true, oaSchema("CommentRespondRequest"))})),
		},
	}
}
