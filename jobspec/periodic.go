package jobspec

import (
	"strings"
	"time"
	// time_zone is checked against the zone database linked into the
	// binary, so a jobspec validates the same on every host.
	_ "time/tzdata"

	"github.com/hashicorp/cronexpr"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/orch-dev/orch/api"
)

var periodicSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "cron"},
		{Name: "crons"},
		{Name: "prohibit_overlap"},
		{Name: "time_zone"},
		{Name: "enabled"},
	},
}

var parameterizedSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "payload"},
		{Name: "meta_required"},
		{Name: "meta_optional"},
	},
}

var dispatchPayloadSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "file", Required: true}},
}

var payloadModes = []string{api.DispatchPayloadOptional, api.DispatchPayloadRequired, api.DispatchPayloadForbidden}

// periodic decodes a job's `periodic { crons = [...] }` block. jobType is
// the job's type as written ("" when unset, which means service).
func (e *evaluator) periodic(b *hcl.Block, jobType string) *api.PeriodicConfig {
	c := e.content(b.Body, "periodic", periodicSchema)
	p := &api.PeriodicConfig{
		Spec:            e.stringAttr(c.Attributes, "cron"),
		Specs:           e.stringListAttr(c.Attributes, "crons"),
		ProhibitOverlap: e.boolAttr(c.Attributes, "prohibit_overlap"),
		TimeZone:        e.stringAttr(c.Attributes, "time_zone"),
		Enabled:         e.boolAttr(c.Attributes, "enabled"),
	}
	if !batchLike(jobType) {
		e.errorf(b.DefRange, "Invalid periodic block",
			"a %s job cannot be periodic: periodic is only for batch and sysbatch jobs (set type = \"batch\")", typeOrService(jobType))
	}
	cronAttr, cronsAttr := c.Attributes["cron"], c.Attributes["crons"]
	switch {
	case cronAttr != nil && cronsAttr != nil:
		e.errorf(cronAttr.NameRange, "Conflicting cron expressions",
			"set either crons or the older cron, not both; crons is at %s", cronsAttr.NameRange)
	case cronAttr == nil && cronsAttr == nil:
		e.errorf(b.DefRange, "Missing cron expression",
			"the periodic block needs crons, for example crons = [\"0 * * * *\"] to launch every hour")
	}
	loc := time.UTC
	if tz := p.TimeZone; tz != nil && *tz != "" {
		l, err := time.LoadLocation(*tz)
		if err != nil {
			e.errorf(c.Attributes["time_zone"].Expr.Range(), invalidValue("time_zone"),
				"time_zone must be an IANA time zone name such as \"America/New_York\" or \"UTC\", got %q", *tz)
		} else {
			loc = l
		}
	}
	now := time.Now().In(loc)
	if p.Spec != nil {
		e.checkCron(cronAttr.Expr.Range(), "cron", *p.Spec, now)
	}
	for i, s := range p.Specs {
		e.checkCron(elementRange(cronsAttr.Expr, i), "crons", s, now)
	}
	if len(p.Specs) == 0 && cronsAttr != nil && cronAttr == nil {
		e.errorf(cronsAttr.Expr.Range(), invalidValue("crons"), "crons must list at least one cron expression")
	}
	return p
}

// checkCron reports an expression that does not parse or never fires.
func (e *evaluator) checkCron(rng hcl.Range, name, spec string, now time.Time) {
	expr, err := cronexpr.Parse(spec)
	if err != nil {
		e.errorf(rng, invalidValue(name), "%q is not a cron expression: %v", spec, err)
		return
	}
	if expr.Next(now).IsZero() {
		e.errorf(rng, invalidValue(name), "cron expression %q never fires (a date that does not exist, or a year that has passed)", spec)
	}
}

// elementRange is the range of the i-th element of a list literal, or of
// the whole expression when it is not one (a variable, a function call).
func elementRange(expr hcl.Expression, i int) hcl.Range {
	if t, ok := expr.(*hclsyntax.TupleConsExpr); ok && i < len(t.Exprs) {
		return t.Exprs[i].Range()
	}
	return expr.Range()
}

// parameterized decodes a job's `parameterized { payload = ... }` block.
func (e *evaluator) parameterized(b *hcl.Block, jobType string) *api.ParameterizedJobConfig {
	c := e.content(b.Body, "parameterized", parameterizedSchema)
	p := &api.ParameterizedJobConfig{
		MetaRequired: e.stringListAttr(c.Attributes, "meta_required"),
		MetaOptional: e.stringListAttr(c.Attributes, "meta_optional"),
	}
	if !batchLike(jobType) {
		e.errorf(b.DefRange, "Invalid parameterized block",
			"a %s job cannot be parameterized: parameterized is only for batch and sysbatch jobs (set type = \"batch\")", typeOrService(jobType))
	}
	if s := e.stringAttr(c.Attributes, "payload"); s != nil {
		p.Payload = *s
		if !contains(payloadModes, *s) {
			e.errorf(c.Attributes["payload"].Expr.Range(), invalidValue("payload"),
				"payload must be one of %s, got %q", strings.Join(payloadModes, ", "), *s)
		}
	}
	for i, k := range p.MetaOptional {
		if contains(p.MetaRequired, k) {
			e.errorf(elementRange(c.Attributes["meta_optional"].Expr, i), invalidValue("meta_optional"),
				"meta key %q is already in meta_required: a key is either required or optional", k)
		}
	}
	return p
}

// dispatchPayload decodes a task's `dispatch_payload { file = ... }`.
func (e *evaluator) dispatchPayload(b *hcl.Block) *api.DispatchPayloadConfig {
	c := e.content(b.Body, "dispatch_payload", dispatchPayloadSchema)
	d := &api.DispatchPayloadConfig{}
	if s := e.stringAttr(c.Attributes, "file"); s != nil {
		d.File = *s
		rng := c.Attributes["file"].Expr.Range()
		switch {
		case strings.TrimSpace(*s) == "":
			e.errorf(rng, invalidValue("file"), "file must name the file the payload is written to, got an empty string")
		case destinationEscapes(*s):
			e.errorf(rng, invalidValue("file"),
				"file must be a path inside the task's local/ directory, without \"..\" and not absolute, got %q", *s)
		}
	}
	return d
}

func batchLike(jobType string) bool {
	return jobType == api.JobTypeBatch || jobType == api.JobTypeSysBatch
}

func typeOrService(jobType string) string {
	if jobType == "" {
		return api.JobTypeService
	}
	return jobType
}
