package structs_test

import (
	"strings"
	"testing"
	"time"

	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/structs"
)

func TestJobValidate(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		change func(j *structs.Job)
		// want lists a fragment of each expected problem; nil means valid.
		want []string
	}{
		{"mock job is valid", func(*structs.Job) {}, nil},
		{"every problem reported at once", func(j *structs.Job) {
			j.ID = ""
			j.Type = "cron"
			j.Priority = 0
			j.Datacenters = nil
		}, []string{"ID: missing job ID", `Type: "cron" is not a job type`, "Priority: 0 is out of range", "Datacenters: missing"}},
		{"id with spaces", func(j *structs.Job) { j.ID = "my job" }, []string{"ID: \"my job\" must not contain whitespace"}},
		{"no groups", func(j *structs.Job) { j.TaskGroups = nil }, []string{"TaskGroups: missing task groups"}},
		{"duplicate group", func(j *structs.Job) {
			j.TaskGroups = append(j.TaskGroups, j.TaskGroups[0].Copy())
		}, []string{`TaskGroups[1].Name: "web" is already the name of group 0`}},
		{"negative count", func(j *structs.Job) { j.TaskGroups[0].Count = -1 }, []string{`TaskGroups["web"].Count: -1 is negative`}},
		{"shutdown delays", func(j *structs.Job) {
			d := 5 * time.Second
			j.TaskGroups[0].ShutdownDelay = &d
			j.TaskGroups[0].Tasks[0].ShutdownDelay = time.Second
		}, nil},
		{"negative shutdown delays", func(j *structs.Job) {
			d := -time.Second
			j.TaskGroups[0].ShutdownDelay = &d
			j.TaskGroups[0].Tasks[0].ShutdownDelay = -2 * time.Second
		}, []string{`TaskGroups["web"].ShutdownDelay: -1s is negative`, `Tasks["web"].ShutdownDelay: -2s is negative`}},
		{"task without driver or resources", func(j *structs.Job) {
			j.TaskGroups[0].Tasks[0].Driver = ""
			j.TaskGroups[0].Tasks[0].Resources = nil
		}, []string{`Tasks["web"].Driver: missing driver name`, `Tasks["web"].Resources: missing resources`}},
		{"too little memory", func(j *structs.Job) { j.TaskGroups[0].Tasks[0].Resources.MemoryMB = 5 }, []string{"Resources.MemoryMB: 5 MB: want at least 10"}},
		{"restart policy that cannot happen", func(j *structs.Job) {
			j.TaskGroups[0].RestartPolicy = &structs.RestartPolicy{Attempts: 3, Delay: time.Minute, Interval: time.Minute, Mode: "sometimes"}
		}, []string{`RestartPolicy.Mode: "sometimes" is not a restart mode`, "RestartPolicy.Interval: 1m0s is shorter than 3 attempts"}},
		{"bad constraint", func(j *structs.Job) {
			j.Constraints = []*structs.Constraint{{LTarget: "${attr.kernel.name}", Operand: "~", RTarget: "linux"}, {Operand: "="}}
		}, []string{`Constraints[0].Operand: "~" is not a constraint operator`, "Constraints[1].LTarget: missing attribute"}},
		{"constraint values the scheduler could never match", func(j *structs.Job) {
			j.Constraints = []*structs.Constraint{
				{LTarget: "${meta.rack}", Operand: "distinct_property", RTarget: "abc"},
				{LTarget: "${attr.kernel.name}", Operand: "regexp", RTarget: "lin(ux"},
				{LTarget: "${attr.nomad.version}", Operand: "version", RTarget: ">= one"},
				{LTarget: "${meta.rack}", Operand: "distinct_property", RTarget: "2"},
			}
		}, []string{`Constraints[0].RTarget: "abc" is not a valid distinct_property limit`,
			`Constraints[1].RTarget: invalid regexp "lin(ux"`, `Constraints[2].RTarget: invalid version constraint ">= one"`}},
		{"logs larger than disk", func(j *structs.Job) { j.TaskGroups[0].EphemeralDisk.SizeMB = 50 }, []string{"EphemeralDisk.SizeMB: 50 MB cannot hold the tasks' 100 MB of logs"}},
		{"valid migrate block", func(j *structs.Job) {
			j.TaskGroups[0].Migrate = &structs.MigrateStrategy{MaxParallel: 2, HealthCheck: "task_states", MinHealthyTime: 10 * time.Second, HealthyDeadline: 5 * time.Minute}
		}, nil},
		{"bad migrate block", func(j *structs.Job) {
			j.TaskGroups[0].Migrate = &structs.MigrateStrategy{MaxParallel: 0, HealthCheck: "http", MinHealthyTime: time.Hour, HealthyDeadline: 5 * time.Minute}
		}, []string{`Migrate.MaxParallel: 0 is below 1`, `Migrate.HealthCheck: "http" is not a health check`, "Migrate.MinHealthyTime: 1h0m0s is longer than HealthyDeadline 5m0s"}},
		{"negative migrate durations", func(j *structs.Job) {
			j.TaskGroups[0].Migrate = &structs.MigrateStrategy{MaxParallel: 1, HealthCheck: "checks", MinHealthyTime: -time.Second, HealthyDeadline: -time.Minute}
		}, []string{"Migrate.MinHealthyTime: -1s is negative", "Migrate.HealthyDeadline: -1m0s is negative"}},
		{"duplicate port labels", func(j *structs.Job) {
			j.TaskGroups[0].Networks = []*structs.NetworkResource{{
				ReservedPorts: []structs.Port{{Label: "http", Value: 80}},
				DynamicPorts:  []structs.Port{{Label: "http"}},
			}}
		}, []string{`DynamicPorts[0].Label: "http" is already used`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			j := mock.Job()
			tc.change(j)
			err := j.Validate()
			if tc.want == nil {
				if err != nil {
					t.Fatalf("valid job rejected: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("invalid job accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			if got := strings.Count(err.Error(), "\n") + 1; got != len(tc.want) {
				t.Errorf("%d problems reported, want %d:\n%v", got, len(tc.want), err)
			}
		})
	}
}

func TestNodeValidate(t *testing.T) {
	t.Parallel()
	n := mock.Node()
	if err := n.Validate(); err != nil {
		t.Fatalf("mock node rejected: %v", err)
	}
	n.SecretID, n.Datacenter, n.Status = "", "", "sleeping"
	err := n.Validate()
	for _, w := range []string{"SecretID: missing", "Datacenter: missing", `Status: "sleeping"`} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("error %v lacks %q", err, w)
		}
	}
}
