package structs_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/structs"
)

func periodicJob(specs ...string) *structs.Job {
	j := mock.BatchJob()
	j.Periodic = &structs.PeriodicConfig{Enabled: true, Specs: specs, SpecType: structs.PeriodicSpecCron, TimeZone: "UTC"}
	return j
}

func TestJobValidate_PeriodicParameterized(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		job  func() *structs.Job
		// want lists a fragment of each expected problem; nil means valid.
		want []string
	}{
		{"periodic batch job", func() *structs.Job { return periodicJob("@daily", "0 */4 * * *") }, nil},
		{"periodic sysbatch job", func() *structs.Job {
			j := periodicJob("@daily")
			j.Type = structs.JobTypeSysBatch
			return j
		}, nil},
		{"periodic service job", func() *structs.Job {
			j := periodicJob("@daily")
			j.Type = structs.JobTypeService
			return j
		}, []string{`Periodic: a service job cannot be periodic: periodic is for "batch" and "sysbatch" jobs`}},
		{"disabled periodic block is not checked", func() *structs.Job {
			j := periodicJob("nonsense")
			j.Periodic.Enabled = false
			return j
		}, nil},
		{"bad expressions, each named", func() *structs.Job {
			j := periodicJob("@daily", "61 * * * *", "0 0 30 2 *")
			return j
		}, []string{`Periodic.Specs[1]: invalid cron expression "61 * * * *"`, `Periodic.Specs[2]: cron expression "0 0 30 2 *" never fires`}},
		{"older spec checked too", func() *structs.Job {
			j := periodicJob()
			j.Periodic.Spec = "bogus"
			return j
		}, []string{`Periodic.Spec: invalid cron expression "bogus"`}},
		{"spec and specs together", func() *structs.Job {
			j := periodicJob("@daily")
			j.Periodic.Spec = "@hourly"
			return j
		}, []string{"Periodic.Spec: set either Spec (cron) or Specs (crons), not both"}},
		{"no expression", func() *structs.Job { return periodicJob() }, []string{"Periodic.Specs: missing cron expression"}},
		{"unknown zone", func() *structs.Job {
			j := periodicJob("@daily")
			j.Periodic.TimeZone = "Mars/Olympus"
			return j
		}, []string{`Periodic.TimeZone: "Mars/Olympus" is not a known time zone`}},
		{"unknown spec type", func() *structs.Job {
			j := periodicJob("@daily")
			j.Periodic.SpecType = "interval"
			return j
		}, []string{`Periodic.SpecType: "interval" is not a spec type`}},
		{"parameterized system job", func() *structs.Job {
			j := mock.Job()
			j.Type = structs.JobTypeSystem
			j.ParameterizedJob = &structs.ParameterizedJobConfig{Payload: structs.DispatchPayloadOptional}
			return j
		}, []string{"ParameterizedJob: a system job cannot be parameterized"}},
		{"bad payload mode and overlapping meta", func() *structs.Job {
			j := mock.BatchJob()
			j.ParameterizedJob = &structs.ParameterizedJobConfig{Payload: "maybe", MetaRequired: []string{"a"}, MetaOptional: []string{"a"}}
			return j
		}, []string{`ParameterizedJob.Payload: "maybe" is not a payload mode`, `ParameterizedJob.MetaOptional: meta key "a" is also in MetaRequired`}},
		{"dispatch payload leaving local", func() *structs.Job {
			j := mock.BatchJob()
			j.TaskGroups[0].Tasks[0].DispatchPayload = &structs.DispatchPayloadConfig{File: "../x"}
			return j
		}, []string{`DispatchPayload.File: "../x" leaves the task's local/ directory`}},
		{"payload over the limit", func() *structs.Job {
			j := mock.BatchJob()
			j.Payload = bytes.Repeat([]byte("x"), structs.DispatchPayloadSizeLimit+1)
			return j
		}, []string{"Payload: 16385 bytes is over the limit of 16384"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.job().Validate()
			if tc.want == nil {
				if err != nil {
					t.Fatalf("want valid, got %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("want %q, got no error", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}

func TestJobPeriodicPredicatesAndCopy(t *testing.T) {
	t.Parallel()
	j := periodicJob("@daily")
	j.Payload = []byte("p")
	j.ParameterizedJob = &structs.ParameterizedJobConfig{MetaRequired: []string{"a"}}
	j.TaskGroups[0].Tasks[0].DispatchPayload = &structs.DispatchPayloadConfig{File: "f"}
	if !j.IsPeriodic() || !j.IsParameterized() || j.IsPeriodicActive() {
		t.Fatal("a periodic parameterized parent is launched by dispatches, not on its schedule")
	}
	child := j.Copy()
	child.Dispatched = true
	if child.IsParameterized() || !child.IsPeriodicActive() {
		t.Fatal("a dispatched child of a periodic parameterized job runs on the schedule")
	}
	child.Stop = true
	if child.IsPeriodicActive() {
		t.Fatal("a stopped job is not launched")
	}
	child.Periodic.Specs[0], child.ParameterizedJob.MetaRequired[0], child.Payload[0] = "x", "x", 'x'
	child.TaskGroups[0].Tasks[0].DispatchPayload.File = "x"
	if j.Periodic.Specs[0] != "@daily" || j.ParameterizedJob.MetaRequired[0] != "a" || j.Payload[0] != 'p' ||
		j.TaskGroups[0].Tasks[0].DispatchPayload.File != "f" {
		t.Fatal("Copy shares memory with the original")
	}
	at := time.Unix(1_767_225_600, 0)
	id := structs.PeriodicChildID("nightly", at)
	if got, ok := structs.PeriodicLaunchTime("nightly", id); id != "nightly/periodic-1767225600" || !ok || !got.Equal(at) {
		t.Fatalf("child ID %q parses back to %v %v", id, got, ok)
	}
	if _, ok := structs.PeriodicLaunchTime("night", id); ok {
		t.Fatal("a child of nightly parsed as a child of night")
	}
}
