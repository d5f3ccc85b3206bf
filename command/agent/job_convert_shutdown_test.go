package agent

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/orch-dev/orch/api"
)

// shutdown_delay crosses api → structs at both levels, with Nomad's JSON
// names (ShutdownDelay, nanoseconds), and an unset group delay stays
// unset.
func TestConvertShutdownDelay(t *testing.T) {
	groupDelay := 5 * time.Second
	cases := []struct {
		name      string
		group     *time.Duration
		task      time.Duration
		wantJSON  []string
		wantGroup *time.Duration
	}{
		{name: "unset", wantJSON: []string{`"ShutdownDelay":null`, `"ShutdownDelay":0`}},
		{name: "group and task", group: &groupDelay, task: 250 * time.Millisecond,
			wantJSON:  []string{`"ShutdownDelay":5000000000`, `"ShutdownDelay":250000000`},
			wantGroup: &groupDelay},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := &api.Job{ID: strPtr("web"), TaskGroups: []*api.TaskGroup{{
				Name: strPtr("web"), ShutdownDelay: tc.group,
				Tasks: []*api.Task{{Name: "server", Driver: "raw_exec", ShutdownDelay: tc.task,
					Config: map[string]interface{}{"command": "/bin/true"}}},
			}}}
			body, err := json.Marshal(in)
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range tc.wantJSON {
				if !strings.Contains(string(body), want) {
					t.Errorf("JSON lacks %s: %s", want, body)
				}
			}
			var decoded api.Job
			if err := json.Unmarshal(body, &decoded); err != nil {
				t.Fatal(err)
			}
			out := ConvertJob(&decoded)
			tg := out.TaskGroups[0]
			if (tg.ShutdownDelay == nil) != (tc.wantGroup == nil) || (tg.ShutdownDelay != nil && *tg.ShutdownDelay != *tc.wantGroup) {
				t.Errorf("group ShutdownDelay = %v, want %v", tg.ShutdownDelay, tc.wantGroup)
			}
			if tg.Tasks[0].ShutdownDelay != tc.task {
				t.Errorf("task ShutdownDelay = %s, want %s", tg.Tasks[0].ShutdownDelay, tc.task)
			}
			if d := decoded.TaskGroups[0].ShutdownDelay; d != nil {
				*d = time.Hour
				if *tg.ShutdownDelay == time.Hour {
					t.Error("converted group delay shares memory with the request")
				}
			}
			if errs := validationErrors(out); len(errs) > 0 {
				t.Errorf("converted job is invalid: %q", errs)
			}
		})
	}
}
