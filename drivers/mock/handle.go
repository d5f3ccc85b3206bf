package mock

import (
	"sync"
	"syscall"
	"time"

	"github.com/orch-dev/orch/drivers/sdk"
)

// defaultKillSignal is what StopTask sends when the task names none, as
// Nomad's kill_signal default.
const defaultKillSignal = "SIGINT"

// signalNumbers maps the signal names a jobspec may use to the numbers an
// ExitResult reports.
var signalNumbers = map[string]int{
	"SIGHUP":  int(syscall.SIGHUP),
	"SIGINT":  int(syscall.SIGINT),
	"SIGQUIT": int(syscall.SIGQUIT),
	"SIGKILL": int(syscall.SIGKILL),
	"SIGUSR1": int(syscall.SIGUSR1),
	"SIGUSR2": int(syscall.SIGUSR2),
	"SIGTERM": int(syscall.SIGTERM),
}

// stopRequest asks a running task to end: it obeys signal after the task's
// kill_after, unless timeout passes first and it is killed.
type stopRequest struct {
	signal  string
	timeout time.Duration
}

// taskHandle is one simulated task. Its life is a single goroutine (run)
// that ends by closing doneCh once result is set.
type taskHandle struct {
	cfg       *sdk.TaskConfig
	tc        *taskConfig
	startedAt time.Time

	stopCh chan stopRequest
	killCh chan struct{}
	doneCh chan struct{}

	killOnce sync.Once
	mu       sync.Mutex
	result   *sdk.ExitResult
	endedAt  time.Time
}

func newTaskHandle(cfg *sdk.TaskConfig, tc *taskConfig) *taskHandle {
	return &taskHandle{
		cfg:       cfg,
		tc:        tc,
		startedAt: time.Now(),
		stopCh:    make(chan stopRequest, 1),
		killCh:    make(chan struct{}),
		doneCh:    make(chan struct{}),
	}
}

func (h *taskHandle) run() {
	var expired <-chan time.Time
	if !h.tc.runForever {
		t := time.NewTimer(h.tc.runFor)
		defer t.Stop()
		expired = t.C
	}
	select {
	case <-expired:
		h.exit(&sdk.ExitResult{ExitCode: h.tc.exitCode, Signal: h.tc.exitSignal})
	case <-h.killCh:
		h.exit(&sdk.ExitResult{Signal: int(syscall.SIGKILL)})
	case req := <-h.stopCh:
		h.obeyStop(req)
	}
}

// obeyStop simulates a process that takes kill_after to handle the stop
// signal and is killed when that exceeds the stop timeout.
func (h *taskHandle) obeyStop(req stopRequest) {
	grace, killed := h.tc.killAfter, false
	if grace >= req.timeout {
		grace, killed = req.timeout, true
	}
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-t.C:
	case <-h.killCh:
		killed = true
	}
	if killed {
		h.exit(&sdk.ExitResult{Signal: int(syscall.SIGKILL)})
		return
	}
	h.exit(&sdk.ExitResult{Signal: signalNumbers[req.signal]})
}

func (h *taskHandle) exit(res *sdk.ExitResult) {
	h.mu.Lock()
	h.result = res
	h.endedAt = time.Now()
	h.mu.Unlock()
	close(h.doneCh)
}

// stop delivers a stop request; a second request while one is pending is
// dropped because the first already decides how the task ends.
func (h *taskHandle) stop(signal string, timeout time.Duration) {
	if signal == "" {
		signal = defaultKillSignal
	}
	select {
	case h.stopCh <- stopRequest{signal: signal, timeout: timeout}:
	default:
	}
}

func (h *taskHandle) kill() {
	h.killOnce.Do(func() { close(h.killCh) })
}

func (h *taskHandle) exited() bool {
	select {
	case <-h.doneCh:
		return true
	default:
		return false
	}
}

func (h *taskHandle) status() *sdk.TaskStatus {
	st := &sdk.TaskStatus{
		ID:        h.cfg.ID,
		Name:      h.cfg.Name,
		State:     sdk.TaskStateRunning,
		StartedAt: h.startedAt,
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.result != nil {
		st.State = sdk.TaskStateExited
		st.CompletedAt = h.endedAt
		res := *h.result
		st.ExitResult = &res
	}
	return st
}
