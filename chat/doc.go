// Package chat is tuongtac's live chat between citizens and agencies: chat
// sessions (waiting → active → closed), their messages in fixed-size bucket
// documents with per-chat sequence numbers, a hub of the WebSocket
// connections this instance holds, and a Broker that carries events between
// instances (in process by default, NATS when NATS_URL is set).
//
// # Never losing a word
//
// A message is stored before anyone sees it: its sequence number is the
// position the conditional append to the chat's current bucket gave it, so
// numbers are dense (no holes) and two writers never get the same one. Only
// then is it published on the chat's topic. Every instance that holds a
// connection to the chat subscribes to that topic before it reads the store,
// so a connection that joins or resumes "after SEQ" gets, from the store,
// every message up to the moment it joined and, from the broker, everything
// stored later; the overlap is dropped by sequence number. Each connection
// keeps the last number it was sent and is sent only the next one: a message
// that arrives early waits in the room's hold, and a gap that the broker does
// not fill within GapWait is read from the store. So each connection sees
// each message exactly once and in order, whichever instance wrote it.
//
// # Connections
//
// The hub tracks only local connections. Each has one writer goroutine, the
// only code that writes to its socket, fed by a queue capped in bytes; a
// client that does not read fast enough is closed with CloseSlowClient rather
// than slowing anyone else, and nothing in the hub ever blocks on a socket.
// PROTOCOL.md beside this file is the widget's contract.
package chat
