package structs_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// diffText renders a diff compactly for assertions: one line per element,
// "+" Added, "-" Deleted, "~" Edited, "=" None, nested by indentation.
func diffText(d *structs.JobDiff) string {
	var b strings.Builder
	line := func(depth int, typ structs.DiffType, format string, args ...interface{}) {
		fmt.Fprintf(&b, "%s%s %s\n", strings.Repeat("  ", depth), marker(typ), fmt.Sprintf(format, args...))
	}
	var fields func(int, []*structs.FieldDiff)
	fields = func(depth int, fs []*structs.FieldDiff) {
		for _, f := range fs {
			switch f.Type {
			case structs.DiffTypeAdded:
				line(depth, f.Type, "%s: %q", f.Name, f.New)
			case structs.DiffTypeDeleted:
				line(depth, f.Type, "%s: %q", f.Name, f.Old)
			default:
				line(depth, f.Type, "%s: %q => %q", f.Name, f.Old, f.New)
			}
		}
	}
	var objects func(int, []*structs.ObjectDiff)
	objects = func(depth int, os []*structs.ObjectDiff) {
		for _, o := range os {
			line(depth, o.Type, "%s {", o.Name)
			fields(depth+1, o.Fields)
			objects(depth+1, o.Objects)
		}
	}
	line(0, d.Type, "Job %q", d.ID)
	fields(1, d.Fields)
	objects(1, d.Objects)
	for _, g := range d.TaskGroups {
		line(1, g.Type, "Group %q", g.Name)
		fields(2, g.Fields)
		objects(2, g.Objects)
		for _, t := range g.Tasks {
			line(2, t.Type, "Task %q", t.Name)
			fields(3, t.Fields)
			objects(3, t.Objects)
		}
	}
	return b.String()
}

func marker(t structs.DiffType) string {
	return map[structs.DiffType]string{
		structs.DiffTypeAdded: "+", structs.DiffTypeDeleted: "-", structs.DiffTypeEdited: "~", structs.DiffTypeNone: "=",
	}[t]
}

// diffJob is a small job whose every line of diff a test can spell out.
func diffJob() *structs.Job {
	j := mock.Job()
	j.ID, j.Name = "web", "web"
	j.Meta = map[string]string{"owner": "tests"}
	tg := j.TaskGroups[0]
	tg.Count = 2
	tg.RestartPolicy, tg.EphemeralDisk = nil, nil
	task := tg.Tasks[0]
	task.Env, task.RestartPolicy, task.LogConfig = nil, nil, nil
	task.Config = map[string]interface{}{"command": "/bin/sleep", "args": []interface{}{"1000"}}
	task.Resources = &structs.Resources{CPU: 100, MemoryMB: 64}
	return j
}

func TestJobDiff(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		old, new   func() *structs.Job
		contextual bool
		want       string
	}{
		{"unchanged job lists its groups and tasks as None", diffJob, diffJob, true, `
= Job "web"
  = Group "web"
    = Task "web"
`},
		{"server-maintained fields are not part of the diff", diffJob, func() *structs.Job {
			j := diffJob()
			j.Status, j.Version, j.Stable, j.SubmitTime = "running", 7, true, 12345
			j.CreateIndex, j.ModifyIndex, j.JobModifyIndex = 1, 2, 3
			return j
		}, true, `
= Job "web"
  = Group "web"
    = Task "web"
`},
		{"count change edits the group only", diffJob, func() *structs.Job {
			j := diffJob()
			j.TaskGroups[0].Count = 3
			return j
		}, true, `
~ Job "web"
  ~ Group "web"
    ~ Count: "2" => "3"
    = Task "web"
`},
		{"new command edits the config block, with its other keys as context", diffJob, func() *structs.Job {
			j := diffJob()
			j.TaskGroups[0].Tasks[0].Config["command"] = "/bin/true"
			return j
		}, true, `
~ Job "web"
  ~ Group "web"
    ~ Task "web"
      ~ Config {
        = args[0]: "1000" => "1000"
        ~ command: "/bin/sleep" => "/bin/true"
`},
		{"without context only the changed key is listed", diffJob, func() *structs.Job {
			j := diffJob()
			j.TaskGroups[0].Tasks[0].Config["command"] = "/bin/true"
			return j
		}, false, `
~ Job "web"
  ~ Group "web"
    ~ Task "web"
      ~ Config {
        ~ command: "/bin/sleep" => "/bin/true"
`},
		{"meta, env and durations are fields; durations in nanoseconds as Nomad", diffJob, func() *structs.Job {
			j := diffJob()
			j.Meta = map[string]string{"owner": "ops", "tier": "1"}
			task := j.TaskGroups[0].Tasks[0]
			task.Env = map[string]string{"PORT": "80"}
			task.KillTimeout = 10 * time.Second
			return j
		}, true, `
~ Job "web"
  ~ Meta[owner]: "tests" => "ops"
  + Meta[tier]: "1"
  ~ Group "web"
    ~ Task "web"
      + Env[PORT]: "80"
      ~ KillTimeout: "5000000000" => "10000000000"
`},
		{"datacenters are a set of values", diffJob, func() *structs.Job {
			j := diffJob()
			j.Datacenters = []string{"dc1", "dc2"}
			return j
		}, true, `
~ Job "web"
  ~ Datacenters {
    = Datacenters: "dc1" => "dc1"
    + Datacenters: "dc2"
  = Group "web"
    = Task "web"
`},
		{"an edited constraint is one block deleted and one added", func() *structs.Job {
			j := diffJob()
			j.Constraints = []*structs.Constraint{{LTarget: "${attr.kernel.name}", RTarget: "linux", Operand: "="}}
			return j
		}, func() *structs.Job {
			j := diffJob()
			j.Constraints = []*structs.Constraint{{LTarget: "${attr.kernel.name}", RTarget: "darwin", Operand: "="}}
			return j
		}, true, `
~ Job "web"
  - Constraint {
    - LTarget: "${attr.kernel.name}"
    - Operand: "="
    - RTarget: "linux"
  + Constraint {
    + LTarget: "${attr.kernel.name}"
    + Operand: "="
    + RTarget: "darwin"
  = Group "web"
    = Task "web"
`},
		{"a new block nests its lists of blocks", diffJob, func() *structs.Job {
			j := diffJob()
			j.TaskGroups[0].Networks = []*structs.NetworkResource{{Mode: "host",
				DynamicPorts: []structs.Port{{Label: "http", To: 8080}}}}
			return j
		}, true, `
~ Job "web"
  ~ Group "web"
    + Network {
      + MBits: "0"
      + Mode: "host"
      + Dynamic Port {
        + Label: "http"
        + To: "8080"
        + Value: "0"
    = Task "web"
`},
		{"resources change inside a block", diffJob, func() *structs.Job {
			j := diffJob()
			j.TaskGroups[0].Tasks[0].Resources.MemoryMB = 128
			return j
		}, false, `
~ Job "web"
  ~ Group "web"
    ~ Task "web"
      ~ Resources {
        ~ MemoryMB: "64" => "128"
`},
		{"group added and removed", diffJob, func() *structs.Job {
			j := diffJob()
			j.TaskGroups[0].Name = "api"
			return j
		}, false, `
~ Job "web"
  + Group "api"
    + Completions: "0"
    + Count: "2"
    + Parallelism: "0"
    + Task "web"
      + Driver: "raw_exec"
      + KillTimeout: "5000000000"
      + Leader: "false"
      + ShutdownDelay: "0"
      + Config {
        + args[0]: "1000"
        + command: "/bin/sleep"
      + Resources {
        + CPU: "100"
        + Cores: "0"
        + DiskMB: "0"
        + MemoryMB: "64"
        + MemoryMaxMB: "0"
  - Group "web"
    - Completions: "0"
    - Count: "2"
    - Parallelism: "0"
    - Task "web"
      - Driver: "raw_exec"
      - KillTimeout: "5000000000"
      - Leader: "false"
      - ShutdownDelay: "0"
      - Config {
        - args[0]: "1000"
        - command: "/bin/sleep"
      - Resources {
        - CPU: "100"
        - Cores: "0"
        - DiskMB: "0"
        - MemoryMB: "64"
        - MemoryMaxMB: "0"
`},
		{"nil and empty maps are the same", func() *structs.Job {
			j := diffJob()
			j.Meta = nil
			return j
		}, func() *structs.Job {
			j := diffJob()
			j.Meta = map[string]string{}
			return j
		}, true, `
= Job "web"
  = Group "web"
    = Task "web"
`},
		{"config list types a Raft round trip changes are the same", func() *structs.Job {
			j := diffJob()
			j.TaskGroups[0].Tasks[0].Config["args"] = []string{"1000"}
			j.TaskGroups[0].Tasks[0].Config["port"] = int64(80)
			return j
		}, func() *structs.Job {
			j := diffJob()
			j.TaskGroups[0].Tasks[0].Config["port"] = 80
			return j
		}, true, `
= Job "web"
  = Group "web"
    = Task "web"
`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			old, new := tc.old(), tc.new()
			d, err := old.Diff(new, tc.contextual)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := diffText(d), strings.TrimPrefix(tc.want, "\n"); got != want {
				t.Errorf("diff:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

func TestJobDiff_NewAndDeletedJobs(t *testing.T) {
	t.Parallel()
	added, err := (*structs.Job)(nil).Diff(diffJob(), false)
	if err != nil {
		t.Fatal(err)
	}
	if added.Type != structs.DiffTypeAdded || added.ID != "web" || added.TaskGroups[0].Type != structs.DiffTypeAdded ||
		added.TaskGroups[0].Tasks[0].Type != structs.DiffTypeAdded {
		t.Errorf("new job diff:\n%s", diffText(added))
	}
	if !strings.Contains(diffText(added), `+ Name: "web"`) {
		t.Errorf("new job diff does not list its name as added:\n%s", diffText(added))
	}
	deleted, err := diffJob().Diff(nil, false)
	if err != nil {
		t.Fatal(err)
	}
	if deleted.Type != structs.DiffTypeDeleted || deleted.TaskGroups[0].Type != structs.DiffTypeDeleted {
		t.Errorf("deleted job diff:\n%s", diffText(deleted))
	}
}

func TestJobDiff_DifferentIDs(t *testing.T) {
	t.Parallel()
	other := diffJob()
	other.ID = "api"
	_, err := diffJob().Diff(other, true)
	if !errors.Is(err, structs.ErrBadRequest) || !strings.Contains(err.Error(), `"web" and "api"`) {
		t.Fatalf("got %v, want a bad request naming both IDs", err)
	}
}
