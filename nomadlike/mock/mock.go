// Package mock builds fixture objects for tests: a job, a node, an
// allocation or an evaluation with sensible, valid defaults that a test
// then changes where it matters.
package mock

import (
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// Job returns a canonical service job "web-<random>" with one group "web"
// of count 10 running a raw_exec task asking 500 MHz and 256 MB.
func Job() *structs.Job {
	id := "web-" + uuid.NewString()[:8]
	return &structs.Job{
		Region:      structs.GlobalRegion,
		Namespace:   structs.DefaultNamespace,
		ID:          id,
		Name:        id,
		Type:        structs.JobTypeService,
		Priority:    structs.JobDefaultPriority,
		Datacenters: []string{"dc1"},
		NodePool:    "default",
		TaskGroups: []*structs.TaskGroup{{
			Name:  "web",
			Count: 10,
			RestartPolicy: &structs.RestartPolicy{
				Attempts: 2, Interval: 30 * time.Minute, Delay: 15 * time.Second,
				Mode: structs.RestartPolicyModeFail,
			},
			EphemeralDisk: &structs.EphemeralDisk{SizeMB: 150},
			Tasks: []*structs.Task{{
				Name:   "web",
				Driver: "raw_exec",
				Config: map[string]interface{}{"command": "/bin/sleep", "args": []interface{}{"1000"}},
				Env:    map[string]string{"FOO": "bar"},
				Resources: &structs.Resources{
					CPU: 500, MemoryMB: 256,
				},
				RestartPolicy: &structs.RestartPolicy{
					Attempts: 2, Interval: 30 * time.Minute, Delay: 15 * time.Second,
					Mode: structs.RestartPolicyModeFail,
				},
				KillTimeout: 5 * time.Second,
				LogConfig:   &structs.LogConfig{MaxFiles: 10, MaxFileSizeMB: 10},
			}},
		}},
		Meta:           map[string]string{"owner": "tests"},
		Status:         structs.JobStatusPending,
		Version:        0,
		CreateIndex:    42,
		ModifyIndex:    99,
		JobModifyIndex: 99,
	}
}

// BatchJob returns Job() as a batch job of count 1.
func BatchJob() *structs.Job {
	j := Job()
	j.ID = "batch-" + j.ID[len("web-"):]
	j.Name = j.ID
	j.Type = structs.JobTypeBatch
	j.TaskGroups[0].Name = "worker"
	j.TaskGroups[0].Count = 1
	return j
}

// Node returns a ready node in dc1 with 4 × 1000 MHz, 8 GB of memory,
// 100 GB of disk and a healthy raw_exec driver.
func Node() *structs.Node {
	id := uuid.NewString()
	return &structs.Node{
		ID:         id,
		SecretID:   uuid.NewString(),
		Datacenter: "dc1",
		Name:       "node-" + id[:8],
		HTTPAddr:   "127.0.0.1:4646",
		Attributes: map[string]string{
			"kernel.name":               "linux",
			"cpu.arch":                  "amd64",
			"os.name":                   "debian",
			"unique.hostname":           "node-" + id[:8],
			"unique.network.ip-address": "127.0.0.1",
			"driver.raw_exec":           "1",
			"nomad.version":             "0.1.0",
		},
		NodeResources: &structs.NodeResources{
			Cpu:            structs.NodeCpuResources{CpuShares: 4000, TotalCpuCores: 4},
			Memory:         structs.NodeMemoryResources{MemoryMB: 8192},
			Disk:           structs.NodeDiskResources{DiskMB: 100 * 1024},
			MinDynamicPort: structs.DefaultMinDynamicPort,
			MaxDynamicPort: structs.DefaultMaxDynamicPort,
		},
		ReservedResources: &structs.NodeReservedResources{},
		Meta:              map[string]string{"rack": "r1"},
		NodeClass:         "linux-medium",
		NodePool:          "default",
		Drivers: map[string]*structs.DriverInfo{
			"raw_exec": {Detected: true, Healthy: true, UpdateTime: time.Unix(0, 0)},
		},
		SchedulingEligibility: structs.NodeSchedulingEligible,
		Status:                structs.NodeStatusReady,
	}
}

// Eval returns a pending service evaluation for no particular job.
func Eval() *structs.Evaluation {
	return &structs.Evaluation{
		ID:          uuid.NewString(),
		Namespace:   structs.DefaultNamespace,
		Priority:    structs.JobDefaultPriority,
		Type:        structs.JobTypeService,
		TriggeredBy: structs.EvalTriggerJobRegister,
		JobID:       "web-" + uuid.NewString()[:8],
		Status:      structs.EvalStatusPending,
	}
}

// EvalFor returns a pending evaluation of job.
func EvalFor(job *structs.Job) *structs.Evaluation {
	e := Eval()
	e.Namespace, e.JobID, e.Type, e.Priority = job.Namespace, job.ID, job.Type, job.Priority
	e.JobModifyIndex = job.JobModifyIndex
	return e
}

// Alloc returns a running allocation of Job()'s first group on a new node.
func Alloc() *structs.Allocation {
	return AllocFor(Job(), Node(), 0)
}

// AllocFor returns a running allocation of job's first group on node with
// the given index.
func AllocFor(job *structs.Job, node *structs.Node, index int) *structs.Allocation {
	tg := job.TaskGroups[0]
	tasks := make(map[string]*structs.AllocatedTaskResources, len(tg.Tasks))
	for _, t := range tg.Tasks {
		tasks[t.Name] = &structs.AllocatedTaskResources{
			Cpu:    structs.AllocatedCpuResources{CpuShares: int64(t.Resources.CPU)},
			Memory: structs.AllocatedMemoryResources{MemoryMB: int64(t.Resources.MemoryMB)},
		}
	}
	return &structs.Allocation{
		ID:        uuid.NewString(),
		Namespace: job.Namespace,
		EvalID:    uuid.NewString(),
		Name:      fmt.Sprintf("%s.%s[%d]", job.ID, tg.Name, index),
		NodeID:    node.ID,
		NodeName:  node.Name,
		JobID:     job.ID,
		Job:       job,
		TaskGroup: tg.Name,
		AllocatedResources: &structs.AllocatedResources{
			Tasks:  tasks,
			Shared: structs.AllocatedSharedResources{DiskMB: int64(tg.EphemeralDisk.SizeMB)},
		},
		DesiredStatus: structs.AllocDesiredStatusRun,
		ClientStatus:  structs.AllocClientStatusRunning,
	}
}
