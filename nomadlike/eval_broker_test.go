package nomadlike

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// loopsTestLogger routes a component's logs to the test's output.
func loopsTestLogger(t *testing.T) hclog.Logger {
	t.Helper()
	return hclog.New(&hclog.LoggerOptions{
		Name:   t.Name(),
		Level:  hclog.Debug,
		Output: loopsTestWriter{t},
	})
}

type loopsTestWriter struct{ t *testing.T }

func (w loopsTestWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}

// loopsWaitFor polls cond until it holds or the deadline passes.
func loopsWaitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// fakeBrokerClock is a Clock that moves only when told to.
type fakeBrokerClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []fakeClockWaiter
}

type fakeClockWaiter struct {
	at time.Time
	ch chan time.Time
}

func newFakeBrokerClock() *fakeBrokerClock {
	return &fakeBrokerClock{now: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
}

func (c *fakeBrokerClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeBrokerClock) At(t time.Time) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if !t.After(c.now) {
		ch <- c.now
		return ch
	}
	c.waiters = append(c.waiters, fakeClockWaiter{at: t, ch: ch})
	return ch
}

func (c *fakeBrokerClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if w.at.After(c.now) {
			kept = append(kept, w)
			continue
		}
		w.ch <- c.now
	}
	c.waiters = kept
}

// newTestBroker returns an enabled broker with no nack delays, so tests
// see redeliveries at once.
func newTestBroker(t *testing.T, nackTimeout time.Duration, limit int) *EvalBroker {
	t.Helper()
	b := NewEvalBroker(nackTimeout, limit)
	b.SetNackDelays(0, 0)
	b.SetEnabled(true)
	t.Cleanup(func() { b.SetEnabled(false) })
	return b
}

func evalWith(job string, priority int) *structs.Evaluation {
	e := mock.Eval()
	e.JobID = job
	e.Priority = priority
	return e
}

// mustDequeue dequeues with a generous timeout and fails on nothing.
func mustDequeue(t *testing.T, b *EvalBroker, schedulers ...string) (*structs.Evaluation, string) {
	t.Helper()
	if len(schedulers) == 0 {
		schedulers = DefaultWorkerSchedulers
	}
	e, token, err := b.Dequeue(schedulers, 2*time.Second)
	if err != nil {
		t.Fatalf("dequeue: %v", err)
	}
	if e == nil {
		t.Fatal("dequeue: nothing ready")
	}
	return e, token
}

// mustBeEmpty asserts nothing is ready for the schedulers.
func mustBeEmpty(t *testing.T, b *EvalBroker, schedulers ...string) {
	t.Helper()
	if len(schedulers) == 0 {
		schedulers = DefaultWorkerSchedulers
	}
	e, _, err := b.Dequeue(schedulers, 10*time.Millisecond)
	if err != nil {
		t.Fatalf("dequeue: %v", err)
	}
	if e != nil {
		t.Fatalf("dequeue: got eval %s (job %s), want nothing ready", e.ID, e.JobID)
	}
}

func TestEvalBroker_PriorityThenFIFO(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		priorities []int
		types      []string
		wantOrder  []int // indexes into priorities
	}{
		{"higher priority first", []int{30, 80, 50}, nil, []int{1, 2, 0}},
		{"fifo within a priority", []int{50, 50, 50}, nil, []int{0, 1, 2}},
		{"mixed", []int{50, 70, 50, 70}, nil, []int{1, 3, 0, 2}},
		{"across scheduler types", []int{50, 90, 50}, []string{"batch", "service", "service"}, []int{1, 0, 2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := newTestBroker(t, time.Minute, 3)
			evals := make([]*structs.Evaluation, len(tc.priorities))
			for i, p := range tc.priorities {
				evals[i] = evalWith(mock.Eval().JobID, p)
				if tc.types != nil {
					evals[i].Type = tc.types[i]
				}
				b.Enqueue(evals[i])
			}
			for _, want := range tc.wantOrder {
				got, _ := mustDequeue(t, b)
				if got.ID != evals[want].ID {
					t.Fatalf("dequeued priority %d (%s), want eval %d with priority %d",
						got.Priority, got.ID, want, evals[want].Priority)
				}
			}
			mustBeEmpty(t, b)
		})
	}
}

func TestEvalBroker_SchedulerFilter(t *testing.T) {
	t.Parallel()
	b := newTestBroker(t, time.Minute, 3)
	e := mock.Eval()
	e.Type = structs.JobTypeBatch
	b.Enqueue(e)
	mustBeEmpty(t, b, structs.JobTypeService)
	got, _ := mustDequeue(t, b, structs.JobTypeBatch)
	if got.ID != e.ID {
		t.Fatalf("got %s, want %s", got.ID, e.ID)
	}
}

func TestEvalBroker_OneEvalPerJobInFlight(t *testing.T) {
	t.Parallel()
	b := newTestBroker(t, time.Minute, 3)
	first := evalWith("web", 50)
	second := evalWith("web", 50)
	other := evalWith("api", 50)
	b.Enqueue(first)
	b.Enqueue(second)
	b.Enqueue(other)

	got, token := mustDequeue(t, b)
	if got.ID != first.ID {
		t.Fatalf("got %s, want first eval of web", got.JobID)
	}
	got2, token2 := mustDequeue(t, b)
	if got2.ID != other.ID {
		t.Fatalf("got eval of job %s, want api: web already has one in flight", got2.JobID)
	}
	mustBeEmpty(t, b)
	if s := b.Stats(); s.TotalPending != 1 {
		t.Fatalf("pending = %d, want 1", s.TotalPending)
	}

	if err := b.Ack(first.ID, token); err != nil {
		t.Fatalf("ack: %v", err)
	}
	got3, _ := mustDequeue(t, b)
	if got3.ID != second.ID {
		t.Fatalf("got %s, want second eval of web after the first was acked", got3.ID)
	}
	if err := b.Ack(other.ID, token2); err != nil {
		t.Fatalf("ack: %v", err)
	}
}

func TestEvalBroker_NewerEvalSupersedesPending(t *testing.T) {
	t.Parallel()
	b := newTestBroker(t, time.Minute, 3)
	inFlight := evalWith("web", 50)
	inFlight.CreateIndex = 10
	older := evalWith("web", 50)
	older.CreateIndex = 11
	newer := evalWith("web", 50)
	newer.CreateIndex = 12
	stale := evalWith("web", 50)
	stale.CreateIndex = 9

	b.Enqueue(inFlight)
	_, token := mustDequeue(t, b)
	b.Enqueue(older)
	b.Enqueue(newer)
	b.Enqueue(stale) // arrives late but was created first: superseded too

	select {
	case <-b.CancelableCh():
	default:
		t.Fatal("cancelable channel not signalled")
	}
	cancelled := map[string]bool{}
	for _, e := range b.Cancelable(0) {
		cancelled[e.ID] = true
	}
	if len(cancelled) != 2 || !cancelled[older.ID] || !cancelled[stale.ID] {
		t.Fatalf("cancelled %v, want the older and the stale eval", cancelled)
	}
	if err := b.Ack(inFlight.ID, token); err != nil {
		t.Fatalf("ack: %v", err)
	}
	got, _ := mustDequeue(t, b)
	if got.ID != newer.ID {
		t.Fatalf("got eval with create index %d, want the newest (12)", got.CreateIndex)
	}
	mustBeEmpty(t, b)
}

func TestEvalBroker_AckNackTokens(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		op      func(b *EvalBroker, id, token string) error
		id      func(id string) string
		token   func(token string) string
		wantErr error
	}{
		{"ack wrong token", (*EvalBroker).Ack, same, wrong, ErrTokenMismatch},
		{"nack wrong token", (*EvalBroker).Nack, same, wrong, ErrTokenMismatch},
		{"reset wrong token", (*EvalBroker).OutstandingReset, same, wrong, ErrTokenMismatch},
		{"ack unknown eval", (*EvalBroker).Ack, wrong, same, ErrNotOutstanding},
		{"nack unknown eval", (*EvalBroker).Nack, wrong, same, ErrNotOutstanding},
		{"ack", (*EvalBroker).Ack, same, same, nil},
		{"nack", (*EvalBroker).Nack, same, same, nil},
		{"reset", (*EvalBroker).OutstandingReset, same, same, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := newTestBroker(t, time.Minute, 3)
			b.Enqueue(mock.Eval())
			e, token := mustDequeue(t, b)
			err := tc.op(b, tc.id(e.ID), tc.token(token))
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
		})
	}
}

func same(s string) string  { return s }
func wrong(s string) string { return s + "-wrong" }

func TestEvalBroker_NackRedeliversWithNewToken(t *testing.T) {
	t.Parallel()
	b := newTestBroker(t, time.Minute, 3)
	e := mock.Eval()
	b.Enqueue(e)
	_, token := mustDequeue(t, b)
	if got, ok := b.Outstanding(e.ID); !ok || got != token {
		t.Fatalf("outstanding = %q, %v; want %q, true", got, ok, token)
	}
	if err := b.Nack(e.ID, token); err != nil {
		t.Fatalf("nack: %v", err)
	}
	if _, ok := b.Outstanding(e.ID); ok {
		t.Fatal("eval still outstanding after nack")
	}
	again, token2 := mustDequeue(t, b)
	if again.ID != e.ID || token2 == token {
		t.Fatalf("redelivered %s with token %q, want %s with a new token", again.ID, token2, e.ID)
	}
	if err := b.Ack(e.ID, token); !errors.Is(err, ErrTokenMismatch) {
		t.Fatalf("ack with the first delivery's token: err = %v, want ErrTokenMismatch", err)
	}
}

func TestEvalBroker_NackDelay(t *testing.T) {
	t.Parallel()
	b := newTestBroker(t, time.Minute, 3)
	b.SetNackDelays(50*time.Millisecond, time.Hour)
	e := mock.Eval()
	b.Enqueue(e)
	_, token := mustDequeue(t, b)
	if err := b.Nack(e.ID, token); err != nil {
		t.Fatalf("nack: %v", err)
	}
	if s := b.Stats(); s.TotalWaiting != 1 || s.TotalReady != 0 {
		t.Fatalf("after nack: waiting %d ready %d, want 1 and 0", s.TotalWaiting, s.TotalReady)
	}
	got, token := mustDequeue(t, b)
	if got.ID != e.ID {
		t.Fatalf("got %s, want %s after the initial nack delay", got.ID, e.ID)
	}
	if err := b.Nack(e.ID, token); err != nil {
		t.Fatalf("nack: %v", err)
	}
	mustBeEmpty(t, b) // the subsequent delay is an hour
}

func TestEvalBroker_RedeliveryAfterNackTimeout(t *testing.T) {
	t.Parallel()
	b := newTestBroker(t, 50*time.Millisecond, 3)
	e := mock.Eval()
	b.Enqueue(e)
	_, token := mustDequeue(t, b)

	// The worker went silent: the broker takes the eval back by itself.
	loopsWaitFor(t, 5*time.Second, "nack timeout", func() bool {
		_, ok := b.Outstanding(e.ID)
		return !ok
	})
	again, token2 := mustDequeue(t, b)
	if again.ID != e.ID || token2 == token {
		t.Fatalf("redelivered %s/%s, want %s with a new token", again.ID, token2, e.ID)
	}
	if err := b.Ack(e.ID, token2); err != nil {
		t.Fatalf("ack of the redelivery: %v", err)
	}
}

func TestEvalBroker_OutstandingResetPostponesNackTimeout(t *testing.T) {
	t.Parallel()
	const nackTimeout = 600 * time.Millisecond
	b := newTestBroker(t, nackTimeout, 3)
	e := mock.Eval()
	b.Enqueue(e)
	_, token := mustDequeue(t, b)

	// Keep the eval alive well past one nack timeout.
	start := time.Now()
	for time.Since(start) < nackTimeout+150*time.Millisecond {
		<-time.After(nackTimeout / 3)
		if err := b.OutstandingReset(e.ID, token); err != nil {
			t.Fatalf("reset after %s: %v", time.Since(start), err)
		}
	}
	if err := b.Ack(e.ID, token); err != nil {
		t.Fatalf("ack: %v", err)
	}
}

func TestEvalBroker_DeliveryLimitMovesToFailedQueue(t *testing.T) {
	t.Parallel()
	const limit = 2
	b := newTestBroker(t, time.Minute, limit)
	e := mock.Eval()
	b.Enqueue(e)
	for i := 0; i < limit; i++ {
		got, token := mustDequeue(t, b)
		if err := b.Nack(got.ID, token); err != nil {
			t.Fatalf("nack %d: %v", i, err)
		}
	}
	mustBeEmpty(t, b)
	if s := b.Stats(); s.ByScheduler[FailedQueue] == nil || s.ByScheduler[FailedQueue].Ready != 1 {
		t.Fatalf("failed queue stats = %+v, want one ready", s.ByScheduler[FailedQueue])
	}

	// The job stays serialized while its eval is failed.
	later := evalWith(e.JobID, e.Priority)
	b.Enqueue(later)
	mustBeEmpty(t, b)

	failed, token := mustDequeue(t, b, FailedQueue)
	if failed.ID != e.ID {
		t.Fatalf("failed queue gave %s, want %s", failed.ID, e.ID)
	}
	if err := b.Ack(failed.ID, token); err != nil {
		t.Fatalf("ack failed eval: %v", err)
	}
	got, _ := mustDequeue(t, b)
	if got.ID != later.ID {
		t.Fatalf("got %s, want the job's next eval once the failed one is acked", got.ID)
	}
}

func TestEvalBroker_DelayedEvalReadyAtWaitUntil(t *testing.T) {
	t.Parallel()
	b := NewEvalBroker(time.Minute, 3)
	clock := newFakeBrokerClock()
	b.SetClock(clock)
	b.SetEnabled(true)
	t.Cleanup(func() { b.SetEnabled(false) })

	e := mock.Eval()
	e.WaitUntil = clock.Now().Add(10 * time.Second)
	b.Enqueue(e)
	if s := b.Stats(); s.TotalDelayed != 1 {
		t.Fatalf("delayed = %d, want 1", s.TotalDelayed)
	}
	mustBeEmpty(t, b)

	clock.Advance(9 * time.Second)
	mustBeEmpty(t, b)

	clock.Advance(time.Second)
	got, _ := mustDequeue(t, b)
	if got.ID != e.ID {
		t.Fatalf("got %s, want the delayed eval", got.ID)
	}
}

func TestEvalBroker_Disabled(t *testing.T) {
	t.Parallel()
	t.Run("rejects dequeue and ignores enqueue", func(t *testing.T) {
		t.Parallel()
		b := NewEvalBroker(time.Minute, 3)
		b.Enqueue(mock.Eval())
		if _, _, err := b.Dequeue(DefaultWorkerSchedulers, 10*time.Millisecond); !errors.Is(err, ErrBrokerDisabled) {
			t.Fatalf("err = %v, want ErrBrokerDisabled", err)
		}
		b.SetEnabled(true)
		defer b.SetEnabled(false)
		mustBeEmpty(t, b)
	})
	t.Run("disabling wakes a blocked dequeue and flushes", func(t *testing.T) {
		t.Parallel()
		b := NewEvalBroker(time.Minute, 3)
		b.SetEnabled(true)
		held := mock.Eval()
		b.Enqueue(held)
		_, token := mustDequeue(t, b)

		errCh := make(chan error, 1)
		go func() {
			_, _, err := b.Dequeue(DefaultWorkerSchedulers, 0)
			errCh <- err
		}()
		b.SetEnabled(false)
		if err := <-errCh; !errors.Is(err, ErrBrokerDisabled) {
			t.Fatalf("blocked dequeue err = %v, want ErrBrokerDisabled", err)
		}
		if err := b.Ack(held.ID, token); !errors.Is(err, ErrNotOutstanding) {
			t.Fatalf("ack after flush: err = %v, want ErrNotOutstanding", err)
		}
		if s := b.Stats(); s.TotalUnacked != 0 || s.TotalReady != 0 {
			t.Fatalf("stats after disable = %+v, want empty", s)
		}
	})
}

func TestEvalBroker_EnqueueAllWithToken(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		settle    func(b *EvalBroker, id, token string) error
		wantAgain bool
	}{
		{"released on ack", (*EvalBroker).Ack, true},
		{"dropped on nack", (*EvalBroker).Nack, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := newTestBroker(t, time.Minute, 3)
			e := mock.Eval()
			b.Enqueue(e)
			_, token := mustDequeue(t, b)

			rewritten := *e
			rewritten.Status = structs.EvalStatusPending
			b.EnqueueAll(map[*structs.Evaluation]string{&rewritten: token})
			mustBeEmpty(t, b)

			if err := tc.settle(b, e.ID, token); err != nil {
				t.Fatalf("settle: %v", err)
			}
			if !tc.wantAgain {
				// The nack itself redelivers the original eval, once.
				got, token := mustDequeue(t, b)
				if got != e {
					t.Fatal("nack redelivered the re-enqueued copy, want the original")
				}
				_ = b.Ack(got.ID, token)
				mustBeEmpty(t, b)
				return
			}
			got, _ := mustDequeue(t, b)
			if got != &rewritten {
				t.Fatal("want the re-enqueued eval after the ack")
			}
		})
	}
}

func TestEvalBroker_Stats(t *testing.T) {
	t.Parallel()
	b := newTestBroker(t, time.Minute, 3)
	b.Enqueue(evalWith("a", 50))
	b.Enqueue(evalWith("a", 50))
	batch := evalWith("b", 50)
	batch.Type = structs.JobTypeBatch
	b.Enqueue(batch)
	mustDequeue(t, b, structs.JobTypeBatch)

	s := b.Stats()
	if s.TotalReady != 1 || s.TotalUnacked != 1 || s.TotalPending != 1 {
		t.Fatalf("stats = %+v, want 1 ready, 1 unacked, 1 pending", s)
	}
	if s.ByScheduler[structs.JobTypeService].Ready != 1 || s.ByScheduler[structs.JobTypeBatch].Unacked != 1 {
		t.Fatalf("by scheduler = service %+v batch %+v", s.ByScheduler["service"], s.ByScheduler["batch"])
	}
}

// TestEvalBroker_Scenarios replays the scripts in testdata/broker. Each
// step is a command, a "----" line, and the expected output up to a blank
// line. Commands:
//
//	enqueue <id> job=<job> [prio=N] [type=T] [create=N] [wait=D]
//	dequeue [types=a,b]        prints "<id> job=<job> delivery=N" or "none"
//	ack|nack|reset <id> [token=stale]
//	advance <duration>         moves the fake clock
//	stats | cancelable | enable | disable
func TestEvalBroker_Scenarios(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join("testdata", "broker", "*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenario files: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			t.Parallel()
			s := &brokerScenario{
				b:      NewEvalBroker(time.Hour, 3),
				clock:  newFakeBrokerClock(),
				tokens: map[string]string{},
			}
			s.b.SetNackDelays(0, 0)
			s.b.SetClock(s.clock)
			s.b.SetEnabled(true)
			defer s.b.SetEnabled(false)
			for _, step := range readScenarioSteps(t, file) {
				if got := s.run(t, step.cmd); got != step.want {
					t.Fatalf("%s:%d: %s\ngot:\n%s\nwant:\n%s", file, step.line, step.cmd, got, step.want)
				}
			}
		})
	}
}

type scenarioStep struct {
	line      int
	cmd, want string
}

func readScenarioSteps(t *testing.T, file string) []scenarioStep {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("read scenario: %v", err)
	}
	var steps []scenarioStep
	lines := strings.Split(string(data), "\n")
	for i := 0; i < len(lines); i++ {
		line := strings.TrimSpace(lines[i])
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		step := scenarioStep{line: i + 1, cmd: line}
		if i+1 >= len(lines) || strings.TrimSpace(lines[i+1]) != "----" {
			t.Fatalf("%s:%d: command without a ---- line", file, i+1)
		}
		var want []string
		for i += 2; i < len(lines) && strings.TrimSpace(lines[i]) != ""; i++ {
			want = append(want, strings.TrimSpace(lines[i]))
		}
		step.want = strings.Join(want, "\n")
		steps = append(steps, step)
	}
	return steps
}

type brokerScenario struct {
	b      *EvalBroker
	clock  *fakeBrokerClock
	tokens map[string]string
}

func (s *brokerScenario) run(t *testing.T, cmd string) string {
	t.Helper()
	fields := strings.Fields(cmd)
	args := map[string]string{}
	for _, f := range fields[1:] {
		if k, v, ok := strings.Cut(f, "="); ok {
			args[k] = v
		}
	}
	switch fields[0] {
	case "enqueue":
		s.b.Enqueue(scenarioEval(t, fields[1], args, s.clock.Now()))
		return ""
	case "dequeue":
		types := DefaultWorkerSchedulers
		if v, ok := args["types"]; ok {
			types = strings.Split(v, ",")
		}
		e, token, err := s.b.Dequeue(types, 10*time.Millisecond)
		if err != nil {
			return err.Error()
		}
		if e == nil {
			return "none"
		}
		s.tokens[e.ID] = token
		s.b.mu.Lock()
		n := s.b.deliveries[e.ID]
		s.b.mu.Unlock()
		return fmt.Sprintf("%s job=%s delivery=%d", e.ID, e.JobID, n)
	case "ack", "nack", "reset":
		op := map[string]func(string, string) error{
			"ack": s.b.Ack, "nack": s.b.Nack, "reset": s.b.OutstandingReset,
		}[fields[0]]
		token := s.tokens[fields[1]]
		if args["token"] == "stale" {
			token = "stale"
		}
		if err := op(fields[1], token); err != nil {
			return err.Error()
		}
		return "ok"
	case "advance":
		d, err := time.ParseDuration(fields[1])
		if err != nil {
			t.Fatalf("advance: %v", err)
		}
		s.clock.Advance(d)
		loopsWaitFor(t, 5*time.Second, "delayed evals to be promoted", s.noneDue)
		return ""
	case "stats":
		st := s.b.Stats()
		return fmt.Sprintf("ready=%d unacked=%d pending=%d delayed=%d waiting=%d cancelable=%d",
			st.TotalReady, st.TotalUnacked, st.TotalPending, st.TotalDelayed, st.TotalWaiting, st.TotalCancelable)
	case "cancelable":
		var ids []string
		for _, e := range s.b.Cancelable(0) {
			ids = append(ids, e.ID)
		}
		if len(ids) == 0 {
			return "none"
		}
		sort.Strings(ids)
		return strings.Join(ids, " ")
	case "enable", "disable":
		s.b.SetEnabled(fields[0] == "enable")
		return ""
	}
	t.Fatalf("unknown scenario command %q", fields[0])
	return ""
}

// noneDue reports whether the delay loop has promoted every due eval.
func (s *brokerScenario) noneDue() bool {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	return s.b.delayed.Len() == 0 || s.b.delayed[0].eval.WaitUntil.After(s.clock.Now())
}

func scenarioEval(t *testing.T, id string, args map[string]string, now time.Time) *structs.Evaluation {
	t.Helper()
	e := &structs.Evaluation{
		ID: id, Namespace: structs.DefaultNamespace, JobID: args["job"],
		Type: structs.JobTypeService, Priority: structs.JobDefaultPriority,
		Status: structs.EvalStatusPending,
	}
	if v, ok := args["type"]; ok {
		e.Type = v
	}
	var err error
	if v, ok := args["prio"]; ok {
		if e.Priority, err = strconv.Atoi(v); err != nil {
			t.Fatalf("enqueue %s: prio: %v", id, err)
		}
	}
	if v, ok := args["create"]; ok {
		if e.CreateIndex, err = strconv.ParseUint(v, 10, 64); err != nil {
			t.Fatalf("enqueue %s: create: %v", id, err)
		}
	}
	if v, ok := args["wait"]; ok {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("enqueue %s: wait: %v", id, err)
		}
		e.WaitUntil = now.Add(d)
	}
	return e
}

// BenchmarkEvalBroker_EnqueueDequeueAck is one evaluation's round trip
// through the broker.
func BenchmarkEvalBroker_EnqueueDequeueAck(b *testing.B) {
	broker := NewEvalBroker(time.Minute, 3)
	broker.SetEnabled(true)
	defer broker.SetEnabled(false)
	for b.Loop() {
		broker.Enqueue(mock.Eval())
		e, token, err := broker.Dequeue(DefaultWorkerSchedulers, time.Second)
		if err != nil || e == nil {
			b.Fatalf("dequeue: %v", err)
		}
		if err := broker.Ack(e.ID, token); err != nil {
			b.Fatalf("ack: %v", err)
		}
	}
}
