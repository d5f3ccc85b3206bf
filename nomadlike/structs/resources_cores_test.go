package structs

import (
	"slices"
	"testing"
)

func TestFormatCPUSet(t *testing.T) {
	cases := []struct {
		name  string
		cores []uint16
		want  string
	}{
		{"none", nil, ""},
		{"one", []uint16{3}, "3"},
		{"a range", []uint16{0, 1, 2}, "0-2"},
		{"unsorted with duplicates", []uint16{12, 7, 0, 14, 1, 13, 2, 7}, "0-2,7,12-14"},
		{"two singles", []uint16{1, 3}, "1,3"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := FormatCPUSet(tc.cores); got != tc.want {
				t.Fatalf("FormatCPUSet(%v) = %q, want %q", tc.cores, got, tc.want)
			}
		})
	}
}

func TestNodeCores(t *testing.T) {
	cases := []struct {
		name      string
		res       *NodeResources
		wantMHz   int64
		wantCores []uint16
	}{
		{"no resources", nil, 0, nil},
		{"count only", &NodeResources{Cpu: NodeCpuResources{CpuShares: 4000, TotalCpuCores: 4}}, 1000, []uint16{0, 1, 2, 3}},
		{"fingerprinted list", &NodeResources{Cpu: NodeCpuResources{CpuShares: 5000, TotalCpuCores: 2, ReservableCpuCores: []uint16{1}}}, 2500, []uint16{1}},
		{"no core count", &NodeResources{Cpu: NodeCpuResources{CpuShares: 4000}}, 0, []uint16{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.res.MHzPerCore(); got != tc.wantMHz {
				t.Errorf("MHzPerCore = %d, want %d", got, tc.wantMHz)
			}
			if got := tc.res.ReservableCores(); !slices.Equal(got, tc.wantCores) {
				t.Errorf("ReservableCores = %v, want %v", got, tc.wantCores)
			}
		})
	}
}
