package agent

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	nomad "github.com/hashicorp/nomad/api"

	"github.com/orch-dev/orch/api"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// nomadJob is a job as a deploy tool builds it with HashiCorp's Nomad Go
// client: everything orch implements, set the way Nomad's helpers set it.
func nomadJob() *nomad.Job {
	job := nomad.NewServiceJob("web", "web", "global", 50)
	job.AddDatacenter("dc1")
	job.Constrain(nomad.NewConstraint("${attr.kernel.name}", "=", "linux"))
	job.SetMeta("team", "web")
	cpu, mem := 100, 64
	task := nomad.NewTask("server", "raw_exec").
		SetConfig("command", "/bin/sleep").
		SetConfig("args", []string{"300"}).
		SetConfig("unknown_to_orch", map[string]interface{}{"is": "free-form"}).
		Require(&nomad.Resources{CPU: &cpu, MemoryMB: &mem})
	task.Env = map[string]string{"A": "b"}
	kill := 3 * time.Second
	task.KillTimeout = &kill
	tg := nomad.NewTaskGroup("g", 2).AddTask(task)
	tg.Networks = []*nomad.NetworkResource{{DynamicPorts: []nomad.Port{{Label: "http", To: 8080}}}}
	job.AddTaskGroup(tg)
	return job
}

// TestUnknownFields_NomadClientJob registers Nomad-client JSON through the
// handler: a job of supported features gets no warning, and each feature
// orch lacks is named once, at its path.
func TestUnknownFields_NomadClientJob(t *testing.T) {
	cases := []struct {
		name   string
		modify func(*nomad.Job)
		want   []string
	}{
		{"supported features only", func(j *nomad.Job) {
			j.Affinities = []*nomad.Affinity{nomad.NewAffinity("${node.class}", "=", "big", 50)}
			j.Spreads = []*nomad.Spread{nomad.NewSpread("${node.datacenter}", 100, nil)}
			stagger := 10 * time.Second
			j.TaskGroups[0].Update = &nomad.UpdateStrategy{Stagger: &stagger}
		}, nil},
		{"unsupported blocks", func(j *nomad.Job) {
			tg := j.TaskGroups[0]
			attempts := 3
			// Known since orch has the reschedule block: no warning.
			limited, interval := false, time.Hour
			tg.ReschedulePolicy = &nomad.ReschedulePolicy{Attempts: &attempts, Interval: &interval, Unlimited: &limited}
			// Known since orch has services and templates: no warning.
			tg.Services = []*nomad.Service{{Name: "web", PortLabel: "http"}}
			tg.Tasks[0].Templates = []*nomad.Template{{EmbeddedTmpl: strPtr("x"), DestPath: strPtr("local/x")}}
			lost := time.Minute
			tg.Disconnect = &nomad.DisconnectStrategy{LostAfter: &lost}
		}, []string{
			"Job.TaskGroups[0].Disconnect: not supported by orch yet; ignored",
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			job := nomadJob()
			tc.modify(job)
			body, err := json.Marshal(&nomad.JobRegisterRequest{Job: job})
			if err != nil {
				t.Fatal(err)
			}
			rpc := &fakeRPC{handlers: map[string]func(a, r interface{}) error{
				structs.JobRegisterRPC: func(a, r interface{}) error { return nil },
			}}
			s := newTestHTTP(t, rpc, nil)
			for _, path := range []string{"/v1/jobs", "/v1/job/web", "/v1/validate/job"} {
				rec := do(t, s, "PUT", path, string(body), nil)
				if rec.Code != 200 {
					t.Fatalf("%s: %d %s", path, rec.Code, rec.Body)
				}
				var out struct{ Warnings string }
				if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
					t.Fatal(err)
				}
				if got := warningLines(out.Warnings); !slices.Equal(got, tc.want) {
					t.Errorf("%s warnings:\n%s\nwant the lines %q", path, out.Warnings, tc.want)
				}
			}
		})
	}
}

// warningLines undoes FormatWarnings.
func warningLines(s string) []string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		if w, ok := strings.CutPrefix(line, "* "); ok {
			out = append(out, w)
		}
	}
	return out
}

func TestUnknownFields(t *testing.T) {
	cases := []struct {
		name string
		body string
		want []string
	}{
		{"case-insensitive names match as encoding/json matches them",
			`{"job": {"id": "web", "taskgroups": [{"NAME": "g"}]}}`, nil},
		{"empty values are silent",
			`{"Job": {"Update": null, "Periodic": {}, "Spreads": [], "Multiregion": {"Strategy": null, "Regions": [{}]}, "ConsulToken": "", "Canary": 0}}`, nil},
		{"the key is named as written",
			`{"Job": {"TaskGroups": [{"Name": "a"}, {"Name": "b", "disconnect": {"LostAfter": 1}}]}}`,
			[]string{"Job.TaskGroups[1].disconnect: not supported by orch yet; ignored"}},
		{"embedded request options are known", `{"Job": {"ID": "x"}, "Region": "global", "SecretID": "s"}`, nil},
		{"a wrong type is left to the decoder", `{"Job": {"TaskGroups": {"Name": "a"}}}`, nil},
		{"maps of known types are walked",
			`{"Job": {"Meta": {"a": "b"}, "TaskGroups": [{"Tasks": [{"Config": {"anything": {"goes": 1}}, "Resources": {"Devices": [{"Name": "gpu"}]}}]}]}}`,
			[]string{"Job.TaskGroups[0].Tasks[0].Resources.Devices: not supported by orch yet; ignored"}},
		{"several at once are sorted", `{"Job": {"Zed": 1, "Alpha": true}, "Extra": "x"}`,
			[]string{"Extra: not supported by orch yet; ignored", "Job.Alpha: not supported by orch yet; ignored", "Job.Zed: not supported by orch yet; ignored"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := UnknownFields([]byte(tc.body), &api.JobRegisterRequest{})
			if !slices.Equal(got, tc.want) {
				t.Fatalf("unknownFields = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestFormatWarnings(t *testing.T) {
	cases := []struct {
		in   []string
		want string
	}{
		{nil, ""},
		{[]string{"a"}, "1 warning:\n\n* a"},
		{[]string{"a", "b"}, "2 warnings:\n\n* a\n* b"},
	}
	for _, tc := range cases {
		t.Run(tc.want, func(t *testing.T) {
			if got := FormatWarnings(tc.in); got != tc.want {
				t.Fatalf("FormatWarnings(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}
