package nomadlike

// The plan applier is the leader's single committer of scheduler plans.
// Workers plan concurrently against snapshots that may be stale; the
// applier re-checks each plan against the newest state (optimistic
// concurrency), commits the part that still fits through Raft and tells
// the worker to refresh when it had to drop something. Exported API:
//
//	EvaluatePlan(snap scheduler.State, plan *structs.Plan) (*structs.PlanResult, error)
//	NewPlanApplier(queue *PlanQueue,
//		snapshot func(minIndex uint64) (scheduler.State, error),
//		apply func(*structs.ApplyPlanResultsRequest) (uint64, error),
//		logger hclog.Logger) *PlanApplier
//	(*PlanApplier).Run(stopCh <-chan struct{})

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"
	metrics "github.com/hashicorp/go-metrics"

	"github.com/orch-dev/orch/nomadlike/structs"
	"github.com/orch-dev/orch/scheduler"
)

// EvaluatePlan decides which part of plan can be committed on top of
// snap. A node is kept whole or dropped whole: it must exist and be ready
// for new allocations (stops are always accepted), and what remains on it
// after the plan's stops, evictions (preemptions) and in-place updates,
// plus the plan's allocations, must fit its unreserved CPU, memory and
// disk without using a port or a reserved core twice. A node's evictions
// are committed only with its allocations. When a node is dropped the
// result's RefreshIndex is the snapshot's index, so the scheduler plans
// again from state at least that new. A job with AllAtOnce commits
// everything or nothing.
//
// It does no I/O; errors come only from reading snap.
func EvaluatePlan(snap scheduler.State, plan *structs.Plan) (*structs.PlanResult, error) {
	result, _, err := evaluatePlan(snap, plan)
	return result, err
}

// evaluatePlan is EvaluatePlan that also says why each dropped node was
// dropped, for the applier's logs.
func evaluatePlan(snap scheduler.State, plan *structs.Plan) (*structs.PlanResult, map[string]string, error) {
	result := &structs.PlanResult{
		NodeUpdate:        make(map[string][]*structs.Allocation),
		NodeAllocation:    make(map[string][]*structs.Allocation),
		NodePreemptions:   make(map[string][]*structs.Allocation),
		Deployment:        plan.Deployment.Copy(),
		DeploymentUpdates: plan.DeploymentUpdates,
	}
	rejected := make(map[string]string)
	for _, nodeID := range planNodeIDs(plan) {
		fit, reason, err := evaluateNodePlan(snap, plan, nodeID)
		if err != nil {
			return nil, nil, fmt.Errorf("evaluate plan on node %s: %w", nodeID, err)
		}
		if !fit {
			rejected[nodeID] = reason
			continue
		}
		if allocs := plan.NodeUpdate[nodeID]; len(allocs) > 0 {
			result.NodeUpdate[nodeID] = allocs
		}
		if allocs := plan.NodeAllocation[nodeID]; len(allocs) > 0 {
			result.NodeAllocation[nodeID] = allocs
			// Evictions exist only for the placements they make room
			// for: they are committed with them or not at all.
			if evicted := plan.NodePreemptions[nodeID]; len(evicted) > 0 {
				result.NodePreemptions[nodeID] = evicted
			}
		}
	}
	if len(rejected) == 0 {
		return result, rejected, nil
	}
	result.RefreshIndex = snap.Index()
	if plan.Job != nil && plan.Job.AllAtOnce {
		result.NodeUpdate = make(map[string][]*structs.Allocation)
		result.NodeAllocation = make(map[string][]*structs.Allocation)
		result.NodePreemptions = make(map[string][]*structs.Allocation)
		result.Deployment, result.DeploymentUpdates = nil, nil
	}
	dropUncommittedCanaries(result)
	return result, rejected, nil
}

// planNodeIDs lists the plan's nodes in a stable order.
func planNodeIDs(plan *structs.Plan) []string {
	seen := make(map[string]struct{}, len(plan.NodeUpdate)+len(plan.NodeAllocation))
	for id := range plan.NodeUpdate {
		seen[id] = struct{}{}
	}
	for id := range plan.NodeAllocation {
		seen[id] = struct{}{}
	}
	ids := make([]string, 0, len(seen))
	for id := range seen {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// evaluateNodePlan reports whether the plan's changes to one node fit, and
// if not, why.
func evaluateNodePlan(snap scheduler.State, plan *structs.Plan, nodeID string) (bool, string, error) {
	placed := plan.NodeAllocation[nodeID]
	if len(placed) == 0 {
		// Removing work never over-commits a node, and must succeed even
		// on a node that is down or gone so its allocations can stop.
		return true, "", nil
	}
	node, err := snap.NodeByID(nodeID)
	if err != nil {
		return false, "", fmt.Errorf("read node: %w", err)
	}
	if node == nil {
		return false, "node does not exist", nil
	}
	existing, err := snap.AllocsByNode(nodeID)
	if err != nil {
		return false, "", fmt.Errorf("read node allocations: %w", err)
	}

	existingIDs := make(map[string]struct{}, len(existing))
	for _, a := range existing {
		existingIDs[a.ID] = struct{}{}
	}
	newWork, liveWork := false, false
	for _, a := range placed {
		if _, ok := existingIDs[a.ID]; !ok {
			newWork = true
		}
		if !a.TerminalStatus() {
			liveWork = true
		}
	}
	if !newWork && !liveWork {
		// Only bookkeeping on finished allocations (the scheduler links a
		// failed one to its follow-up evaluation): it uses no resources
		// and must succeed even on a node that has since gone down.
		return true, "", nil
	}
	if reason := nodeNotReadyReason(node, newWork); reason != "" {
		return false, reason, nil
	}
	if reason := newPortsReason(node, placed, existingIDs); reason != "" {
		return false, reason, nil
	}

	// The plan's own version of an allocation replaces the stored one, and
	// the allocations it stops or evicts free their room.
	replaced := make(map[string]struct{})
	for _, a := range plan.NodeUpdate[nodeID] {
		replaced[a.ID] = struct{}{}
	}
	for _, a := range plan.NodePreemptions[nodeID] {
		replaced[a.ID] = struct{}{}
	}
	for _, a := range placed {
		replaced[a.ID] = struct{}{}
	}
	proposed := make([]*structs.Allocation, 0, len(existing)+len(placed))
	for _, a := range existing {
		if _, ok := replaced[a.ID]; !ok {
			proposed = append(proposed, a)
		}
	}
	proposed = append(proposed, placed...)
	fit, reason := allocsFit(node, proposed)
	return fit, reason, nil
}

// nodeNotReadyReason says why node cannot take the plan's allocations, or
// "" when it can. In-place updates of allocations already on the node only
// need the node up; new allocations need it schedulable too.
func nodeNotReadyReason(node *structs.Node, newWork bool) string {
	if node.Status != structs.NodeStatusReady {
		return fmt.Sprintf("node is %s, not ready", node.Status)
	}
	if !newWork {
		return ""
	}
	if node.Drain {
		return "node is draining"
	}
	if node.SchedulingEligibility != structs.NodeSchedulingEligible {
		return "node is ineligible for scheduling"
	}
	return ""
}

// allocsFit reports whether the non-terminal allocations fit on node, and
// if not, which dimension is exhausted or which port collides. The node's
// reserved ports and dynamic range are checked for new allocations only,
// by newPortsReason.
func allocsFit(node *structs.Node, allocs []*structs.Allocation) (bool, string) {
	var used structs.ComparableResources
	ports := make(map[int]string)
	cores := make(map[uint16]string)
	reservable := node.NodeResources.ReservableCores()
	for _, a := range allocs {
		if a.TerminalStatus() {
			continue
		}
		used.Add(a.AllocatedResources.Comparable())
		for _, p := range allocPorts(a) {
			if owner, ok := ports[p]; ok {
				return false, fmt.Sprintf("port %d collides between allocations %s and %s", p, owner, a.ID)
			}
			ports[p] = a.ID
		}
		// A reserved core is exclusive: two schedulers planning at once
		// may both have picked it, and the CPU total alone cannot tell.
		for _, c := range a.AllocatedResources.ReservedCores() {
			if owner, ok := cores[c]; ok {
				return false, fmt.Sprintf("resources exhausted: cores: core %d held by allocations %s and %s", c, owner, a.ID)
			}
			if !slices.Contains(reservable, c) {
				return false, fmt.Sprintf("resources exhausted: cores: core %d of allocation %s is not reservable on the node", c, a.ID)
			}
			cores[c] = a.ID
		}
	}
	if ok, dim := nodeCapacity(node).Superset(used); !ok {
		return false, "resources exhausted: " + dim
	}
	return true, ""
}

// nodeCapacity is what the node offers minus what it holds back.
func nodeCapacity(node *structs.Node) structs.ComparableResources {
	var c structs.ComparableResources
	if r := node.NodeResources; r != nil {
		c.CPU = r.Cpu.CpuShares
		c.MemoryMB = r.Memory.MemoryMB
		c.DiskMB = r.Disk.DiskMB
	}
	if r := node.ReservedResources; r != nil {
		c.CPU -= int64(r.Cpu.CpuShares)
		c.MemoryMB -= int64(r.Memory.MemoryMB)
		c.DiskMB -= int64(r.Disk.DiskMB)
	}
	return c
}

func nodeReservedPorts(node *structs.Node) string {
	if node.ReservedResources == nil {
		return ""
	}
	return node.ReservedResources.Networks.ReservedHostPorts
}

// allocPorts lists the host ports an allocation holds, once each even
// when it appears both as a port mapping and in a network.
func allocPorts(a *structs.Allocation) []int {
	r := a.AllocatedResources
	if r == nil {
		return nil
	}
	seen := make(map[int]struct{})
	var out []int
	add := func(v int) {
		if _, ok := seen[v]; v > 0 && !ok {
			seen[v] = struct{}{}
			out = append(out, v)
		}
	}
	addNetworks := func(nets []*structs.NetworkResource) {
		for _, n := range nets {
			for _, p := range n.ReservedPorts {
				add(p.Value)
			}
			for _, p := range n.DynamicPorts {
				add(p.Value)
			}
		}
	}
	for _, p := range r.Shared.Ports {
		add(p.Value)
	}
	addNetworks(r.Shared.Networks)
	for _, t := range r.Tasks {
		addNetworks(t.Networks)
	}
	return out
}

// portRanges is a set of inclusive port ranges.
type portRanges [][2]int

func (r portRanges) contains(p int) bool {
	for _, rg := range r {
		if p >= rg[0] && p <= rg[1] {
			return true
		}
	}
	return false
}

// parsePortRanges parses a node's reserved host ports, "22,80,8000-8010".
func parsePortRanges(spec string) (portRanges, error) {
	var out portRanges
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		lo, hi, isRange := strings.Cut(part, "-")
		start, err := strconv.Atoi(strings.TrimSpace(lo))
		if err != nil {
			return nil, fmt.Errorf("%q is not a port or port range like 8000-8010", part)
		}
		end := start
		if isRange {
			if end, err = strconv.Atoi(strings.TrimSpace(hi)); err != nil || end < start {
				return nil, fmt.Errorf("%q is not a port range like 8000-8010", part)
			}
		}
		out = append(out, [2]int{start, end})
	}
	return out, nil
}

// PlanApplier commits plans from a PlanQueue one at a time.
type PlanApplier struct {
	queue    *PlanQueue
	snapshot func(minIndex uint64) (scheduler.State, error)
	apply    func(*structs.ApplyPlanResultsRequest) (uint64, error)
	logger   hclog.Logger

	// lastIndex is the Raft index of the last committed plan, so the next
	// plan is checked against state that includes it. Only Run's goroutine
	// touches it.
	lastIndex uint64
}

// NewPlanApplier returns an applier that takes plans from queue, checks
// them against snapshot(minIndex) (state at least as new as minIndex,
// blocking until the FSM catches up) and commits the fitting part with
// apply (a Raft write returning the entry's index).
func NewPlanApplier(
	queue *PlanQueue,
	snapshot func(minIndex uint64) (scheduler.State, error),
	apply func(*structs.ApplyPlanResultsRequest) (uint64, error),
	logger hclog.Logger,
) *PlanApplier {
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	return &PlanApplier{
		queue:    queue,
		snapshot: snapshot,
		apply:    apply,
		logger:   logger.Named("plan_apply"),
	}
}

// disabledQueuePoll is how often Run looks again at a disabled queue,
// which is what a server sees between leadership changes.
const disabledQueuePoll = 100 * time.Millisecond

// Run applies plans until stopCh is closed. Run it on the leader only, in
// one goroutine: plans are serialized on purpose.
func (a *PlanApplier) Run(stopCh <-chan struct{}) {
	for {
		select {
		case <-stopCh:
			return
		default:
		}
		pending, err := a.queue.dequeue(0, stopCh)
		if errors.Is(err, ErrPlanQueueDisabled) {
			select {
			case <-stopCh:
				return
			case <-time.After(disabledQueuePoll):
			}
			continue
		}
		if pending == nil {
			continue
		}
		result, err := a.applyPlan(pending.Plan)
		pending.Respond(result, err)
	}
}

// applyPlan evaluates one plan and commits what fits.
func (a *PlanApplier) applyPlan(plan *structs.Plan) (*structs.PlanResult, error) {
	logger := a.logger.With("eval_id", plan.EvalID)
	minIndex := max(plan.SnapshotIndex, a.lastIndex)
	snap, err := a.snapshot(minIndex)
	if err != nil {
		return nil, fmt.Errorf("plan apply: snapshot at index %d: %w", minIndex, err)
	}

	start := time.Now()
	result, rejected, err := evaluatePlan(snap, plan)
	metrics.MeasureSince([]string{"plan", "evaluate"}, start)
	if err != nil {
		return nil, fmt.Errorf("plan apply: %w", err)
	}
	for nodeID, reason := range rejected {
		logger.Debug("plan rejected on node", "node_id", nodeID, "reason", reason)
	}
	if result.IsNoOp() {
		return result, nil
	}

	req, err := applyRequest(snap, plan, result)
	if err != nil {
		return nil, fmt.Errorf("plan apply: %w", err)
	}
	start = time.Now()
	index, err := a.apply(req)
	metrics.MeasureSince([]string{"plan", "apply"}, start)
	if err != nil {
		return nil, fmt.Errorf("plan apply: commit: %w", err)
	}
	a.lastIndex = index
	result.AllocIndex = index
	logger.Debug("plan committed", "index", index, "nodes_rejected", len(rejected))
	return result, nil
}

// applyRequest builds the Raft entry of a result. Allocations travel
// without their job: the entry carries it once and the FSM attaches it.
// Evictions carry the evaluations that replace the evicted work (see
// preemptionEvals).
func applyRequest(snap scheduler.State, plan *structs.Plan, result *structs.PlanResult) (*structs.ApplyPlanResultsRequest, error) {
	req := &structs.ApplyPlanResultsRequest{Job: plan.Job, EvalID: plan.EvalID,
		Deployment: result.Deployment, DeploymentUpdates: result.DeploymentUpdates}
	strip := func(a *structs.Allocation) *structs.Allocation {
		c := *a
		c.Job = nil
		return &c
	}
	for _, nodeID := range sortedPlanNodes(result.NodeAllocation) {
		for _, a := range result.NodeAllocation[nodeID] {
			req.AllocsUpdated = append(req.AllocsUpdated, strip(a))
		}
	}
	for _, nodeID := range sortedPlanNodes(result.NodeUpdate) {
		for _, a := range result.NodeUpdate[nodeID] {
			req.AllocsStopped = append(req.AllocsStopped, strip(a))
		}
	}
	var err error
	req.NodePreemptions, req.PreemptionEvals, err = preemptionEvals(snap, result.NodePreemptions, time.Now())
	if err != nil {
		return nil, err
	}
	return req, nil
}

func sortedPlanNodes(m map[string][]*structs.Allocation) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
