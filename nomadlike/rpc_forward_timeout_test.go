package nomadlike

import (
	"testing"
	"time"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// TestForwardTimeout: a forwarded call may wait as long as it asks to by
// design (a blocking query, a dequeue) plus the hold, and no longer.
func TestForwardTimeout(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		method string
		info   structs.RPCInfo
		args   interface{}
		want   time.Duration
	}{
		{"write", structs.JobRegisterRPC, &structs.WriteRequest{}, &structs.JobRegisterRequest{}, forwardHold},
		{"plain read", structs.JobGetJobRPC, &structs.QueryOptions{}, &structs.JobSpecificRequest{}, forwardHold},
		{"blocking read", structs.JobGetJobRPC, &structs.QueryOptions{MinQueryIndex: 5, MaxQueryTime: time.Minute},
			&structs.JobSpecificRequest{}, forwardHold + time.Minute + time.Minute/queryJitterFrac},
		{"blocking read, default wait", structs.JobGetJobRPC, &structs.QueryOptions{MinQueryIndex: 5},
			&structs.JobSpecificRequest{}, forwardHold + defaultQueryTime + defaultQueryTime/queryJitterFrac},
		{"blocking read, capped", structs.JobGetJobRPC, &structs.QueryOptions{MinQueryIndex: 5, MaxQueryTime: time.Hour},
			&structs.JobSpecificRequest{}, forwardHold + maxQueryTime + maxQueryTime/queryJitterFrac},
		{"dequeue", structs.EvalDequeueRPC, &structs.WriteRequest{}, &structs.EvalDequeueRequest{Timeout: 3 * time.Second},
			forwardHold + 3*time.Second},
		{"snapshot", structs.OperatorSnapshotSaveRPC, &structs.QueryOptions{}, nil, 10 * time.Minute},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := forwardTimeout(tc.method, tc.info, tc.args); got != tc.want {
				t.Fatalf("forwardTimeout = %s, want %s", got, tc.want)
			}
		})
	}
}
