// Package agencies holds the facts every other part of tuongtac needs about who
// answers a citizen's question and by when: the tree of state agencies of An Giang
// province (Tree), the civil-service working-day calendar that turns an agency's
// answer period into a deadline (Calendar), and the hashing of officers' passwords.
//
// The agency tree and the holiday list are data, not code: Vietnam merges and
// renames administrative units and the Government announces holiday swaps every
// year, so both are loaded from JSON (a copy of each is embedded as the default) and
// validated on load, and both are immutable afterwards so that any number of
// request handlers may share one value without locking.
package agencies
