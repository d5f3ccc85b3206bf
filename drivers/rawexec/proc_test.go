package rawexec

import (
	"os"
	"syscall"
	"testing"
	"time"
)

func TestParseProcStat(t *testing.T) {
	t.Parallel()
	const tail = " S 1 4242 4242 0 -1 4194560 100 0 0 0 12 34 56 78 20 0 1 0 987654 12345678 321 18446744073709551615"
	cases := []struct {
		name    string
		line    string
		want    procStat
		wantErr bool
	}{
		{
			name: "plain command",
			line: "4242 (sleep)" + tail,
			want: procStat{Pid: 4242, State: 'S', Pgrp: 4242, UTime: 12, STime: 34, CUTime: 56, CSTime: 78, StartTime: 987654, RSSPages: 321},
		},
		{
			name: "command with spaces and parentheses",
			line: "4242 (my (odd) prog)" + tail,
			want: procStat{Pid: 4242, State: 'S', Pgrp: 4242, UTime: 12, STime: 34, CUTime: 56, CSTime: 78, StartTime: 987654, RSSPages: 321},
		},
		{name: "truncated", line: "4242 (sleep) S 1 4242", wantErr: true},
		{name: "no command", line: "4242 sleep", wantErr: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseProcStat(4242, []byte(tc.line))
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
	st, err := readProcStat(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if st.Pgrp != syscall.Getpgrp() || st.StartTime == 0 || st.RSSPages <= 0 {
		t.Errorf("own stat = %+v, want our pgrp %d, a start time and RSS", st, syscall.Getpgrp())
	}
	if !sameProcess(os.Getpid(), st.StartTime) || sameProcess(os.Getpid(), st.StartTime+1) {
		t.Error("sameProcess must match only our own start time")
	}
}

func TestUsage(t *testing.T) {
	t.Parallel()
	at := time.Unix(1000, 0)
	cases := []struct {
		name        string
		prev, cur   sample
		wantPercent float64
		wantMHz     float64
	}{
		{
			name:        "first sample has no rate",
			cur:         sample{at: at, userTicks: 500, systemTicks: 100},
			wantPercent: 0,
		},
		{
			name:        "half a core over two seconds",
			prev:        sample{at: at, userTicks: 100, systemTicks: 0},
			cur:         sample{at: at.Add(2 * time.Second), userTicks: 150, systemTicks: 50},
			wantPercent: 50, wantMHz: 1000,
		},
		{
			name:        "an exited member does not make the rate negative",
			prev:        sample{at: at, userTicks: 900},
			cur:         sample{at: at.Add(time.Second), userTicks: 100},
			wantPercent: 0,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			u := tc.cur.usage(tc.prev, 2000)
			if u.CPUPercent != tc.wantPercent || u.CPUTotalMHz != tc.wantMHz {
				t.Errorf("usage = %.2f%% %.1f MHz, want %.2f%% %.1f MHz", u.CPUPercent, u.CPUTotalMHz, tc.wantPercent, tc.wantMHz)
			}
			if want := float64(tc.cur.userTicks) * 10; u.CPUUserMS != want {
				t.Errorf("user ms = %v, want %v", u.CPUUserMS, want)
			}
		})
	}
}

func TestParseSignal(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in      string
		want    syscall.Signal
		wantErr bool
	}{
		{in: "SIGINT", want: syscall.SIGINT},
		{in: "term", want: syscall.SIGTERM},
		{in: " sighup ", want: syscall.SIGHUP},
		{in: "9", want: syscall.SIGKILL},
		{in: "SIGNOPE", wantErr: true},
		{in: "0", wantErr: true},
		{in: "", wantErr: true},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			got, err := parseSignal(tc.in)
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Errorf("parseSignal(%q) = %v, %v; want %v, error %v", tc.in, got, err, tc.want, tc.wantErr)
			}
		})
	}
}
