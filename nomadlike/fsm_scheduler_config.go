package nomadlike

import (
	"fmt"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// fsmResponder applies a message type whose writer needs an answer beyond
// success: the value it returns is what raft hands back to raftApply.
type fsmResponder func(f *FSM, buf []byte, index uint64) (interface{}, error)

// fsmResponders are the message types applied by an fsmResponder rather
// than an fsmApplier. A check-and-set is the reason they exist: whether it
// took effect is decided in Apply, against the state of that moment.
var fsmResponders = map[structs.MessageType]struct {
	name  string
	apply fsmResponder
}{
	structs.SchedulerConfigRequestType: {"scheduler_config", (*FSM).applySchedulerConfig},
}

// applySchedulerConfig stores the scheduler configuration and answers
// whether it did (a bool): a check-and-set that lost answers false.
func (f *FSM) applySchedulerConfig(buf []byte, index uint64) (interface{}, error) {
	var req structs.SchedulerSetConfigRequest
	if err := decodeMsg(buf, &req); err != nil {
		return nil, fmt.Errorf("fsm: decode scheduler config: %w", err)
	}
	if req.CAS {
		return f.State().SchedulerCASConfig(index, &req.Config)
	}
	if err := f.State().SchedulerSetConfig(index, &req.Config); err != nil {
		return nil, err
	}
	return true, nil
}
