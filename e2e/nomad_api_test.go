package e2e

import (
	"fmt"
	"testing"
	"time"

	nomad "github.com/hashicorp/nomad/api"
)

// TestNomadAPIClient drives a running orch agent with HashiCorp's own Nomad
// Go client, as an existing deploy bot would: register, list, read, list
// allocations, deregister.
func TestNomadAPIClient(t *testing.T) {
	a := startAgent(t)
	c, err := nomad.NewClient(&nomad.Config{Address: a.addr})
	if err != nil {
		t.Fatal(err)
	}

	job := nomad.NewServiceJob("compat", "compat", "global", 50)
	job.AddDatacenter("*")
	cpu, mem := 50, 32
	task := nomad.NewTask("sleeper", "raw_exec").
		SetConfig("command", "/bin/sleep").
		SetConfig("args", []string{"300"}).
		Require(&nomad.Resources{CPU: &cpu, MemoryMB: &mem})
	job.AddTaskGroup(nomad.NewTaskGroup("g", 2).AddTask(task))

	reg, wm, err := c.Jobs().Register(job, nil)
	if err != nil {
		t.Fatalf("Register: %v", err)
	}
	if reg.EvalID == "" || wm.LastIndex == 0 {
		t.Fatalf("Register returned eval %q, index %d: want both set", reg.EvalID, wm.LastIndex)
	}

	list, qm, err := c.Jobs().List(nil)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if len(list) != 1 || list[0].ID != "compat" || list[0].Type != "service" {
		t.Fatalf("List = %+v, want the one service job compat", list)
	}
	if qm.LastIndex == 0 || !qm.KnownLeader {
		t.Errorf("List query meta = %+v, want an index and a known leader", qm)
	}

	info, _, err := c.Jobs().Info("compat", nil)
	if err != nil {
		t.Fatalf("Info: %v", err)
	}
	if *info.ID != "compat" || *info.TaskGroups[0].Count != 2 || info.TaskGroups[0].Tasks[0].Driver != "raw_exec" {
		t.Fatalf("Info returned an unexpected job: id %s", *info.ID)
	}
	// Defaults the server filled in, as Nomad would.
	if *info.Namespace != "default" || *info.Priority != 50 || *info.TaskGroups[0].Tasks[0].KillTimeout != 5*time.Second {
		t.Errorf("Info defaults: namespace %q priority %d kill_timeout %s", *info.Namespace, *info.Priority, *info.TaskGroups[0].Tasks[0].KillTimeout)
	}

	// A blocking query on the allocations returns when they change.
	var allocs []*nomad.AllocationListStub
	var index uint64
	waitFor(t, 20*time.Second, "two running allocations via the Nomad client", func() (bool, string) {
		var qm *nomad.QueryMeta
		allocs, qm, err = c.Jobs().Allocations("compat", false, &nomad.QueryOptions{WaitIndex: index, WaitTime: 2 * time.Second})
		if err != nil {
			return false, err.Error()
		}
		index = qm.LastIndex
		running := 0
		for _, al := range allocs {
			if al.ClientStatus == "running" {
				running++
			}
		}
		return running == 2, fmt.Sprintf("%d allocs, %d running", len(allocs), running)
	})

	evalID, _, err := c.Jobs().Deregister("compat", true, nil)
	if err != nil || evalID == "" {
		t.Fatalf("Deregister: eval %q, err %v", evalID, err)
	}
	if _, _, err := c.Jobs().Info("compat", nil); err == nil {
		t.Fatalf("Info after purge succeeded, want not found")
	}
}
