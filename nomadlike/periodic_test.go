package nomadlike

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-memdb"

	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/state"
	"github.com/orch-dev/orch/nomadlike/structs"
)

func cronConfig(tz string, specs ...string) *structs.PeriodicConfig {
	return &structs.PeriodicConfig{Enabled: true, Specs: specs, SpecType: structs.PeriodicSpecCron, TimeZone: tz}
}

func TestPeriodicConfigNext(t *testing.T) {
	t.Parallel()
	utc := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	cases := []struct {
		name string
		cfg  *structs.PeriodicConfig
		from string
		// want are the next launches in turn, in UTC; empty: never.
		want []string
	}{
		{name: "daily in UTC", cfg: cronConfig("UTC", "0 6 * * *"), from: "2024-03-09T12:00:00Z",
			want: []string{"2024-03-10T06:00:00Z", "2024-03-11T06:00:00Z"}},
		{name: "unset zone is UTC", cfg: cronConfig("", "0 6 * * *"), from: "2024-03-09T12:00:00Z",
			want: []string{"2024-03-10T06:00:00Z"}},
		{name: "wall time follows the zone's offset across spring forward", cfg: cronConfig("America/New_York", "0 6 * * *"),
			from: "2024-03-09T12:00:00Z", want: []string{"2024-03-10T10:00:00Z", "2024-03-11T10:00:00Z"}},
		{name: "a time skipped by spring forward does not fire that day", cfg: cronConfig("America/New_York", "30 2 * * *"),
			from: "2024-03-09T12:00:00Z", want: []string{"2024-03-11T06:30:00Z", "2024-03-12T06:30:00Z"}},
		{name: "a time repeated by fall back fires twice", cfg: cronConfig("America/New_York", "30 1 * * *"),
			from: "2024-11-03T04:00:00Z", want: []string{"2024-11-03T05:30:00Z", "2024-11-03T06:30:00Z", "2024-11-04T06:30:00Z"}},
		{name: "half-hour offset zone", cfg: cronConfig("Asia/Kolkata", "0 9 * * 1-5"),
			from: "2024-06-07T04:00:00Z", want: []string{"2024-06-10T03:30:00Z", "2024-06-11T03:30:00Z"}},
		{name: "earliest of several crons", cfg: cronConfig("UTC", "0 12 * * *", "*/20 * * * *"),
			from: "2024-01-01T11:50:00Z", want: []string{"2024-01-01T12:00:00Z", "2024-01-01T12:20:00Z"}},
		{name: "older single spec with crons", cfg: &structs.PeriodicConfig{Enabled: true, Spec: "@hourly", Specs: []string{"15 * * * *"}, SpecType: "cron"},
			from: "2024-01-01T00:00:00Z", want: []string{"2024-01-01T00:15:00Z", "2024-01-01T01:00:00Z"}},
		{name: "february 30 never fires", cfg: cronConfig("UTC", "0 0 30 2 *"), from: "2024-01-01T00:00:00Z"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			at := utc(tc.from)
			for i, w := range tc.want {
				at = tc.cfg.Next(at)
				if !at.Equal(utc(w)) {
					t.Fatalf("launch %d: got %s, want %s", i, at.UTC().Format(time.RFC3339), w)
				}
			}
			if len(tc.want) == 0 && !tc.cfg.Next(at).IsZero() {
				t.Fatalf("got a launch at %s, want none", tc.cfg.Next(at))
			}
		})
	}
}

func TestPeriodicDue(t *testing.T) {
	t.Parallel()
	base := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	hourly := cronConfig("UTC", "0 * * * *")
	cases := []struct {
		name     string
		cfg      *structs.PeriodicConfig
		now      time.Time
		wantDue  time.Time // zero: nothing due
		wantNext time.Time
	}{
		{name: "before the first launch", cfg: hourly, now: base.Add(59 * time.Minute),
			wantNext: base.Add(time.Hour)},
		{name: "at the launch time", cfg: hourly, now: base.Add(time.Hour),
			wantDue: base.Add(time.Hour), wantNext: base.Add(2 * time.Hour)},
		{name: "one launch missed by a little", cfg: hourly, now: base.Add(time.Hour + 30*time.Minute),
			wantDue: base.Add(time.Hour), wantNext: base.Add(2 * time.Hour)},
		{name: "many missed launch once, now", cfg: hourly, now: base.Add(5*time.Hour + 10*time.Minute + 500*time.Millisecond),
			wantDue: base.Add(5*time.Hour + 10*time.Minute), wantNext: base.Add(6 * time.Hour)},
		{name: "never fires", cfg: cronConfig("UTC", "0 0 30 2 *"), now: base.Add(time.Hour)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			due, ok, next := periodicDue(tc.cfg, base, tc.now)
			if ok != !tc.wantDue.IsZero() || !due.Equal(tc.wantDue) || !next.Equal(tc.wantNext) {
				t.Fatalf("got due %v (%v) next %v, want due %v next %v", due, ok, next, tc.wantDue, tc.wantNext)
			}
		})
	}
}

// periodicHarness is a dispatcher over a real store at a fake clock; its
// launches write the child as the Raft entry would.
type periodicHarness struct {
	t     *testing.T
	clock *fakeBrokerClock
	st    *state.StateStore
	mu    sync.Mutex
	index uint64
}

func newPeriodicHarness(t *testing.T) *periodicHarness {
	t.Helper()
	st, err := state.NewStateStore(hclog.NewNullLogger())
	if err != nil {
		t.Fatal(err)
	}
	return &periodicHarness{t: t, clock: newFakeBrokerClock(), st: st, index: 100}
}

func (h *periodicHarness) nextIndex() uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.index++
	return h.index
}

func (h *periodicHarness) dispatcher() *periodicDispatcher {
	return newPeriodicDispatcher(hclog.NewNullLogger(), h.clock, func() *state.StateStore { return h.st }, h.launch)
}

func (h *periodicHarness) launch(child *structs.Job, trigger string) (*childLaunch, error) {
	child.SubmitTime = h.clock.Now().UnixNano()
	eval := mock.EvalFor(child)
	eval.TriggeredBy = trigger
	idx := h.nextIndex()
	if err := h.st.UpsertJobWithEvals(idx, child, []*structs.Evaluation{eval}); err != nil {
		return nil, err
	}
	return &childLaunch{JobID: child.ID, EvalID: eval.ID, Index: idx, JobCreateAt: idx}, nil
}

// register stores a periodic job submitted at the clock's time.
func (h *periodicHarness) register(cfg *structs.PeriodicConfig) *structs.Job {
	h.t.Helper()
	job := mock.BatchJob()
	job.Periodic = cfg
	job.SubmitTime = h.clock.Now().UnixNano()
	if err := h.st.UpsertJob(h.nextIndex(), job); err != nil {
		h.t.Fatal(err)
	}
	return job
}

// children lists the periodic children of job, sorted.
func (h *periodicHarness) children(job *structs.Job) []string {
	h.t.Helper()
	jobs, err := h.st.Jobs(nil, job.Namespace, job.ID+structs.PeriodicLaunchSuffix)
	if err != nil {
		h.t.Fatal(err)
	}
	var ids []string
	for _, j := range jobs {
		ids = append(ids, j.ID)
	}
	sort.Strings(ids)
	return ids
}

// finish marks every evaluation of the child complete, so it is dead.
func (h *periodicHarness) finish(childID string) {
	h.t.Helper()
	evals, err := h.st.EvalsByJob(nil, structs.DefaultNamespace, childID)
	if err != nil {
		h.t.Fatal(err)
	}
	for _, e := range evals {
		done := e.Copy()
		done.Status = structs.EvalStatusComplete
		if err := h.st.UpsertEvals(h.nextIndex(), []*structs.Evaluation{done}); err != nil {
			h.t.Fatal(err)
		}
	}
}

func (h *periodicHarness) pass(d *periodicDispatcher) time.Time {
	h.t.Helper()
	wake, err := d.pass(memdb.NewWatchSet(), h.st)
	if err != nil {
		h.t.Fatal(err)
	}
	return wake
}

func childIDs(job *structs.Job, at ...time.Time) []string {
	var ids []string
	for _, t := range at {
		ids = append(ids, structs.PeriodicChildID(job.ID, t))
	}
	sort.Strings(ids)
	return ids
}

func TestPeriodicDispatcher_Scenarios(t *testing.T) {
	t.Parallel()
	start := newFakeBrokerClock().Now() // 2030-01-01T00:00:00Z
	at := func(d time.Duration) time.Time { return start.Add(d) }
	cases := []struct {
		name string
		run  func(t *testing.T, h *periodicHarness) (job *structs.Job, want []string)
	}{
		{name: "launches at each cron time, not before", run: func(t *testing.T, h *periodicHarness) (*structs.Job, []string) {
			job := h.register(cronConfig("UTC", "*/15 * * * *"))
			d := h.dispatcher()
			if wake := h.pass(d); !wake.Equal(at(15 * time.Minute)) {
				t.Fatalf("wake %v, want %v", wake, at(15*time.Minute))
			}
			h.clock.Advance(15*time.Minute - time.Second)
			h.pass(d)
			if got := h.children(job); len(got) != 0 {
				t.Fatalf("launched early: %v", got)
			}
			h.clock.Advance(time.Second)
			h.pass(d)
			h.pass(d) // a second pass at the same time launches nothing more
			h.clock.Advance(15 * time.Minute)
			h.pass(d)
			return job, childIDs(job, at(15*time.Minute), at(30*time.Minute))
		}},
		{name: "time zone decides the wall time", run: func(t *testing.T, h *periodicHarness) (*structs.Job, []string) {
			job := h.register(cronConfig("Asia/Tokyo", "0 9 * * *")) // 00:00 UTC
			d := h.dispatcher()
			if wake := h.pass(d); !wake.Equal(at(24 * time.Hour)) {
				t.Fatalf("wake %v, want 09:00 Tokyo the next day", wake.UTC())
			}
			h.clock.Advance(24 * time.Hour)
			h.pass(d)
			return job, childIDs(job, at(24*time.Hour))
		}},
		{name: "prohibit_overlap skips while a child runs", run: func(t *testing.T, h *periodicHarness) (*structs.Job, []string) {
			cfg := cronConfig("UTC", "0 * * * *")
			cfg.ProhibitOverlap = true
			job := h.register(cfg)
			d := h.dispatcher()
			h.clock.Advance(time.Hour)
			h.pass(d)
			h.clock.Advance(time.Hour) // the first child still pending: skipped
			h.pass(d)
			h.finish(structs.PeriodicChildID(job.ID, at(time.Hour)))
			h.pass(d) // the skipped launch is not made up for
			h.clock.Advance(time.Hour)
			h.pass(d)
			return job, childIDs(job, at(time.Hour), at(3*time.Hour))
		}},
		{name: "overlap allowed by default", run: func(t *testing.T, h *periodicHarness) (*structs.Job, []string) {
			job := h.register(cronConfig("UTC", "0 * * * *"))
			d := h.dispatcher()
			h.clock.Advance(time.Hour)
			h.pass(d)
			h.clock.Advance(time.Hour)
			h.pass(d)
			return job, childIDs(job, at(time.Hour), at(2*time.Hour))
		}},
		{name: "a new leader does not launch again what was launched", run: func(t *testing.T, h *periodicHarness) (*structs.Job, []string) {
			job := h.register(cronConfig("UTC", "0 * * * *"))
			h.clock.Advance(time.Hour)
			h.pass(h.dispatcher())
			h.clock.Advance(30 * time.Minute)
			// Fresh dispatchers, as on each leader change, know only state.
			h.pass(h.dispatcher())
			h.pass(h.dispatcher())
			return job, childIDs(job, at(time.Hour))
		}},
		{name: "a launch due while there was no leader runs once", run: func(t *testing.T, h *periodicHarness) (*structs.Job, []string) {
			job := h.register(cronConfig("UTC", "0 * * * *"))
			h.clock.Advance(time.Hour)
			h.pass(h.dispatcher())
			h.clock.Advance(3*time.Hour + 20*time.Minute) // three launches missed
			d := h.dispatcher()
			if wake := h.pass(d); !wake.Equal(at(5 * time.Hour)) {
				t.Fatalf("wake %v, want the next hour", wake)
			}
			h.pass(d)
			return job, childIDs(job, at(time.Hour), at(4*time.Hour+20*time.Minute))
		}},
		{name: "a stopped job is no longer launched", run: func(t *testing.T, h *periodicHarness) (*structs.Job, []string) {
			job := h.register(cronConfig("UTC", "0 * * * *"))
			d := h.dispatcher()
			h.pass(d)
			stopped := job.Copy()
			stopped.Stop = true
			if err := h.st.UpsertJob(h.nextIndex(), stopped); err != nil {
				t.Fatal(err)
			}
			h.clock.Advance(time.Hour)
			if wake := h.pass(d); !wake.IsZero() {
				t.Fatalf("wake %v for a stopped job", wake)
			}
			return job, nil
		}},
		{name: "a job made non-periodic or disabled is no longer launched", run: func(t *testing.T, h *periodicHarness) (*structs.Job, []string) {
			job := h.register(cronConfig("UTC", "0 * * * *"))
			other := h.register(cronConfig("UTC", "0 * * * *"))
			d := h.dispatcher()
			h.pass(d)
			plain := job.Copy()
			plain.Periodic = nil
			disabled := other.Copy()
			disabled.Periodic.Enabled = false
			for _, j := range []*structs.Job{plain, disabled} {
				if err := h.st.UpsertJob(h.nextIndex(), j); err != nil {
					t.Fatal(err)
				}
			}
			h.clock.Advance(time.Hour)
			h.pass(d)
			if got := h.children(other); len(got) != 0 {
				t.Fatalf("disabled job launched %v", got)
			}
			return job, nil
		}},
		{name: "a forced launch stands for the scheduled one of the same second", run: func(t *testing.T, h *periodicHarness) (*structs.Job, []string) {
			job := h.register(cronConfig("UTC", "0 * * * *"))
			d := h.dispatcher()
			h.clock.Advance(10 * time.Minute)
			if _, err := d.force(job.Namespace, job.ID); err != nil {
				t.Fatal(err)
			}
			h.clock.Advance(50 * time.Minute)
			if _, err := d.force(job.Namespace, job.ID); err != nil {
				t.Fatal(err)
			}
			h.pass(d)
			return job, childIDs(job, at(10*time.Minute), at(time.Hour))
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newPeriodicHarness(t)
			job, want := tc.run(t, h)
			if got := h.children(job); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("children %v, want %v", got, want)
			}
		})
	}
}

func TestPeriodicDispatcher_ForceErrors(t *testing.T) {
	t.Parallel()
	h := newPeriodicHarness(t)
	plain := mock.BatchJob()
	if err := h.st.UpsertJob(h.nextIndex(), plain); err != nil {
		t.Fatal(err)
	}
	disabled := h.register(&structs.PeriodicConfig{Enabled: false, Specs: []string{"@daily"}, SpecType: "cron"})
	param := mock.BatchJob()
	param.Periodic = cronConfig("UTC", "@daily")
	param.ParameterizedJob = &structs.ParameterizedJobConfig{Payload: structs.DispatchPayloadOptional}
	if err := h.st.UpsertJob(h.nextIndex(), param); err != nil {
		t.Fatal(err)
	}
	cases := []struct{ name, id, want string }{
		{"missing job", "nope", `job "nope" in namespace "default": not found`},
		{"not periodic", plain.ID, "is not periodic"},
		{"disabled", disabled.ID, "are disabled (enabled = false)"},
		{"parameterized", param.ID, "is parameterized: dispatch it instead"},
	}
	d := h.dispatcher()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := d.force(structs.DefaultNamespace, tc.id)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
}

// TestPeriodicDispatcher_RunFollowsTheClock drives the loop itself: the
// timer it sets at the fake clock and the watch on the periodic jobs.
func TestPeriodicDispatcher_RunFollowsTheClock(t *testing.T) {
	t.Parallel()
	h := newPeriodicHarness(t)
	d := h.dispatcher()
	stopCh := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		d.run(stopCh)
	}()
	t.Cleanup(func() {
		close(stopCh)
		<-done
	})
	start := h.clock.Now()
	job := h.register(cronConfig("UTC", "0 * * * *")) // seen through the watch
	for i := 1; i <= 3; i++ {
		h.clock.Advance(time.Hour)
		want := structs.PeriodicChildID(job.ID, start.Add(time.Duration(i)*time.Hour))
		pollUntil(t, 5*time.Second, func() error {
			if j, _ := h.st.JobByID(nil, job.Namespace, want); j == nil {
				return fmt.Errorf("child %s not launched; have %v", want, h.children(job))
			}
			return nil
		})
	}
	if got := len(h.children(job)); got != 3 {
		t.Fatalf("%d children, want 3", got)
	}
}

// pollUntil polls cond until it returns nil, failing with its last error
// once timeout passes (nomadtest.WaitFor, which this package cannot
// import).
func pollUntil(t *testing.T, timeout time.Duration, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %s: %v", timeout, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
