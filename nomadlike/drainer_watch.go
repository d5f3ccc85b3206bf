package nomadlike

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-memdb"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// drainRetry spaces out passes after a failed write, so a lost leadership
// or a full Raft does not spin the loop.
const drainRetry = time.Second

// drainer runs on the leader: it watches the state for draining nodes and
// the allocations on them, and writes what planDrain decides.
type drainer struct {
	srv    *Server
	logger hclog.Logger
	now    func() time.Time
}

func newDrainer(srv *Server, logger hclog.Logger) *drainer {
	return &drainer{srv: srv, logger: logger.Named("drainer"), now: time.Now}
}

// run makes a pass whenever a node or an allocation it read changes, or
// the nearest drain deadline passes, until stopCh closes.
func (d *drainer) run(stopCh chan struct{}) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-stopCh
		cancel()
	}()
	for ctx.Err() == nil {
		ws := memdb.NewWatchSet()
		wait, err := d.pass(ws)
		if err != nil {
			d.logger.Error("drain pass failed", "error", err)
			select {
			case <-ctx.Done():
			case <-time.After(drainRetry):
			}
			continue
		}
		waitCtx, waitCancel := ctx, context.CancelFunc(func() {})
		if wait > 0 {
			waitCtx, waitCancel = context.WithTimeout(ctx, wait)
		}
		_ = ws.WatchCtx(waitCtx)
		waitCancel()
	}
}

// pass reads the draining nodes, decides and writes. It returns how long
// until the nearest deadline, or zero when no deadline is pending.
func (d *drainer) pass(ws memdb.WatchSet) (time.Duration, error) {
	in, err := d.read(ws)
	if err != nil || len(in.Nodes) == 0 {
		return 0, err
	}
	res := planDrain(in)
	if len(res.Stop) > 0 {
		if err := d.stop(in, res.Stop); err != nil {
			return 0, err
		}
	}
	for _, id := range res.Done {
		req := &structs.NodeUpdateDrainRequest{NodeID: id, UpdatedAt: in.Now.Unix()}
		if _, _, err := d.srv.raftApply(structs.NodeUpdateDrainRequestType, req); err != nil {
			return 0, fmt.Errorf("mark drain of node %q complete: %w", id, err)
		}
		d.logger.Info("node drain complete", "node_id", id)
	}
	var wait time.Duration
	for _, n := range in.Nodes {
		if n.DrainStrategy == nil || n.DrainStrategy.Deadline <= 0 {
			continue
		}
		if left := n.DrainStrategy.ForceDeadline.Sub(in.Now); left > 0 && (wait == 0 || left < wait) {
			wait = left
		}
	}
	return wait, nil
}

// read gathers the input of a pass, adding everything it looks at to ws.
func (d *drainer) read(ws memdb.WatchSet) (drainInput, error) {
	st := d.srv.fsm.State()
	in := drainInput{
		Now:       d.now(),
		NodeAlloc: make(map[string][]*structs.Allocation),
		Jobs:      make(map[jobRef]*structs.Job),
		JobAllocs: make(map[jobRef][]*structs.Allocation),
	}
	nodes, err := st.Nodes(ws)
	if err != nil {
		return in, fmt.Errorf("drainer: %w", err)
	}
	for _, n := range nodes {
		if n.DrainStrategy == nil {
			continue
		}
		in.Nodes = append(in.Nodes, n)
		allocs, err := st.AllocsByNode(ws, n.ID)
		if err != nil {
			return in, fmt.Errorf("drainer: %w", err)
		}
		in.NodeAlloc[n.ID] = allocs
		for _, a := range allocs {
			ref := jobRef{a.Namespace, a.JobID}
			if _, seen := in.JobAllocs[ref]; seen || a.TerminalStatus() {
				continue
			}
			if in.Jobs[ref], err = st.JobByID(ws, a.Namespace, a.JobID); err != nil {
				return in, fmt.Errorf("drainer: %w", err)
			}
			if in.JobAllocs[ref], err = st.AllocsByJob(ws, a.Namespace, a.JobID); err != nil {
				return in, fmt.Errorf("drainer: %w", err)
			}
		}
	}
	return in, nil
}

// stop stops the allocations and gives each of their jobs an evaluation in
// the same entry, so replacements are scheduled as soon as it commits.
func (d *drainer) stop(in drainInput, allocs []*structs.Allocation) error {
	now := in.Now.UnixNano()
	req := &structs.ApplyPlanResultsRequest{}
	evalFor := make(map[jobRef]bool)
	for _, a := range allocs {
		req.AllocsStopped = append(req.AllocsStopped, &structs.Allocation{
			ID: a.ID, DesiredStatus: structs.AllocDesiredStatusStop, DesiredDescription: drainDesc, ModifyTime: now,
		})
		ref := jobRef{a.Namespace, a.JobID}
		if evalFor[ref] {
			continue
		}
		evalFor[ref] = true
		job := in.Jobs[ref]
		if job == nil {
			job = a.Job
		}
		if job == nil {
			continue
		}
		req.UpdatedEvals = append(req.UpdatedEvals, &structs.Evaluation{
			ID: uuid.NewString(), Namespace: a.Namespace, Priority: job.Priority, Type: job.Type,
			TriggeredBy: structs.EvalTriggerNodeDrain, JobID: a.JobID, JobModifyIndex: job.JobModifyIndex,
			NodeID: a.NodeID, Status: structs.EvalStatusPending, CreateTime: now, ModifyTime: now,
		})
	}
	if _, _, err := d.srv.raftApply(structs.ApplyPlanResultsRequestType, req); err != nil {
		return fmt.Errorf("stop %d allocations of draining nodes: %w", len(allocs), err)
	}
	d.logger.Info("migrating allocations off draining nodes", "allocs", len(allocs), "evals", len(req.UpdatedEvals))
	return nil
}
