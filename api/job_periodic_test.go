package api

import (
	"encoding/json"
	"net/http"
	"reflect"
	"testing"
)

func TestPeriodicParameterizedCanonicalize(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		job   *Job
		check func(t *testing.T, j *Job)
	}{
		{
			name: "periodic defaults",
			job:  &Job{ID: PointerOf("p"), Periodic: &PeriodicConfig{Specs: []string{"@daily"}}},
			check: func(t *testing.T, j *Job) {
				want := &PeriodicConfig{Enabled: PointerOf(true), Spec: PointerOf(""), Specs: []string{"@daily"},
					SpecType: PointerOf("cron"), ProhibitOverlap: PointerOf(false), TimeZone: PointerOf("UTC")}
				if !reflect.DeepEqual(j.Periodic, want) {
					t.Fatalf("got %+v, want %+v", j.Periodic, want)
				}
			},
		},
		{
			name: "set periodic fields are kept",
			job: &Job{ID: PointerOf("p"), Periodic: &PeriodicConfig{Enabled: PointerOf(false), Spec: PointerOf("@hourly"),
				ProhibitOverlap: PointerOf(true), TimeZone: PointerOf("Asia/Tokyo")}},
			check: func(t *testing.T, j *Job) {
				p := j.Periodic
				if *p.Enabled || *p.Spec != "@hourly" || !*p.ProhibitOverlap || *p.TimeZone != "Asia/Tokyo" {
					t.Fatalf("defaults overwrote set fields: %+v", p)
				}
			},
		},
		{
			name: "empty time zone means UTC",
			job:  &Job{ID: PointerOf("p"), Periodic: &PeriodicConfig{TimeZone: PointerOf("")}},
			check: func(t *testing.T, j *Job) {
				if *j.Periodic.TimeZone != "UTC" {
					t.Fatalf("got time zone %q", *j.Periodic.TimeZone)
				}
			},
		},
		{
			name: "payload defaults to optional",
			job:  &Job{ID: PointerOf("d"), ParameterizedJob: &ParameterizedJobConfig{}},
			check: func(t *testing.T, j *Job) {
				if j.ParameterizedJob.Payload != DispatchPayloadOptional {
					t.Fatalf("got payload %q", j.ParameterizedJob.Payload)
				}
			},
		},
		{
			name: "no blocks stay nil",
			job:  &Job{ID: PointerOf("s")},
			check: func(t *testing.T, j *Job) {
				if j.Periodic != nil || j.ParameterizedJob != nil {
					t.Fatalf("got %+v %+v", j.Periodic, j.ParameterizedJob)
				}
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.job.Canonicalize()
			tc.check(t, tc.job)
		})
	}
}

func TestJobs_DispatchAndPeriodicForce(t *testing.T) {
	t.Parallel()
	var gotDispatch map[string]interface{}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/job/{id}/dispatch", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") != "report" {
			t.Errorf("dispatch path id %q", r.PathValue("id"))
		}
		_ = json.NewDecoder(r.Body).Decode(&gotDispatch)
		w.Header().Set("X-Nomad-Index", "12")
		_, _ = w.Write([]byte(`{"DispatchedJobID":"report/dispatch-1-abcdef01","EvalID":"e1","EvalCreateIndex":12,"JobCreateIndex":12,"Index":12}`))
	})
	mux.HandleFunc("POST /v1/job/{id}/periodic/force", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Nomad-Index", "13")
		_, _ = w.Write([]byte(`{"EvalID":"e2","EvalCreateIndex":13,"Index":13}`))
	})
	c := newTestClient(t, mux)

	resp, wm, err := c.Jobs().Dispatch("report", map[string]string{"customer": "acme"}, []byte("hi\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.DispatchedJobID != "report/dispatch-1-abcdef01" || resp.EvalID != "e1" || resp.JobCreateIndex != 12 || wm.LastIndex != 12 {
		t.Fatalf("dispatch response %+v, meta %+v", resp, wm)
	}
	// The payload travels base64-encoded, as Nomad's API carries []byte.
	if gotDispatch["Payload"] != "aGkK" || gotDispatch["JobID"] != "report" ||
		!reflect.DeepEqual(gotDispatch["Meta"], map[string]interface{}{"customer": "acme"}) {
		t.Fatalf("dispatch body %v", gotDispatch)
	}

	evalID, wm, err := c.Jobs().PeriodicForce("nightly", nil)
	if err != nil || evalID != "e2" || wm.LastIndex != 13 {
		t.Fatalf("force: %q %+v %v", evalID, wm, err)
	}
}
