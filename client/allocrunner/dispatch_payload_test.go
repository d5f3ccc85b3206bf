package allocrunner

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/orch-dev/orch/nomadlike/structs"
)

func TestAllocRunner_DispatchPayload(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		payload []byte
		file    string
		// want is the file's content; nil: no file is written.
		want []byte
	}{
		{name: "written under local before the task starts", payload: []byte("{\"customer\":\"acme\"}\n"),
			file: "input/request.json", want: []byte("{\"customer\":\"acme\"}\n")},
		{name: "dispatched without a payload gets an empty file", file: "input.txt", want: []byte{}},
		{name: "no dispatch_payload block writes nothing", payload: []byte("ignored")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			alloc := testAlloc(structs.JobTypeBatch, map[string]interface{}{"run_for": "10ms"})
			alloc.Job.Payload = tc.payload
			if tc.file != "" {
				alloc.Job.TaskGroups[0].Tasks[0].DispatchPayload = &structs.DispatchPayloadConfig{File: tc.file}
			}
			h := newHarness(t, alloc)
			a := h.waitStatus(structs.AllocClientStatusComplete)
			assertEvents(t, a.TaskStates["web"], structs.TaskReceived, structs.TaskSetup, structs.TaskStarted, structs.TaskTerminated)
			local := h.ar.AllocDir().TaskDir("web").LocalDir
			if tc.want == nil {
				entries, _ := os.ReadDir(local)
				if len(entries) != 0 {
					t.Fatalf("local/ holds %v, want nothing", entries)
				}
				return
			}
			got, err := os.ReadFile(filepath.Join(local, filepath.FromSlash(tc.file)))
			if err != nil || string(got) != string(tc.want) {
				t.Fatalf("payload file = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}
