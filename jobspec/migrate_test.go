package jobspec

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/orch-dev/orch/api"
)

func TestParseGroupMigrate(t *testing.T) {
	t.Parallel()
	job, err := Parse("web.hcl", []byte(`job "web" {
  group "web" {
    count = 3
    migrate {
      max_parallel     = 2
      health_check     = "task_states"
      min_healthy_time = "15s"
      healthy_deadline = "3m"
    }
    task "server" { driver = "raw_exec" }
  }
  group "partial" {
    migrate { max_parallel = 3 }
    task "server" { driver = "raw_exec" }
  }
  group "none" {
    task "server" { driver = "raw_exec" }
  }
}`))
	if err != nil {
		t.Fatal(err)
	}
	want := &api.MigrateStrategy{
		MaxParallel:     num(2),
		HealthCheck:     str("task_states"),
		MinHealthyTime:  api.PointerOf(15 * time.Second),
		HealthyDeadline: api.PointerOf(3 * time.Minute),
	}
	if got := job.TaskGroups[0].Migrate; !reflect.DeepEqual(got, want) {
		t.Errorf("web: got %+v, want %+v", got, want)
	}
	// Unset fields stay nil until Canonicalize.
	if got := job.TaskGroups[1].Migrate; !reflect.DeepEqual(got, &api.MigrateStrategy{MaxParallel: num(3)}) {
		t.Errorf("partial: got %+v", got)
	}
	if got := job.TaskGroups[2].Migrate; got != nil {
		t.Errorf("none: got %+v, want nil", got)
	}
}

func TestParseMigrateSnippets(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, src, want string
	}{
		{
			name: "min healthy time over deadline",
			src:  "job \"w\" {\n  group \"g\" {\n    migrate {\n      min_healthy_time = \"10m\"\n      healthy_deadline = \"5m\"\n    }\n    task \"t\" { driver = \"raw_exec\" }\n  }\n}",
			want: `web.hcl:4,26-31: Invalid value for "min_healthy_time"; min_healthy_time (10m0s) must not be longer than healthy_deadline (5m0s)`,
		},
		{
			name: "unknown attribute",
			src:  "job \"w\" {\n  group \"g\" {\n    migrate {\n      max_paralel = 2\n    }\n    task \"t\" { driver = \"raw_exec\" }\n  }\n}",
			want: `web.hcl:4,7-18: Unsupported argument; An argument named "max_paralel" is not expected here. Did you mean "max_parallel"?`,
		},
		{
			name: "job-level migrate still unsupported",
			src:  "job \"w\" {\n  migrate {}\n  group \"g\" {\n    task \"t\" { driver = \"raw_exec\" }\n  }\n}",
			want: `web.hcl:2,3-10: Unsupported block; the "migrate" block is not supported by orch yet`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse("web.hcl", []byte(tc.src))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got error %v, want %q", err, tc.want)
			}
		})
	}
}
