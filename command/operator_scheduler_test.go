package command

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/cli"

	"github.com/orch-dev/orch/api"
)

// schedulerAPI serves a scheduler configuration at modify index 12 and
// records what a set sends; updated is the set's answer.
type schedulerAPI struct {
	mu      sync.Mutex
	cfg     api.SchedulerConfiguration
	sent    *api.SchedulerConfiguration
	query   string
	updated bool
}

func (s *schedulerAPI) serve(t *testing.T) string {
	return fakeAPI(t, map[string]interface{}{
		"GET /v1/operator/scheduler/configuration": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s.mu.Lock()
			defer s.mu.Unlock()
			w.Header().Set("X-Nomad-Index", "12")
			writeJSONBody(t, w, map[string]interface{}{"SchedulerConfig": s.cfg, "Index": 12})
		}),
		"PUT /v1/operator/scheduler/configuration": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s.mu.Lock()
			defer s.mu.Unlock()
			var in api.SchedulerConfiguration
			readJSONBody(t, r, &in)
			s.sent, s.query = &in, r.URL.RawQuery
			writeJSONBody(t, w, map[string]interface{}{"Updated": s.updated, "Index": 13})
		}),
	})
}

func defaultAPIConfig() api.SchedulerConfiguration {
	return api.SchedulerConfiguration{SchedulerAlgorithm: api.SchedulerAlgorithmBinpack, CreateIndex: 3, ModifyIndex: 12,
		PreemptionConfig: api.PreemptionConfig{SystemSchedulerEnabled: true}}
}

func TestOperatorSchedulerGetConfig(t *testing.T) {
	fake := &schedulerAPI{cfg: defaultAPIConfig()}
	addr := fake.serve(t)
	ui := newUi()
	cmd := &OperatorSchedulerGetConfigCommand{Meta: Meta{Ui: ui}}
	if code := cmd.Run([]string{"-address", addr}); code != 0 {
		t.Fatalf("exit %d: %s", code, ui.ErrorWriter)
	}
	assertContains(t, ui.OutputWriter.String(),
		"Scheduler Algorithm = binpack", "Memory Oversubscription = false", "Reject Job Registration = false",
		"Preemption System Scheduler = true", "Preemption Service Scheduler = false",
		"Preemption Batch Scheduler = false", "Preemption SysBatch Scheduler = false", "Modify Index = 12")

	ui = newUi()
	cmd = &OperatorSchedulerGetConfigCommand{Meta: Meta{Ui: ui}}
	if code := cmd.Run([]string{"-address", addr, "-json"}); code != 0 {
		t.Fatalf("exit %d: %s", code, ui.ErrorWriter)
	}
	assertContains(t, ui.OutputWriter.String(), `"SchedulerAlgorithm": "binpack"`, `"SystemSchedulerEnabled": true`)
}

func TestOperatorSchedulerSetConfig(t *testing.T) {
	cases := []struct {
		name     string
		args     []string
		updated  bool
		wantCode int
		wantSent func(*api.SchedulerConfiguration)
		wantOut  string
		wantErr  string
	}{
		{name: "changes only what is given", args: []string{"-scheduler-algorithm=spread", "-preempt-service-scheduler=true"},
			updated: true, wantOut: "Scheduler configuration updated!",
			wantSent: func(c *api.SchedulerConfiguration) {
				c.SchedulerAlgorithm = api.SchedulerAlgorithmSpread
				c.PreemptionConfig.ServiceSchedulerEnabled = true
			}},
		{name: "a bare boolean flag means true; false turns one off",
			args:    []string{"-preempt-batch-scheduler", "-preempt-system-scheduler=false", "-reject-job-registration=true"},
			updated: true, wantOut: "updated",
			wantSent: func(c *api.SchedulerConfiguration) {
				c.PreemptionConfig.BatchSchedulerEnabled = true
				c.PreemptionConfig.SystemSchedulerEnabled = false
				c.RejectJobRegistration = true
			}},
		{name: "matching check-index", args: []string{"-check-index=12", "-memory-oversubscription=true"}, updated: true,
			wantOut: "updated", wantSent: func(c *api.SchedulerConfiguration) { c.MemoryOversubscriptionEnabled = true }},
		{name: "the configuration changed meanwhile", args: []string{"-scheduler-algorithm=spread"}, wantCode: 1,
			wantSent: func(c *api.SchedulerConfiguration) { c.SchedulerAlgorithm = api.SchedulerAlgorithmSpread },
			wantErr:  "changed since it was read"},
		{name: "stale check-index", args: []string{"-check-index=7", "-scheduler-algorithm=spread"}, wantCode: 1,
			wantErr: "-check-index 7 does not match the current modify index 12"},
		{name: "unknown algorithm", args: []string{"-scheduler-algorithm=roundrobin"}, wantCode: 1,
			wantErr: `-scheduler-algorithm "roundrobin" is not a scheduler algorithm`},
		{name: "not a boolean", args: []string{"-preempt-service-scheduler=yes"}, wantCode: 1,
			wantErr: `"yes" is not true or false`},
		{name: "bad check-index", args: []string{"-check-index=abc"}, wantCode: 1, wantErr: "must be a non-negative integer"},
		{name: "arguments refused", args: []string{"extra"}, wantCode: 1, wantErr: "takes no arguments"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fake := &schedulerAPI{cfg: defaultAPIConfig(), updated: tc.updated}
			addr := fake.serve(t)
			ui := newUi()
			cmd := &OperatorSchedulerSetConfigCommand{Meta: Meta{Ui: ui}}
			code := cmd.Run(append([]string{"-address", addr}, tc.args...))
			if code != tc.wantCode || !strings.Contains(ui.OutputWriter.String(), tc.wantOut) ||
				!strings.Contains(ui.ErrorWriter.String(), tc.wantErr) {
				t.Fatalf("exit %d (want %d)\nout: %s\nerr: %s", code, tc.wantCode, ui.OutputWriter, ui.ErrorWriter)
			}
			fake.mu.Lock()
			defer fake.mu.Unlock()
			if tc.wantSent == nil {
				if fake.sent != nil {
					t.Fatalf("sent %+v, want nothing sent", fake.sent)
				}
				return
			}
			want := defaultAPIConfig()
			tc.wantSent(&want)
			if fake.sent == nil || *fake.sent != want || fake.query != "cas=12" {
				t.Fatalf("sent %+v with query %q, want %+v as a check-and-set at 12", fake.sent, fake.query, want)
			}
		})
	}
}

// TestStatusShowsPreemption: job status lists evicted allocations with
// their description, and alloc status links both sides.
func TestStatusShowsPreemption(t *testing.T) {
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	const evictedID, byID = "eeee0000-0000-0000-0000-000000000000", "bbbb0000-0000-0000-0000-000000000000"
	evicted := testAlloc(now)
	evicted.ID, evicted.DesiredStatus, evicted.PreemptedByAllocation = evictedID, "evict", byID
	evicted.DesiredDescription = "Preempted by alloc ID " + byID
	by := testAlloc(now)
	by.ID, by.PreemptedAllocations = byID, []string{evictedID}
	job := &api.Job{ID: ptr("web"), Name: ptr("web"), Type: ptr("service"), Priority: ptr(50), Status: ptr("running")}
	addr := fakeAPI(t, map[string]interface{}{
		"GET /v1/jobs":            prefixList(t, []*api.JobListStub{{ID: "web"}}),
		"GET /v1/job/web":         job,
		"GET /v1/job/web/summary": &api.JobSummary{JobID: "web", Summary: map[string]api.TaskGroupSummary{"web": {}}},
		"GET /v1/job/web/allocations": []*api.AllocationListStub{
			{ID: evictedID, TaskGroup: "web", DesiredStatus: "evict", ClientStatus: "running",
				DesiredDescription: evicted.DesiredDescription, PreemptedByAllocation: byID},
			{ID: byID, TaskGroup: "web", DesiredStatus: "run", ClientStatus: "pending"},
		},
		"GET /v1/allocations":             prefixList(t, []*api.AllocationListStub{{ID: evictedID}, {ID: byID}}),
		"GET /v1/allocation/" + evictedID: evicted,
		"GET /v1/allocation/" + byID:      by,
	})
	cases := []struct {
		name  string
		cmd   func(ui *cli.MockUi) cli.Command
		args  []string
		wants []string
	}{
		{"job status", func(ui *cli.MockUi) cli.Command {
			return &JobStatusCommand{Meta: Meta{Ui: ui}, now: func() time.Time { return now }}
		},
			[]string{"web"}, []string{"Preempted Allocations", "ID Task Group Desired Description", "eeee0000 web Preempted by alloc ID " + byID}},
		{"evicted alloc", func(ui *cli.MockUi) cli.Command {
			return &AllocStatusCommand{Meta: Meta{Ui: ui}, now: func() time.Time { return now }}
		},
			[]string{"eeee"}, []string{"Desired Status = evict", "Desired Description = Preempted by alloc ID " + byID, "Preempted By Allocation = bbbb0000"}},
		{"preempting alloc", func(ui *cli.MockUi) cli.Command {
			return &AllocStatusCommand{Meta: Meta{Ui: ui}, now: func() time.Time { return now }}
		},
			[]string{"bbbb"}, []string{"Preempted Allocations = eeee0000"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ui := newUi()
			if code := tc.cmd(ui).Run(append([]string{"-address", addr}, tc.args...)); code != 0 {
				t.Fatalf("exit %d: %s", code, ui.ErrorWriter)
			}
			assertContains(t, ui.OutputWriter.String(), tc.wants...)
		})
	}
}
