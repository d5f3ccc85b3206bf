package feasible

import (
	"fmt"
	"testing"

	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/structs"
)

func hostVolume(name string, readOnly bool) *structs.ClientHostVolumeConfig {
	return &structs.ClientHostVolumeConfig{Name: name, Path: "/srv/" + name, ReadOnly: readOnly}
}

func TestHostVolumeChecker(t *testing.T) {
	type vols = map[string]*structs.VolumeRequest
	rw := func(source string) *structs.VolumeRequest {
		return &structs.VolumeRequest{Type: structs.VolumeTypeHost, Source: source}
	}
	ro := func(source string) *structs.VolumeRequest {
		return &structs.VolumeRequest{Type: structs.VolumeTypeHost, Source: source, ReadOnly: true}
	}
	perAlloc := func(req *structs.VolumeRequest) *structs.VolumeRequest { req.PerAlloc = true; return req }
	cases := []struct {
		name      string
		requests  vols
		node      map[string]*structs.ClientHostVolumeConfig
		allocName string
		want      bool
	}{
		{"node has the volume", vols{"d": rw("data")}, map[string]*structs.ClientHostVolumeConfig{"data": hostVolume("data", false)}, "", true},
		{"node lacks the volume", vols{"d": rw("data")}, map[string]*structs.ClientHostVolumeConfig{"logs": hostVolume("logs", false)}, "", false},
		{"node has no volumes at all", vols{"d": rw("data")}, nil, "", false},
		{"read-only volume, read-write request", vols{"d": rw("data")}, map[string]*structs.ClientHostVolumeConfig{"data": hostVolume("data", true)}, "", false},
		{"read-only volume, read-only request", vols{"d": ro("data")}, map[string]*structs.ClientHostVolumeConfig{"data": hostVolume("data", true)}, "", true},
		{"writable volume, read-only request", vols{"d": ro("data")}, map[string]*structs.ClientHostVolumeConfig{"data": hostVolume("data", false)}, "", true},
		{"one source asked read-only and read-write", vols{"a": ro("data"), "b": rw("data")},
			map[string]*structs.ClientHostVolumeConfig{"data": hostVolume("data", true)}, "", false},
		{"every volume needed", vols{"a": rw("data"), "b": ro("certs")},
			map[string]*structs.ClientHostVolumeConfig{"data": hostVolume("data", false)}, "", false},
		{"per_alloc finds the indexed volume", vols{"d": perAlloc(rw("data"))},
			map[string]*structs.ClientHostVolumeConfig{"data[1]": hostVolume("data[1]", false)}, "job.web[1]", true},
		{"per_alloc ignores the shared name", vols{"d": perAlloc(rw("data"))},
			map[string]*structs.ClientHostVolumeConfig{"data": hostVolume("data", false), "data[0]": hostVolume("data[0]", false)}, "job.web[1]", false},
		{"per_alloc and shared together", vols{"d": perAlloc(rw("data")), "c": ro("certs")},
			map[string]*structs.ClientHostVolumeConfig{"data[2]": hostVolume("data[2]", false), "certs": hostVolume("certs", true)}, "job.web[2]", true},
		{"per_alloc volume read-only", vols{"d": perAlloc(rw("data"))},
			map[string]*structs.ClientHostVolumeConfig{"data[0]": hostVolume("data[0]", true)}, "job.web[0]", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			node := mock.Node()
			node.HostVolumes = tc.node
			h := NewHostVolumeChecker(&structs.TaskGroup{Volumes: tc.requests})
			if h == nil {
				t.Fatal("no checker for a group with host volumes")
			}
			ok, reason := h.FeasibleFor(node, tc.allocName)
			if ok != tc.want {
				t.Fatalf("FeasibleFor = %v (%q), want %v", ok, reason, tc.want)
			}
			if !ok && reason != ReasonHostVolumes {
				t.Fatalf("reason %q, want %q", reason, ReasonHostVolumes)
			}
		})
	}
	if h := NewHostVolumeChecker(&structs.TaskGroup{}); h != nil {
		t.Fatal("a checker for a group without volumes")
	}
	csiOnly := &structs.TaskGroup{Volumes: vols{"c": {Type: structs.VolumeTypeCSI, Source: "ebs"}}}
	if h := NewHostVolumeChecker(csiOnly); h != nil {
		t.Fatal("a host volume checker for a group with only non-host volumes")
	}
}

// volumeJob asks each allocation of mock.Job()'s group for the host
// volume source (per allocation when perAlloc).
func volumeJob(source string, perAlloc bool, count int) *structs.Job {
	job := mock.Job()
	tg := job.TaskGroups[0]
	tg.Count = count
	tg.Volumes = map[string]*structs.VolumeRequest{"data": {Name: "data", Type: structs.VolumeTypeHost, Source: source, PerAlloc: perAlloc}}
	tg.Tasks[0].VolumeMounts = []*structs.VolumeMount{{Volume: "data", Destination: "/data"}}
	return job
}

func TestStackHostVolumes(t *testing.T) {
	job := volumeJob("data", false, 3)
	with, without, readOnly := mock.Node(), mock.Node(), mock.Node()
	with.HostVolumes = map[string]*structs.ClientHostVolumeConfig{"data": hostVolume("data", false)}
	readOnly.HostVolumes = map[string]*structs.ClientHostVolumeConfig{"data": hostVolume("data", true)}
	without.NodeClass = "no-volume"
	ctx := newTestContext(t, job, nil)
	stack := NewStack(ctx, job, NewCandidates(job, []*structs.Node{without, with, readOnly}), 3)
	for _, a := range placeAll(t, ctx, stack, job, 3) {
		if a.NodeID != with.ID {
			t.Fatalf("placed on %s, want only the node with a writable volume", a.NodeID)
		}
	}
	// The metric of each placement says why the other two were passed over.
	_, m, _ := stack.Select(job.TaskGroups[0])
	if m.ConstraintFiltered[ReasonHostVolumes] != 2 || m.ClassFiltered["no-volume"] != 1 {
		t.Fatalf("filtered %v (classes %v), want %q on 2 nodes", m.ConstraintFiltered, m.ClassFiltered, ReasonHostVolumes)
	}
}

func TestStackPerAllocHostVolumes(t *testing.T) {
	job := volumeJob("data", true, 3)
	var nodes []*structs.Node
	for i := range 3 {
		n := mock.Node()
		name := fmt.Sprintf("data[%d]", i)
		n.HostVolumes = map[string]*structs.ClientHostVolumeConfig{name: hostVolume(name, false)}
		nodes = append(nodes, n)
	}
	ctx := newTestContext(t, job, nil)
	stack := NewStack(ctx, job, NewCandidates(job, nodes), 0)
	tg := job.TaskGroups[0]
	// Twice over: the second round checks that a node's verdict for one
	// index is not cached for another.
	for round := range 2 {
		for _, i := range []int{2, 0, 1} {
			name := fmt.Sprintf("%s.%s[%d]", job.ID, tg.Name, i)
			opt, m, err := stack.SelectWith(tg, SelectOptions{AllocName: name})
			if err != nil || opt == nil {
				t.Fatalf("round %d: no node for %s: %v %+v", round, name, err, m)
			}
			if opt.Node.ID != nodes[i].ID {
				t.Fatalf("round %d: %s placed on the node of another index", round, name)
			}
		}
	}
	opt, m, _ := stack.SelectWith(tg, SelectOptions{AllocName: job.ID + ".web[3]"})
	if opt != nil || m.ConstraintFiltered[ReasonHostVolumes] != 3 {
		t.Fatalf("index 3 placed (%v) or filtered %v, want %q on all 3 nodes", opt, m.ConstraintFiltered, ReasonHostVolumes)
	}
}
