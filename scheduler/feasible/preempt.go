package feasible

import (
	"cmp"
	"fmt"
	"maps"
	"slices"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// ScorePreemption names the preemption term in NodeScoreMeta.Scores.
const ScorePreemption = "preemption"

// preemptSampleFactor bounds how many nodes with a workable preemption set
// SelectPreempting compares, as a multiple of the group's sample limit
// (and at least minPreemptSample): every node is a candidate on a full
// cluster, and computing a set costs a read of the node's allocations.
const (
	preemptSampleFactor = 4
	minPreemptSample    = 16
)

// SetSchedulerConfig applies the cluster's scheduler configuration to the
// evaluation: the fit score of its algorithm and whether tasks get their
// memory_max. Call it before the first placement.
func (c *Context) SetSchedulerConfig(cfg *structs.SchedulerConfiguration) {
	c.fit = FitScorer(cfg.EffectiveAlgorithm())
	c.memoryOversubscription = cfg != nil && cfg.MemoryOversubscriptionEnabled
}

// AddPreempted records in the plan that alloc is evicted to make room for
// the allocation preemptingID, and frees its resources on its node for
// the rest of the evaluation. Call it before AddPlaced of the preempting
// allocation.
func (c *Context) AddPreempted(alloc *structs.Allocation, preemptingID string) *structs.Allocation {
	evicted := c.plan.AppendPreemptedAlloc(alloc, preemptingID)
	delete(c.usage, alloc.NodeID)
	return evicted
}

// preemptChoice is one node's way to fit a placement by preemption.
type preemptChoice struct {
	sc     scored
	free   *nodeUsage
	set    []*structs.Allocation
	net    int // sum of the victims' job priorities
	pscore float64
	final  float64
}

// better orders choices: the lowest total priority evicted, then the
// fewest allocations, then the best placement score.
func (a *preemptChoice) better(b *preemptChoice) bool {
	if b == nil {
		return true
	}
	if a.net != b.net {
		return a.net < b.net
	}
	if len(a.set) != len(b.set) {
		return len(a.set) < len(b.set)
	}
	return a.final > b.final
}

// PreemptionScore rates an eviction by the total priority of the jobs it
// evicts, in (-1, 0]: 0 evicts nothing, and each priority point evicted
// costs more, so among nodes that fit equally well the one whose victims
// matter least wins.
func PreemptionScore(netPriority int) float64 {
	if netPriority <= 0 {
		return 0
	}
	n := float64(netPriority)
	return -n / (n + structs.JobMaxPriority)
}

// SelectPreempting places one allocation of tg, for a job of priority,
// by evicting allocations of jobs at least structs.PreemptionPriorityDelta
// lower in priority. Call it when Select found no node with room. Among the
// nodes that pass every check but resources, it chooses the one whose
// smallest sufficient set of victims has the lowest total priority, then
// the fewest victims, then the best score (the placement score averaged
// with PreemptionScore). It returns a nil option, with the metric, when no
// eviction makes room anywhere.
func (s *Stack) SelectPreempting(tg *structs.TaskGroup, priority int) (*Option, *structs.AllocMetric, error) {
	m := &structs.AllocMetric{NodesInPool: s.inPool, NodesAvailable: s.availableByDC}
	g := s.group(tg)
	n := len(s.nodes)
	limit := max(minPreemptSample, g.limit*preemptSampleFactor)
	var best *preemptChoice
	found, visited := 0, 0
	for ; visited < n && found < limit; visited++ {
		i := (s.next + visited) % n
		choice, err := s.preemptOn(g, i, priority, m)
		if err != nil {
			return nil, m, err
		}
		if choice == nil {
			continue
		}
		found++
		if choice.better(best) {
			best = choice
		}
	}
	if n > 0 {
		// The next search starts past these nodes, as Select's does: the
		// victims chosen here are gone, and fresh nodes may offer
		// lower-priority ones.
		s.next = (s.next + visited) % n
	}
	if best == nil {
		return nil, m, nil
	}
	ar, ok := s.ctx.allocatedResources(best.free, tg)
	if !ok {
		exhaustNode(m, best.sc.node, DimensionDynamicPorts)
		return nil, m, nil
	}
	meta := scoreMeta([]scored{best.sc})
	meta[0].Scores[ScorePreemption] = best.pscore
	meta[0].NormScore = best.final
	m.ScoreMetaData = meta
	return &Option{Node: best.sc.node, Resources: ar, Score: best.final, Preempted: best.set}, m, nil
}

// preemptOn runs node i through every check but resources and, when it
// passes, finds the victims that make room there. It returns nil when the
// node is ruled out or no eviction suffices, recording why in m.
func (s *Stack) preemptOn(g *groupStage, i, priority int, m *structs.AllocMetric) (*preemptChoice, error) {
	node := s.nodes[i]
	m.NodesEvaluated++
	// The same order as consider, which this mirrors up to the fit: the
	// two are kept apart so the common path stays as it is.
	if ok, reason := g.static(i, node); !ok {
		filterNode(m, node, reason)
		return nil, nil
	}
	if ok, reason, err := g.property.planFeasible(node); err != nil {
		return nil, err
	} else if !ok {
		filterNode(m, node, reason)
		return nil, nil
	}
	u, err := s.ctx.nodeUsageFor(node)
	if err != nil {
		return nil, err
	}
	if ok, reason := g.distinct.usageFeasible(u); !ok {
		filterNode(m, node, reason)
		return nil, nil
	}
	set, dim, err := s.ctx.preemptionSet(u, g.ask, priority)
	if err != nil {
		return nil, err
	}
	if dim != "" {
		exhaustNode(m, node, dim)
		return nil, nil
	}
	free := u.without(set)
	sc, err := s.score(g, i, free)
	if err != nil {
		return nil, err
	}
	sc.index = i
	c := &preemptChoice{sc: sc, free: free, set: set}
	for _, a := range set {
		c.net += a.Job.Priority
	}
	c.pscore = PreemptionScore(c.net)
	c.final = (sc.score + c.pscore) / 2
	return c, nil
}

// victim is an allocation that may be evicted, with what evicting it frees.
type victim struct {
	alloc    *structs.Allocation
	priority int
	res      structs.ComparableResources
	cores    int
	ports    []int
}

// preemptionSet chooses the allocations on u's node to evict so that ask
// fits, or says which dimension no eviction can free ("" and a nil set
// when ask fits already). Only running allocations qualify, and only those
// preemptible allows.
// Holders of a static port ask wants must go; beyond them victims are taken
// lowest priority first and, within a priority, the one covering most of
// what is still missing first; a last pass returns any victim, highest
// priority first, the others already make room without.
func (c *Context) preemptionSet(u *nodeUsage, ask *groupAsk, priority int) ([]*structs.Allocation, string, error) {
	if ok, _ := u.fits(ask); ok {
		return nil, "", nil
	}
	cands, held, err := c.preemptionCandidates(u, priority)
	if err != nil {
		return nil, "", err
	}
	var chosen []*victim
	for _, p := range ask.reserved {
		holder, ok := held[p]
		switch {
		case ok && holder == nil, !ok && u.portTaken(p):
			// Reserved on the node, or held by work that may not be
			// evicted.
			return nil, DimensionPortCollide, nil
		case ok && !slices.Contains(chosen, holder):
			chosen = append(chosen, holder)
		}
	}
	mandatory := len(chosen)
	fits, dim := u.without(allocsOf(chosen)).fits(ask)
	for !fits {
		next := pickVictim(u.without(allocsOf(chosen)), ask, cands, chosen)
		if next == nil {
			return nil, dim, nil
		}
		chosen = append(chosen, next)
		fits, dim = u.without(allocsOf(chosen)).fits(ask)
	}
	return allocsOf(prune(u, ask, chosen, mandatory)), "", nil
}

// preemptionCandidates lists the node's allocations that priority may
// evict, lowest priority first (ID order within one, for replays), and
// maps every host port a live allocation holds to its victim, or to nil
// when that allocation may not be evicted.
func (c *Context) preemptionCandidates(u *nodeUsage, priority int) ([]*victim, map[int]*victim, error) {
	existing, err := c.state.AllocsByNode(u.node.ID)
	if err != nil {
		return nil, nil, fmt.Errorf("reading allocations of node %s: %w", u.node.ID, err)
	}
	nodeID := u.node.ID
	held := make(map[int]*victim)
	var out []*victim
	for _, a := range existing {
		if a.TerminalStatus() || containsAlloc(c.plan.NodeUpdate[nodeID], a.ID) ||
			containsAlloc(c.plan.NodeAllocation[nodeID], a.ID) || containsAlloc(c.plan.NodePreemptions[nodeID], a.ID) {
			continue
		}
		var v *victim
		if c.preemptible(a, priority) {
			v = &victim{alloc: a, priority: a.Job.Priority, res: a.AllocatedResources.Comparable(),
				cores: len(a.AllocatedResources.ReservedCores())}
			forEachPort(a.AllocatedResources, func(p int) { v.ports = append(v.ports, p) })
			out = append(out, v)
		}
		if a.AllocatedResources != nil {
			forEachPort(a.AllocatedResources, func(p int) { held[p] = v })
		}
	}
	slices.SortFunc(out, func(a, b *victim) int {
		return cmp.Or(cmp.Compare(a.priority, b.priority), cmp.Compare(a.alloc.ID, b.alloc.ID))
	})
	return out, held, nil
}

// preemptible reports whether a placement of priority may evict a: an
// allocation of another job whose priority is at least
// PreemptionPriorityDelta lower. The planned job's own allocations are the
// reconciler's business, whatever their version's priority.
func (c *Context) preemptible(a *structs.Allocation, priority int) bool {
	if a.Job == nil || a.AllocatedResources == nil {
		return false
	}
	if c.job != nil && a.JobID == c.job.ID && a.Namespace == c.job.Namespace {
		return false
	}
	return priority-a.Job.Priority >= structs.PreemptionPriorityDelta
}

// pickVictim returns the next victim: from the lowest priority that still
// has unchosen candidates, the one that covers the largest share of what
// ask lacks on u; nil when none is left or none helps.
func pickVictim(u *nodeUsage, ask *groupAsk, cands, chosen []*victim) *victim {
	need := deficit(u, ask)
	var best *victim
	bestCover := 0.0
	for _, v := range cands {
		if slices.Contains(chosen, v) {
			continue
		}
		if best != nil && v.priority > best.priority {
			break
		}
		if cover := need.coveredBy(v); cover > bestCover {
			best, bestCover = v, cover
		}
	}
	return best
}

// prune drops, highest priority first, the victims (beyond the first
// mandatory ones, the port holders) the others already make room without,
// so the set is minimal.
func prune(u *nodeUsage, ask *groupAsk, chosen []*victim, mandatory int) []*victim {
	order := slices.Clone(chosen[mandatory:])
	slices.SortStableFunc(order, func(a, b *victim) int { return cmp.Compare(b.priority, a.priority) })
	keep := slices.Clone(chosen)
	for _, v := range order {
		without := slices.DeleteFunc(slices.Clone(keep), func(k *victim) bool { return k == v })
		if ok, _ := u.without(allocsOf(without)).fits(ask); ok {
			keep = without
		}
	}
	return keep
}

func allocsOf(vs []*victim) []*structs.Allocation {
	out := make([]*structs.Allocation, len(vs))
	for i, v := range vs {
		out[i] = v.alloc
	}
	return out
}

// need is what ask lacks on a node, per dimension; zero where it fits.
type need struct {
	cpu, memory, disk int64
	cores, ports      int
}

func deficit(u *nodeUsage, ask *groupAsk) need {
	want := u.withAsk(ask)
	var n need
	n.cpu = max(0, want.CPU-u.avail.CPU)
	n.memory = max(0, want.MemoryMB-u.avail.MemoryMB)
	n.disk = max(0, want.DiskMB-u.avail.DiskMB)
	n.cores = max(0, ask.cores-u.freeCores())
	if ask.dynamic > 0 {
		n.ports = max(0, ask.dynamic+countInRange(ask.reserved, u.minPort, u.maxPort)-u.freeDynamicPorts())
	}
	return n
}

// coveredBy is the share of n that evicting v frees: per lacking
// dimension, what v frees of it as a fraction of the lack (at most 1),
// summed.
func (n need) coveredBy(v *victim) float64 {
	share := func(freed, lack int64) float64 {
		if lack <= 0 || freed <= 0 {
			return 0
		}
		return min(1, float64(freed)/float64(lack))
	}
	cover := share(v.res.CPU, n.cpu) + share(v.res.MemoryMB, n.memory) + share(v.res.DiskMB, n.disk) +
		share(int64(v.cores), int64(n.cores))
	if n.ports > 0 {
		cover += share(int64(len(v.ports)), int64(n.ports))
	}
	return cover
}

// without is the usage with allocs evicted: their resources, host ports and
// cores are free again.
func (u *nodeUsage) without(allocs []*structs.Allocation) *nodeUsage {
	c := *u
	if len(allocs) == 0 {
		return &c
	}
	c.ports = maps.Clone(u.ports)
	c.coresTaken = maps.Clone(u.coresTaken)
	for _, a := range allocs {
		ar := a.AllocatedResources
		if ar == nil {
			continue
		}
		r := ar.Comparable()
		c.used.CPU -= r.CPU
		c.used.MemoryMB -= r.MemoryMB
		c.used.MemoryMaxMB -= r.MemoryMaxMB
		c.used.DiskMB -= r.DiskMB
		forEachPort(ar, c.freePort)
		for _, core := range ar.ReservedCores() {
			delete(c.coresTaken, core)
		}
	}
	return &c
}
