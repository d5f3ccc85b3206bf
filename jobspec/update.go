package jobspec

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/orch-dev/orch/api"
)

var updateSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "max_parallel"}, {Name: "health_check"}, {Name: "min_healthy_time"},
		{Name: "healthy_deadline"}, {Name: "progress_deadline"}, {Name: "auto_revert"},
		{Name: "auto_promote"}, {Name: "canary"}, {Name: "stagger"}, {Name: "max_surge"},
	},
}

var updateHealthChecks = []string{api.UpdateHealthCheckChecks, api.UpdateHealthCheckTaskStates, api.UpdateHealthCheckManual}

// update decodes an update block of a job or a group. Unset fields stay
// nil: Canonicalize merges the job's block under each group's and fills
// Nomad's defaults. Checks of one value alone are made here; those that
// need the merged block (and the group's count) are checkUpdates'.
func (e *evaluator) update(b *hcl.Block) *api.UpdateStrategy {
	c := e.content(b.Body, "update", updateSchema)
	u := &api.UpdateStrategy{
		Stagger:          e.durationAttr(c.Attributes, "stagger"),
		MaxParallel:      e.intAttr(c.Attributes, "max_parallel"),
		HealthCheck:      e.stringAttr(c.Attributes, "health_check"),
		MinHealthyTime:   e.durationAttr(c.Attributes, "min_healthy_time"),
		HealthyDeadline:  e.durationAttr(c.Attributes, "healthy_deadline"),
		ProgressDeadline: e.durationAttr(c.Attributes, "progress_deadline"),
		Canary:           e.intAttr(c.Attributes, "canary"),
		AutoRevert:       e.boolAttr(c.Attributes, "auto_revert"),
		AutoPromote:      e.boolAttr(c.Attributes, "auto_promote"),
		MaxSurge:         e.intAttr(c.Attributes, "max_surge"),
	}
	negative := func(name string, v *int, meaning string) {
		if v != nil && *v < 0 {
			e.errorf(c.Attributes[name].Expr.Range(), invalidValue(name),
				"%s must be 0 or more (0 %s), got %d", name, meaning, *v)
		}
	}
	negative("max_parallel", u.MaxParallel, "disables deployments")
	negative("canary", u.Canary, "places no canaries")
	negative("max_surge", u.MaxSurge, "starts no allocation above count")
	if hc := u.HealthCheck; hc != nil && !contains(updateHealthChecks, *hc) {
		e.errorf(c.Attributes["health_check"].Expr.Range(), invalidValue("health_check"),
			"health_check must be one of %s, got %q", strings.Join(updateHealthChecks, ", "), *hc)
	}
	if d := u.Stagger; d != nil && *d == 0 {
		e.errorf(c.Attributes["stagger"].Expr.Range(), invalidValue("stagger"), "stagger must be more than 0")
	}
	if d := u.HealthyDeadline; d != nil && *d == 0 {
		e.errorf(c.Attributes["healthy_deadline"].Expr.Range(), invalidValue("healthy_deadline"), "healthy_deadline must be more than 0")
	}
	return u
}

// updateSite is where one level (job or group) wrote its update block,
// to point a problem of the merged block at the line that caused it.
type updateSite struct {
	what  string // "job" or `group "web"`
	block *hclsyntax.Block
}

// attr returns the range of name in the block, if written there.
func (s updateSite) attr(name string) (hcl.Range, bool) {
	if s.block == nil {
		return hcl.Range{}, false
	}
	a, ok := s.block.Body.Attributes[name]
	if !ok {
		return hcl.Range{}, false
	}
	return a.Expr.Range(), true
}

// syntaxBlock returns the first block of typ in body, or nil.
func syntaxBlock(body hcl.Body, typ string) *hclsyntax.Block {
	syn, ok := body.(*hclsyntax.Body)
	if !ok {
		return nil
	}
	for _, b := range syn.Blocks {
		if b.Type == typ {
			return b
		}
	}
	return nil
}

// checkUpdates checks each group's effective update block: the job's
// merged under the group's with Nomad's defaults, exactly as the servers
// will see it. jobBody and groupBlocks are the HCL the job was decoded
// from, one group block per job.TaskGroups entry.
func (e *evaluator) checkUpdates(job *api.Job, jobBody hcl.Body, groupBlocks hcl.Blocks) {
	jobSite := updateSite{what: "job", block: syntaxBlock(jobBody, "update")}
	typ := api.JobTypeService
	if job.Type != nil {
		typ = *job.Type
	}
	if !updatesAllowed(typ) && jobSite.block != nil {
		e.errorf(jobSite.block.TypeRange, "Update block not allowed",
			"a %s job is not updated in steps; only service and system jobs take an update block", typ)
	}
	reported := make(map[string]bool)
	for i, tg := range job.TaskGroups {
		if i >= len(groupBlocks) || tg == nil || tg.Name == nil {
			continue
		}
		gb := groupBlocks[i]
		groupSite := updateSite{what: fmt.Sprintf("group %q", *tg.Name), block: syntaxBlock(gb.Body, "update")}
		if !updatesAllowed(typ) {
			if groupSite.block != nil {
				e.errorf(groupSite.block.TypeRange, "Update block not allowed",
					"a %s job is not updated in steps; only service and system jobs take an update block", typ)
			}
			continue
		}
		eff := effectiveUpdate(job, tg)
		if eff == nil {
			continue
		}
		count := 1
		if tg.Count != nil {
			count = *tg.Count
		}
		c := updateCheck{e: e, reported: reported, group: *tg.Name, sites: []updateSite{groupSite, jobSite}, fallback: gb.DefRange}
		c.run(eff, count)
	}
}

func updatesAllowed(jobType string) bool {
	return jobType == api.JobTypeService || jobType == api.JobTypeSystem
}

// effectiveUpdate is the group's update block after Canonicalize, computed
// on copies so the parsed job keeps only what the user wrote.
func effectiveUpdate(job *api.Job, tg *api.TaskGroup) *api.UpdateStrategy {
	var u *api.UpdateStrategy
	switch {
	case job.Update != nil && tg.Update != nil:
		u = job.Update.Copy()
		u.Merge(tg.Update)
	case tg.Update != nil:
		u = tg.Update.Copy()
	case job.Update != nil:
		u = job.Update.Copy()
	default:
		return nil // Nomad's defaults are valid for any count
	}
	u.Canonicalize()
	return u
}

// updateCheck runs the checks of one group's effective update block.
type updateCheck struct {
	e        *evaluator
	reported map[string]bool
	group    string
	// sites are searched in order (the group's block, then the job's) for
	// the attribute a problem is blamed on.
	sites    []updateSite
	fallback hcl.Range
}

// where finds the first of names written in the group's or the job's
// block, and says which.
func (c updateCheck) where(names ...string) (hcl.Range, string, string) {
	for _, name := range names {
		for _, s := range c.sites {
			if rng, ok := s.attr(name); ok {
				return rng, name, s.what
			}
		}
	}
	for _, s := range c.sites {
		if s.block != nil {
			return s.block.TypeRange, names[0], s.what
		}
	}
	return c.fallback, names[0], "group"
}

// fail reports a problem once per place: a job-level value that is wrong
// for several groups is reported at its line once, naming the first group.
func (c updateCheck) fail(format string, names []string, args ...interface{}) {
	rng, name, site := c.where(names...)
	key := rng.String() + name
	if c.reported[key] {
		return
	}
	c.reported[key] = true
	msg := fmt.Sprintf(format, args...)
	if site == "job" {
		msg += fmt.Sprintf(" (the job's update block applies to group %q)", c.group)
	}
	c.e.errorf(rng, invalidValue(name), "%s", msg)
}

func (c updateCheck) run(u *api.UpdateStrategy, count int) {
	maxParallel, surge, canary := *u.MaxParallel, *u.MaxSurge, *u.Canary
	if count > 0 && maxParallel > count {
		c.fail("max_parallel (%d) must not be larger than the count of group %q (%d): at most %d allocations can be replaced at once",
			[]string{"max_parallel"}, maxParallel, c.group, count, count)
	}
	if count > 0 && surge > count {
		c.fail("max_surge (%d) must not be larger than the count of group %q (%d): at most %d new allocations can run beside the old ones",
			[]string{"max_surge"}, surge, c.group, count, count)
	}
	if canary > 0 && surge > 0 {
		c.fail("max_surge cannot be combined with canary (%d): canaries already run beside the old allocations; use canary for a promoted rollout or max_surge for a rolling one",
			[]string{"max_surge", "canary"}, canary)
	}
	if *u.AutoPromote && canary == 0 {
		c.fail("auto_promote needs canary to be more than 0: there is nothing to promote", []string{"auto_promote"})
	}
	if min, dl := *u.MinHealthyTime, *u.HealthyDeadline; dl > 0 && min >= dl {
		c.fail("min_healthy_time (%s) must be shorter than healthy_deadline (%s): an allocation could never be healthy in time",
			[]string{"min_healthy_time", "healthy_deadline"}, min, dl)
	}
	if pd, dl := *u.ProgressDeadline, *u.HealthyDeadline; pd > 0 && pd <= dl {
		c.fail("progress_deadline (%s) must be longer than healthy_deadline (%s), or 0 for none: the deployment would fail before an allocation could be judged",
			[]string{"progress_deadline", "healthy_deadline"}, pd, dl)
	}
}
