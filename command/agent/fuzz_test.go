package agent

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// FuzzJobRegisterDecode feeds arbitrary bodies to PUT /v1/jobs. Whatever
// arrives, the handler must not panic, must answer a client error for bad
// input rather than a server error, and must only ever pass the server a
// job that validates.
//
//	go test -run '^$' -fuzz FuzzJobRegisterDecode -fuzztime 60s ./command/agent
func FuzzJobRegisterDecode(f *testing.F) {
	for _, seed := range []string{
		`{"Job":{"ID":"web","TaskGroups":[{"Name":"g","Tasks":[{"Name":"t","Driver":"raw_exec","Config":{"command":"/bin/true"}}]}]}}`,
		`{"Job":{"ID":"web","Type":"batch","Priority":200,"TaskGroups":[{"Name":"g","Count":-1}]}}`,
		`{"Job":{"ID":"web","TaskGroups":[{"Name":"g","Tasks":[{"Name":"t","Resources":{"CPU":-5,"MemoryMB":0}}]}]}}`,
		`{"Job":{"ID":"a b","TaskGroups":[{"Name":"g","RestartPolicy":{"Mode":"sometimes","Attempts":-1}}]}}`,
		`{"Job":{"ID":"web","TaskGroups":[{"Name":"g","Networks":[{"ReservedPorts":[{"Label":"http","Value":70000}]}]}]}}`,
		`{"Job":null}`,
		`{"Job":{"ID":""}}`,
		`{"Job":{"ID":"web","TaskGroups":[null]}}`,
		`{"Job":{"ID":"web","TaskGroups":[{"Tasks":[null]}]}}`,
		`{"Job":{"ID":"web","Constraints":[null],"TaskGroups":[{"Constraints":[null]}]}}`,
		`{"Job": {"ID": "x",`,
		`[]`,
		``,
	} {
		f.Add(seed)
	}
	rpc := &fakeRPC{handlers: map[string]func(a, r interface{}) error{
		structs.JobRegisterRPC: func(a, r interface{}) error {
			job := a.(*structs.JobRegisterRequest).Job
			if job == nil {
				return fmt.Errorf("handler passed a nil job to the server")
			}
			if err := job.Validate(); err != nil {
				return fmt.Errorf("handler passed an invalid job to the server: %v", err)
			}
			r.(*structs.JobRegisterResponse).EvalID = "eval"
			return nil
		},
	}}
	s, err := NewHTTPServer(&HTTPServerConfig{Logger: hclog.NewNullLogger(), RPC: rpc, Region: "global"})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest("PUT", "/v1/jobs", strings.NewReader(body))
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		switch {
		case rec.Code == 200:
		case rec.Code >= 400 && rec.Code < 500:
			if rec.Body.Len() == 0 {
				t.Fatalf("status %d with an empty body for %q", rec.Code, body)
			}
		default:
			t.Fatalf("status %d for %q: %s", rec.Code, body, rec.Body)
		}
	})
}
