// Package snapshot reads and writes orch's snapshot archive, the file
// `orch operator snapshot save` produces and `restore` consumes.
//
// An archive is a gzip-compressed tar of three members, in this order:
//
//	meta.json   the Raft snapshot's metadata (ID, index, term, version,
//	            size of state.bin, the Raft configuration it was taken in)
//	state.bin   the FSM's persisted state, byte for byte as Raft stores it
//	SHA256SUMS  one "<hex digest>  <name>" line per member above
//
// The server writes an archive while it streams a Raft snapshot out, so
// the checksums come last. Readers verify every member against them (and
// the size against meta.json) before anyone acts on the content: a server
// must never hand Raft a state it cannot apply, because Raft treats a
// failed FSM restore as fatal.
package snapshot
