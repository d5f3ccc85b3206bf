package nomadlike

import (
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/orch-dev/orch/nomadlike/structs"
)

func drainTestJob(typ string, count int) *structs.Job {
	return &structs.Job{ID: typ + "-job", Namespace: "default", Type: typ,
		TaskGroups: []*structs.TaskGroup{{Name: "g", Count: count}}}
}

func drainTestAlloc(job *structs.Job, node string, idx int, client string) *structs.Allocation {
	return &structs.Allocation{ID: fmt.Sprintf("%s-%s-%d", job.ID, node, idx), Namespace: job.Namespace,
		Name: fmt.Sprintf("%s.g[%d]", job.ID, idx), NodeID: node, JobID: job.ID, Job: job, TaskGroup: "g",
		DesiredStatus: structs.AllocDesiredStatusRun, ClientStatus: client}
}

func TestPlanDrain(t *testing.T) {
	start := time.Unix(1_700_000_000, 0)
	withDeadline := func(d time.Duration, ignoreSystem bool) *structs.Node {
		return &structs.Node{ID: "n1", Drain: true, DrainStrategy: structs.NewDrainStrategy(
			structs.DrainSpec{Deadline: d, IgnoreSystemJobs: ignoreSystem}, start)}
	}
	svc := drainTestJob(structs.JobTypeService, 3)
	batch := drainTestJob(structs.JobTypeBatch, 1)
	sys := drainTestJob(structs.JobTypeSystem, 1)
	running := structs.AllocClientStatusRunning
	svcOnNode := []*structs.Allocation{
		drainTestAlloc(svc, "n1", 0, running), drainTestAlloc(svc, "n1", 1, running), drainTestAlloc(svc, "n1", 2, running),
	}
	stopped := drainTestAlloc(svc, "n1", 0, running)
	stopped.DesiredStatus = structs.AllocDesiredStatusStop
	pendingReplacement := drainTestAlloc(svc, "n2", 0, structs.AllocClientStatusPending)
	runningReplacement := drainTestAlloc(svc, "n2", 0, running)
	svc2 := drainTestJob(structs.JobTypeService, 3)
	svc2.ID = "service2-job"
	svc2.TaskGroups[0].Migrate = &structs.MigrateStrategy{MaxParallel: 2, HealthCheck: structs.MigrateHealthCheckChecks,
		MinHealthyTime: 10 * time.Second, HealthyDeadline: 5 * time.Minute}
	svc2OnNode := []*structs.Allocation{
		drainTestAlloc(svc2, "n1", 0, running), drainTestAlloc(svc2, "n1", 1, running), drainTestAlloc(svc2, "n1", 2, running),
	}
	svc2Stopped := drainTestAlloc(svc2, "n1", 0, running)
	svc2Stopped.DesiredStatus = structs.AllocDesiredStatusStop

	cases := []struct {
		name      string
		node      *structs.Node
		now       time.Time
		nodeAlloc []*structs.Allocation
		jobAllocs []*structs.Allocation // besides nodeAlloc
		wantStop  []string
		wantDone  bool
	}{
		{name: "service moves max_parallel at a time", node: withDeadline(time.Hour, false), now: start,
			nodeAlloc: svcOnNode, wantStop: []string{"service-job-n1-0"}},
		{name: "replacement not yet running holds the next move", node: withDeadline(time.Hour, false), now: start,
			nodeAlloc: []*structs.Allocation{stopped, svcOnNode[1], svcOnNode[2]},
			jobAllocs: []*structs.Allocation{pendingReplacement}},
		{name: "running replacement frees the next move", node: withDeadline(time.Hour, false), now: start,
			nodeAlloc: []*structs.Allocation{stopped, svcOnNode[1], svcOnNode[2]},
			jobAllocs: []*structs.Allocation{runningReplacement}, wantStop: []string{"service-job-n1-1"}},
		{name: "migrate max_parallel = 2 moves two at once", node: withDeadline(time.Hour, false), now: start,
			nodeAlloc: svc2OnNode, wantStop: []string{"service2-job-n1-0", "service2-job-n1-1"}},
		{name: "migrate max_parallel = 2 counts a pending replacement", node: withDeadline(time.Hour, false), now: start,
			nodeAlloc: []*structs.Allocation{svc2Stopped, svc2OnNode[1], svc2OnNode[2]},
			jobAllocs: []*structs.Allocation{drainTestAlloc(svc2, "n2", 0, structs.AllocClientStatusPending)},
			wantStop:  []string{"service2-job-n1-1"}},
		{name: "deadline forces every allocation", node: withDeadline(time.Hour, false), now: start.Add(time.Hour),
			nodeAlloc: svcOnNode, wantStop: []string{"service-job-n1-0", "service-job-n1-1", "service-job-n1-2"}},
		{name: "negative deadline forces at once", node: withDeadline(-1, false), now: start,
			nodeAlloc: svcOnNode, wantStop: []string{"service-job-n1-0", "service-job-n1-1", "service-job-n1-2"}},
		{name: "batch waits for the deadline", node: withDeadline(time.Hour, false), now: start,
			nodeAlloc: []*structs.Allocation{drainTestAlloc(batch, "n1", 0, running)}},
		{name: "batch stops at the deadline", node: withDeadline(time.Minute, false), now: start.Add(time.Minute),
			nodeAlloc: []*structs.Allocation{drainTestAlloc(batch, "n1", 0, running)}, wantStop: []string{"batch-job-n1-0"}},
		{name: "system waits for the rest", node: withDeadline(time.Hour, false), now: start,
			nodeAlloc: []*structs.Allocation{drainTestAlloc(sys, "n1", 0, running), drainTestAlloc(batch, "n1", 0, running)}},
		{name: "system stops once alone", node: withDeadline(time.Hour, false), now: start,
			nodeAlloc: []*structs.Allocation{drainTestAlloc(sys, "n1", 0, running)}, wantStop: []string{"system-job-n1-0"}},
		{name: "ignored system jobs do not hold the drain", node: withDeadline(time.Hour, true), now: start,
			nodeAlloc: []*structs.Allocation{drainTestAlloc(sys, "n1", 0, running)}, wantDone: true},
		{name: "empty node is done", node: withDeadline(0, false), now: start,
			nodeAlloc: []*structs.Allocation{stopped}, wantDone: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ref := jobRef{"default", ""}
			in := drainInput{Now: tc.now, Nodes: []*structs.Node{tc.node},
				NodeAlloc: map[string][]*structs.Allocation{"n1": tc.nodeAlloc},
				Jobs:      map[jobRef]*structs.Job{}, JobAllocs: map[jobRef][]*structs.Allocation{}}
			for _, a := range append(append([]*structs.Allocation(nil), tc.nodeAlloc...), tc.jobAllocs...) {
				ref = jobRef{a.Namespace, a.JobID}
				in.Jobs[ref] = a.Job
				in.JobAllocs[ref] = append(in.JobAllocs[ref], a)
			}
			res := planDrain(in)
			var got []string
			for _, a := range res.Stop {
				got = append(got, a.ID)
			}
			sort.Strings(got)
			if fmt.Sprint(got) != fmt.Sprint(tc.wantStop) {
				t.Fatalf("stopped %v, want %v", got, tc.wantStop)
			}
			if done := len(res.Done) == 1 && res.Done[0] == "n1"; done != tc.wantDone {
				t.Fatalf("done %v, want %v", res.Done, tc.wantDone)
			}
		})
	}
}
