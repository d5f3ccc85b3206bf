package agent

import (
	"reflect"
	"testing"

	"github.com/orch-dev/orch/api"
	"github.com/orch-dev/orch/nomadlike/structs"
)

func TestConvertAffinitiesAndSpreads(t *testing.T) {
	t.Parallel()
	w := func(n int8) *int8 { return &n }
	cases := []struct {
		name         string
		affinities   []*api.Affinity
		spreads      []*api.Spread
		wantAffinity []*structs.Affinity
		wantSpread   []*structs.Spread
	}{
		{name: "none"},
		{
			name:         "defaults: weight 50, operator =",
			affinities:   []*api.Affinity{{LTarget: "${meta.rack}", RTarget: "r1"}},
			spreads:      []*api.Spread{{Attribute: "${meta.rack}"}},
			wantAffinity: []*structs.Affinity{{LTarget: "${meta.rack}", RTarget: "r1", Operand: "=", Weight: 50}},
			wantSpread:   []*structs.Spread{{Attribute: "${meta.rack}", Weight: 50}},
		},
		{
			name:         "explicit values kept",
			affinities:   []*api.Affinity{{LTarget: "${meta.rack}", Operand: "!=", RTarget: "r1", Weight: w(-30)}},
			spreads:      []*api.Spread{{Attribute: "${node.datacenter}", Weight: w(90), SpreadTarget: []*api.SpreadTarget{{Value: "dc1", Percent: 25}}}},
			wantAffinity: []*structs.Affinity{{LTarget: "${meta.rack}", RTarget: "r1", Operand: "!=", Weight: -30}},
			wantSpread:   []*structs.Spread{{Attribute: "${node.datacenter}", Weight: 90, SpreadTarget: []*structs.SpreadTarget{{Value: "dc1", Percent: 25}}}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := convertAffinities(tc.affinities); !reflect.DeepEqual(got, tc.wantAffinity) {
				t.Errorf("affinities = %+v, want %+v", got, tc.wantAffinity)
			}
			if got := convertSpreads(tc.spreads); !reflect.DeepEqual(got, tc.wantSpread) {
				t.Errorf("spreads = %+v, want %+v", got, tc.wantSpread)
			}
		})
	}
}
