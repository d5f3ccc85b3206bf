package agent

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/orch-dev/orch/nomadlike/structs"
)

func TestServiceEndpoints(t *testing.T) {
	t.Parallel()
	instances := []*structs.ServiceRegistration{{ID: "i1", ServiceName: "web", Namespace: "default", Address: "10.0.0.1", Port: 80, Status: "passing"}}
	var gotGet structs.ServiceRegistrationByNameRequest
	var deleted string
	rpc := &fakeRPC{handlers: map[string]func(a, r interface{}) error{
		structs.ServiceRegistrationListRPC: func(a, r interface{}) error {
			out := r.(*structs.ServiceRegistrationListResponse)
			out.Services = []*structs.ServiceRegistrationListStub{{Namespace: "default",
				Services: []*structs.ServiceRegistrationStub{{ServiceName: "web", Tags: []string{"v1"}}}}}
			out.Index = 7
			return nil
		},
		structs.ServiceRegistrationGetRPC: func(a, r interface{}) error {
			gotGet = *a.(*structs.ServiceRegistrationByNameRequest)
			out := r.(*structs.ServiceRegistrationByNameResponse)
			if gotGet.ServiceName == "web" {
				out.Services = instances
			}
			out.Index = 9
			return nil
		},
		structs.ServiceRegistrationDeleteRPC: func(a, r interface{}) error {
			deleted = a.(*structs.ServiceRegistrationDeleteByIDRequest).ID
			r.(*structs.GenericResponse).Index = 10
			return nil
		},
	}}
	s := newTestHTTP(t, rpc, nil)
	cases := []struct {
		name, method, path string
		code               int
		body               string
		index              string
	}{
		{"list", "GET", "/v1/services", 200, `[{"Namespace":"default","Services":[{"ServiceName":"web","Tags":["v1"]}]}]`, "7"},
		{"get", "GET", "/v1/service/web?index=3&wait=2s", 200, "", "9"},
		{"get unknown is an empty list", "GET", "/v1/service/nope", 200, "[]", "9"},
		{"bad index", "GET", "/v1/service/web?index=x", 400, "", ""},
		{"delete of another service's instance", "DELETE", "/v1/service/db/i1", 404, "", ""},
		{"delete", "DELETE", "/v1/service/web/i1", 200, "", "10"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := do(t, s, tc.method, tc.path, "", nil)
			if rec.Code != tc.code {
				t.Fatalf("code %d, want %d: %s", rec.Code, tc.code, rec.Body)
			}
			if tc.body != "" {
				var got, want interface{}
				_ = json.Unmarshal(rec.Body.Bytes(), &got)
				_ = json.Unmarshal([]byte(tc.body), &want)
				if gb, _ := json.Marshal(got); string(gb) != mustJSON(want) {
					t.Errorf("body %s, want %s", rec.Body, tc.body)
				}
			}
			if tc.index != "" && rec.Header().Get("X-Nomad-Index") != tc.index {
				t.Errorf("X-Nomad-Index %q, want %q", rec.Header().Get("X-Nomad-Index"), tc.index)
			}
		})
	}
	if gotGet.ServiceName != "web" && gotGet.MinQueryIndex != 3 || deleted != "i1" {
		t.Errorf("rpc args: get %+v, deleted %q", gotGet, deleted)
	}
	// The blocking parameters reach the RPC.
	do(t, s, "GET", "/v1/service/web?index=3&wait=2s", "", nil)
	if gotGet.MinQueryIndex != 3 || gotGet.MaxQueryTime != 2*time.Second {
		t.Errorf("blocking options %d %s, want 3 2s", gotGet.MinQueryIndex, gotGet.MaxQueryTime)
	}
}

func mustJSON(v interface{}) string {
	b, _ := json.Marshal(v)
	return string(b)
}
