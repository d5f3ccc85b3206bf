package autoscale

import (
	"errors"
	"math/rand"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

func cpuPolicy() Policy {
	return Policy{Min: 1, Max: 10, Cooldown: time.Minute, ScaleDownStabilization: 5 * time.Minute,
		Checks: []Check{{Name: "cpu", Target: 50}}}
}

func cpu(values ...float64) map[string]Reading {
	return map[string]Reading{"cpu": {Values: values}}
}

func TestDecide(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		in         Input
		want       int
		wantErr    string
		wantReason string
	}{
		{name: "within tolerance above", in: Input{Current: 2, Readings: cpu(54, 55)}, want: 2, wantReason: "within tolerance"},
		{name: "within tolerance below", in: Input{Current: 4, Readings: cpu(45, 45, 45, 45)}, want: 4},
		{name: "just outside tolerance scales up", in: Input{Current: 2, Readings: cpu(56, 56)}, want: 3},
		{name: "ceil of ratio", in: Input{Current: 1, Readings: cpu(100)}, want: 2},
		{name: "exact multiple adds nothing extra", in: Input{Current: 3, Readings: cpu(100, 100, 100)}, want: 6},
		{name: "bounded by max", in: Input{Current: 5, Readings: cpu(100, 100, 100, 100, 100), Policy: withMax(cpuPolicy(), 7)}, want: 7, wantReason: "bounded"},
		{name: "bounded by min", in: Input{Current: 2, Readings: cpu(1, 1), Policy: noWindow(withMin(cpuPolicy(), 2))}, want: 2},
		{name: "scale down without window", in: Input{Current: 4, Readings: cpu(10, 10, 10, 10), Policy: noWindow(cpuPolicy())}, want: 1},
		{name: "missing samples count as at target",
			in: Input{Current: 4, Readings: map[string]Reading{"cpu": {Values: []float64{100}, Missing: 3}}}, want: 5},
		{name: "all samples missing is no decision",
			in: Input{Current: 2, Readings: map[string]Reading{"cpu": {Missing: 2}}}, want: 2, wantErr: "no samples"},
		{name: "no reading at all is no decision", in: Input{Current: 2}, want: 2, wantErr: "no samples"},
		{name: "source error is no decision",
			in: Input{Current: 2, Readings: map[string]Reading{"cpu": {Err: errors.New("connection refused")}}}, want: 2, wantErr: "connection refused"},
		{name: "out of bounds corrected without metrics", in: Input{Current: 12}, want: 10, wantReason: "outside bounds"},
		{name: "scale up from zero", in: Input{Current: 0, Readings: cpu(100), Policy: withMin(cpuPolicy(), 0)}, want: 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			in.Now = t0
			if in.Policy.Checks == nil {
				in.Policy = withMinMax(in.Policy, cpuPolicy())
			}
			d := Decide(in)
			assertDecision(t, d, tc.want, tc.wantErr, tc.wantReason)
		})
	}
}

func TestDecideCooldown(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		lastSince time.Duration
		want      int
	}{
		{name: "inside cooldown holds", lastSince: 30 * time.Second, want: 2},
		{name: "cooldown ends exactly", lastSince: time.Minute, want: 4},
		{name: "after cooldown scales", lastSince: 2 * time.Minute, want: 4},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := Input{Now: t0, Current: 2, Policy: cpuPolicy(), Readings: cpu(100, 100),
				Actions: []Action{{Time: t0.Add(-tc.lastSince), From: 1, To: 2}}}
			d := Decide(in)
			assertDecision(t, d, tc.want, "", "")
			if d.Recommendation != 4 {
				t.Fatalf("recommendation = %d, want 4 (kept for the window even when held)", d.Recommendation)
			}
		})
	}
}

func TestDecideStabilisationWindow(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		recs []Recommendation
		want int
	}{
		{name: "empty window scales down", want: 2},
		{name: "higher recommendation in window wins", recs: []Recommendation{{t0.Add(-time.Minute), 4}, {t0.Add(-2 * time.Minute), 3}}, want: 4},
		{name: "recommendation at current holds", recs: []Recommendation{{t0.Add(-4 * time.Minute), 6}}, want: 6},
		{name: "old recommendation outside window ignored", recs: []Recommendation{{t0.Add(-6 * time.Minute), 6}}, want: 2},
		{name: "future recommendation ignored", recs: []Recommendation{{t0.Add(time.Minute), 6}}, want: 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := Input{Now: t0, Current: 6, Policy: cpuPolicy(), Readings: cpu(10, 10, 10, 10, 10, 10),
				Recommendations: tc.recs}
			assertDecision(t, Decide(in), tc.want, "", "")
		})
	}
}

func TestDecideSeveralChecks(t *testing.T) {
	t.Parallel()
	p := noWindow(cpuPolicy())
	p.Checks = append(p.Checks, Check{Name: "mem", Target: 80})
	cases := []struct {
		name     string
		readings map[string]Reading
		want     int
		wantErr  string
	}{
		{name: "largest desired wins (cpu)", readings: map[string]Reading{"cpu": {Values: []float64{100, 100}}, "mem": {Values: []float64{80, 80}}}, want: 4},
		{name: "largest desired wins (mem)", readings: map[string]Reading{"cpu": {Values: []float64{10, 10}}, "mem": {Values: []float64{160, 160}}}, want: 4},
		{name: "one check holding blocks scale down", readings: map[string]Reading{"cpu": {Values: []float64{10, 10}}, "mem": {Values: []float64{80, 80}}}, want: 2},
		{name: "a failing check blocks the decision", readings: map[string]Reading{"cpu": {Values: []float64{10, 10}}, "mem": {Err: errors.New("bad query")}}, want: 2, wantErr: `check "mem": bad query`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assertDecision(t, Decide(Input{Now: t0, Current: 2, Policy: p, Readings: tc.readings}), tc.want, tc.wantErr, "")
		})
	}
}

func TestDecideLimits(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		up      *Limit
		down    *Limit
		current int
		values  float64
		actions []Action
		want    int
	}{
		{name: "scale up by at most 2", up: &Limit{Value: 2, Period: time.Minute}, current: 2, values: 200, want: 4},
		{name: "scale up by at most 100 percent", up: &Limit{Value: 100, Percent: true, Period: time.Minute}, current: 3, values: 200, want: 6},
		{name: "earlier action in period uses the budget", up: &Limit{Value: 2, Period: 10 * time.Minute}, current: 3, values: 200,
			actions: []Action{{Time: t0.Add(-5 * time.Minute), From: 2, To: 3}}, want: 4},
		{name: "action before the period is free", up: &Limit{Value: 2, Period: time.Minute}, current: 3, values: 200,
			actions: []Action{{Time: t0.Add(-5 * time.Minute), From: 2, To: 3}}, want: 5},
		{name: "scale down by at most 1", down: &Limit{Value: 1, Period: time.Minute}, current: 5, values: 10, want: 4},
		{name: "up limit does not cap down", up: &Limit{Value: 1, Period: time.Minute}, current: 5, values: 10, want: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := noWindow(withMax(cpuPolicy(), 100))
			p.Cooldown = 0
			p.ScaleUp, p.ScaleDown = tc.up, tc.down
			vals := make([]float64, tc.current)
			for i := range vals {
				vals[i] = tc.values
			}
			assertDecision(t, Decide(Input{Now: t0, Current: tc.current, Policy: p, Readings: cpu(vals...), Actions: tc.actions}), tc.want, "", "")
		})
	}
}

// TestDecideReplay runs an episode twice and checks the decisions agree:
// nothing in Decide depends on anything but its input.
func TestDecideReplay(t *testing.T) {
	t.Parallel()
	in := Input{Now: t0, Current: 3, Policy: cpuPolicy(), Readings: cpu(90, 20, 70),
		Recommendations: []Recommendation{{t0.Add(-time.Minute), 5}}}
	a, b := Decide(in), Decide(in)
	if a != b {
		t.Fatalf("decisions differ: %+v vs %+v", a, b)
	}
}

func assertDecision(t *testing.T, d Decision, want int, wantErr, wantReason string) {
	t.Helper()
	if d.Count != want {
		t.Fatalf("count = %d, want %d (reason %q, err %v)", d.Count, want, d.Reason, d.Err)
	}
	switch {
	case wantErr == "" && d.Err != nil:
		t.Fatalf("unexpected error %v", d.Err)
	case wantErr != "" && (d.Err == nil || !strings.Contains(d.Err.Error(), wantErr)):
		t.Fatalf("error = %v, want one containing %q", d.Err, wantErr)
	}
	if wantReason != "" && !strings.Contains(d.Reason, wantReason) {
		t.Fatalf("reason = %q, want it to contain %q", d.Reason, wantReason)
	}
}

func withMax(p Policy, max int) Policy { p.Max = max; return p }
func withMin(p Policy, min int) Policy { p.Min = min; return p }
func noWindow(p Policy) Policy         { p.ScaleDownStabilization = 0; return p }

// withMinMax fills an unset case policy from the default.
func withMinMax(p, def Policy) Policy {
	if p.Max == 0 {
		return def
	}
	return p
}

// TestDecideNeverOutsideBounds throws random inputs at Decide: whatever
// the readings, errors, history and limits (and a current count outside
// the bounds), the count it returns is within [min, max].
func TestDecideNeverOutsideBounds(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewSource(8))
	for i := 0; i < 20000; i++ {
		min := rng.Intn(4)
		max := min + rng.Intn(6)
		p := Policy{Min: min, Max: max, Cooldown: time.Duration(rng.Intn(3)) * time.Minute,
			ScaleDownStabilization: time.Duration(rng.Intn(3)) * time.Minute,
			Checks:                 []Check{{Name: "a", Target: float64(rng.Intn(100) + 1)}, {Name: "b", Target: rng.Float64() * 10}}}
		if rng.Intn(2) == 0 {
			p.ScaleUp = &Limit{Value: rng.Intn(5), Percent: rng.Intn(2) == 0, Period: time.Minute}
			p.ScaleDown = &Limit{Value: rng.Intn(5), Percent: rng.Intn(2) == 0, Period: time.Minute}
		}
		in := Input{Now: t0, Current: rng.Intn(12), Policy: p, Readings: map[string]Reading{}}
		for _, c := range p.Checks {
			r := Reading{Missing: rng.Intn(3)}
			for n := rng.Intn(5); n > 0; n-- {
				r.Values = append(r.Values, rng.Float64()*1000)
			}
			if rng.Intn(10) == 0 {
				r.Err = errors.New("down")
			}
			in.Readings[c.Name] = r
		}
		for n := rng.Intn(4); n > 0; n-- {
			in.Recommendations = append(in.Recommendations, Recommendation{Time: t0.Add(-time.Duration(rng.Intn(300)) * time.Second), Count: rng.Intn(12)})
			in.Actions = append(in.Actions, Action{Time: t0.Add(-time.Duration(rng.Intn(300)) * time.Second), From: rng.Intn(12), To: rng.Intn(12)})
		}
		d := Decide(in)
		if d.Count < min || d.Count > max {
			t.Fatalf("case %d: count %d outside [%d, %d] (current %d, reason %q, err %v)", i, d.Count, min, max, in.Current, d.Reason, d.Err)
		}
	}
}
