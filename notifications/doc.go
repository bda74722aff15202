// Package notifications sends tuongtac's e-mail: to citizens about their
// questions (received, transferred, answered, rejected, a reply to a
// consultation comment, updates on a thread they follow) and to officers
// about their agency's queue (new items, one working day left, overdue with
// escalation, a daily digest).
//
// # Parts
//
//   - Mailer: Spool (the embedded default: .eml files under the data dir,
//     nothing dropped without a relay) or SMTP (go-mail, from SMTP_URL);
//     NewMailer picks one. Messages are multipart/alternative (plain text and
//     HTML), in the recipient's language, optionally DKIM-signed.
//   - Templates: embedded, one file per event and language; text/template for
//     the subject and the text part, html/template for the HTML part. User
//     text only ever arrives as data, and every header value is stripped of
//     line breaks and control characters (HeaderText, NormalizeAddress), so
//     neither template syntax nor CR/LF in a name, title or address can do
//     anything.
//   - Outbox (Service): the mail collection. An event is rendered when it is
//     enqueued and stored under an id made of the event id and the recipient,
//     so enqueueing is idempotent: a caller that retries after a crash stores
//     the message once.
//   - Consent: double opt-in for citizens (RequestVerification, Verify), a
//     one-click unsubscribe on every citizen message (List-Unsubscribe and
//     List-Unsubscribe-Post), Follow for published threads.
//   - Worker: sends with retry and exponential backoff, moves a message to
//     the dead letters after Config.MaxTries failures, and lets admins list,
//     re-send or discard them.
//
// # Never twice
//
// A message goes queued → sending (claim) → committing → sent. The claim is
// one conditional write (expected version), so of two workers, on one
// instance or many, exactly one holds a message. Right before the
// irrevocable step (the final "." of SMTP DATA; the rename of a spool file)
// the Mailer calls Message.Commit, which moves the message to committing,
// again conditionally: a worker whose claim was taken over (its lease ran
// out while it was stuck) fails that write and aborts the transaction, so
// the relay discards its copy. This fencing does not depend on clocks.
//
// What a crash leaves behind is settled by Worker.Reap once the lease (5
// minutes) has passed:
//   - sending: the relay cannot have accepted the message (the final "."
//     was never sent), so it is queued again;
//   - committing: the crash fell in the one round trip between the final "."
//     and the relay's answer being recorded. The message may have been
//     accepted, so it becomes "uncertain" and is never re-sent by itself.
//     An admin checks the relay's log and either marks it sent or re-sends
//     it; a re-sent message keeps its Message-ID, so mail programs show a
//     duplicate as the same message.
//
// Operators get a clear rule: nothing is sent twice automatically, and the
// only messages that need a person are those a crash caught in a window of
// one network round trip. The same holds when the connection drops after the
// final "." (ErrMaybeSent). The limits: a relay that accepts a message and
// loses it, or a recipient server that bounces it later, is outside what an
// SMTP client can see (bounces go to the From address); and a message
// accepted by the relay whose "sent" record cannot be written (the store is
// down at that moment) also ends as "uncertain", never as a second copy.
//
// Failures are told apart: a relay that cannot be reached or will not take
// mail from us (dial, TLS, AUTH, a dropped connection before the end of DATA,
// a 421, a refused MAIL FROM) puts the message back without counting a try
// and pauses the worker with its own backoff, so an outage of any length
// loses nothing and fills no dead-letter list; a refusal of the message
// itself (4xx/5xx to RCPT, DATA or its end) counts a try and backs off
// exponentially until Config.MaxTries, then the message is dead.
package notifications
