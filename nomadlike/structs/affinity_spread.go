package structs

import "fmt"

// Affinity weight bounds and the default Nomad uses when a jobspec omits
// the weight.
const (
	AffinityMinWeight     = -100
	AffinityMaxWeight     = 100
	AffinityDefaultWeight = 50
	SpreadMaxWeight       = 100
	SpreadDefaultWeight   = 50
)

// Affinity is a soft constraint: nodes where LTarget Operand RTarget holds
// score higher (positive Weight) or lower (negative Weight) but are never
// filtered.
type Affinity struct {
	LTarget string
	RTarget string
	Operand string
	// Weight is in [-100, 100] and not zero.
	Weight int8
}

// Spread asks for a group's allocations to be distributed over the values
// of a node attribute: in the proportions of SpreadTarget when given,
// evenly over the values seen otherwise.
type Spread struct {
	Attribute string
	// Weight, in (0, 100], is this spread's share of the spread score
	// when a group has several.
	Weight       int8
	SpreadTarget []*SpreadTarget
}

// SpreadTarget is the share of a group's allocations wanted on nodes whose
// attribute has Value.
type SpreadTarget struct {
	Value   string
	Percent uint8
}

func copyAffinities(as []*Affinity) []*Affinity {
	if as == nil {
		return nil
	}
	c := make([]*Affinity, len(as))
	for i, a := range as {
		if a != nil {
			n := *a
			c[i] = &n
		}
	}
	return c
}

func copySpreads(ss []*Spread) []*Spread {
	if ss == nil {
		return nil
	}
	c := make([]*Spread, len(ss))
	for i, s := range ss {
		if s == nil {
			continue
		}
		n := *s
		if s.SpreadTarget != nil {
			n.SpreadTarget = make([]*SpreadTarget, len(s.SpreadTarget))
			for k, t := range s.SpreadTarget {
				if t != nil {
					tc := *t
					n.SpreadTarget[k] = &tc
				}
			}
		}
		c[i] = &n
	}
	return c
}

// validateAffinities checks what the scheduler cannot score: an operator
// it does not know, a missing attribute, a weight out of range or zero
// (which would make the block mean nothing).
func validateAffinities(p *problems, path string, as []*Affinity) {
	for i, a := range as {
		ap := fmt.Sprintf("%s[%d]", path, i)
		if a == nil {
			p.addf(ap, "empty affinity")
			continue
		}
		if !constraintOperands[a.Operand] || a.Operand == "distinct_hosts" || a.Operand == "distinct_property" {
			p.addf(ap+".Operand", "%q is not an affinity operator: want one of =, !=, <, <=, >, >=, regexp, version, semver, set_contains, set_contains_all, set_contains_any, is_set, is_not_set", a.Operand)
			continue
		}
		if a.LTarget == "" {
			p.addf(ap+".LTarget", "missing attribute to compare")
		}
		if a.Weight == 0 || a.Weight < AffinityMinWeight || a.Weight > AffinityMaxWeight {
			p.addf(ap+".Weight", "%d is out of range: want a non-zero weight from %d to %d", a.Weight, AffinityMinWeight, AffinityMaxWeight)
		}
		validateConstraintValue(p, ap+".RTarget", &Constraint{LTarget: a.LTarget, RTarget: a.RTarget, Operand: a.Operand})
	}
}

// validateSpreads checks that each spread names an attribute, has a
// positive weight, names each target value once, and asks for at most
// 100% in all.
func validateSpreads(p *problems, path string, ss []*Spread) {
	seenAttr := make(map[string]bool, len(ss))
	for i, s := range ss {
		sp := fmt.Sprintf("%s[%d]", path, i)
		if s == nil {
			p.addf(sp, "empty spread")
			continue
		}
		if s.Attribute == "" {
			p.addf(sp+".Attribute", "missing attribute to spread over")
		} else if seenAttr[s.Attribute] {
			p.addf(sp+".Attribute", "%q is spread over twice; merge the spread blocks", s.Attribute)
		}
		seenAttr[s.Attribute] = true
		if s.Weight <= 0 || s.Weight > SpreadMaxWeight {
			p.addf(sp+".Weight", "%d is out of range: want a weight from 1 to %d", s.Weight, SpreadMaxWeight)
		}
		sum := 0
		seen := make(map[string]bool, len(s.SpreadTarget))
		for k, t := range s.SpreadTarget {
			tp := fmt.Sprintf("%s.SpreadTarget[%d]", sp, k)
			if t == nil {
				p.addf(tp, "empty target")
				continue
			}
			if seen[t.Value] {
				p.addf(tp+".Value", "%q is targeted twice", t.Value)
			}
			seen[t.Value] = true
			if t.Percent > 100 {
				p.addf(tp+".Percent", "%d is out of range: want 0 to 100", t.Percent)
			}
			sum += int(t.Percent)
		}
		if sum > 100 {
			p.addf(sp+".SpreadTarget", "percentages sum to %d: want at most 100", sum)
		}
	}
}
