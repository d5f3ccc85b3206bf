package structs_test

import (
	"strings"
	"testing"
	"time"

	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/structs"
)

func defaultUpdate() *structs.UpdateStrategy { return mock.UpdateStrategy() }

// TestValidateUpdate covers the update block as the API receives it
// (after canonicalization): the same bad inputs the jobspec refuses with
// file:line are refused here with the field's path, for API users.
func TestValidateUpdate(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		change func(j *structs.Job, u *structs.UpdateStrategy)
		want   []string
	}{
		{"defaults are valid", func(*structs.Job, *structs.UpdateStrategy) {}, nil},
		{"max_parallel 0 and no surge disables deployments", func(_ *structs.Job, u *structs.UpdateStrategy) { u.MaxParallel = 0 }, nil},
		{"surge with max_parallel 0", func(_ *structs.Job, u *structs.UpdateStrategy) { u.MaxParallel, u.MaxSurge = 0, 3 }, nil},
		{"blue/green", func(_ *structs.Job, u *structs.UpdateStrategy) { u.Canary, u.AutoPromote = 10, true }, nil},
		{"negative counts", func(_ *structs.Job, u *structs.UpdateStrategy) { u.MaxParallel, u.Canary, u.MaxSurge = -1, -1, -1 }, []string{
			`Update.MaxParallel: -1 is negative`, `Update.Canary: -1 is negative`, `Update.MaxSurge: -1 is negative`}},
		{"max_parallel larger than count", func(_ *structs.Job, u *structs.UpdateStrategy) { u.MaxParallel = 11 }, []string{
			`TaskGroups["web"].Update.MaxParallel: 11 is larger than the group's count 10`}},
		{"max_surge larger than count", func(_ *structs.Job, u *structs.UpdateStrategy) { u.MaxSurge = 11 }, []string{
			`Update.MaxSurge: 11 is larger than the group's count 10`}},
		{"count 0 takes any max_parallel", func(j *structs.Job, u *structs.UpdateStrategy) { j.TaskGroups[0].Count, u.MaxParallel = 0, 5 }, nil},
		{"canary with surge", func(_ *structs.Job, u *structs.UpdateStrategy) { u.Canary, u.MaxSurge = 1, 1 }, []string{
			`Update.MaxSurge: cannot be combined with Canary`}},
		{"auto_promote without canary", func(_ *structs.Job, u *structs.UpdateStrategy) { u.AutoPromote = true }, []string{
			`Update.AutoPromote: needs Canary above 0`}},
		{"unknown health check", func(_ *structs.Job, u *structs.UpdateStrategy) { u.HealthCheck = "http" }, []string{
			`Update.HealthCheck: "http" is not a health check: want "checks", "task_states" or "manual"`}},
		{"healthy deadline not above min healthy time", func(_ *structs.Job, u *structs.UpdateStrategy) { u.HealthyDeadline = u.MinHealthyTime }, []string{
			`Update.HealthyDeadline: 10s is not longer than MinHealthyTime 10s`}},
		{"progress deadline not above healthy deadline", func(_ *structs.Job, u *structs.UpdateStrategy) { u.ProgressDeadline = time.Minute }, []string{
			`Update.ProgressDeadline: 1m0s is not longer than HealthyDeadline 5m0s`}},
		{"no progress deadline", func(_ *structs.Job, u *structs.UpdateStrategy) { u.ProgressDeadline = 0 }, nil},
		{"zero times", func(_ *structs.Job, u *structs.UpdateStrategy) {
			u.Stagger, u.HealthyDeadline, u.MinHealthyTime = 0, 0, -1
		}, []string{
			`Update.Stagger: 0s: want more than 0`, `Update.HealthyDeadline: 0s: want more than 0`, `Update.MinHealthyTime: -1ns is negative`}},
		{"batch jobs take no update block", func(j *structs.Job, _ *structs.UpdateStrategy) { j.Type = structs.JobTypeBatch }, []string{
			`TaskGroups["web"].Update: job type "batch" does not allow an update block`}},
		{"system jobs do", func(j *structs.Job, _ *structs.UpdateStrategy) { j.Type = structs.JobTypeSystem }, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			j := mock.Job()
			u := defaultUpdate()
			j.TaskGroups[0].Update = u
			tc.change(j, u)
			err := j.Validate()
			if tc.want == nil {
				if err != nil {
					t.Fatalf("want valid, got %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("want errors %q, got none", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}

func TestUpdateStrategyIsEmpty(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		u    *structs.UpdateStrategy
		want bool
	}{
		{"nil", nil, true},
		{"max_parallel 0", &structs.UpdateStrategy{Stagger: time.Second}, true},
		{"max_parallel", &structs.UpdateStrategy{MaxParallel: 1}, false},
		{"surge only", &structs.UpdateStrategy{MaxSurge: 1}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.u.IsEmpty(); got != tc.want {
				t.Fatalf("IsEmpty() = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestDeploymentCopyAndPromotion(t *testing.T) {
	t.Parallel()
	job := mock.Job()
	d := structs.NewDeployment("d1", job, 50, time.Unix(100, 0))
	d.TaskGroups["web"] = &structs.DeploymentState{DesiredCanaries: 1, DesiredTotal: 10, PlacedCanaries: []string{"a"}}
	c := d.Copy()
	c.TaskGroups["web"].PlacedCanaries[0] = "changed"
	c.TaskGroups["web"].Promoted = true
	if d.TaskGroups["web"].PlacedCanaries[0] != "a" || d.TaskGroups["web"].Promoted {
		t.Fatal("Copy shares the group states")
	}
	if !d.RequiresPromotion() || c.RequiresPromotion() {
		t.Fatalf("RequiresPromotion: original %v (want true), promoted copy %v (want false)", d.RequiresPromotion(), c.RequiresPromotion())
	}
	d.Status = structs.DeploymentStatusPaused
	if d.RequiresPromotion() || !d.Active() {
		t.Fatal("a paused deployment is active and waits for nothing")
	}
	d.Status = structs.DeploymentStatusCancelled
	if d.Active() {
		t.Fatal("a cancelled deployment is not active")
	}
}
