package jobspec

import (
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/orch-dev/orch/api"
)

var rescheduleSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "attempts"}, {Name: "interval"}, {Name: "delay"},
		{Name: "delay_function"}, {Name: "max_delay"}, {Name: "unlimited"},
	},
}

var rescheduleDelayFunctions = []string{api.RescheduleDelayConstant, api.RescheduleDelayExponential, api.RescheduleDelayFibonacci}

// minRescheduleDelay is Nomad's floor for a reschedule delay.
const minRescheduleDelay = 5 * time.Second

// reschedule decodes a reschedule block of a job or a group. What can be
// told from the block alone is checked here, at the attribute; the rules
// that need the merged policy (interval long enough for the attempts) are
// the server's, since job and group blocks and the type's defaults combine.
func (e *evaluator) reschedule(b *hcl.Block) *api.ReschedulePolicy {
	if e.jobType == api.JobTypeSystem || e.jobType == api.JobTypeSysBatch {
		e.errorf(b.DefRange, "Invalid reschedule block",
			"%s jobs run on every node and cannot be rescheduled; remove the reschedule block", e.jobType)
	}
	c := e.content(b.Body, "reschedule", rescheduleSchema)
	at := func(name string) hcl.Range { return c.Attributes[name].Expr.Range() }
	r := &api.ReschedulePolicy{
		Attempts:      e.intAttr(c.Attributes, "attempts"),
		Interval:      e.durationAttr(c.Attributes, "interval"),
		Delay:         e.durationAttr(c.Attributes, "delay"),
		DelayFunction: e.stringAttr(c.Attributes, "delay_function"),
		MaxDelay:      e.durationAttr(c.Attributes, "max_delay"),
		Unlimited:     e.boolAttr(c.Attributes, "unlimited"),
	}
	if n := r.Attempts; n != nil && *n < 0 {
		e.errorf(at("attempts"), invalidValue("attempts"), "attempts must be 0 or more, got %d", *n)
	}
	if f := r.DelayFunction; f != nil && !contains(rescheduleDelayFunctions, *f) {
		e.errorf(at("delay_function"), invalidValue("delay_function"),
			"delay_function must be one of %s, got %q", strings.Join(rescheduleDelayFunctions, ", "), *f)
	}
	disabled := r.Attempts != nil && *r.Attempts == 0 && (r.Unlimited == nil || !*r.Unlimited)
	if d := r.Delay; d != nil && *d < minRescheduleDelay && !disabled {
		e.errorf(at("delay"), invalidValue("delay"), "delay must be at least %s, got %s", minRescheduleDelay, *d)
	}
	if r.Attempts != nil && *r.Attempts > 0 && r.Unlimited != nil && *r.Unlimited {
		e.errorf(at("unlimited"), invalidValue("unlimited"),
			"unlimited = true with attempts = %d is ambiguous; set attempts = 0 or unlimited = false", *r.Attempts)
	}
	growing := r.DelayFunction != nil && *r.DelayFunction != api.RescheduleDelayConstant
	if r.Delay != nil && r.MaxDelay != nil && growing && *r.MaxDelay < *r.Delay {
		e.errorf(at("max_delay"), invalidValue("max_delay"),
			"max_delay (%s) must not be shorter than delay (%s)", *r.MaxDelay, *r.Delay)
	}
	return r
}

// completions decodes a group's completions and parallelism, an orch
// extension for batch groups after Kubernetes Jobs; count, when set, must
// agree with parallelism, which it otherwise defaults.
func (e *evaluator) completions(attrs hcl.Attributes, tg *api.TaskGroup) {
	tg.Completions = e.intAttr(attrs, "completions")
	tg.Parallelism = e.intAttr(attrs, "parallelism")
	at := func(name string) hcl.Range { return attrs[name].Expr.Range() }
	for _, f := range []struct {
		name string
		v    *int
	}{{"completions", tg.Completions}, {"parallelism", tg.Parallelism}} {
		if f.v == nil {
			continue
		}
		if *f.v < 1 {
			e.errorf(at(f.name), invalidValue(f.name), "%s must be 1 or more, got %d", f.name, *f.v)
		}
		if e.jobType != api.JobTypeBatch {
			e.errorf(at(f.name), invalidValue(f.name),
				"%s is only for batch jobs (an orch extension), this job is %q", f.name, e.jobType)
		}
	}
	if tg.Parallelism != nil && tg.Completions == nil {
		e.errorf(at("parallelism"), "Missing completions",
			"parallelism limits how many allocations run towards completions; set completions too")
	}
	if tg.Completions != nil && tg.Parallelism != nil && tg.Count != nil && *tg.Count != *tg.Parallelism {
		e.errorf(at("count"), invalidValue("count"),
			"a group with completions runs parallelism (%d) allocations at a time; count must be unset or equal to it, got %d",
			*tg.Parallelism, *tg.Count)
	}
}
