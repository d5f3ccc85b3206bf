package jobspec

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/orch-dev/orch/api"
)

// TestExamples keeps the shipped example jobs parsing, and checks the
// properties the README and end-to-end tests rely on.
func TestExamples(t *testing.T) {
	t.Parallel()
	cases := []struct {
		file    string
		jobType string
		count   int
		cpu     int
		memory  int
		argHas  string
	}{
		{file: "web.hcl", jobType: api.JobTypeService, count: 3, cpu: 100, memory: 64, argHas: "$NOMAD_ALLOC_ID"},
		{file: "batch.hcl", jobType: api.JobTypeBatch, count: 1, cpu: 50, memory: 32, argHas: "exit 0"},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			job, err := ParseFile(filepath.Join("..", "examples", tc.file))
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			job.Canonicalize()
			if *job.Type != tc.jobType {
				t.Errorf("type = %q, want %q", *job.Type, tc.jobType)
			}
			if len(job.TaskGroups) != 1 || len(job.TaskGroups[0].Tasks) != 1 {
				t.Fatalf("want one group with one task, got %s", jsonOf(t, job.TaskGroups))
			}
			tg := job.TaskGroups[0]
			task := tg.Tasks[0]
			if *tg.Count != tc.count {
				t.Errorf("count = %d, want %d", *tg.Count, tc.count)
			}
			if task.Driver != "raw_exec" {
				t.Errorf("driver = %q, want raw_exec", task.Driver)
			}
			if *task.Resources.CPU != tc.cpu || *task.Resources.MemoryMB != tc.memory {
				t.Errorf("resources = cpu %d memory %d, want cpu %d memory %d",
					*task.Resources.CPU, *task.Resources.MemoryMB, tc.cpu, tc.memory)
			}
			args, _ := task.Config["args"].([]interface{})
			script, _ := args[len(args)-1].(string)
			if len(args) != 2 || !strings.Contains(script, tc.argHas) {
				t.Errorf("args = %#v, want a shell script containing %q", task.Config["args"], tc.argHas)
			}
		})
	}
}
