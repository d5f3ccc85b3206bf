package nomadlike

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/orch-dev/orch/nomadlike/autoscale"
	"github.com/orch-dev/orch/nomadlike/state"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// AutoscalerConfig configures the leader's built-in autoscaler.
type AutoscalerConfig struct {
	// Disabled turns the autoscaler off; policies are then only bounds
	// for `job scale`.
	Disabled bool
	// PrometheusAddress is the base URL of the Prometheus server that
	// checks with source "prometheus" query.
	PrometheusAddress string
	// HTTPClient is used for Prometheus (default: 5 s timeout).
	HTTPClient *http.Client
}

// autoscalerMaxWait is the longest the loop sleeps, so new and changed
// policies are picked up without a watch on every job.
const autoscalerMaxWait = time.Second

// autoscalerMeta marks the events the autoscaler records.
const autoscalerMeta = "orch.autoscaler"

// autoscaler runs on the leader: each enabled policy is evaluated every
// evaluation_interval; the pure autoscale.Decide makes the decision and a
// change goes through Job.Scale, the path of `orch job scale`, with the
// reason as the event's message. What it keeps in memory (the
// stabilisation window's recommendations, when each policy is next due)
// may be lost with leadership: cooldowns and earlier actions come from
// the scaling events in Raft, so a new leader neither repeats nor forgets
// an action.
type autoscaler struct {
	logger  hclog.Logger
	clock   Clock
	state   func() *state.StateStore
	sources map[string]metricSource
	scale   func(*structs.JobScaleRequest) error

	next map[string]time.Time
	recs map[string][]autoscale.Recommendation
}

func newAutoscaler(s *Server) *autoscaler {
	cfg := s.config.Autoscaler
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 5 * time.Second}
	}
	return &autoscaler{
		logger: s.logger.Named("autoscaler"),
		clock:  s.config.Clock,
		state:  s.fsm.State,
		sources: map[string]metricSource{
			structs.ScalingSourceOrch:       orchSource{metrics: s.allocMetrics},
			structs.ScalingSourcePrometheus: prometheusSource{address: cfg.PrometheusAddress, client: hc},
		},
		scale: func(req *structs.JobScaleRequest) error {
			var resp structs.JobRegisterResponse
			return (&Job{srv: s}).Scale(req, &resp)
		},
		next: map[string]time.Time{},
		recs: map[string][]autoscale.Recommendation{},
	}
}

// run evaluates the due policies until stopCh closes.
func (a *autoscaler) run(stopCh <-chan struct{}) {
	for {
		now := a.clock.Now()
		wake := a.pass(now)
		if max := now.Add(autoscalerMaxWait); wake.IsZero() || wake.After(max) {
			wake = max
		}
		select {
		case <-stopCh:
			return
		case <-a.clock.At(wake):
		}
	}
}

// pass evaluates every due policy at now and returns when the next is
// due.
func (a *autoscaler) pass(now time.Time) time.Time {
	jobs, err := a.state().ScalingJobs(nil)
	if err != nil {
		a.logger.Error("failed to list scaled jobs", "error", err)
		return time.Time{}
	}
	var wake time.Time
	seen := map[string]bool{}
	for _, job := range jobs {
		for _, p := range job.ScalingPolicies() {
			if !p.Enabled || p.Config == nil || len(p.Config.Checks) == 0 {
				continue
			}
			seen[p.ID] = true
			due, ok := a.next[p.ID]
			if !ok {
				// A policy first seen (a new job, a new leader) waits
				// one interval, so its allocations can start and report
				// before a decision is asked of them.
				due = now.Add(p.Config.EvaluationInterval)
				a.next[p.ID] = due
			} else if !now.Before(due) {
				a.evaluate(job, p, now)
				due = now.Add(p.Config.EvaluationInterval)
				a.next[p.ID] = due
			}
			if wake.IsZero() || due.Before(wake) {
				wake = due
			}
		}
	}
	for id := range a.next {
		if !seen[id] {
			delete(a.next, id)
			delete(a.recs, id)
		}
	}
	return wake
}

// evaluate decides one policy and applies the decision.
func (a *autoscaler) evaluate(job *structs.Job, p *structs.ScalingPolicy, now time.Time) {
	group := p.Target[structs.ScalingTargetGroup]
	log := a.logger.With("job_id", job.ID, "namespace", job.Namespace, "group", group)
	// One bad policy must not take the leader's loop (or the leader)
	// down with it; it is logged and tried again next interval.
	defer func() {
		if r := recover(); r != nil {
			log.Error("autoscaler panicked evaluating a policy", "panic", r)
		}
	}()
	tg := job.LookupTaskGroup(group)
	if tg == nil {
		return
	}
	st := a.state()
	events, err := st.ScalingEventsByJob(nil, job.Namespace, job.ID)
	if err != nil {
		log.Error("failed to read scaling events", "error", err)
		return
	}
	allocs, err := st.AllocsByJob(nil, job.Namespace, job.ID)
	if err != nil {
		log.Error("failed to read allocations", "error", err)
		return
	}
	var groupEvents []*structs.ScalingEvent
	if events != nil {
		groupEvents = events.ScalingEvents[group]
	}
	in := autoscale.Input{Now: now, Current: tg.Count, Policy: decidePolicy(p),
		Readings: a.read(p, tg, allocs, now), Recommendations: a.recs[p.ID], Actions: actionsOf(groupEvents)}
	d := autoscale.Decide(in)
	log.Debug("scaling decision", "count", d.Count, "current", tg.Count, "reason", d.Reason, "error", d.Err)
	if d.Recommendation >= 0 {
		a.remember(p, now, d.Recommendation)
	}
	req := &structs.JobScaleRequest{JobID: job.ID,
		Target:       map[string]string{structs.ScalingTargetJob: job.ID, structs.ScalingTargetGroup: group},
		Meta:         map[string]string{autoscalerMeta: "true"},
		WriteRequest: structs.WriteRequest{Namespace: job.Namespace},
		// Applied only to the version decided on: a concurrent change
		// (or an action the previous leader committed) wins.
		EnforceIndex: true, JobModifyIndex: job.JobModifyIndex,
	}
	switch {
	case d.Err != nil:
		msg := d.Err.Error()
		if len(groupEvents) > 0 && groupEvents[0].Error && groupEvents[0].Message == msg {
			return // already recorded; one event per distinct failure
		}
		req.Error, req.Message = true, msg
	case d.Count != tg.Count:
		n := int64(d.Count)
		req.Count, req.Message = &n, fmt.Sprintf("scaling from %d to %d: %s", tg.Count, d.Count, d.Reason)
	default:
		return
	}
	if err := a.scale(req); err != nil {
		log.Warn("failed to apply scaling decision", "error", err, "message", req.Message)
		return
	}
	log.Info("scaling decision applied", "count", d.Count, "previous_count", tg.Count, "error", req.Error, "message", req.Message)
}

// read asks each check's source.
func (a *autoscaler) read(p *structs.ScalingPolicy, tg *structs.TaskGroup, allocs []*structs.Allocation, now time.Time) map[string]autoscale.Reading {
	var running []string
	for _, al := range allocs {
		if al.TaskGroup == tg.Name && al.DesiredStatus == structs.AllocDesiredStatusRun &&
			al.ClientStatus == structs.AllocClientStatusRunning {
			running = append(running, al.ID)
		}
	}
	sort.Strings(running)
	out := make(map[string]autoscale.Reading, len(p.Config.Checks))
	for _, c := range p.Config.Checks {
		src, ok := a.sources[c.Source]
		if !ok {
			out[c.Name] = autoscale.Reading{Err: fmt.Errorf("unknown source %q", c.Source)}
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		out[c.Name] = src.Read(ctx, sourceQuery{Check: c, Running: running, Count: tg.Count, Now: now,
			Window: p.Config.EvaluationInterval})
		cancel()
	}
	return out
}

// remember keeps a recommendation for the stabilisation window.
func (a *autoscaler) remember(p *structs.ScalingPolicy, now time.Time, count int) {
	from := now.Add(-p.Config.ScaleDownStabilization)
	kept := a.recs[p.ID][:0:0]
	for _, r := range a.recs[p.ID] {
		if !r.Time.Before(from) {
			kept = append(kept, r)
		}
	}
	a.recs[p.ID] = append(kept, autoscale.Recommendation{Time: now, Count: count})
}

// decidePolicy converts the stored policy for Decide.
func decidePolicy(p *structs.ScalingPolicy) autoscale.Policy {
	c := p.Config
	out := autoscale.Policy{Min: int(p.Min), Max: int(p.Max), Cooldown: c.Cooldown,
		ScaleDownStabilization: c.ScaleDownStabilization,
		ScaleUp:                limitOf(c.ScaleUp), ScaleDown: limitOf(c.ScaleDown)}
	for _, ch := range c.Checks {
		out.Checks = append(out.Checks, autoscale.Check{Name: ch.Name, Target: ch.Target})
	}
	return out
}

func limitOf(l *structs.ScalingLimit) *autoscale.Limit {
	if l == nil {
		return nil
	}
	if l.Percent > 0 {
		return &autoscale.Limit{Value: l.Percent, Percent: true, Period: l.Period}
	}
	return &autoscale.Limit{Value: l.Allocations, Period: l.Period}
}

// actionsOf turns the recorded events that changed the count into the
// history Decide reads for cooldowns and limits.
func actionsOf(events []*structs.ScalingEvent) []autoscale.Action {
	var out []autoscale.Action
	for _, e := range events {
		if e.Error || e.Count == nil || *e.Count == e.PreviousCount {
			continue
		}
		out = append(out, autoscale.Action{Time: time.Unix(0, e.Time), From: int(e.PreviousCount), To: int(*e.Count),
			Automatic: e.Meta[autoscalerMeta] == "true"})
	}
	return out
}
