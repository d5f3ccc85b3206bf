package agent

import (
	"github.com/orch-dev/orch/api"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// convertAffinities fills Nomad's default weight, 50, where the user gave
// none; an explicit weight is kept as is for validation to judge.
func convertAffinities(in []*api.Affinity) []*structs.Affinity {
	var out []*structs.Affinity
	for _, a := range in {
		if a == nil {
			continue
		}
		w := int8(structs.AffinityDefaultWeight)
		if a.Weight != nil {
			w = *a.Weight
		}
		op := a.Operand
		if op == "" {
			op = "="
		}
		out = append(out, &structs.Affinity{LTarget: a.LTarget, RTarget: a.RTarget, Operand: op, Weight: w})
	}
	return out
}

func convertSpreads(in []*api.Spread) []*structs.Spread {
	var out []*structs.Spread
	for _, s := range in {
		if s == nil {
			continue
		}
		w := int8(structs.SpreadDefaultWeight)
		if s.Weight != nil {
			w = *s.Weight
		}
		sp := &structs.Spread{Attribute: s.Attribute, Weight: w}
		for _, t := range s.SpreadTarget {
			if t != nil {
				sp.SpreadTarget = append(sp.SpreadTarget, &structs.SpreadTarget{Value: t.Value, Percent: t.Percent})
			}
		}
		out = append(out, sp)
	}
	return out
}
