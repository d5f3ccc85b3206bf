// Package stream is the server's event stream: what changed in the
// cluster state, as Nomad's /v1/event/stream reports it.
//
// The FSM builds one Events batch per applied Raft entry (events derived
// from the entry's type and the objects it wrote, see events.go) and hands
// it to EventBroker.Publish. The broker keeps the newest batches in a
// bounded ring so a subscriber may start from an earlier index, and fans
// each batch out to its subscriptions:
//
//	FSM.Apply ──Publish(batch)──▶ EventBroker ──▶ ring (last N indexes)
//	                                   │
//	                                   └──▶ Subscription.ch (bounded) ──▶ Next: filter by
//	                                        topic, key and namespace ──▶ HTTP ndjson writer
//
// Publish never blocks: a subscription whose channel is full is closed
// with ErrSlowSubscriber rather than holding up Raft, and the reader
// reconnects from the last index it saw. Filtering runs in the reader's
// goroutine, in Next, so the FSM pays only a channel send per subscriber.
package stream
