package taskproc_test

import (
	"os"
	"syscall"
	"testing"

	"github.com/orch-dev/orch/drivers/shared/taskproc"
)

func TestParseProcStat(t *testing.T) {
	t.Parallel()
	const tail = " S 1 4242 4242 0 -1 4194560 100 0 0 0 12 34 56 78 20 0 1 0 987654 12345678 321 18446744073709551615"
	cases := []struct {
		name    string
		line    string
		want    taskproc.Stat
		wantErr bool
	}{
		{
			name: "plain command",
			line: "4242 (sleep)" + tail,
			want: taskproc.Stat{Pid: 4242, State: 'S', Pgrp: 4242, UTime: 12, STime: 34, CUTime: 56, CSTime: 78, StartTime: 987654, RSSPages: 321},
		},
		{
			name: "command with spaces and parentheses",
			line: "4242 (my (odd) prog)" + tail,
			want: taskproc.Stat{Pid: 4242, State: 'S', Pgrp: 4242, UTime: 12, STime: 34, CUTime: 56, CSTime: 78, StartTime: 987654, RSSPages: 321},
		},
		{name: "truncated", line: "4242 (sleep) S 1 4242", wantErr: true},
		{name: "no command", line: "4242 sleep", wantErr: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := taskproc.ParseStat(4242, []byte(tc.line))
			if tc.wantErr {
				if err == nil {
					t.Fatalf("parse = %+v, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if *got != tc.want {
				t.Errorf("parse = %+v, want %+v", *got, tc.want)
			}
		})
	}
}

func TestOwnProcessStat(t *testing.T) {
	t.Parallel()
	st, err := taskproc.ReadStat(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if st.Pgrp != syscall.Getpgrp() || st.StartTime == 0 || st.RSSPages <= 0 {
		t.Errorf("own stat = %+v, want our pgrp %d, a start time and RSS", st, syscall.Getpgrp())
	}
	if !taskproc.SameProcess(os.Getpid(), st.StartTime) || taskproc.SameProcess(os.Getpid(), st.StartTime+1) {
		t.Error("SameProcess must match only our own start time")
	}
}
