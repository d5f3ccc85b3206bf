package taskproc_test

import (
	"context"
	"os/exec"
	"reflect"
	"testing"
	"time"

	"github.com/orch-dev/orch/drivers/sdk"
	"github.com/orch-dev/orch/drivers/shared/taskproc"
)

func TestExit(t *testing.T) {
	t.Parallel()
	e := taskproc.NewExit()
	started := time.Now()
	if st := e.Status("id", "web", started); st.State != sdk.TaskStateRunning || st.ExitResult != nil || e.Exited() {
		t.Fatalf("status before Finish = %+v", st)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, ok := <-e.Wait(ctx); ok {
		t.Error("Wait with a canceled context yielded a result before Finish")
	}
	waiting := e.Wait(context.Background())
	e.Finish(&sdk.ExitResult{ExitCode: 3})
	for i, ch := range []<-chan *sdk.ExitResult{waiting, e.Wait(context.Background())} {
		if r := <-ch; r == nil || r.ExitCode != 3 {
			t.Errorf("waiter %d got %+v, want exit code 3", i, r)
		}
	}
	st := e.Status("id", "web", started)
	if st.State != sdk.TaskStateExited || st.ExitResult.ExitCode != 3 || st.CompletedAt.Before(started) {
		t.Errorf("status after Finish = %+v", st)
	}
	st.ExitResult.ExitCode = 9
	if e.Result().ExitCode != 3 {
		t.Error("Status shares the result with its caller")
	}
}

func TestResultOf(t *testing.T) {
	t.Parallel()
	cases := []struct {
		script string
		want   sdk.ExitResult
	}{
		{"exit 0", sdk.ExitResult{}},
		{"exit 4", sdk.ExitResult{ExitCode: 4}},
		{"kill -TERM $$", sdk.ExitResult{ExitCode: 143, Signal: 15}},
	}
	for _, tc := range cases {
		t.Run(tc.script, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command("/bin/sh", "-c", tc.script)
			_ = cmd.Run()
			if got := taskproc.ResultOf(cmd.ProcessState); !reflect.DeepEqual(*got, tc.want) {
				t.Errorf("ResultOf = %+v, want %+v", *got, tc.want)
			}
		})
	}
}

func TestEnv(t *testing.T) {
	t.Parallel()
	got := taskproc.Env(map[string]string{"B": "2", "A": "1"})
	want := []string{"A=1", "B=2", "PATH=" + taskproc.DefaultPath}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Env = %q, want %q", got, want)
	}
	if got := taskproc.Env(map[string]string{"PATH": "/x"}); !reflect.DeepEqual(got, []string{"PATH=/x"}) {
		t.Errorf("Env keeps the task's PATH: got %q", got)
	}
}
