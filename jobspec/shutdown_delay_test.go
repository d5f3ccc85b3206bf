package jobspec

import (
	"strings"
	"testing"
	"time"
)

// TestParseShutdownDelay decodes shutdown_delay at group and task level,
// as Nomad spells it, and reports bad values at their file:line.
func TestParseShutdownDelay(t *testing.T) {
	t.Parallel()
	job := func(group, task string) string {
		return "job \"web\" {\n  group \"g\" {\n    " + group + "\n    task \"t\" {\n      driver = \"raw_exec\"\n      " + task + "\n    }\n  }\n}"
	}
	cases := []struct {
		name      string
		src       string
		wantGroup *time.Duration
		wantTask  time.Duration
		wantErr   string
	}{
		{name: "unset", src: job("", "")},
		{name: "group", src: job(`shutdown_delay = "5s"`, ""), wantGroup: dur(5 * time.Second)},
		{name: "task", src: job("", `shutdown_delay = "1m30s"`), wantTask: 90 * time.Second},
		{name: "both", src: job(`shutdown_delay = "2s"`, `shutdown_delay = "250ms"`),
			wantGroup: dur(2 * time.Second), wantTask: 250 * time.Millisecond},
		{name: "explicit zero", src: job(`shutdown_delay = "0s"`, ""), wantGroup: dur(0)},
		{name: "nanoseconds as a number", src: job("", `shutdown_delay = 1000000000`), wantTask: time.Second},
		{name: "negative group delay", src: job(`shutdown_delay = "-1s"`, ""),
			wantErr: `web.hcl:3,22-27: Invalid value for "shutdown_delay"; shutdown_delay must not be negative, got -1s`},
		{name: "negative task delay", src: job("", `shutdown_delay = "-3s"`),
			wantErr: `web.hcl:6,24-29: Invalid value for "shutdown_delay"; shutdown_delay must not be negative, got -3s`},
		{name: "not a duration", src: job(`shutdown_delay = "soon"`, ""),
			wantErr: `web.hcl:3,22-28: Invalid value for "shutdown_delay"; shutdown_delay must be a duration such as "10s" or "1m30s", got "soon"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.wantErr != "" {
				if got := parseErr(t, tc.src); !strings.Contains(got, tc.wantErr) {
					t.Fatalf("error does not contain %q:\n%s", tc.wantErr, got)
				}
				return
			}
			got, err := Parse("web.hcl", []byte(tc.src))
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			tg := got.TaskGroups[0]
			if (tg.ShutdownDelay == nil) != (tc.wantGroup == nil) ||
				(tg.ShutdownDelay != nil && *tg.ShutdownDelay != *tc.wantGroup) {
				t.Errorf("group shutdown_delay = %v, want %v", fmtDur(tg.ShutdownDelay), fmtDur(tc.wantGroup))
			}
			if d := tg.Tasks[0].ShutdownDelay; d != tc.wantTask {
				t.Errorf("task shutdown_delay = %s, want %s", d, tc.wantTask)
			}
		})
	}
}

func fmtDur(d *time.Duration) string {
	if d == nil {
		return "unset"
	}
	return d.String()
}
