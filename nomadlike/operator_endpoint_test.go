package nomadlike_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/orch-dev/orch/nomadlike"
	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/nomadtest"
	"github.com/orch-dev/orch/nomadlike/snapshot"
	"github.com/orch-dev/orch/nomadlike/state"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// stateDump is every table a snapshot carries, as JSON so that a failed
// comparison shows what differs.
type stateDump map[string]string

func dumpState(t *testing.T, st *state.StateStore) stateDump {
	t.Helper()
	out := stateDump{}
	add := func(table string, v interface{}, err error) {
		if err != nil {
			t.Fatalf("read %s: %v", table, err)
		}
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("encode %s: %v", table, err)
		}
		out[table] = string(b)
	}
	indexes, err := st.Indexes()
	add("index", indexes, err)
	jobs, err := st.Jobs(nil, state.AllNamespaces, "")
	add("jobs", jobs, err)
	summaries, err := st.JobSummaries(nil)
	add("job_summary", summaries, err)
	nodes, err := st.Nodes(nil)
	add("nodes", nodes, err)
	allocs, err := st.Allocs(nil, state.AllNamespaces, "")
	add("allocs", allocs, err)
	evals, err := st.Evals(nil, state.AllNamespaces, "")
	add("evals", evals, err)
	return out
}

func (d stateDump) diff(other stateDump) error {
	var errs []error
	for table, v := range d {
		if other[table] != v {
			errs = append(errs, fmt.Errorf("table %s differs:\n  got  %s\n  want %s", table, other[table], v))
		}
	}
	return errors.Join(errs...)
}

// scheduledServer is a dev server holding a node, a job whose
// allocations the scheduler placed, and a second job with no room, so
// every table a snapshot carries has rows.
func scheduledServer(t *testing.T) (*nomadlike.Server, *structs.Job) {
	t.Helper()
	s := nomadtest.TestServer(t, nil)
	node := mock.Node()
	var reg structs.NodeUpdateResponse
	if err := s.RPC(structs.NodeRegisterRPC, &structs.NodeRegisterRequest{Node: node}, &reg); err != nil {
		t.Fatal(err)
	}
	job := mock.Job()
	job.TaskGroups[0].Count = 3
	resp := registerJob(t, s, job)
	waitEvalComplete(t, s, resp.EvalID)
	var allocs structs.JobAllocationsResponse
	if err := s.RPC(structs.JobAllocationsRPC, &structs.JobSpecificRequest{JobID: job.ID}, &allocs); err != nil {
		t.Fatal(err)
	}
	if len(allocs.Allocations) != 3 {
		t.Fatalf("%d allocations placed, want 3", len(allocs.Allocations))
	}
	return s, job
}

func waitEvalComplete(t *testing.T, s structs.RPCer, evalID string) {
	t.Helper()
	nomadtest.WaitFor(t, 10*time.Second, func() error {
		var eval structs.SingleEvalResponse
		if err := s.RPC(structs.EvalGetEvalRPC, &structs.EvalSpecificRequest{EvalID: evalID}, &eval); err != nil {
			return err
		}
		if eval.Eval == nil || eval.Eval.Status != structs.EvalStatusComplete {
			return fmt.Errorf("eval %+v not complete", eval.Eval)
		}
		return nil
	})
}

func saveSnapshot(t *testing.T, rpc structs.RPCer) *structs.SnapshotSaveResponse {
	t.Helper()
	var resp structs.SnapshotSaveResponse
	if err := rpc.RPC(structs.OperatorSnapshotSaveRPC, &structs.SnapshotSaveRequest{}, &resp); err != nil {
		t.Fatalf("save snapshot: %v", err)
	}
	return &resp
}

func TestOperator_SnapshotRestoreIntoFreshServer(t *testing.T) {
	t.Parallel()
	src, job := scheduledServer(t)
	before := dumpState(t, src.State())
	saved := saveSnapshot(t, newTCPRPC(t, src))
	if err := before.diff(dumpState(t, src.State())); err != nil {
		t.Fatalf("source state changed while saving, the comparison would be meaningless: %v", err)
	}
	meta, err := snapshot.Verify(bytes.NewReader(saved.Archive))
	if err != nil {
		t.Fatalf("saved archive does not verify: %v", err)
	}
	latest, _ := src.State().LatestIndex()
	if meta.Index < latest || saved.Index != meta.Index {
		t.Fatalf("snapshot index %d (reply %d), want at least the state's %d", meta.Index, saved.Index, latest)
	}

	dst := nomadtest.TestServer(t, nil)
	var resp structs.GenericResponse
	req := &structs.SnapshotRestoreRequest{Archive: saved.Archive}
	if err := newTCPRPC(t, dst).RPC(structs.OperatorSnapshotRestoreRPC, req, &resp); err != nil {
		t.Fatalf("restore: %v", err)
	}
	if resp.Index <= meta.Index {
		t.Fatalf("restore index %d, want past the snapshot's %d", resp.Index, meta.Index)
	}
	if err := before.diff(dumpState(t, dst.State())); err != nil {
		t.Fatalf("restored state differs from the saved one:\n%v", err)
	}

	// The restored leader works on: its duties restarted and new writes
	// get indexes past everything restored.
	nomadtest.WaitForLeader(t, dst)
	job2 := mock.Job()
	job2.TaskGroups[0].Count = 1
	reg := registerJob(t, dst, job2)
	if reg.Index <= resp.Index {
		t.Fatalf("write after restore at index %d, want past %d", reg.Index, resp.Index)
	}
	waitEvalComplete(t, dst, reg.EvalID)
	var got structs.SingleJobResponse
	if err := dst.RPC(structs.JobGetJobRPC, &structs.JobSpecificRequest{JobID: job.ID}, &got); err != nil || got.Job == nil {
		t.Fatalf("restored job %s: %+v, %v", job.ID, got.Job, err)
	}
}

func TestOperator_SnapshotRestoreRefusesBadArchives(t *testing.T) {
	t.Parallel()
	src, _ := scheduledServer(t)
	good := saveSnapshot(t, src).Archive

	flipped := bytes.Clone(good)
	flipped[len(flipped)/2] ^= 0x40
	var undecodable bytes.Buffer
	garbage := []byte("checksummed but not an orch state")
	meta := &snapshot.Meta{FormatVersion: snapshot.FormatVersion, ID: "1-5-1", Index: 5, Term: 1, Version: 1, Size: int64(len(garbage))}
	if err := snapshot.Write(&undecodable, meta, bytes.NewReader(garbage)); err != nil {
		t.Fatal(err)
	}

	dst := nomadtest.TestServer(t, noWorkers)
	registerJob(t, dst, mock.Job())
	before := dumpState(t, dst.State())
	cases := []struct {
		name    string
		archive []byte
		want    string
	}{
		{"empty", nil, "holds no archive"},
		{"truncated", good[:len(good)-64], "corrupt"},
		{"byte flipped", flipped, "corrupt"},
		{"state undecodable", undecodable.Bytes(), "cannot be read"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var resp structs.GenericResponse
			err := dst.RPC(structs.OperatorSnapshotRestoreRPC, &structs.SnapshotRestoreRequest{Archive: tc.archive}, &resp)
			if !errors.Is(err, structs.ErrBadRequest) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("restore: %v, want a bad request mentioning %q", err, tc.want)
			}
			if err := before.diff(dumpState(t, dst.State())); err != nil {
				t.Fatalf("a refused restore changed state: %v", err)
			}
		})
	}
	if !dst.IsLeader() {
		t.Fatal("server lost leadership after refused restores")
	}
}

func TestOperator_RaftConfigurationSingleServer(t *testing.T) {
	t.Parallel()
	s := nomadtest.TestServer(t, noWorkers)
	var resp structs.RaftConfigurationResponse
	if err := newTCPRPC(t, s).RPC(structs.OperatorRaftGetConfigurationRPC, &structs.GenericRequest{}, &resp); err != nil {
		t.Fatal(err)
	}
	if len(resp.Servers) != 1 || resp.Index == 0 {
		t.Fatalf("configuration %+v: want one server and an index", resp)
	}
	got := resp.Servers[0]
	want := structs.RaftServer{ID: got.ID, Node: "test-server", Address: s.RPCAddr().String(), Leader: true, Voter: true, RaftProtocol: "3"}
	if *got != want || got.ID == "" {
		t.Fatalf("server %+v, want %+v", *got, want)
	}
}

func TestOperator_RaftRemovePeer(t *testing.T) {
	t.Parallel()
	s := nomadtest.TestServer(t, noWorkers)
	self := func() *structs.RaftServer {
		var resp structs.RaftConfigurationResponse
		if err := s.RPC(structs.OperatorRaftGetConfigurationRPC, &structs.GenericRequest{}, &resp); err != nil {
			t.Fatal(err)
		}
		return resp.Servers[0]
	}()
	// A peer that never answers: enough for the configuration to change.
	deadAddr := deadAddress(t)
	if err := nomadlike.AddNonvoterForTest(s, "dead-peer", deadAddr); err != nil {
		t.Fatalf("add peer: %v", err)
	}

	cases := []struct {
		name    string
		req     structs.RaftPeerRemoveRequest
		wantErr error
		want    string
	}{
		{"neither", structs.RaftPeerRemoveRequest{}, structs.ErrBadRequest, "exactly one of address or id"},
		{"both", structs.RaftPeerRemoveRequest{Address: deadAddr, ID: "dead-peer"}, structs.ErrBadRequest, "exactly one"},
		{"unknown address", structs.RaftPeerRemoveRequest{Address: "127.0.0.1:1"}, structs.ErrNotFound, `no peer with address "127.0.0.1:1"`},
		{"unknown id", structs.RaftPeerRemoveRequest{ID: "nope"}, structs.ErrNotFound, `no peer with id "nope"`},
		{"leader by id", structs.RaftPeerRemoveRequest{ID: self.ID}, structs.ErrBadRequest, "is the leader"},
		{"leader by address", structs.RaftPeerRemoveRequest{Address: self.Address}, structs.ErrBadRequest, "is the leader"},
		{"peer by address", structs.RaftPeerRemoveRequest{Address: deadAddr}, nil, ""},
		{"peer already gone", structs.RaftPeerRemoveRequest{ID: "dead-peer"}, structs.ErrNotFound, "no peer with id"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var resp structs.GenericResponse
			err := s.RPC(structs.OperatorRaftRemovePeerRPC, &tc.req, &resp)
			if tc.wantErr == nil {
				if err != nil || resp.Index == 0 {
					t.Fatalf("remove: %v (index %d), want success", err, resp.Index)
				}
				return
			}
			if !errors.Is(err, tc.wantErr) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("remove: %v, want %v mentioning %q", err, tc.wantErr, tc.want)
			}
		})
	}
	var resp structs.RaftConfigurationResponse
	if err := s.RPC(structs.OperatorRaftGetConfigurationRPC, &structs.GenericRequest{}, &resp); err != nil {
		t.Fatal(err)
	}
	if len(resp.Servers) != 1 || resp.Servers[0].ID != self.ID {
		t.Fatalf("servers after removal %+v, want only the leader", resp.Servers)
	}
}

// deadAddress returns a loopback address nothing listens on.
func deadAddress(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestRaftSnapshot_ThresholdCompactsAndRestartRecovers runs a server
// with Raft on disk and small snapshot settings: Raft must snapshot and
// drop old log entries by itself, and a server restarted from that
// snapshot plus the trailing log must hold the same state.
func TestRaftSnapshot_ThresholdCompactsAndRestartRecovers(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := func() *nomadlike.Config {
		return &nomadlike.Config{
			Logger:                nomadtest.Logger(t, "server"),
			NodeName:              "disk-server",
			DataDir:               dir,
			BootstrapExpect:       1,
			RPCAddr:               &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)},
			NumSchedulers:         -1,
			RaftSnapshotThreshold: 16,
			RaftSnapshotInterval:  20 * time.Millisecond,
			RaftTrailingLogs:      4,
		}
	}
	s, err := nomadlike.NewServer(cfg())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Shutdown() })
	nomadtest.WaitForLeader(t, s)
	for i := 0; i < 40; i++ {
		if i%10 == 0 {
			var reg structs.NodeUpdateResponse
			if err := s.RPC(structs.NodeRegisterRPC, &structs.NodeRegisterRequest{Node: mock.Node()}, &reg); err != nil {
				t.Fatal(err)
			}
		}
		registerJob(t, s, mock.Job())
	}
	nomadtest.WaitFor(t, 10*time.Second, func() error {
		first, last, snaps, err := nomadlike.RaftLogForTest(s)
		if err != nil {
			return err
		}
		if snaps == 0 || first <= 1 {
			return fmt.Errorf("raft log %d..%d with %d snapshots: want a snapshot and the log compacted", first, last, snaps)
		}
		return nil
	})
	// One more write after the snapshot, so the restart needs both the
	// snapshot and the trailing log.
	registerJob(t, s, mock.Job())
	want := dumpState(t, s.State())
	wantIndex, _ := s.State().LatestIndex()
	if err := s.Shutdown(); err != nil {
		t.Fatalf("shutdown: %v", err)
	}

	restarted, err := nomadlike.NewServer(cfg())
	if err != nil {
		t.Fatalf("restart: %v", err)
	}
	t.Cleanup(func() { _ = restarted.Shutdown() })
	nomadtest.WaitForLeader(t, restarted)
	nomadtest.WaitFor(t, 10*time.Second, func() error {
		if idx, _ := restarted.State().LatestIndex(); idx < wantIndex {
			return fmt.Errorf("restarted state at index %d, want %d", idx, wantIndex)
		}
		return nil
	})
	if err := want.diff(dumpState(t, restarted.State())); err != nil {
		t.Fatalf("state after restart differs:\n%v", err)
	}
}

// TestOperator_Cluster runs the operator RPCs against a three-server
// cluster through a follower, which forwards them to the leader: the peer
// list names every server and the one leader, and a restore replaces the
// state on every server, followers included.
func TestOperator_Cluster(t *testing.T) {
	t.Parallel()
	servers := nomadtest.TestCluster(t, 3, func(i int, cfg *nomadlike.Config) { cfg.NumSchedulers = -1 })
	leader := nomadtest.WaitForCluster(t, servers)
	var follower *nomadlike.Server
	for _, s := range servers {
		if s != leader {
			follower = s
			break
		}
	}

	var conf structs.RaftConfigurationResponse
	if err := follower.RPC(structs.OperatorRaftGetConfigurationRPC, &structs.GenericRequest{}, &conf); err != nil {
		t.Fatal(err)
	}
	var names []string
	leaders := 0
	for _, p := range conf.Servers {
		names = append(names, p.Node)
		if p.Leader {
			leaders++
			if p.Address != leader.RPCAddr().String() {
				t.Errorf("peer %s marked leader, the leader is %s", p.Address, leader.RPCAddr())
			}
		}
		if !p.Voter {
			t.Errorf("peer %+v is not a voter", p)
		}
	}
	sort.Strings(names)
	if leaders != 1 || strings.Join(names, ",") != "server-0.global,server-1.global,server-2.global" {
		t.Fatalf("peers %v with %d leaders: want server-0..2 and one leader", names, leaders)
	}

	kept := mock.Job()
	registerJob(t, follower, kept)
	saved := saveSnapshot(t, follower)
	want := dumpState(t, leader.State())
	registerJob(t, leader, mock.Job())

	var resp structs.GenericResponse
	if err := follower.RPC(structs.OperatorSnapshotRestoreRPC, &structs.SnapshotRestoreRequest{Archive: saved.Archive}, &resp); err != nil {
		t.Fatalf("restore through a follower: %v", err)
	}
	for _, s := range servers {
		nomadtest.WaitFor(t, 10*time.Second, func() error {
			return want.diff(dumpState(t, s.State()))
		})
	}
}
