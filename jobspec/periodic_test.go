package jobspec

import (
	"reflect"
	"strings"
	"testing"

	"github.com/orch-dev/orch/api"
)

func TestParsePeriodicParameterizedDispatchPayload(t *testing.T) {
	t.Parallel()
	job, err := Parse("report.hcl", []byte(`job "report" {
  type = "batch"
  periodic {
    crons            = ["0 6 * * 1-5", "30 12 * * *"]
    prohibit_overlap = true
    time_zone        = "Europe/Paris"
    enabled          = false
  }
  parameterized {
    payload       = "required"
    meta_required = ["customer"]
    meta_optional = ["format"]
  }
  group "g" {
    task "t" {
      driver = "raw_exec"
      dispatch_payload { file = "input/request.json" }
    }
  }
}`))
	if err != nil {
		t.Fatal(err)
	}
	wantPeriodic := &api.PeriodicConfig{
		Specs:           []string{"0 6 * * 1-5", "30 12 * * *"},
		ProhibitOverlap: api.PointerOf(true),
		TimeZone:        str("Europe/Paris"),
		Enabled:         api.PointerOf(false),
	}
	if !reflect.DeepEqual(job.Periodic, wantPeriodic) {
		t.Errorf("periodic: got %+v, want %+v", job.Periodic, wantPeriodic)
	}
	wantParam := &api.ParameterizedJobConfig{Payload: "required", MetaRequired: []string{"customer"}, MetaOptional: []string{"format"}}
	if !reflect.DeepEqual(job.ParameterizedJob, wantParam) {
		t.Errorf("parameterized: got %+v, want %+v", job.ParameterizedJob, wantParam)
	}
	if got := job.TaskGroups[0].Tasks[0].DispatchPayload; !reflect.DeepEqual(got, &api.DispatchPayloadConfig{File: "input/request.json"}) {
		t.Errorf("dispatch_payload: got %+v", got)
	}
}

func TestParsePeriodicOlderCronAndDefaults(t *testing.T) {
	t.Parallel()
	job, err := Parse("p.hcl", []byte("job \"p\" {\n  type = \"sysbatch\"\n  periodic { cron = \"@daily\" }\n  group \"g\" {\n    task \"t\" { driver = \"raw_exec\" }\n  }\n}"))
	if err != nil {
		t.Fatal(err)
	}
	if got := job.Periodic; got == nil || got.Spec == nil || *got.Spec != "@daily" || got.Specs != nil {
		t.Fatalf("periodic: got %+v, want Spec @daily", got)
	}
	job.Canonicalize()
	want := &api.PeriodicConfig{Enabled: api.PointerOf(true), Spec: str("@daily"), SpecType: str("cron"),
		ProhibitOverlap: api.PointerOf(false), TimeZone: str("UTC")}
	if !reflect.DeepEqual(job.Periodic, want) {
		t.Errorf("canonical periodic: got %+v, want %+v", job.Periodic, want)
	}
}

func TestParsePeriodicParameterizedErrors(t *testing.T) {
	t.Parallel()
	// wrap puts body at line 3 of a batch job (or of typ when set).
	wrap := func(typ, body string) string {
		return "job \"w\" {\n  type = \"" + typ + "\"\n" + body + "\n  group \"g\" {\n    task \"t\" {\n      driver = \"raw_exec\"\n    }\n  }\n}"
	}
	cases := []struct {
		name, src, want string
	}{
		{
			name: "invalid cron expression",
			src:  wrap("batch", `  periodic { crons = ["0 * * * *", "61 * * * *"] }`),
			want: `web.hcl:3,36-48: Invalid value for "crons"; "61 * * * *" is not a cron expression: syntax error in minute field: '61'`,
		},
		{
			name: "older cron that does not parse",
			src:  wrap("batch", `  periodic { cron = "every hour" }`),
			want: `web.hcl:3,21-33: Invalid value for "cron"; "every hour" is not a cron expression`,
		},
		{
			name: "cron that never fires",
			src:  wrap("batch", `  periodic { crons = ["0 0 30 2 *"] }`),
			want: `web.hcl:3,23-35: Invalid value for "crons"; cron expression "0 0 30 2 *" never fires`,
		},
		{
			name: "cron in a year that has passed",
			src:  wrap("batch", `  periodic { crons = ["0 0 1 1 * 2020"] }`),
			want: `cron expression "0 0 1 1 * 2020" never fires`,
		},
		{
			name: "unknown time zone",
			src:  wrap("batch", "  periodic {\n    crons = [\"@hourly\"]\n    time_zone = \"Mars/Olympus\"\n  }"),
			want: `web.hcl:5,17-31: Invalid value for "time_zone"; time_zone must be an IANA time zone name such as "America/New_York" or "UTC", got "Mars/Olympus"`,
		},
		{
			name: "cron and crons together",
			src:  wrap("batch", "  periodic {\n    cron = \"@daily\"\n    crons = [\"@hourly\"]\n  }"),
			want: `web.hcl:4,5-9: Conflicting cron expressions; set either crons or the older cron, not both`,
		},
		{
			name: "no cron",
			src:  wrap("batch", `  periodic { prohibit_overlap = true }`),
			want: `web.hcl:3,3-11: Missing cron expression`,
		},
		{
			name: "empty crons",
			src:  wrap("batch", `  periodic { crons = [] }`),
			want: `web.hcl:3,22-24: Invalid value for "crons"; crons must list at least one cron expression`,
		},
		{
			name: "periodic service job",
			src:  wrap("service", `  periodic { crons = ["@daily"] }`),
			want: `web.hcl:3,3-11: Invalid periodic block; a service job cannot be periodic: periodic is only for batch and sysbatch jobs`,
		},
		{
			name: "periodic system job",
			src:  wrap("system", `  periodic { crons = ["@daily"] }`),
			want: `a system job cannot be periodic`,
		},
		{
			name: "parameterized service job",
			src:  wrap("service", `  parameterized {}`),
			want: `web.hcl:3,3-16: Invalid parameterized block; a service job cannot be parameterized`,
		},
		{
			name: "bad payload value",
			src:  wrap("batch", `  parameterized { payload = "sometimes" }`),
			want: `web.hcl:3,29-40: Invalid value for "payload"; payload must be one of optional, required, forbidden, got "sometimes"`,
		},
		{
			name: "meta key both required and optional",
			src: wrap("batch", `  parameterized {
    meta_required = ["a"]
    meta_optional = ["b", "a"]
  }`),
			want: `web.hcl:5,27-30: Invalid value for "meta_optional"; meta key "a" is already in meta_required`,
		},
		{
			name: "duplicate periodic block",
			src:  wrap("batch", "  periodic { crons = [\"@daily\"] }\n  periodic { crons = [\"@daily\"] }"),
			want: `web.hcl:4,3-11: Duplicate periodic block`,
		},
		{
			name: "unknown periodic attribute",
			src:  wrap("batch", "  periodic {\n    crons = [\"@daily\"]\n    timezone = \"UTC\"\n  }"),
			want: `Did you mean "time_zone"?`,
		},
		{
			name: "dispatch_payload leaving local",
			src:  "job \"w\" {\n  type = \"batch\"\n  group \"g\" {\n    task \"t\" {\n      driver = \"raw_exec\"\n      dispatch_payload { file = \"../../etc/passwd\" }\n    }\n  }\n}",
			want: `web.hcl:6,33-51: Invalid value for "file"; file must be a path inside the task's local/ directory`,
		},
		{
			name: "dispatch_payload without file",
			src:  "job \"w\" {\n  type = \"batch\"\n  group \"g\" {\n    task \"t\" {\n      driver = \"raw_exec\"\n      dispatch_payload {}\n    }\n  }\n}",
			want: `web.hcl:6,24-24: Missing required argument; The argument "file" is required`,
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
