package reconcile

import (
	"slices"
	"testing"
	"time"

	"github.com/orch-dev/orch/nomadlike/structs"
)

func policy(fn string, delay, maxDelay time.Duration) *structs.ReschedulePolicy {
	return &structs.ReschedulePolicy{Unlimited: true, Delay: delay, DelayFunction: fn, MaxDelay: maxDelay}
}

// chain simulates an allocation that failed n times in a row, each
// replacement failing right after its delay (so no reset applies), and
// returns the delays the policy chose.
func chain(p *structs.ReschedulePolicy, n int) []time.Duration {
	a := &structs.Allocation{ID: "a", NodeID: "n"}
	at := now
	var out []time.Duration
	for range n {
		d := NextDelay(p, a, at)
		out = append(out, d)
		at = at.Add(d)
		a = &structs.Allocation{ID: "a", NodeID: "n", RescheduleTracker: nextTracker(p, a, at, d)}
	}
	return out
}

func TestNextDelay(t *testing.T) {
	s := time.Second
	cases := []struct {
		name   string
		policy *structs.ReschedulePolicy
		want   []time.Duration
	}{
		{"constant", policy(structs.RescheduleDelayConstant, 5*s, 0), []time.Duration{5 * s, 5 * s, 5 * s, 5 * s}},
		{"constant ignores max_delay", policy(structs.RescheduleDelayConstant, 10*s, 5*s), []time.Duration{10 * s, 10 * s, 10 * s}},
		{"exponential", policy(structs.RescheduleDelayExponential, 5*s, time.Hour), []time.Duration{5 * s, 10 * s, 20 * s, 40 * s, 80 * s}},
		{"exponential capped by max_delay", policy(structs.RescheduleDelayExponential, 30*s, 100*s), []time.Duration{30 * s, 60 * s, 100 * s, 100 * s, 100 * s}},
		{"fibonacci", policy(structs.RescheduleDelayFibonacci, 5*s, time.Hour), []time.Duration{5 * s, 5 * s, 10 * s, 15 * s, 25 * s, 40 * s, 65 * s}},
		{"fibonacci capped by max_delay", policy(structs.RescheduleDelayFibonacci, 10*s, 35*s), []time.Duration{10 * s, 10 * s, 20 * s, 30 * s, 35 * s, 35 * s}},
		{"service default", DefaultPolicy(structs.JobTypeService), []time.Duration{30 * s, time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 16 * time.Minute, 32 * time.Minute, time.Hour, time.Hour}},
		{"batch default", DefaultPolicy(structs.JobTypeBatch), []time.Duration{5 * s, 5 * s}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := chain(c.policy, len(c.want)); !slices.Equal(got, c.want) {
				t.Fatalf("delays %v, want %v", got, c.want)
			}
		})
	}
}

// TestNextDelayResets checks that a chain at the cap starts over from
// delay once an allocation ran longer than the capped delay.
func TestNextDelayResets(t *testing.T) {
	cases := []struct {
		name   string
		fn     string
		ranFor time.Duration
		want   time.Duration
	}{
		{"exponential at cap, short run", structs.RescheduleDelayExponential, 10 * time.Second, time.Minute},
		{"exponential at cap, long run", structs.RescheduleDelayExponential, 2 * time.Minute, 10 * time.Second},
		{"fibonacci at cap, long run", structs.RescheduleDelayFibonacci, 2 * time.Minute, 10 * time.Second},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := policy(c.fn, 10*time.Second, time.Minute)
			last := now.Add(-c.ranFor)
			a := &structs.Allocation{RescheduleTracker: &structs.RescheduleTracker{Events: []*structs.RescheduleEvent{
				{RescheduleTime: last.Add(-time.Minute).UnixNano(), Delay: time.Minute},
				{RescheduleTime: last.UnixNano(), Delay: time.Minute},
			}}}
			if got := NextDelay(p, a, now); got != c.want {
				t.Fatalf("delay %v, want %v", got, c.want)
			}
		})
	}
}

func TestEligible(t *testing.T) {
	limited := &structs.ReschedulePolicy{Attempts: 2, Interval: time.Hour, Delay: 5 * time.Second, DelayFunction: structs.RescheduleDelayConstant}
	events := func(agos ...time.Duration) *structs.Allocation {
		a := &structs.Allocation{RescheduleTracker: &structs.RescheduleTracker{}}
		for _, ago := range agos {
			a.RescheduleTracker.Events = append(a.RescheduleTracker.Events, &structs.RescheduleEvent{RescheduleTime: now.Add(-ago).UnixNano()})
		}
		return a
	}
	cases := []struct {
		name   string
		policy *structs.ReschedulePolicy
		alloc  *structs.Allocation
		want   bool
	}{
		{"first failure", limited, &structs.Allocation{}, true},
		{"one attempt within the interval", limited, events(10 * time.Minute), true},
		{"attempts used up within the interval", limited, events(50*time.Minute, 10*time.Minute), false},
		{"older attempts no longer count", limited, events(3*time.Hour, 2*time.Hour, 10*time.Minute), true},
		{"unlimited ignores history", policy(structs.RescheduleDelayConstant, 5*time.Second, 0), events(1, 2, 3, 4, 5, 6), true},
		{"disabled policy", &structs.ReschedulePolicy{Attempts: 0, Interval: time.Hour, Delay: 5 * time.Second}, &structs.Allocation{}, false},
		{"no policy (system)", nil, &structs.Allocation{}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Eligible(c.policy, c.alloc, now); got != c.want {
				t.Fatalf("Eligible = %v, want %v", got, c.want)
			}
		})
	}
}

func TestNextTracker(t *testing.T) {
	prev := &structs.Allocation{ID: "old", NodeID: "n3", RescheduleTracker: &structs.RescheduleTracker{Events: []*structs.RescheduleEvent{
		{RescheduleTime: now.Add(-3 * time.Hour).UnixNano(), PrevNodeID: "n1"},
		{RescheduleTime: now.Add(-10 * time.Minute).UnixNano(), PrevNodeID: "n2"},
	}}}
	t.Run("limited keeps the interval's events and appends", func(t *testing.T) {
		p := &structs.ReschedulePolicy{Attempts: 3, Interval: time.Hour, Delay: 5 * time.Second, DelayFunction: structs.RescheduleDelayConstant}
		got := nextTracker(p, prev, now, 5*time.Second)
		if len(got.Events) != 2 || got.Events[0].PrevNodeID != "n2" {
			t.Fatalf("events %+v, want the 10m-old one and the new one", got.Events)
		}
		last := got.Events[1]
		if last.PrevAllocID != "old" || last.PrevNodeID != "n3" || last.Delay != 5*time.Second || last.RescheduleTime != now.UnixNano() {
			t.Fatalf("new event %+v", last)
		}
		if prev.RescheduleTracker.Events[1] == got.Events[0] {
			t.Fatal("the new tracker shares events with the old allocation")
		}
	})
	t.Run("unlimited keeps the last few", func(t *testing.T) {
		p := policy(structs.RescheduleDelayExponential, 5*time.Second, time.Hour)
		a := &structs.Allocation{ID: "a"}
		for range 2 * maxUnlimitedEvents {
			a = &structs.Allocation{ID: "a", RescheduleTracker: nextTracker(p, a, now, time.Second)}
		}
		if n := len(a.RescheduleTracker.Events); n != maxUnlimitedEvents {
			t.Fatalf("%d events, want %d", n, maxUnlimitedEvents)
		}
	})
	t.Run("penalty nodes are the chain's nodes", func(t *testing.T) {
		p := &Placement{Reschedule: true, RescheduleTracker: nextTracker(policy(structs.RescheduleDelayConstant, time.Second, 0), prev, now, time.Second)}
		got := p.PenaltyNodes()
		if len(got) != 3 || !got["n1"] || !got["n2"] || !got["n3"] {
			t.Fatalf("penalty nodes %v, want n1, n2, n3", got)
		}
		if (&Placement{Previous: prev}).PenaltyNodes() != nil {
			t.Fatal("a replacement that is not a reschedule avoids nodes")
		}
	})
}

// TestReconcileUsesGroupPolicy checks that the reconciler follows the
// group's reschedule block rather than the type's default, and records
// the history on the replacement.
func TestReconcileUsesGroupPolicy(t *testing.T) {
	cases := []struct {
		name   string
		policy *structs.ReschedulePolicy
		want   []string
	}{
		{"disabled", &structs.ReschedulePolicy{Attempts: 0, Interval: time.Hour, Delay: 5 * time.Second, DelayFunction: "constant"}, nil},
		{"constant 10s", &structs.ReschedulePolicy{Attempts: 3, Interval: time.Hour, Delay: 10 * time.Second, DelayFunction: "constant"},
			[]string{"delay a0 until now+8s"}},
		{"constant 5s passed", &structs.ReschedulePolicy{Attempts: 3, Interval: time.Hour, Delay: 5 * time.Second, DelayFunction: "constant"},
			[]string{"place j.web[0] replacing a0 (reschedule)", "stop a0: " + DescRescheduled}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(structs.JobTypeService, 1)
			f.job.TaskGroups[0].ReschedulePolicy = c.policy
			a := f.alloc(0, failedAt(now.Add(-2*time.Second)))
			r := Reconcile(Input{Job: f.job, Now: now.Add(5 * time.Second), Allocs: []*structs.Allocation{a}})
			if got := describe(r); !slices.Equal(got, c.want) {
				t.Fatalf("result %q, want %q", got, c.want)
			}
			if len(r.Place) == 1 {
				tr := r.Place[0].RescheduleTracker
				if tr == nil || len(tr.Events) != 1 || tr.Events[0].PrevAllocID != a.ID || tr.Events[0].Delay != c.policy.Delay {
					t.Fatalf("replacement tracker %+v", tr)
				}
			}
		})
	}
}
