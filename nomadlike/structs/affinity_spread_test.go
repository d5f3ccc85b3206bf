package structs_test

import (
	"strings"
	"testing"

	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/structs"
)

func TestJobValidateAffinitiesAndSpreads(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		change func(j *structs.Job)
		want   []string
	}{
		{"valid affinity and spread", func(j *structs.Job) {
			j.Affinities = []*structs.Affinity{{LTarget: "${node.datacenter}", Operand: "=", RTarget: "dc1", Weight: -100}}
			j.TaskGroups[0].Spreads = []*structs.Spread{{Attribute: "${meta.rack}", Weight: 100,
				SpreadTarget: []*structs.SpreadTarget{{Value: "r1", Percent: 60}, {Value: "r2", Percent: 40}}}}
		}, nil},
		{"affinity weight zero and unknown operator", func(j *structs.Job) {
			j.TaskGroups[0].Tasks[0].Affinities = []*structs.Affinity{
				{LTarget: "${meta.rack}", Operand: "=", RTarget: "r1", Weight: 0},
				{LTarget: "${meta.rack}", Operand: "distinct_property", Weight: 10},
			}
		}, []string{`Tasks["web"].Affinities[0].Weight: 0 is out of range`, `Affinities[1].Operand: "distinct_property" is not an affinity operator`}},
		{"affinity weight below -100 and bad regexp", func(j *structs.Job) {
			j.Affinities = []*structs.Affinity{{LTarget: "${meta.rack}", Operand: "regexp", RTarget: "r(", Weight: -101}}
		}, []string{"Affinities[0].Weight: -101 is out of range", `Affinities[0].RTarget: invalid regexp "r("`}},
		{"spread targets over 100 and repeated", func(j *structs.Job) {
			j.Spreads = []*structs.Spread{{Attribute: "${meta.rack}", Weight: 50, SpreadTarget: []*structs.SpreadTarget{
				{Value: "r1", Percent: 70}, {Value: "r1", Percent: 40},
			}}}
		}, []string{`Spreads[0].SpreadTarget[1].Value: "r1" is targeted twice`, "Spreads[0].SpreadTarget: percentages sum to 110"}},
		{"spread without attribute or weight", func(j *structs.Job) {
			j.TaskGroups[0].Spreads = []*structs.Spread{{}}
		}, []string{`TaskGroups["web"].Spreads[0].Attribute: missing attribute`, `Spreads[0].Weight: 0 is out of range`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			j := mock.Job()
			tc.change(j)
			err := j.Validate()
			if tc.want == nil {
				if err != nil {
					t.Fatalf("valid job rejected: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("invalid job accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			if got := strings.Count(err.Error(), "\n") + 1; got != len(tc.want) {
				t.Errorf("%d problems reported, want %d:\n%v", got, len(tc.want), err)
			}
		})
	}
}

func TestJobCopyAffinitiesAndSpreads(t *testing.T) {
	t.Parallel()
	j := mock.Job()
	j.Affinities = []*structs.Affinity{{LTarget: "${meta.rack}", Operand: "=", RTarget: "r1", Weight: 10}}
	j.TaskGroups[0].Spreads = []*structs.Spread{{Attribute: "${meta.rack}", Weight: 50,
		SpreadTarget: []*structs.SpreadTarget{{Value: "r1", Percent: 60}}}}
	c := j.Copy()
	c.Affinities[0].Weight = 20
	c.TaskGroups[0].Spreads[0].SpreadTarget[0].Percent = 10
	if j.Affinities[0].Weight != 10 || j.TaskGroups[0].Spreads[0].SpreadTarget[0].Percent != 60 {
		t.Fatal("changing the copy changed the original")
	}
}
