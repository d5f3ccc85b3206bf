package jobspec

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/orch-dev/orch/api"
)

func TestParseUpdateFile(t *testing.T) {
	t.Parallel()
	got, err := ParseFile(filepath.Join("testdata", "update.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	// Only what the file writes is set: merging and defaults are
	// Canonicalize's.
	wantJob := &api.UpdateStrategy{
		MaxParallel: num(2), HealthCheck: str("task_states"),
		MinHealthyTime: dur(15 * time.Second), HealthyDeadline: dur(3 * time.Minute),
		ProgressDeadline: dur(8 * time.Minute), AutoRevert: boolean(true), Stagger: dur(20 * time.Second),
	}
	assertJob(t, &api.Job{Update: got.Update}, &api.Job{Update: wantJob})
	wantGroups := map[string]*api.UpdateStrategy{
		"canary": {Canary: num(1), AutoPromote: boolean(true), HealthCheck: str("manual")},
		"surge":  {MaxParallel: num(0), MaxSurge: num(1)},
	}
	for _, tg := range got.TaskGroups {
		assertJob(t, &api.Job{Update: tg.Update}, &api.Job{Update: wantGroups[*tg.Name]})
	}
}

func TestParseUpdateInvalidFile(t *testing.T) {
	t.Parallel()
	_, err := ParseFile(filepath.Join("testdata", "invalid", "update.hcl"))
	if err == nil {
		t.Fatal("parse succeeded")
	}
	want := []string{
		`update.hcl:3,24-25: Invalid value for "max_parallel"; max_parallel (5) must not be larger than the count of group "web" (2): at most 2 allocations can be replaced at once (the job's update block applies to group "web")`,
		`update.hcl:4,24-29: Invalid value for "min_healthy_time"; min_healthy_time (10m0s) must be shorter than healthy_deadline (5m0s): an allocation could never be healthy in time (the job's update block applies to group "web")`,
		`update.hcl:11,22-24: Invalid value for "canary"; canary must be 0 or more (0 places no canaries), got -1`,
		`update.hcl:12,22-24: Invalid value for "max_surge"; max_surge must be 0 or more (0 starts no allocation above count), got -1`,
		`update.hcl:13,22-28: Invalid value for "health_check"; health_check must be one of checks, task_states, manual, got "http"`,
		`update.hcl:14,22-26: Invalid value for "stagger"; stagger must be more than 0`,
		`update.hcl:27,19-20: Invalid value for "max_surge"; max_surge cannot be combined with canary (1)`,
		`update.hcl:30,5-11: Duplicate update block; only one update block is allowed here; the first is at testdata/invalid/update.hcl:25,5-11`,
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != len(want) {
		t.Errorf("got %d errors, want %d:\n%s", len(lines), len(want), err)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), "testdata/invalid/"+w) {
			t.Errorf("missing error %q in:\n%s", w, err)
		}
	}
}

// updateJob wraps an update block (at the job level when jobLevel, else in
// the group) into a job of one group of count.
func updateJob(jobType, block string, jobLevel bool, count int) string {
	jobBlock, groupBlock := "", block
	if jobLevel {
		jobBlock, groupBlock = block, ""
	}
	return "job \"w\" {\n  type = \"" + jobType + "\"\n" + jobBlock + "\n  group \"g\" {\n    count = " +
		strconv.Itoa(count) + "\n" + groupBlock + "\n    task \"t\" { driver = \"raw_exec\" }\n  }\n}\n"
}

func TestParseUpdateSnippets(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		jobType  string
		block    string
		jobLevel bool
		count    int
		// want is "" for a valid block.
		want string
	}{
		{"negative canary", "service", "update { canary = -1 }", false, 2,
			`canary must be 0 or more (0 places no canaries), got -1`},
		{"max_parallel larger than count", "service", "update { max_parallel = 3 }", false, 2,
			`web.hcl:6,25-26: Invalid value for "max_parallel"; max_parallel (3) must not be larger than the count of group "g" (2)`},
		{"job-level max_parallel larger than count", "service", "update { max_parallel = 3 }", true, 2,
			`web.hcl:3,25-26: Invalid value for "max_parallel"; max_parallel (3) must not be larger than the count of group "g" (2): at most 2 allocations can be replaced at once (the job's update block applies to group "g")`},
		{"max_parallel equal to count", "service", "update { max_parallel = 2 }", false, 2, ""},
		{"count 0 takes any max_parallel", "service", "update { max_parallel = 3 }", false, 0, ""},
		{"max_parallel 0 disables deployments", "service", "update { max_parallel = 0 }", false, 2, ""},
		{"negative max_parallel", "service", "update { max_parallel = -1 }", false, 2,
			`max_parallel must be 0 or more (0 disables deployments), got -1`},
		{"surge with max_parallel 0", "service", "update {\n max_parallel = 0\n max_surge = 2\n }", false, 2, ""},
		{"negative max_surge", "service", "update { max_surge = -1 }", false, 2,
			`max_surge must be 0 or more (0 starts no allocation above count), got -1`},
		{"max_surge larger than count", "service", "update { max_surge = 3 }", false, 2,
			`max_surge (3) must not be larger than the count of group "g" (2)`},
		{"unknown health_check", "service", `update { health_check = "http" }`, false, 2,
			`health_check must be one of checks, task_states, manual, got "http"`},
		{"healthy_deadline equal to min_healthy_time", "service", "update {\n min_healthy_time = \"1m\"\n healthy_deadline = \"1m\"\n }", false, 2,
			`web.hcl:7,21-25: Invalid value for "min_healthy_time"; min_healthy_time (1m0s) must be shorter than healthy_deadline (1m0s)`},
		{"healthy_deadline below the default min_healthy_time", "service", `update { healthy_deadline = "5s" }`, false, 2,
			`Invalid value for "healthy_deadline"; min_healthy_time (10s) must be shorter than healthy_deadline (5s)`},
		{"progress_deadline below healthy_deadline", "service", "update { progress_deadline = \"1m\" }", false, 2,
			`Invalid value for "progress_deadline"; progress_deadline (1m0s) must be longer than healthy_deadline (5m0s), or 0 for none`},
		{"progress_deadline 0 means none", "service", `update { progress_deadline = "0s" }`, false, 2, ""},
		{"canary with max_surge", "service", "update {\n canary = 1\n max_surge = 1\n }", false, 2,
			`max_surge cannot be combined with canary (1): canaries already run beside the old allocations`},
		{"auto_promote without canary", "service", "update { auto_promote = true }", false, 2,
			`auto_promote needs canary to be more than 0`},
		{"blue/green", "service", "update {\n canary = 2\n auto_promote = true\n }", false, 2, ""},
		{"batch job refuses a group update block", "batch", "update { max_parallel = 1 }", false, 1,
			`web.hcl:6,1-7: Update block not allowed; a batch job is not updated in steps`},
		{"sysbatch job refuses a job update block", "sysbatch", "update { max_parallel = 1 }", true, 1,
			`web.hcl:3,1-7: Update block not allowed; a sysbatch job is not updated in steps`},
		{"system job takes one", "system", "update { max_parallel = 1 }", true, 1, ""},
		{"typo", "service", "update { max_paralel = 1 }", false, 1,
			`Did you mean "max_parallel"?`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse("web.hcl", []byte(updateJob(tc.jobType, tc.block, tc.jobLevel, tc.count)))
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("want no error, got %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("got error %v, want %q", err, tc.want)
			}
		})
	}
}
