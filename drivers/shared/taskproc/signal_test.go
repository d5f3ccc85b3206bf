package taskproc_test

import (
	"syscall"
	"testing"

	"github.com/orch-dev/orch/drivers/shared/taskproc"
)

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
			got, err := taskproc.ParseSignal("raw_exec", tc.in)
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Errorf("ParseSignal(%q) = %v, %v; want %v, error %v", tc.in, got, err, tc.want, tc.wantErr)
			}
		})
	}
}

func TestStopSignal(t *testing.T) {
	t.Parallel()
	if sig, err := taskproc.StopSignal("x", ""); err != nil || sig != taskproc.DefaultStopSignal {
		t.Errorf("StopSignal of no name = %v, %v; want the default", sig, err)
	}
	if sig, err := taskproc.StopSignal("x", "term"); err != nil || sig != syscall.SIGTERM {
		t.Errorf("StopSignal(term) = %v, %v", sig, err)
	}
	if _, err := taskproc.StopSignal("x", "nope"); err == nil {
		t.Error("StopSignal(nope) succeeded")
	}
}
