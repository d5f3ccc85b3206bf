package jobspec

import (
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/orch-dev/orch/api"
)

var jobTypes = []string{api.JobTypeService, api.JobTypeBatch, api.JobTypeSystem, api.JobTypeSysBatch}

var jobSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "name"},
		{Name: "region"},
		{Name: "namespace"},
		{Name: "type"},
		{Name: "priority"},
		{Name: "datacenters"},
		{Name: "node_pool"},
		{Name: "all_at_once"},
		{Name: "meta"},
	},
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "constraint"},
		{Type: "affinity"},
		{Type: "spread"},
		{Type: "group", LabelNames: []string{"name"}},
		{Type: "meta"},
		{Type: "reschedule"},
		{Type: "periodic"},
		{Type: "parameterized"},
		{Type: "update"},
	},
}

// job decodes a `job "id" { ... }` block.
func (e *evaluator) job(b *hcl.Block) *api.Job {
	id := b.Labels[0]
	e.validateJobID(id, b.LabelRanges[0])

	c := e.content(b.Body, scopeJob, jobSchema)
	job := &api.Job{
		ID:          &id,
		Name:        e.stringAttr(c.Attributes, "name"),
		Region:      e.stringAttr(c.Attributes, "region"),
		Namespace:   e.stringAttr(c.Attributes, "namespace"),
		Type:        e.stringAttr(c.Attributes, "type"),
		Priority:    e.intAttr(c.Attributes, "priority"),
		Datacenters: e.stringListAttr(c.Attributes, "datacenters"),
		NodePool:    e.stringAttr(c.Attributes, "node_pool"),
		AllAtOnce:   e.boolAttr(c.Attributes, "all_at_once"),
		Meta:        e.stringMapAttrOrBlock(c, "meta"),
		Constraints: e.constraints(c.Blocks),
		Affinities:  e.affinities(c.Blocks),
		Spreads:     e.spreads(c.Blocks),
	}
	if job.Type != nil && !contains(jobTypes, *job.Type) {
		e.errorf(c.Attributes["type"].Expr.Range(), invalidValue("type"),
			"type must be one of %s, got %q", strings.Join(jobTypes, ", "), *job.Type)
	}
	if ub := e.singleBlock(c.Blocks, "update"); ub != nil {
		job.Update = e.update(ub)
	}
	if p := job.Priority; p != nil && (*p < 1 || *p > 100) {
		e.errorf(c.Attributes["priority"].Expr.Range(), invalidValue("priority"),
			"priority must be between 1 and 100, got %d", *p)
	}

	e.jobType = api.JobTypeService
	if job.Type != nil {
		e.jobType = *job.Type
	}
	if rb := e.singleBlock(c.Blocks, "reschedule"); rb != nil {
		job.Reschedule = e.reschedule(rb)
	}
	if pb := e.singleBlock(c.Blocks, "periodic"); pb != nil {
		job.Periodic = e.periodic(pb, e.jobType)
	}
	if pb := e.singleBlock(c.Blocks, "parameterized"); pb != nil {
		job.ParameterizedJob = e.parameterized(pb, e.jobType)
	}

	groups := blocksOf(c.Blocks, "group")
	if len(groups) == 0 {
		e.errorf(b.DefRange, "Missing group block",
			"job %q has no group block; a job needs at least one group with a task", id)
	}
	seen := make(map[string]hcl.Range, len(groups))
	for _, gb := range groups {
		name := gb.Labels[0]
		if first, dup := seen[name]; dup {
			e.errorf(gb.LabelRanges[0], "Duplicate group name",
				"group names must be unique within a job; %q is already used at %s", name, first)
		} else {
			seen[name] = gb.LabelRanges[0]
		}
		job.TaskGroups = append(job.TaskGroups, e.group(gb, deref(job.Name, id)))
	}
	e.checkUpdates(job, b.Body, groups)
	return job
}

// validateJobID rejects IDs that would break URLs (/v1/job/:id) or CLI
// arguments.
func (e *evaluator) validateJobID(id string, rng hcl.Range) {
	var problem string
	switch {
	case id == "":
		problem = "must not be empty"
	case strings.ContainsAny(id, " \t\r\n"):
		problem = "must not contain whitespace"
	case strings.Contains(id, "/"):
		problem = "must not contain a slash"
	case strings.ContainsRune(id, 0):
		problem = "must not contain a null character"
	default:
		return
	}
	e.errorf(rng, "Invalid job ID", "the job ID (the label of the job block) %s, got %q", problem, id)
}
