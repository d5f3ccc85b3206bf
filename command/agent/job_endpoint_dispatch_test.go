package agent

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/orch-dev/orch/api"
	"github.com/orch-dev/orch/nomadlike/structs"
)

func TestJobDispatchEndpoint(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		path     string
		body     string
		rpcErr   error
		wantCode int
		wantBody string
		// wantArgs is what must reach the server; nil: no RPC.
		wantArgs *structs.JobDispatchRequest
	}{
		{name: "payload and meta", path: "/v1/job/report/dispatch",
			body:     `{"Payload":"aGVsbG8K","Meta":{"customer":"acme"}}`,
			wantCode: 200, wantBody: `"DispatchedJobID":"report/dispatch-1-0badcafe"`,
			wantArgs: &structs.JobDispatchRequest{JobID: "report", Payload: []byte("hello\n"), Meta: map[string]string{"customer": "acme"}}},
		{name: "no body dispatches without payload or meta", path: "/v1/job/report/dispatch",
			wantCode: 200, wantArgs: &structs.JobDispatchRequest{JobID: "report"}},
		{name: "job ID in the body must match the path", path: "/v1/job/report/dispatch", body: `{"JobID":"other"}`,
			wantCode: 400, wantBody: `JobID does not match: the path has "report" but the body has "other"`},
		{name: "payload must be base64", path: "/v1/job/report/dispatch", body: `{"Payload":"not base64!"}`,
			wantCode: 400, wantBody: "Payload"},
		{name: "the server's refusal is a 400 naming the key", path: "/v1/job/report/dispatch", body: `{"Meta":{"colour":"red"}}`,
			rpcErr:   fmt.Errorf("job dispatch: %w: unknown meta keys \"colour\"", structs.ErrBadRequest),
			wantCode: 400, wantBody: `unknown meta keys "colour"`,
			wantArgs: &structs.JobDispatchRequest{JobID: "report", Meta: map[string]string{"colour": "red"}}},
		{name: "missing job is a 404", path: "/v1/job/nope/dispatch",
			rpcErr:   fmt.Errorf("job dispatch: job \"nope\": %w", structs.ErrNotFound),
			wantCode: 404, wantArgs: &structs.JobDispatchRequest{JobID: "nope"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var got *structs.JobDispatchRequest
			rpc := &fakeRPC{handlers: map[string]func(a, r interface{}) error{
				structs.JobDispatchRPC: func(a, r interface{}) error {
					got = a.(*structs.JobDispatchRequest)
					if tc.rpcErr != nil {
						return tc.rpcErr
					}
					*r.(*structs.JobDispatchResponse) = structs.JobDispatchResponse{DispatchedJobID: "report/dispatch-1-0badcafe",
						EvalID: "e1", EvalCreateIndex: 9, JobCreateIndex: 9, WriteMeta: structs.WriteMeta{Index: 9}}
					return nil
				},
			}}
			rec := do(t, newTestHTTP(t, rpc, nil), "POST", tc.path, tc.body, nil)
			if rec.Code != tc.wantCode || !strings.Contains(rec.Body.String(), tc.wantBody) {
				t.Fatalf("got %d %s, want %d containing %q", rec.Code, rec.Body, tc.wantCode, tc.wantBody)
			}
			if tc.wantArgs == nil {
				if got != nil {
					t.Fatalf("rejected request reached the server: %+v", got)
				}
				return
			}
			if got == nil || got.JobID != tc.wantArgs.JobID || string(got.Payload) != string(tc.wantArgs.Payload) ||
				!reflect.DeepEqual(got.Meta, tc.wantArgs.Meta) {
				t.Fatalf("server got %+v, want %+v", got, tc.wantArgs)
			}
			if tc.wantCode == 200 && rec.Header().Get("X-Nomad-Index") != "9" {
				t.Fatalf("index header %q", rec.Header().Get("X-Nomad-Index"))
			}
		})
	}
}

func TestJobPeriodicForceEndpoint(t *testing.T) {
	t.Parallel()
	rpc := &fakeRPC{handlers: map[string]func(a, r interface{}) error{
		structs.PeriodicForceRPC: func(a, r interface{}) error {
			if id := a.(*structs.PeriodicForceRequest).JobID; id != "nightly" {
				return fmt.Errorf("job %q: %w", id, structs.ErrNotFound)
			}
			*r.(*structs.PeriodicForceResponse) = structs.PeriodicForceResponse{EvalID: "e2", EvalCreateIndex: 11, WriteMeta: structs.WriteMeta{Index: 11}}
			return nil
		},
	}}
	s := newTestHTTP(t, rpc, nil)
	rec := do(t, s, "POST", "/v1/job/nightly/periodic/force", "", nil)
	var out api.PeriodicForceResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || rec.Code != 200 || out.EvalID != "e2" || out.EvalCreateIndex != 11 {
		t.Fatalf("got %d %s (%v)", rec.Code, rec.Body, err)
	}
	if rec := do(t, s, "PUT", "/v1/job/other/periodic/force", "", nil); rec.Code != 404 {
		t.Fatalf("missing job: got %d %s", rec.Code, rec.Body)
	}
}

func TestConvertPeriodicParameterized(t *testing.T) {
	t.Parallel()
	in := &api.Job{ID: strPtr("p"), Type: strPtr("batch"), Payload: []byte("x"),
		Periodic:         &api.PeriodicConfig{Specs: []string{"@daily"}, ProhibitOverlap: boolPtr(true)},
		ParameterizedJob: &api.ParameterizedJobConfig{MetaRequired: []string{"a"}},
		TaskGroups: []*api.TaskGroup{{Name: strPtr("g"), Tasks: []*api.Task{{Name: "t", Driver: "raw_exec",
			DispatchPayload: &api.DispatchPayloadConfig{File: "in.json"}}}}},
	}
	out := ConvertJob(in)
	wantPeriodic := &structs.PeriodicConfig{Enabled: true, Specs: []string{"@daily"}, SpecType: "cron", ProhibitOverlap: true, TimeZone: "UTC"}
	if !reflect.DeepEqual(out.Periodic, wantPeriodic) {
		t.Errorf("periodic %+v, want %+v", out.Periodic, wantPeriodic)
	}
	if want := (&structs.ParameterizedJobConfig{Payload: "optional", MetaRequired: []string{"a"}}); !reflect.DeepEqual(out.ParameterizedJob, want) {
		t.Errorf("parameterized %+v, want %+v", out.ParameterizedJob, want)
	}
	if string(out.Payload) != "x" || out.TaskGroups[0].Tasks[0].DispatchPayload.File != "in.json" {
		t.Errorf("payload %q, dispatch payload %+v", out.Payload, out.TaskGroups[0].Tasks[0].DispatchPayload)
	}
	in.Periodic.Specs[0] = "changed"
	if out.Periodic.Specs[0] != "@daily" {
		t.Error("conversion shares the crons slice")
	}
}
