package agent

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/orch-dev/orch/api"
	"github.com/orch-dev/orch/jobspec"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// errReached is what every RPC answers in FuzzWriteDecode: a decoder that
// let the request through has done its part.
var errReached = errors.New("fuzz: rpc reached")

// reachRPC answers every call with errReached and counts the calls. A
// job that reaches the server must validate, as in FuzzJobRegisterDecode.
type reachRPC struct {
	calls atomic.Int64
	bad   atomic.Value // string: why the last args were wrong
}

func (r *reachRPC) RPC(method string, args, reply interface{}) error {
	r.calls.Add(1)
	switch a := args.(type) {
	case nil:
		r.bad.Store(method + ": nil args")
	case *structs.JobRegisterRequest:
		if a.Job == nil {
			r.bad.Store(method + ": nil job")
		} else if err := a.Job.Validate(); err != nil {
			r.bad.Store(method + ": invalid job: " + err.Error())
		}
	case *structs.JobPlanRequest:
		if a.Job == nil {
			r.bad.Store(method + ": nil job")
		} else if err := a.Job.Validate(); err != nil {
			r.bad.Store(method + ": invalid job: " + err.Error())
		}
	}
	return errReached
}

// writeRoutes are the endpoints that decode a request body or a query.
var writeRoutes = []string{
	"PUT /v1/job/web",
	"PUT /v1/job/web/revert",
	"PUT /v1/job/web/stable",
	"PUT /v1/job/web/dispatch",
	"PUT /v1/job/web/periodic/force",
	"PUT /v1/job/web/scale",
	"PUT /v1/job/web/plan",
	"PUT /v1/validate/job",
	"PUT /v1/jobs/parse",
	"PUT /v1/node/n1/drain",
	"PUT /v1/node/n1/eligibility",
	"PUT /v1/operator/scheduler/configuration",
	"PUT /v1/deployment/promote/d1",
	"PUT /v1/deployment/fail/d1",
	"PUT /v1/deployment/pause/d1",
	"PUT /v1/deployment/allocation-health/d1",
	"DELETE /v1/job/web",
	"DELETE /v1/service/web/id1",
	"GET /v1/jobs",
	"GET /v1/service/web",
	"GET /v1/event/stream",
}

// FuzzWriteDecode feeds arbitrary bodies and query strings to every
// endpoint that decodes one. Whatever arrives, no handler may panic; a
// request the decoder refuses gets a 4xx with a message, never a 5xx; and
// what reaches the server is well formed (a job validates).
//
//	go test -run '^$' -fuzz FuzzWriteDecode -fuzztime 60s ./command/agent
func FuzzWriteDecode(f *testing.F) {
	seeds := []struct {
		route       uint8
		query, body string
	}{
		{1, "", `{"JobVersion":1,"EnforcePriorVersion":0}`},
		{1, "", `{"JobVersion":-1}`},
		{2, "", `{"JobVersion":3,"Stable":true}`},
		{3, "", `{"Payload":"aGk=","Meta":{"k":"v"}}`},
		{3, "", `{"Payload":"not base64!"}`},
		{5, "", `{"Count":3,"Target":{"Group":"g"},"Message":"m"}`},
		{5, "", `{"Count":-3,"Target":{}}`},
		{6, "", `{"Job":{"ID":"web","TaskGroups":[{"Name":"g","Count":2,"Tasks":[{"Name":"t","Driver":"raw_exec"}]}]},"Diff":true}`},
		{7, "", `{"Job":{"ID":"web","TaskGroups":[{"Name":"g","Update":{"MaxParallel":-1,"Canary":-2}}]}}`},
		{8, "", `{"JobHCL":"job \"x\" {","Canonicalize":true}`},
		{9, "", `{"DrainSpec":{"Deadline":-1},"MarkEligible":true}`},
		{10, "", `{"Eligibility":"sometimes"}`},
		{11, "cas=abc", `{"SchedulerAlgorithm":"random","PreemptionConfig":{"SystemSchedulerEnabled":true}}`},
		{12, "", `{"All":true,"Groups":["g"]}`},
		{13, "", `{}`},
		{14, "", `{"Pause":"yes"}`},
		{15, "", `{"HealthyAllocationIDs":["a"],"UnhealthyAllocationIDs":null}`},
		{16, "purge=maybe", ``},
		{17, "", ``},
		{18, "index=abc&wait=forever&prefix=%zz", ``},
		{19, "index=18446744073709551615&wait=-1s", ``},
		{20, "topic=Job:web&topic=:&index=-1", ``},
	}
	for _, s := range seeds {
		f.Add(s.route, s.query, s.body)
	}
	rpc := &reachRPC{}
	parse := func(filename string, src, vars []byte) (*api.Job, error) {
		cfg := &jobspec.ParseConfig{Path: filename, Body: src}
		if vars != nil {
			cfg.VarContents = []jobspec.VarFileContent{{Name: "variables.hcl", Body: vars}}
		}
		return jobspec.ParseWithConfig(cfg)
	}
	s, err := NewHTTPServer(&HTTPServerConfig{Logger: hclog.NewNullLogger(), RPC: rpc, Region: "global", Parser: parse})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, route uint8, query, body string) {
		method, path, _ := strings.Cut(writeRoutes[int(route)%len(writeRoutes)], " ")
		if strings.Contains(path, "/event/stream") {
			// A stream that was let through would run until its client
			// goes; only the refusal of bad queries is of interest here.
			query = "index=notanumber&" + query
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		req := httptest.NewRequestWithContext(ctx, method, "/", strings.NewReader(body))
		req.URL.Path, req.URL.RawQuery = path, query
		before := rpc.calls.Load()
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		if ctx.Err() != nil {
			t.Fatalf("%s %s?%s: the handler ran until its request was cancelled", method, path, query)
		}
		reached := rpc.calls.Load() > before
		if why := rpc.bad.Swap(""); why != nil && why != "" {
			t.Fatalf("%s %s?%s with %q: %s", method, path, query, body, why)
		}
		switch {
		case reached:
		case rec.Code >= 400 && rec.Code < 500:
			if rec.Body.Len() == 0 {
				t.Fatalf("%s %s?%s: status %d with an empty body for %q", method, path, query, rec.Code, body)
			}
		case rec.Code == 200 && (strings.HasSuffix(path, "/parse") || strings.HasSuffix(path, "/validate/job")):
			// Answered by the agent itself.
		default:
			t.Fatalf("%s %s?%s: status %d without reaching the server for %q: %s", method, path, query, rec.Code, body, rec.Body)
		}
	})
}
