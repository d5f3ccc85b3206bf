package jobspec

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestParseInvalidFiles checks that each broken file reports every one of
// its mistakes, each at the right file:line,column.
func TestParseInvalidFiles(t *testing.T) {
	t.Parallel()
	cases := []struct {
		file string
		want []string
	}{
		{
			file: "typo.hcl",
			want: []string{
				`typo.hcl:3,5-9: Unsupported argument; An argument named "coun" is not expected here. Did you mean "count"?`,
				`typo.hcl:7,7-15: Unsupported block type; Blocks of type "resource" are not expected here. Did you mean "resources"?`,
			},
		},
		{
			file: "unsupported.hcl",
			want: []string{
				`unsupported.hcl:2,3-9: Unsupported block; the "consul" block is not supported by orch yet`,
				`unsupported.hcl:7,5-11: Unsupported block; the "consul" block is not supported by orch yet`,
				`unsupported.hcl:14,5-10: Unsupported block; the "vault" block is not supported by orch yet`,
				`unsupported.hcl:22,7-15: Unsupported block; the "identity" block is not supported by orch yet`,
			},
		},
		{
			file: "types.hcl",
			want: []string{
				`types.hcl:2,17-23: Invalid value for "priority"; priority must be a whole number, got string "high"`,
				`types.hcl:3,17-24: Invalid value for "all_at_once"; all_at_once must be true or false`,
				`types.hcl:4,17-26: Invalid value for "datacenters"; datacenters must be a list of strings`,
				`types.hcl:7,13-20: Invalid value for "count"; count must be a whole number, got string "three"`,
				`types.hcl:10,15-26: Invalid value for "delay"; delay must be a duration such as "10s" or "1m30s", got "5 seconds"`,
				`types.hcl:15,22-26: Invalid value for "kill_timeout"; kill_timeout must be a duration`,
				`types.hcl:18,18-21: Invalid value for "memory"; memory must be a whole number, got number 1.5`,
			},
		},
		{
			file: "semantics.hcl",
			want: []string{
				`semantics.hcl:1,5-13: Invalid job ID; the job ID (the label of the job block) must not contain whitespace`,
				`semantics.hcl:2,14-22: Invalid value for "type"; type must be one of service, batch, system, sysbatch, got "daemon"`,
				`semantics.hcl:3,14-17: Invalid value for "priority"; priority must be between 1 and 100, got 101`,
				`semantics.hcl:6,13-15: Invalid value for "count"; count must be 0 or more, got -1`,
				`semantics.hcl:10,18-23: Invalid value for "static"; static must be a port number from 1 to 65535, got 70000`,
				`semantics.hcl:12,12-18: Duplicate port label; port labels must be unique within a group; "http" is already used at testdata/invalid/semantics.hcl:9,12-18`,
				`semantics.hcl:16,18-20: Invalid value for "attempts"; attempts must be 0 or more, got -1`,
				`semantics.hcl:17,18-25: Invalid value for "mode"; mode must be one of fail, delay, got "retry"`,
				`semantics.hcl:20,5-18: Missing driver; task "server" needs a driver`,
				`semantics.hcl:22,22-23: Invalid value for "cpu"; cpu is in MHz and must be more than 0, got 0`,
				`semantics.hcl:24,22-25: Invalid value for "memory_max"; memory_max must be at least memory (256 MB), got 128`,
				`semantics.hcl:29,21-25: Invalid constraint operator; operator "~=" is not known; valid operators are =, ==,`,
				`semantics.hcl:34,10-18: Duplicate task name; task names must be unique within a group; "server" is already used at testdata/invalid/semantics.hcl:20,10-18`,
				`semantics.hcl:39,9-14: Duplicate group name; group names must be unique within a job; "web" is already used at testdata/invalid/semantics.hcl:5,9-14`,
			},
		},
		{
			file: "migrate.hcl",
			want: []string{
				`migrate.hcl:4,26-27: Invalid value for "max_parallel"; max_parallel must be 1 or more, got 0`,
				`migrate.hcl:5,26-32: Invalid value for "health_check"; health_check must be one of checks, task_states, got "http"`,
				`migrate.hcl:6,26-38: Invalid value for "min_healthy_time"; min_healthy_time must be a duration`,
				`migrate.hcl:7,26-31: Invalid value for "healthy_deadline"; healthy_deadline must not be negative, got -5m0s`,
				`migrate.hcl:10,5-12: Duplicate migrate block; only one migrate block is allowed here; the first is at testdata/invalid/migrate.hcl:3,5-12`,
			},
		},
		{
			file: "references.hcl",
			want: []string{
				`references.hcl:6,17-27: Undefined variable; var.regoin is referenced but no variable named "regoin" is declared`,
				`references.hcl:10,12-22: Undefined local value; local.nmae is referenced`,
				`references.hcl:16,19-26: Undefined variable; var.cmd is referenced`,
				`references.hcl:17,26-42: Runtime variable outside a string; attr.kernel.name is only known on the client`,
			},
		},
		{
			file: "reschedule.hcl",
			want: []string{
				`reschedule.hcl:4,22-30: Invalid value for "delay_function"; delay_function must be one of constant, exponential, fibonacci, got "linear"`,
				`reschedule.hcl:7,19-20: Invalid value for "completions"; completions must be 1 or more, got 0`,
				`reschedule.hcl:9,19-20: Invalid value for "count"; a group with completions runs parallelism (2) allocations at a time; count must be unset or equal to it, got 3`,
				`reschedule.hcl:12,19-23: Invalid value for "unlimited"; unlimited = true with attempts = 2 is ambiguous`,
				`reschedule.hcl:13,19-23: Invalid value for "delay"; delay must be at least 5s, got 1s`,
				`reschedule.hcl:15,19-26: Invalid value for "max_delay"; max_delay (500ms) must not be shorter than delay (1s)`,
			},
		},
		{
			file: "reschedule_system.hcl",
			want: []string{`reschedule_system.hcl:4,5-15: Invalid reschedule block; system jobs run on every node and cannot be rescheduled`},
		},
		{
			file: "completions.hcl",
			want: []string{
				`completions.hcl:3,19-20: Invalid value for "completions"; completions is only for batch jobs (an orch extension), this job is "service"`,
				`completions.hcl:9,19-20: Invalid value for "parallelism"; parallelism must be 1 or more, got 0`,
				`completions.hcl:9,19-20: Invalid value for "parallelism"; parallelism is only for batch jobs`,
				`completions.hcl:9,19-20: Missing completions; parallelism limits how many allocations run towards completions; set completions too`,
			},
		},
		{
			file: "constraint_values.hcl",
			want: []string{
				`constraint_values.hcl:4,17-25: Invalid constraint value; the regular expression does not compile`,
				`constraint_values.hcl:8,17-25: Invalid constraint value; ">= one" is not a version constraint`,
				`constraint_values.hcl:12,17-25: Invalid constraint value; "~> 1.2" is not a semver constraint`,
				`constraint_values.hcl:16,20-26: Invalid constraint value; item 2 of the comma-separated list "a,,b" is empty`,
				`constraint_values.hcl:21,17-22: Invalid constraint value; item 1 of the comma-separated list " , " is empty`,
			},
		},
		{
			file: "two_jobs.hcl",
			want: []string{`two_jobs.hcl:9,1-8: Duplicate job block; a jobspec holds exactly one job block; the first is at testdata/invalid/two_jobs.hcl:1,1-8`},
		},
		{
			file: "no_job.hcl",
			want: []string{`no_job.hcl:1,1-1: Missing job block`},
		},
		{
			file: "syntax.hcl",
			want: []string{`syntax.hcl:3,13-4,1: Invalid expression`},
		},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			_, err := ParseFile(filepath.Join("testdata", "invalid", tc.file))
			if err == nil {
				t.Fatalf("parse succeeded, want %d errors", len(tc.want))
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != len(tc.want) {
				t.Errorf("got %d errors, want %d:\n%s", len(lines), len(tc.want), err)
			}
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), "testdata/invalid/"+want) {
					t.Errorf("missing error %q in:\n%s", want, err)
				}
			}
		})
	}
}

// invalidSnippets are single mistakes that need no file of their own.
var invalidSnippets = []struct {
	name string
	src  string
	want string
}{
	{
		name: "empty job id",
		src:  "job \"\" {\n  group \"g\" {\n    task \"t\" { driver = \"raw_exec\" }\n  }\n}",
		want: `web.hcl:1,5-7: Invalid job ID; the job ID (the label of the job block) must not be empty`,
	},
	{
		name: "slash in job id",
		src:  "job \"a/b\" {\n  group \"g\" {\n    task \"t\" { driver = \"raw_exec\" }\n  }\n}",
		want: `web.hcl:1,5-10: Invalid job ID; the job ID (the label of the job block) must not contain a slash`,
	},
	{
		name: "job without group",
		src:  `job "web" {}`,
		want: `web.hcl:1,1-10: Missing group block`,
	},
	{
		name: "group without task",
		src:  "job \"web\" {\n  group \"g\" {}\n}",
		want: `web.hcl:2,3-12: Missing task block; group "g" has no task block`,
	},
	{
		name: "zero memory",
		src:  "job \"web\" {\n  group \"g\" {\n    task \"t\" {\n      driver = \"raw_exec\"\n      resources { memory = 0 }\n    }\n  }\n}",
		want: `web.hcl:5,28-29: Invalid value for "memory"; memory is in MB and must be more than 0, got 0`,
	},
	{
		name: "memory_max below default memory",
		src:  "job \"web\" {\n  group \"g\" {\n    task \"t\" {\n      driver = \"raw_exec\"\n      resources { memory_max = 100 }\n    }\n  }\n}",
		want: `memory_max must be at least memory (300 MB), got 100`,
	},
	{
		name: "cpu and cores",
		src:  "job \"web\" {\n  group \"g\" {\n    task \"t\" {\n      driver = \"raw_exec\"\n      resources {\n        cpu = 100\n        cores = 1\n      }\n    }\n  }\n}",
		want: `web.hcl:7,17-18: Conflicting resources; set either cpu or cores, not both`,
	},
	{
		name: "two resources blocks",
		src:  "job \"web\" {\n  group \"g\" {\n    task \"t\" {\n      driver = \"raw_exec\"\n      resources {}\n      resources {}\n    }\n  }\n}",
		want: `web.hcl:6,7-16: Duplicate resources block; only one resources block is allowed here; the first is at web.hcl:5,7-16`,
	},
	{
		name: "meta block and attribute",
		src:  "job \"web\" {\n  meta = { a = \"b\" }\n  meta { c = \"d\" }\n  group \"g\" {\n    task \"t\" { driver = \"raw_exec\" }\n  }\n}",
		want: `web.hcl:3,3-7: Duplicate meta; meta is already set as an argument at web.hcl:2,3-21`,
	},
	{
		name: "conflicting constraint shorthands",
		src:  "job \"web\" {\n  constraint {\n    regexp = \"a\"\n    version = \">= 1\"\n    attribute = \"${attr.x}\"\n  }\n  group \"g\" {\n    task \"t\" { driver = \"raw_exec\" }\n  }\n}",
		want: `Conflicting constraint operators; a constraint has one operator, but regexp, version are all set`,
	},
	{
		name: "regexp that does not compile",
		src:  "job \"web\" {\n  constraint {\n    attribute = \"${attr.x}\"\n    regexp = \"(\"\n  }\n  group \"g\" {\n    task \"t\" { driver = \"raw_exec\" }\n  }\n}",
		want: `web.hcl:4,14-17: Invalid constraint value; the regular expression does not compile`,
	},
	{
		name: "constraint without attribute",
		src:  "job \"web\" {\n  constraint {\n    value = \"linux\"\n  }\n  group \"g\" {\n    task \"t\" { driver = \"raw_exec\" }\n  }\n}",
		want: `web.hcl:2,3-13: Missing constraint attribute`,
	},
	{
		name: "bad distinct_property limit",
		src:  "job \"web\" {\n  constraint {\n    distinct_property = \"${meta.rack}\"\n    value = \"many\"\n  }\n  group \"g\" {\n    task \"t\" { driver = \"raw_exec\" }\n  }\n}",
		want: `web.hcl:4,13-19: Invalid constraint value; the value of a distinct_property constraint`,
	},
	{
		name: "negative duration",
		src:  "job \"web\" {\n  group \"g\" {\n    task \"t\" {\n      driver = \"raw_exec\"\n      kill_timeout = \"-5s\"\n    }\n  }\n}",
		want: `web.hcl:5,22-27: Invalid value for "kill_timeout"; kill_timeout must not be negative`,
	},
	{
		name: "bad network mode",
		src:  "job \"web\" {\n  group \"g\" {\n    network { mode = \"overlay\" }\n    task \"t\" { driver = \"raw_exec\" }\n  }\n}",
		want: `web.hcl:3,22-31: Invalid value for "mode"; mode must be one of host, bridge, none or cni/<name>`,
	},
	{
		name: "runtime variable in directive",
		src:  "job \"web\" {\n  group \"g\" {\n    task \"t\" {\n      driver = \"raw_exec\"\n      user = \"%{ if attr.x == \"a\" }root%{ endif }\"\n    }\n  }\n}",
		want: `Runtime variable in template directive`,
	},
	{
		name: "unsupported block in the wrong place is a plain unknown block",
		src:  "job \"web\" {\n  group \"g\" {\n    task \"t\" {\n      driver = \"raw_exec\"\n      periodic {}\n    }\n  }\n}",
		want: `web.hcl:5,7-15: Unsupported block type; Blocks of type "periodic" are not expected here.`,
	},
	{
		name: "config attribute and block",
		src:  "job \"web\" {\n  group \"g\" {\n    task \"t\" {\n      driver = \"raw_exec\"\n      config = {}\n      config {}\n    }\n  }\n}",
		want: `web.hcl:6,7-13: Duplicate config`,
	},
	{
		name: "meta value that is not a string",
		src:  "job \"web\" {\n  meta {\n    ports = [1]\n  }\n  group \"g\" {\n    task \"t\" { driver = \"raw_exec\" }\n  }\n}",
		want: `web.hcl:3,13-16: Invalid value for "meta.ports"; meta.ports must be a string, got tuple`,
	},
	{
		name: "attribute at the top level",
		src:  "count = 1\njob \"web\" {\n  group \"g\" {\n    task \"t\" { driver = \"raw_exec\" }\n  }\n}",
		want: `web.hcl:1,1-6: Unsupported argument; An argument named "count" is not expected here.`,
	},
}

// TestParseInvalidSnippets checks that each snippet fails with its
// expected message at its expected place.
func TestParseInvalidSnippets(t *testing.T) {
	t.Parallel()
	for _, tc := range invalidSnippets {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := parseErr(t, tc.src); !strings.Contains(got, tc.want) {
				t.Fatalf("error does not contain %q:\n%s", tc.want, got)
			}
		})
	}
}

// A job block with a broken header is reported once, not also as missing.
func TestBrokenJobHeaderIsNotAlsoMissing(t *testing.T) {
	t.Parallel()
	got := parseErr(t, "job \"a\" \"b\" {\n}\n")
	want := `web.hcl:1,9-12: Extraneous label for job; Only 1 labels (id) are expected for job blocks.`
	if got != want {
		t.Fatalf("error = %q, want %q", got, want)
	}
}
