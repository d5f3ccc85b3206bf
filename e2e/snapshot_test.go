package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"
)

// jobListing is what /v1/jobs and /v1/job/:id/allocations show of the
// state a snapshot carries, with the indexes, so two agents can be
// compared row by row.
type jobListing struct {
	Jobs   []string
	Allocs []string
}

func listState(t *testing.T, a *agent, jobID string) jobListing {
	t.Helper()
	var jobs []struct {
		ID             string
		Status         string
		ModifyIndex    uint64
		JobModifyIndex uint64
	}
	if code := a.getJSON(t, "/v1/jobs", &jobs); code != 200 {
		t.Fatalf("GET /v1/jobs: %d", code)
	}
	var allocs []struct {
		ID, Name, NodeID, DesiredStatus, ClientStatus string
		CreateIndex, ModifyIndex                      uint64
	}
	if code := a.getJSON(t, "/v1/job/"+jobID+"/allocations", &allocs); code != 200 {
		t.Fatalf("GET allocations of %s: %d", jobID, code)
	}
	var out jobListing
	for _, j := range jobs {
		out.Jobs = append(out.Jobs, fmt.Sprintf("%s %s modify=%d job_modify=%d", j.ID, j.Status, j.ModifyIndex, j.JobModifyIndex))
	}
	for _, al := range allocs {
		out.Allocs = append(out.Allocs, fmt.Sprintf("%s %s node=%s %s/%s create=%d modify=%d",
			al.ID, al.Name, al.NodeID, al.DesiredStatus, al.ClientStatus, al.CreateIndex, al.ModifyIndex))
	}
	sort.Strings(out.Jobs)
	sort.Strings(out.Allocs)
	return out
}

// TestSnapshotSaveRestore saves a snapshot of an agent running a job and
// restores it into a fresh agent with the CLI, as an operator moving a
// cluster would: the fresh agent then lists the same jobs and allocations
// with the same indexes, and damaged files are refused without effect.
func TestSnapshotSaveRestore(t *testing.T) {
	src := startAgent(t)
	if res := src.run(t, "job", "run", "../examples/web.hcl"); res.Code != 0 {
		t.Fatalf("job run exited %d\n%s%s", res.Code, res.Stdout, res.Stderr)
	}
	var saved jobListing
	waitFor(t, 20*time.Second, "web's allocations running and settled", func() (bool, string) {
		saved = listState(t, src, "web")
		running := strings.Count(strings.Join(saved.Allocs, "\n"), "run/running")
		return running == 3, strings.Join(saved.Allocs, "; ")
	})

	peers := src.run(t, "operator", "raft", "list-peers")
	if peers.Code != 0 || !strings.Contains(peers.Stdout, "leader") || !strings.Contains(peers.Stdout, "true") {
		t.Fatalf("list-peers exited %d:\n%s%s", peers.Code, peers.Stdout, peers.Stderr)
	}

	file := filepath.Join(t.TempDir(), "backup.snap")
	if res := src.run(t, "operator", "snapshot", "save", file); res.Code != 0 || !strings.Contains(res.Stdout, "State file written to") {
		t.Fatalf("snapshot save exited %d:\n%s%s", res.Code, res.Stdout, res.Stderr)
	}
	if after := listState(t, src, "web"); !reflect.DeepEqual(after, saved) {
		t.Fatalf("source state moved while saving, the comparison would be meaningless:\n%v\n%v", saved, after)
	}
	inspect := src.run(t, "operator", "snapshot", "inspect", file)
	if inspect.Code != 0 || !strings.Contains(squashSpaces(inspect.Stdout), "Checksum = ok") {
		t.Fatalf("snapshot inspect exited %d:\n%s%s", inspect.Code, inspect.Stdout, inspect.Stderr)
	}

	dst := startAgent(t)
	before := listState(t, dst, "web")
	if len(before.Jobs) != 0 {
		t.Fatalf("fresh agent already has jobs: %v", before.Jobs)
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	truncated := filepath.Join(t.TempDir(), "truncated.snap")
	if err := os.WriteFile(truncated, raw[:len(raw)*2/3], 0o600); err != nil {
		t.Fatal(err)
	}
	if res := dst.run(t, "operator", "snapshot", "inspect", truncated); res.Code != 1 {
		t.Fatalf("inspect of a truncated file exited %d, want 1:\n%s%s", res.Code, res.Stdout, res.Stderr)
	}
	if res := dst.run(t, "operator", "snapshot", "restore", truncated); res.Code != 1 || !strings.Contains(res.Stderr, "corrupt") {
		t.Fatalf("restore of a truncated file exited %d, want 1 naming the damage:\n%s%s", res.Code, res.Stdout, res.Stderr)
	}
	if got := listState(t, dst, "web"); !reflect.DeepEqual(got, before) {
		t.Fatalf("a refused restore changed the fresh agent's state: %v", got)
	}

	if res := dst.run(t, "operator", "snapshot", "restore", file); res.Code != 0 || !strings.Contains(res.Stdout, "Snapshot Restored") {
		t.Fatalf("snapshot restore exited %d:\n%s%s", res.Code, res.Stdout, res.Stderr)
	}
	if got := listState(t, dst, "web"); !reflect.DeepEqual(got, saved) {
		t.Fatalf("restored agent lists\n  %v\nwant the saved\n  %v", got, saved)
	}
	status := dst.run(t, "job", "status", "web")
	if status.Code != 0 || !strings.Contains(status.Stdout, "web") {
		t.Fatalf("job status on the restored agent exited %d:\n%s%s", status.Code, status.Stdout, status.Stderr)
	}
}

func squashSpaces(s string) string { return strings.Join(strings.Fields(s), " ") }
