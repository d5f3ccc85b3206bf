package autoscale

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
)

// Tolerance is the band around the target inside which a check recommends
// no change, as a fraction of the target (Kubernetes' default 0.1).
const Tolerance = 0.1

// Policy is the decoded scaling policy of one group.
type Policy struct {
	Min, Max int
	// Cooldown holds the count for this long after a scaling action.
	Cooldown time.Duration
	// ScaleDownStabilization is the window whose highest recommendation
	// a scale down goes to (an orch extension after Kubernetes).
	ScaleDownStabilization time.Duration
	// ScaleUp and ScaleDown cap the change per period; nil is no cap.
	ScaleUp, ScaleDown *Limit
	Checks             []Check
}

// Limit caps how much the count may change in one direction within Period:
// Value allocations, or Value percent of the current count when Percent.
type Limit struct {
	Value   int
	Percent bool
	Period  time.Duration
}

// Check is one target-value check.
type Check struct {
	Name   string
	Target float64
}

// Reading is what a source returned for one check in this evaluation.
type Reading struct {
	// Values are the per-allocation readings (one value for a source
	// that answers for the whole group, such as Prometheus).
	Values []float64
	// Missing is how many running allocations had no sample; they count
	// as running at the target.
	Missing int
	// Err is why the source gave no reading.
	Err error
}

// Recommendation is one earlier raw recommendation, kept by the caller for
// the stabilisation window.
type Recommendation struct {
	Time  time.Time
	Count int
}

// Action is one applied change of the count, from the scaling events.
type Action struct {
	Time      time.Time
	From, To  int
	Automatic bool
}

// Input is everything a decision depends on.
type Input struct {
	Now     time.Time
	Current int
	Policy  Policy
	// Readings by check name.
	Readings map[string]Reading
	// Recommendations seen earlier, any order; Decide ignores those
	// outside the stabilisation window.
	Recommendations []Recommendation
	// Actions are the earlier changes of the count, any order.
	Actions []Action
}

// Decision is the outcome of one evaluation.
type Decision struct {
	// Count is the count to run; equal to Input.Current for no change.
	Count int
	// Recommendation is the bounded recommendation before cooldown,
	// stabilisation and limits; the caller keeps it for later windows.
	// It is -1 when no recommendation could be made.
	Recommendation int
	// Reason says why, in words fit for a scaling event.
	Reason string
	// Err is set when no decision could be made; Count is then Current.
	Err error
}

// Changed reports whether the decision changes the count.
func (d Decision) Changed(in Input) bool { return d.Err == nil && d.Count != in.Current }

// Decide computes the decision for in. It never returns a count outside
// [Policy.Min, Policy.Max].
func Decide(in Input) Decision {
	p := in.Policy
	rec, why, err := recommend(in)
	if err != nil {
		// Even without metrics a count outside the bounds is corrected.
		if b := clamp(in.Current, p.Min, p.Max); b != in.Current {
			return Decision{Count: b, Recommendation: -1,
				Reason: fmt.Sprintf("count %d outside bounds [%d, %d]", in.Current, p.Min, p.Max)}
		}
		return Decision{Count: in.Current, Recommendation: -1, Err: err}
	}
	bounded := clamp(rec, p.Min, p.Max)
	if bounded != rec {
		why += fmt.Sprintf("; %d bounded to [%d, %d]", rec, p.Min, p.Max)
	}
	d := Decision{Count: bounded, Recommendation: bounded, Reason: why}
	if bounded == in.Current {
		return d
	}
	if last, ok := lastAction(in.Actions); ok && p.Cooldown > 0 && in.Now.Before(last.Time.Add(p.Cooldown)) {
		if c := clamp(in.Current, p.Min, p.Max); c != in.Current {
			d.Count = c
			return d
		}
		d.Count = in.Current
		d.Reason = fmt.Sprintf("%s; held: cooldown until %s", why, last.Time.Add(p.Cooldown).UTC().Format(time.RFC3339))
		return d
	}
	if bounded < in.Current {
		d.Count, d.Reason = stabilize(in, bounded, d.Reason)
	}
	d.Count, d.Reason = limit(in, d.Count, d.Reason)
	// The window and the limits hold or slow a change but never keep a
	// count outside the bounds (after min or max changed).
	if c := clamp(d.Count, p.Min, p.Max); c != d.Count {
		d.Count, d.Reason = c, fmt.Sprintf("%s; %d outside bounds [%d, %d]", d.Reason, d.Count, p.Min, p.Max)
	}
	return d
}

// recommend combines the checks: the largest desired count wins.
func recommend(in Input) (int, string, error) {
	if len(in.Policy.Checks) == 0 {
		return 0, "", fmt.Errorf("policy has no checks")
	}
	best, reason := -1, ""
	var errs []string
	for _, c := range in.Policy.Checks {
		desired, why, err := checkDesired(in.Current, c, in.Readings[c.Name])
		if err != nil {
			errs = append(errs, fmt.Sprintf("check %q: %v", c.Name, err))
			continue
		}
		if desired > best {
			best, reason = desired, why
		}
	}
	// A failed check could have asked for more than the others: no
	// decision rather than a scale down it might have vetoed.
	if len(errs) > 0 {
		return 0, "", fmt.Errorf("no decision: %s", strings.Join(errs, "; "))
	}
	return best, reason, nil
}

// checkDesired applies the target-value rule to one check.
func checkDesired(current int, c Check, r Reading) (int, string, error) {
	if r.Err != nil {
		return 0, "", r.Err
	}
	if c.Target <= 0 {
		return 0, "", fmt.Errorf("target %v must be above 0", c.Target)
	}
	if len(r.Values) == 0 {
		return 0, "", fmt.Errorf("no samples")
	}
	sum := float64(r.Missing) * c.Target
	for _, v := range r.Values {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return 0, "", fmt.Errorf("metric value %v is not a number", v)
		}
		sum += v
	}
	metric := sum / float64(len(r.Values)+r.Missing)
	ratio := metric / c.Target
	desc := fmt.Sprintf("check %q: metric %.4g, target %.4g", c.Name, metric, c.Target)
	if math.Abs(ratio-1) <= Tolerance {
		return current, desc + " (within tolerance)", nil
	}
	base := current
	if base == 0 {
		base = 1
	}
	// The small epsilon keeps float noise (3 × 0.5/0.5 = 3.0000000004)
	// from adding an allocation.
	desired := int(math.Ceil(float64(base)*ratio - 1e-9))
	return desired, desc, nil
}

// stabilize raises a scale down to the highest recommendation in the
// window, never above the current count.
func stabilize(in Input, rec int, why string) (int, string) {
	w := in.Policy.ScaleDownStabilization
	if w <= 0 {
		return rec, why
	}
	high := rec
	from := in.Now.Add(-w)
	for _, r := range in.Recommendations {
		if !r.Time.Before(from) && !r.Time.After(in.Now) && r.Count > high {
			high = r.Count
		}
	}
	if high >= in.Current {
		return in.Current, fmt.Sprintf("%s; held: stabilisation window %s recommends %d", why, w, high)
	}
	if high > rec {
		return high, fmt.Sprintf("%s; stabilisation window %s raises %d to %d", why, w, rec, high)
	}
	return rec, why
}

// limit caps the change by the limit of its direction, counting what
// earlier actions already changed within the period.
func limit(in Input, want int, why string) (int, string) {
	up := want > in.Current
	l := in.Policy.ScaleDown
	if up {
		l = in.Policy.ScaleUp
	}
	if l == nil || l.Value <= 0 || want == in.Current {
		return want, why
	}
	allowed := l.Value
	if l.Percent {
		allowed = int(math.Ceil(float64(in.Current) * float64(l.Value) / 100))
		if allowed < 1 {
			allowed = 1
		}
	}
	from := in.Now.Add(-l.Period)
	for _, a := range in.Actions {
		if a.Time.Before(from) || a.Time.After(in.Now) {
			continue
		}
		if up && a.To > a.From {
			allowed -= a.To - a.From
		} else if !up && a.To < a.From {
			allowed -= a.From - a.To
		}
	}
	if allowed < 0 {
		allowed = 0
	}
	capped := want
	if up && want-in.Current > allowed {
		capped = in.Current + allowed
	} else if !up && in.Current-want > allowed {
		capped = in.Current - allowed
	}
	if capped != want {
		why = fmt.Sprintf("%s; limited to %d by the scale-%s limit per %s", why, capped, direction(up), l.Period)
	}
	return capped, why
}

func direction(up bool) string {
	if up {
		return "up"
	}
	return "down"
}

func lastAction(actions []Action) (Action, bool) {
	if len(actions) == 0 {
		return Action{}, false
	}
	sorted := append([]Action(nil), actions...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Time.Before(sorted[j].Time) })
	return sorted[len(sorted)-1], true
}

func clamp(n, lo, hi int) int {
	if n < lo {
		return lo
	}
	if hi >= lo && n > hi {
		return hi
	}
	return n
}
