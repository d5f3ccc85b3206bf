package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	nomad "github.com/hashicorp/nomad/api"
)

// TestNomadAPIScaling drives job scaling and the scaling policies with
// HashiCorp's Nomad Go client, as a Nomad autoscaler or deploy bot would.
func TestNomadAPIScaling(t *testing.T) {
	a := startAgent(t)
	c, err := nomad.NewClient(&nomad.Config{Address: a.addr})
	if err != nil {
		t.Fatal(err)
	}
	job := nomad.NewServiceJob("scaled", "scaled", "global", 50)
	job.AddDatacenter("*")
	cpu, mem := 50, 32
	task := nomad.NewTask("sleeper", "raw_exec").
		SetConfig("command", "/bin/sleep").
		SetConfig("args", []string{"300"}).
		Require(&nomad.Resources{CPU: &cpu, MemoryMB: &mem})
	tg := nomad.NewTaskGroup("g", 1).AddTask(task)
	lo, hi := int64(1), int64(3)
	tg.Scaling = &nomad.ScalingPolicy{Min: &lo, Max: &hi}
	job.AddTaskGroup(tg)
	if _, _, err := c.Jobs().Register(job, nil); err != nil {
		t.Fatalf("Register: %v", err)
	}

	two := 2
	resp, _, err := c.Jobs().Scale("scaled", "g", &two, "by the nomad client", false, map[string]any{"who": "bot"}, nil)
	if err != nil || resp.EvalID == "" {
		t.Fatalf("Scale: %+v %v", resp, err)
	}
	four := 4
	if _, _, err := c.Jobs().Scale("scaled", "g", &four, "", false, nil, nil); err == nil || !strings.Contains(err.Error(), "above the scaling maximum 3") {
		t.Fatalf("Scale above max: %v", err)
	}
	// A stale JobModifyIndex is refused, as in Nomad.
	n := int64(3)
	if _, _, err := c.Jobs().ScaleWithRequest("scaled", &nomad.ScalingRequest{Count: &n,
		Target: map[string]string{"Job": "scaled", "Group": "g"}, JobModifyIndex: 1}, nil); err == nil {
		t.Fatal("ScaleWithRequest with a stale JobModifyIndex succeeded")
	}
	waitFor(t, 30*time.Second, "two allocations running", func() (bool, string) {
		st, _, err := c.Jobs().ScaleStatus("scaled", nil)
		if err != nil {
			return false, err.Error()
		}
		g := st.TaskGroups["g"]
		return g.Desired == 2 && g.Running == 2, fmt.Sprintf("desired %d, running %d", g.Desired, g.Running)
	})
	st, _, err := c.Jobs().ScaleStatus("scaled", nil)
	if err != nil {
		t.Fatal(err)
	}
	ev := st.TaskGroups["g"].Events
	if len(ev) != 1 || *ev[0].Count != 2 || ev[0].PreviousCount != 1 || ev[0].Message != "by the nomad client" ||
		ev[0].Meta["who"] != "bot" || ev[0].EvalID == nil || *ev[0].EvalID != resp.EvalID || ev[0].Time == 0 {
		t.Fatalf("events %+v", ev)
	}
	policies, _, err := c.Scaling().ListPolicies(nil)
	if err != nil || len(policies) != 1 || policies[0].Target["Group"] != "g" || policies[0].Type != "horizontal" {
		t.Fatalf("ListPolicies: %+v %v", policies, err)
	}
	p, _, err := c.Scaling().GetPolicy(policies[0].ID, nil)
	if err != nil || *p.Min != 1 || *p.Max != 3 || !*p.Enabled || p.Target["Job"] != "scaled" {
		t.Fatalf("GetPolicy: %+v %v", p, err)
	}
}
