package jobspec

import (
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/orch-dev/orch/api"
)

// The group scaling block is Nomad's (enabled, min, max, policy); the
// policy, which Nomad passes through to its external autoscaler, is read
// by orch's servers, so jobspec checks it here where it can point at the
// line. Its map shape is documented in website/autoscaling.md.

var scalingSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "enabled"}, {Name: "min"}, {Name: "max", Required: true}},
	Blocks:     []hcl.BlockHeaderSchema{{Type: "policy"}},
}

var scalingPolicySchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "evaluation_interval"}, {Name: "cooldown"}},
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "check", LabelNames: []string{"name"}},
		{Type: "scale_up"}, {Type: "scale_down"},
	},
}

var scalingCheckSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "source"}, {Name: "query"}},
	Blocks:     []hcl.BlockHeaderSchema{{Type: "strategy", LabelNames: []string{"name"}}},
}

var scalingStrategySchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "target", Required: true}},
}

var scalingLimitSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "allocations"}, {Name: "percent"}, {Name: "period"}},
}

var scalingDownSchema = &hcl.BodySchema{
	Attributes: append([]hcl.AttributeSchema{{Name: "stabilization_window"}}, scalingLimitSchema.Attributes...),
}

var (
	scalingSources    = []string{"orch", "prometheus"}
	scalingStrategies = []string{"target-value"}
	orchQueries       = []string{"avg_cpu-allocated", "avg_memory-allocated", "avg_rps"}
)

// scaling decodes a group's scaling block and checks its bounds against
// the group's count.
func (e *evaluator) scaling(b *hcl.Block, count *int, groupAttrs hcl.Attributes) *api.ScalingPolicy {
	if e.jobType == api.JobTypeSystem || e.jobType == api.JobTypeSysBatch {
		e.errorf(b.DefRange, "Invalid scaling block", "%s jobs run on every node and cannot be scaled; remove the scaling block", e.jobType)
	}
	c := e.content(b.Body, "scaling", scalingSchema)
	at := func(name string) hcl.Range { return c.Attributes[name].Expr.Range() }
	s := &api.ScalingPolicy{Enabled: e.boolAttr(c.Attributes, "enabled")}
	if n := e.intAttr(c.Attributes, "min"); n != nil {
		v := int64(*n)
		s.Min = &v
		if v < 0 {
			e.errorf(at("min"), invalidValue("min"), "min must be 0 or more, got %d", v)
		}
	}
	if n := e.intAttr(c.Attributes, "max"); n != nil {
		v := int64(*n)
		s.Max = &v
		if v < 0 {
			e.errorf(at("max"), invalidValue("max"), "max must be 0 or more, got %d", v)
		}
	}
	if s.Min != nil && s.Max != nil && *s.Min > *s.Max {
		e.errorf(at("min"), invalidValue("min"), "min (%d) must not be above max (%d)", *s.Min, *s.Max)
	}
	if count != nil && s.Max != nil && int64(*count) > *s.Max {
		e.errorf(groupAttrs["count"].Expr.Range(), invalidValue("count"), "count (%d) must not be above scaling max (%d)", *count, *s.Max)
	}
	if count != nil && s.Min != nil && int64(*count) < *s.Min {
		e.errorf(groupAttrs["count"].Expr.Range(), invalidValue("count"), "count (%d) must not be below scaling min (%d)", *count, *s.Min)
	}
	if pb := e.singleBlock(c.Blocks, "policy"); pb != nil {
		s.Policy = e.scalingPolicy(pb)
	}
	return s
}

// scalingPolicy decodes the policy block into the map the API carries.
func (e *evaluator) scalingPolicy(b *hcl.Block) map[string]interface{} {
	c := e.content(b.Body, "policy", scalingPolicySchema)
	m := map[string]interface{}{}
	for _, name := range []string{"evaluation_interval", "cooldown"} {
		if d := e.durationAttr(c.Attributes, name); d != nil {
			if *d == 0 && name == "evaluation_interval" {
				e.errorf(c.Attributes[name].Expr.Range(), invalidValue(name), "%s must be above 0", name)
			}
			m[name] = d.String()
		}
	}
	checks := map[string]interface{}{}
	seen := map[string]hcl.Range{}
	for _, cb := range blocksOf(c.Blocks, "check") {
		name := cb.Labels[0]
		if first, dup := seen[name]; dup {
			e.errorf(cb.LabelRanges[0], "Duplicate check name", "check names must be unique in a policy; %q is already used at %s", name, first)
			continue
		}
		seen[name] = cb.LabelRanges[0]
		checks[name] = e.scalingCheck(cb)
	}
	if len(checks) == 0 {
		e.errorf(b.DefRange, "Missing check block", "a scaling policy needs at least one check block for orch's autoscaler to run")
	}
	m["check"] = checks
	if ub := e.singleBlock(c.Blocks, "scale_up"); ub != nil {
		m["scale_up"] = e.scalingLimit(ub, scalingLimitSchema)
	}
	if db := e.singleBlock(c.Blocks, "scale_down"); db != nil {
		m["scale_down"] = e.scalingLimit(db, scalingDownSchema)
	}
	return m
}

func (e *evaluator) scalingCheck(b *hcl.Block) map[string]interface{} {
	c := e.content(b.Body, "check", scalingCheckSchema)
	at := func(name string) hcl.Range { return c.Attributes[name].Expr.Range() }
	out := map[string]interface{}{}
	source := "orch"
	if s := e.stringAttr(c.Attributes, "source"); s != nil {
		source = *s
		if !contains(scalingSources, source) {
			e.errorf(at("source"), invalidValue("source"), "source must be one of %s, got %q", strings.Join(scalingSources, ", "), source)
		}
	}
	out["source"] = source
	q := e.stringAttr(c.Attributes, "query")
	switch {
	case q == nil:
		e.errorf(b.DefRange, "Missing query", "check %q needs a query (orch source: one of %s)", b.Labels[0], strings.Join(orchQueries, ", "))
	case source == "orch" && !contains(orchQueries, *q):
		e.errorf(at("query"), invalidValue("query"), "the orch source answers %s, got %q", strings.Join(orchQueries, ", "), *q)
	}
	if q != nil {
		out["query"] = *q
	}
	strategies := blocksOf(c.Blocks, "strategy")
	if len(strategies) != 1 {
		e.errorf(b.DefRange, "Invalid strategy", "check %q needs exactly one strategy block, got %d", b.Labels[0], len(strategies))
		return out
	}
	sb := strategies[0]
	name := sb.Labels[0]
	if !contains(scalingStrategies, name) {
		e.errorf(sb.LabelRanges[0], "Invalid strategy", "strategy must be one of %s, got %q", strings.Join(scalingStrategies, ", "), name)
	}
	sc := e.content(sb.Body, "strategy", scalingStrategySchema)
	target, ok := e.numberAttr(sc.Attributes, "target")
	if ok && target <= 0 {
		e.errorf(sc.Attributes["target"].Expr.Range(), invalidValue("target"), "target must be above 0, got %v", target)
	}
	out["strategy"] = map[string]interface{}{name: map[string]interface{}{"target": target}}
	return out
}

// scalingLimit decodes scale_up or scale_down (orch extensions after
// Kubernetes' HPA behaviour).
func (e *evaluator) scalingLimit(b *hcl.Block, schema *hcl.BodySchema) map[string]interface{} {
	c := e.content(b.Body, scope(b.Type), schema)
	out := map[string]interface{}{}
	allocs, pct := e.intAttr(c.Attributes, "allocations"), e.intAttr(c.Attributes, "percent")
	period := e.durationAttr(c.Attributes, "period")
	switch {
	case allocs != nil && pct != nil:
		e.errorf(c.Attributes["percent"].Expr.Range(), invalidValue("percent"), "set allocations or percent, not both")
	case allocs != nil && *allocs < 1:
		e.errorf(c.Attributes["allocations"].Expr.Range(), invalidValue("allocations"), "allocations must be 1 or more, got %d", *allocs)
	case pct != nil && *pct < 1:
		e.errorf(c.Attributes["percent"].Expr.Range(), invalidValue("percent"), "percent must be 1 or more, got %d", *pct)
	}
	if (allocs != nil || pct != nil) && (period == nil || *period == 0) {
		e.errorf(b.DefRange, "Missing period", "%s limits the change per period; set period, e.g. \"1m\"", b.Type)
	}
	if allocs != nil {
		out["allocations"] = *allocs
	}
	if pct != nil {
		out["percent"] = *pct
	}
	if period != nil {
		out["period"] = period.String()
	}
	if w := e.durationAttr(c.Attributes, "stabilization_window"); w != nil {
		out["stabilization_window"] = w.String()
	}
	return out
}

// numberAttr reads a number attribute; ok is false when absent or broken.
func (e *evaluator) numberAttr(attrs hcl.Attributes, name string) (float64, bool) {
	a, v, ok := e.attrValue(attrs, name)
	if !ok {
		return 0, false
	}
	n, err := convert.Convert(v, cty.Number)
	if err != nil || n.IsNull() {
		e.errorf(a.Expr.Range(), invalidValue(name), "%s must be a number, got %s", name, describe(v))
		return 0, false
	}
	f, _ := n.AsBigFloat().Float64()
	return f, true
}
