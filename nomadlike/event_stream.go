package nomadlike

// DefaultEventBufferSize is how many Raft indexes of events the server
// keeps for event stream subscribers asking for an earlier index.
const DefaultEventBufferSize = 100
