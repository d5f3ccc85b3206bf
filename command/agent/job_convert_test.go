package agent

import (
	"reflect"
	"testing"
	"time"

	"github.com/orch-dev/orch/api"
	"github.com/orch-dev/orch/nomadlike/structs"
)

func strPtr(s string) *string { return &s }
func intPtr(i int) *int       { return &i }
func boolPtr(b bool) *bool    { return &b }
func durPtr(d time.Duration) *time.Duration {
	return &d
}

// fullAPIJob sets every field, so Canonicalize has nothing left to fill
// and the expected conversion is exact.
func fullAPIJob(id string) *api.Job {
	u64 := func(v uint64) *uint64 { return &v }
	i64 := func(v int64) *int64 { return &v }
	return &api.Job{
		Region: strPtr("global"), Namespace: strPtr("default"), ID: strPtr(id), Name: strPtr(id),
		Type: strPtr("service"), Priority: intPtr(70), AllAtOnce: boolPtr(true),
		Datacenters: []string{"dc1", "dc2"}, NodePool: strPtr("default"),
		Constraints: []*api.Constraint{{LTarget: "${attr.kernel.name}", RTarget: "linux", Operand: "="}},
		Meta:        map[string]string{"team": "web"},
		Stop:        boolPtr(false), ParentID: strPtr("parent"), Dispatched: true,
		Status: strPtr("pending"), StatusDescription: strPtr("new"), Stable: boolPtr(true),
		Version: u64(3), SubmitTime: i64(1700), CreateIndex: u64(1), ModifyIndex: u64(2), JobModifyIndex: u64(3),
		Update: &api.UpdateStrategy{Stagger: durPtr(20 * time.Second), MaxParallel: intPtr(2), HealthCheck: strPtr("checks"),
			MinHealthyTime: durPtr(15 * time.Second), HealthyDeadline: durPtr(3 * time.Minute), ProgressDeadline: durPtr(8 * time.Minute),
			Canary: intPtr(0), AutoRevert: boolPtr(true), AutoPromote: boolPtr(false), MaxSurge: intPtr(0)},
		TaskGroups: []*api.TaskGroup{{
			Name: strPtr("web"), Count: intPtr(3),
			// Only what differs from the job's block: the rest is merged in.
			Update: &api.UpdateStrategy{MaxParallel: intPtr(3), HealthCheck: strPtr("task_states"),
				Canary: intPtr(1), AutoPromote: boolPtr(true)},
			Constraints: []*api.Constraint{{LTarget: "${node.class}", RTarget: "big", Operand: "!="}},
			RestartPolicy: &api.RestartPolicy{Attempts: intPtr(2), Interval: durPtr(30 * time.Minute),
				Delay: durPtr(15 * time.Second), Mode: strPtr("fail")},
			EphemeralDisk: &api.EphemeralDisk{Sticky: boolPtr(true), Migrate: boolPtr(true), SizeMB: intPtr(150)},
			Migrate: &api.MigrateStrategy{MaxParallel: intPtr(2), HealthCheck: strPtr("task_states"),
				MinHealthyTime: durPtr(20 * time.Second), HealthyDeadline: durPtr(2 * time.Minute)},
			ReschedulePolicy: &api.ReschedulePolicy{Attempts: intPtr(3), Interval: durPtr(time.Hour), Unlimited: boolPtr(false)},
			Networks: []*api.NetworkResource{{Mode: "host", MBits: intPtr(10),
				DynamicPorts: []api.Port{{Label: "http", To: 8080}}}},
			Meta: map[string]string{"g": "1"},
			Tasks: []*api.Task{{
				Name: "server", Driver: "raw_exec", User: "nobody",
				Config: map[string]interface{}{"command": "/bin/sleep", "args": []interface{}{"60"},
					"nested": map[string]interface{}{"k": "v"}},
				Env:         map[string]string{"A": "b"},
				Resources:   &api.Resources{CPU: intPtr(500), MemoryMB: intPtr(256), MemoryMaxMB: intPtr(512), DiskMB: intPtr(10), Cores: intPtr(0)},
				Meta:        map[string]string{"t": "1"},
				KillTimeout: durPtr(7 * time.Second),
				LogConfig:   &api.LogConfig{MaxFiles: intPtr(4), MaxFileSizeMB: intPtr(5), Disabled: boolPtr(false)},
				Leader:      true, KillSignal: "SIGINT",
			}},
		}},
	}
}

func fullStructsJob(id string) *structs.Job {
	rp := &structs.RestartPolicy{Attempts: 2, Interval: 30 * time.Minute, Delay: 15 * time.Second, Mode: "fail"}
	taskRP := *rp
	return &structs.Job{
		Region: "global", Namespace: "default", ID: id, Name: id, Type: "service", Priority: 70, AllAtOnce: true,
		Datacenters: []string{"dc1", "dc2"}, NodePool: "default",
		Constraints: []*structs.Constraint{{LTarget: "${attr.kernel.name}", RTarget: "linux", Operand: "="}},
		Meta:        map[string]string{"team": "web"},
		ParentID:    "parent", Dispatched: true, Status: "pending", StatusDescription: "new", Stable: true,
		Version: 3, SubmitTime: 1700, CreateIndex: 1, ModifyIndex: 2, JobModifyIndex: 3,
		Update: structs.UpdateStrategy{Stagger: 20 * time.Second, MaxParallel: 2},
		TaskGroups: []*structs.TaskGroup{{
			Name: "web", Count: 3,
			Update: &structs.UpdateStrategy{Stagger: 20 * time.Second, MaxParallel: 3, HealthCheck: "task_states",
				MinHealthyTime: 15 * time.Second, HealthyDeadline: 3 * time.Minute, ProgressDeadline: 8 * time.Minute,
				AutoRevert: true, AutoPromote: true, Canary: 1},
			Constraints:   []*structs.Constraint{{LTarget: "${node.class}", RTarget: "big", Operand: "!="}},
			RestartPolicy: rp,
			EphemeralDisk: &structs.EphemeralDisk{Sticky: true, Migrate: true, SizeMB: 150},
			Migrate: &structs.MigrateStrategy{MaxParallel: 2, HealthCheck: "task_states",
				MinHealthyTime: 20 * time.Second, HealthyDeadline: 2 * time.Minute},
			ReschedulePolicy: &structs.ReschedulePolicy{Attempts: 3, Interval: time.Hour, Delay: 30 * time.Second,
				DelayFunction: "exponential", MaxDelay: time.Hour},
			Networks: []*structs.NetworkResource{{Mode: "host", MBits: 10,
				DynamicPorts: []structs.Port{{Label: "http", To: 8080}}}},
			Meta: map[string]string{"g": "1"},
			Tasks: []*structs.Task{{
				Name: "server", Driver: "raw_exec", User: "nobody",
				Config: map[string]interface{}{"command": "/bin/sleep", "args": []interface{}{"60"},
					"nested": map[string]interface{}{"k": "v"}},
				Env:           map[string]string{"A": "b"},
				Resources:     &structs.Resources{CPU: 500, MemoryMB: 256, MemoryMaxMB: 512, DiskMB: 10},
				RestartPolicy: &taskRP,
				Meta:          map[string]string{"t": "1"},
				KillTimeout:   7 * time.Second,
				LogConfig:     &structs.LogConfig{MaxFiles: 4, MaxFileSizeMB: 5},
				Leader:        true, KillSignal: "SIGINT",
			}},
		}},
	}
}

func TestConvertJob(t *testing.T) {
	cases := []struct {
		name string
		in   func() *api.Job
		want func() *structs.Job
	}{
		{"every field", func() *api.Job { return fullAPIJob("web") }, func() *structs.Job { return fullStructsJob("web") }},
		{
			name: "task keeps its own restart policy",
			in: func() *api.Job {
				j := fullAPIJob("web")
				j.TaskGroups[0].Tasks[0].RestartPolicy = &api.RestartPolicy{Attempts: intPtr(0),
					Interval: durPtr(time.Minute), Delay: durPtr(time.Second), Mode: strPtr("delay")}
				return j
			},
			want: func() *structs.Job {
				j := fullStructsJob("web")
				j.TaskGroups[0].Tasks[0].RestartPolicy = &structs.RestartPolicy{Interval: time.Minute, Delay: time.Second, Mode: "delay"}
				return j
			},
		},
		{
			name: "nil entries are skipped",
			in: func() *api.Job {
				j := fullAPIJob("web")
				j.Constraints = append(j.Constraints, nil)
				j.TaskGroups = append(j.TaskGroups, nil)
				j.TaskGroups[0].Tasks = append(j.TaskGroups[0].Tasks, nil)
				return j
			},
			want: func() *structs.Job { return fullStructsJob("web") },
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := ConvertJob(tc.in())
			if want := tc.want(); !reflect.DeepEqual(got, want) {
				t.Fatalf("converted job differs\n got: %#v\nwant: %#v", got, want)
			}
		})
	}
}

func TestConvertJob_SharesNothing(t *testing.T) {
	in := fullAPIJob("web")
	out := ConvertJob(in)
	in.Datacenters[0] = "changed"
	in.Meta["team"] = "changed"
	in.TaskGroups[0].Tasks[0].Config["nested"].(map[string]interface{})["k"] = "changed"
	in.TaskGroups[0].Tasks[0].Config["args"].([]interface{})[0] = "changed"
	want := fullStructsJob("web")
	if !reflect.DeepEqual(out, want) {
		t.Fatalf("changing the request changed the converted job: %#v", out)
	}
}

func TestValidationErrors(t *testing.T) {
	cases := []struct {
		name string
		mod  func(j *structs.Job)
		want []string
	}{
		{name: "valid", mod: func(j *structs.Job) {}},
		{name: "one problem per entry", mod: func(j *structs.Job) {
			j.Priority = 101
			j.TaskGroups[0].Tasks[0].Driver = ""
		}, want: []string{
			"Priority: 101 is out of range: want 1 to 100",
			`TaskGroups["web"].Tasks["server"].Driver: missing driver name`,
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			j := fullStructsJob("web")
			tc.mod(j)
			if got := validationErrors(j); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %q\nwant %q", got, tc.want)
			}
		})
	}
}

// A minimal job, as a user writes it, must come out of canonicalization
// and conversion as a valid server job with Nomad's defaults.
func TestConvertJob_MinimalIsCanonical(t *testing.T) {
	in := &api.Job{ID: strPtr("web"), TaskGroups: []*api.TaskGroup{{
		Name:  strPtr("web"),
		Tasks: []*api.Task{{Name: "server", Driver: "raw_exec", Config: map[string]interface{}{"command": "/bin/true"}}},
	}}}
	got := ConvertJob(in)
	if errs := validationErrors(got); len(errs) > 0 {
		t.Fatalf("canonical job is invalid: %q", errs)
	}
	task := got.TaskGroups[0].Tasks[0]
	checks := []struct {
		name      string
		got, want interface{}
	}{
		{"name", got.Name, "web"},
		{"namespace", got.Namespace, structs.DefaultNamespace},
		{"type", got.Type, structs.JobTypeService},
		{"priority", got.Priority, structs.JobDefaultPriority},
		{"count", got.TaskGroups[0].Count, 1},
		{"cpu", task.Resources.CPU, structs.DefaultResourcesCPU},
		{"memory", task.Resources.MemoryMB, structs.DefaultResourcesMemoryMB},
		{"kill timeout", task.KillTimeout, structs.DefaultKillTimeout},
		{"task restart policy", task.RestartPolicy != nil, true},
		{"job update", got.Update, structs.UpdateStrategy{Stagger: 30 * time.Second, MaxParallel: 1}},
		{"group update", got.TaskGroups[0].Update, &structs.UpdateStrategy{
			Stagger: 30 * time.Second, MaxParallel: 1, HealthCheck: structs.UpdateHealthCheckChecks,
			MinHealthyTime: 10 * time.Second, HealthyDeadline: 5 * time.Minute, ProgressDeadline: 10 * time.Minute,
		}},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}
