package structs

import (
	"strings"
	"testing"
	"time"
)

func TestScalingPolicyValidate(t *testing.T) {
	t.Parallel()
	check := func(mod func(*ScalingCheck)) *AutoscalePolicy {
		c := &ScalingCheck{Name: "cpu", Source: ScalingSourceOrch, Query: QueryAvgCPUAllocated, Strategy: ScalingStrategyTarget, Target: 50}
		if mod != nil {
			mod(c)
		}
		return &AutoscalePolicy{EvaluationInterval: time.Second, Cooldown: time.Minute, Checks: []*ScalingCheck{c}}
	}
	cases := []struct {
		name  string
		p     *ScalingPolicy
		count int
		want  string
	}{
		{name: "valid", p: &ScalingPolicy{Min: 1, Max: 3, Config: check(nil)}, count: 2},
		{name: "min above max", p: &ScalingPolicy{Min: 4, Max: 3}, count: 3, want: "min (4) must not be above max (3)"},
		{name: "count above max", p: &ScalingPolicy{Min: 1, Max: 3}, count: 5, want: "count (5) must be within min (1) and max (3)"},
		{name: "count below min", p: &ScalingPolicy{Min: 2, Max: 3}, count: 1, want: "count (1) must be within"},
		{name: "unknown source", p: &ScalingPolicy{Min: 1, Max: 3, Config: check(func(c *ScalingCheck) { c.Source = "graphite" })}, count: 1,
			want: `unknown source "graphite" (valid: orch, prometheus)`},
		{name: "unknown orch query", p: &ScalingPolicy{Min: 1, Max: 3, Config: check(func(c *ScalingCheck) { c.Query = "cpu" })}, count: 1,
			want: `unknown orch query "cpu"`},
		{name: "unknown strategy", p: &ScalingPolicy{Min: 1, Max: 3, Config: check(func(c *ScalingCheck) { c.Strategy = "pid" })}, count: 1,
			want: `unknown strategy "pid" (valid: target-value)`},
		{name: "target zero", p: &ScalingPolicy{Min: 1, Max: 3, Config: check(func(c *ScalingCheck) { c.Target = 0 })}, count: 1,
			want: "target (0) must be above 0"},
		{name: "prometheus without query", p: &ScalingPolicy{Min: 1, Max: 3, Config: check(func(c *ScalingCheck) { c.Source, c.Query = "prometheus", "" })}, count: 1,
			want: `query is required for source "prometheus"`},
		{name: "policy map error", p: &ScalingPolicy{Min: 1, Max: 3, PolicyError: `unknown key "colldown"`}, count: 1,
			want: `policy: unknown key "colldown"`},
		{name: "limit with both", p: &ScalingPolicy{Min: 1, Max: 3, Config: func() *AutoscalePolicy {
			c := check(nil)
			c.ScaleUp = &ScalingLimit{Allocations: 1, Percent: 10, Period: time.Minute}
			return c
		}()}, count: 1, want: "scale_up needs exactly one of allocations or percent"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.p.Validate(tc.count)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestJobValidateScalingOnSystemJob(t *testing.T) {
	t.Parallel()
	j := &Job{Type: JobTypeSystem}
	tg := &TaskGroup{Name: "g", Count: 1, Scaling: &ScalingPolicy{Min: 1, Max: 2}}
	var p problems
	tg.validateScaling(&p, j)
	if err := p.err(); err == nil || !strings.Contains(err.Error(), `TaskGroups["g"].Scaling: a system job runs on every node`) {
		t.Fatalf("error %v", err)
	}
}

func TestScalingPolicyIDStable(t *testing.T) {
	t.Parallel()
	a, b := ScalingPolicyID("default", "web", "g"), ScalingPolicyID("default", "web", "g")
	if a != b || a == ScalingPolicyID("default", "web", "h") || len(a) != 36 {
		t.Fatalf("policy IDs %q, %q: want equal for one target, distinct across targets, UUID-shaped", a, b)
	}
}

// TestJobDiffScaling checks that job plan's reflective diff sees a changed
// scaling block.
func TestJobDiffScaling(t *testing.T) {
	t.Parallel()
	old := &Job{ID: "web", TaskGroups: []*TaskGroup{{Name: "g", Count: 1, Scaling: &ScalingPolicy{Min: 1, Max: 3, Enabled: true,
		Config: &AutoscalePolicy{EvaluationInterval: time.Second, Checks: []*ScalingCheck{{Name: "cpu", Target: 50}}}}}}}
	changed := old.Copy()
	changed.TaskGroups[0].Scaling.Max = 5
	changed.TaskGroups[0].Scaling.Config.Checks[0].Target = 60
	d, err := old.Diff(changed, true)
	if err != nil {
		t.Fatal(err)
	}
	if d.Type != "Edited" || old.TaskGroups[0].Scaling.Max != 3 || old.TaskGroups[0].Scaling.Config.Checks[0].Target != 50 {
		t.Fatalf("diff %+v (old max %d): want an edit, and Copy to leave the old job alone", d, old.TaskGroups[0].Scaling.Max)
	}
}
