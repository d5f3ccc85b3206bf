package jobspec

import (
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/orch-dev/orch/api"
)

// affinityOperators are the constraint operators that make sense as a
// preference: distinct_hosts and distinct_property are about the plan, not
// a node, and cannot be scored node by node.
var affinityOperators = func() []string {
	var out []string
	for _, op := range knownOperators {
		if op != opDistinctHosts && op != opDistinctProperty {
			out = append(out, op)
		}
	}
	return out
}()

var affinitySchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "attribute"}, {Name: "operator"}, {Name: "value"}, {Name: "weight"},
}}

var spreadSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "attribute"}, {Name: "weight"}},
	Blocks:     []hcl.BlockHeaderSchema{{Type: "target", LabelNames: []string{"value"}}},
}

var spreadTargetSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "percent"}}}

// affinities decodes every affinity block in blocks.
func (e *evaluator) affinities(blocks hcl.Blocks) []*api.Affinity {
	var out []*api.Affinity
	for _, b := range blocksOf(blocks, "affinity") {
		if a := e.affinity(b); a != nil {
			out = append(out, a)
		}
	}
	return out
}

func (e *evaluator) affinity(b *hcl.Block) *api.Affinity {
	c := e.content(b.Body, "affinity", affinitySchema)
	a := &api.Affinity{Operand: "="}
	if s := e.stringAttr(c.Attributes, "attribute"); s != nil {
		a.LTarget = *s
	}
	if s := e.stringAttr(c.Attributes, "operator"); s != nil {
		a.Operand = *s
	}
	if s := e.stringAttr(c.Attributes, "value"); s != nil {
		a.RTarget = *s
	}
	if a.LTarget == "" {
		e.errorf(b.DefRange, "Missing affinity attribute",
			"an affinity needs attribute, for example attribute = \"${node.datacenter}\"")
	}
	if !contains(affinityOperators, a.Operand) {
		e.errorf(c.Attributes["operator"].Expr.Range(), "Invalid affinity operator",
			"operator %q is not known; valid operators are %s", a.Operand, strings.Join(affinityOperators, ", "))
		return nil
	}
	if w := e.weight(c.Attributes, -100, 100, "a non-zero whole number from -100 to 100"); w != nil {
		if *w == 0 {
			e.errorf(c.Attributes["weight"].Expr.Range(), invalidValue("weight"),
				"weight must be a non-zero whole number from -100 to 100, got 0: an affinity of weight 0 prefers nothing")
			return nil
		}
		a.Weight = w
	}
	// The constraint checks cover the value's presence and regexp syntax,
	// which an affinity shares with a constraint of the same operator.
	e.validateConstraint(&api.Constraint{LTarget: a.LTarget, RTarget: a.RTarget, Operand: a.Operand}, b, c.Attributes)
	return a
}

// weight reads the weight attribute as an int8 in [lo, hi]; valid
// describes the range for the error.
func (e *evaluator) weight(attrs hcl.Attributes, lo, hi int, valid string) *int8 {
	n := e.intAttr(attrs, "weight")
	if n == nil {
		return nil
	}
	if *n < lo || *n > hi {
		e.errorf(attrs["weight"].Expr.Range(), invalidValue("weight"), "weight must be %s, got %d", valid, *n)
		return nil
	}
	w := int8(*n)
	return &w
}

// spreads decodes every spread block in blocks, rejecting an attribute
// spread twice in one scope: the two would compete over one count.
func (e *evaluator) spreads(blocks hcl.Blocks) []*api.Spread {
	var out []*api.Spread
	seen := make(map[string]hcl.Range)
	for _, b := range blocksOf(blocks, "spread") {
		s := e.spread(b)
		if s == nil {
			continue
		}
		if first, dup := seen[s.Attribute]; dup {
			e.errorf(b.DefRange, "Duplicate spread",
				"attribute %q is already spread over at %s; merge the targets into one spread block", s.Attribute, first)
			continue
		}
		seen[s.Attribute] = b.DefRange
		out = append(out, s)
	}
	return out
}

func (e *evaluator) spread(b *hcl.Block) *api.Spread {
	c := e.content(b.Body, "spread", spreadSchema)
	s := &api.Spread{}
	if a := e.stringAttr(c.Attributes, "attribute"); a != nil {
		s.Attribute = *a
	}
	if s.Attribute == "" {
		e.errorf(b.DefRange, "Missing spread attribute",
			"a spread needs attribute, for example attribute = \"${meta.rack}\"")
	}
	if w := e.weight(c.Attributes, 1, 100, "a whole number from 1 to 100"); w != nil {
		s.Weight = w
	}
	sum := 0
	seen := make(map[string]hcl.Range)
	for _, tb := range blocksOf(c.Blocks, "target") {
		value := tb.Labels[0]
		if first, dup := seen[value]; dup {
			e.errorf(tb.LabelRanges[0], "Duplicate spread target",
				"target %q is already given at %s", value, first)
			continue
		}
		seen[value] = tb.DefRange
		tc := e.content(tb.Body, "target", spreadTargetSchema)
		p := e.intAttr(tc.Attributes, "percent")
		if p == nil {
			if tc.Attributes["percent"] == nil {
				e.errorf(tb.DefRange, "Missing spread target percent",
					"target %q needs percent, a whole number from 0 to 100", value)
			}
			continue
		}
		if *p < 0 || *p > 100 {
			e.errorf(tc.Attributes["percent"].Expr.Range(), invalidValue("percent"),
				"percent must be a whole number from 0 to 100, got %d", *p)
			continue
		}
		sum += *p
		if sum > 100 {
			e.errorf(tc.Attributes["percent"].Expr.Range(), invalidValue("percent"),
				"the targets of spread %q sum to %d%% with this one; they may sum to at most 100%%", s.Attribute, sum)
		}
		s.SpreadTarget = append(s.SpreadTarget, &api.SpreadTarget{Value: value, Percent: uint8(*p)})
	}
	return s
}
