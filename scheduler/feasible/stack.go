package feasible

import (
	"math"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// topScores is how many of the scored nodes a placement's metric keeps:
// enough to see why the winner won, few enough that recording them is not
// the main cost of a placement.
const topScores = 3

// skipScoreThreshold and maxSkip: a fitting node scoring at most the
// threshold does not count towards the sample bound, for up to maxSkip
// nodes per placement. Such a node is one the group's allocations already
// crowd (or one its affinities reject); skipping it lets the sample reach
// nodes that are actually wanted. Nomad uses the same two values.
const (
	skipScoreThreshold = 0.0
	maxSkip            = 3
)

// MinLimit is the smallest number of fitting nodes a placement scores
// before choosing. Two random choices already avoid the worst of random
// placement; scoring more improves packing at a linear cost per placement.
const MinLimit = 2

// DefaultLimit is the sample bound for a cluster of n candidate nodes:
// ceil(log2 n), at least MinLimit. It grows slowly enough that a
// count-1000 job on 1,000 nodes scores 10 nodes per placement, and on a
// fragmented cluster it keeps about nine tenths of the packing a sample
// of 50 gets (BenchmarkSampleLimit; figures in the scheduler README).
func DefaultLimit(n int) int {
	if n <= 1 {
		return MinLimit
	}
	return max(MinLimit, int(math.Ceil(math.Log2(float64(n)))))
}

// Option is the node chosen for one placement and the resources granted
// there.
type Option struct {
	Node      *structs.Node
	Resources *structs.AllocatedResources
	Score     float64
	// Preempted lists the allocations to evict from Node for this one
	// to fit; set only by SelectPreempting.
	Preempted []*structs.Allocation
}

// Stack wires the per-placement chain for one job: for each node, in the
// shuffled order, from where the previous placement stopped:
//
//  1. static checkers (drivers, job/group/task constraints), cached per
//     node and group because their verdict cannot change in an evaluation,
//     and per computed class for the checks a class stands for (see
//     class_eligibility.go), so a node whose class was already rejected
//     costs a lookup;
//  2. distinct_property and distinct_hosts, which depend on the plan;
//  3. resource and port fit against the node's usage (state plus plan);
//  4. score: the mean of bin-packing, the job anti-affinity term when the
//     node holds allocations of the group, and the affinity and spread
//     scores when the group has them;
//
// until Limit nodes fit or every node was looked at; the best score wins.
// A fitting node scoring 0 or less does not count towards Limit, up to
// maxSkip of them, so a sample of nodes the group already crowds still
// reaches fresh ones (Nomad skips such nodes the same way).
//
// The random sample alone rarely finds the partly used nodes of a mostly
// empty cluster, where packing a job next to other jobs' work matters
// most, so each placement also scores up to Limit nodes of a pool: nodes
// that ran work when the evaluation started and hold none of the group's
// allocations (see stack_pool.go). Bin-packing then prefers them, while
// the anti-affinity term keeps one group's allocations on distinct nodes.
type Stack struct {
	ctx    *Context
	job    *structs.Job
	nodes  []*structs.Node
	next   int
	limit  int
	inPool int
	// availableByDC is shared, read-only, by every metric of the
	// evaluation: it is the same for each placement.
	availableByDC map[string]int
	groups        map[string]*groupStage
	// top is reused by every Select to rank the sampled nodes.
	top [topScores]scored
	// seen[i] == gen marks node i as scored by the current Select, so a
	// node of both the pool and the sample is scored once.
	seen []uint32
	gen  uint32
	// usage caches the Context's usage by node index, which saves a map
	// lookup by node ID on every visit; an entry the plan made stale is
	// read again.
	usage []*nodeUsage
	// rej collects the current placement's rejections for its metric.
	rej rejections
	// busy lists, in shuffled order, the indexes of the nodes found to run
	// work when first looked at; nodes up to discovered have been looked
	// at. The groups' pools are filled from it.
	busy       []int
	discovered int
	// penalty holds the nodes the current placement avoids (see
	// SetPenaltyNodes).
	penalty map[string]bool
	// opts are the options of the Select in progress; Select is not
	// reentrant.
	opts SelectOptions
}

// SelectOptions is what differs between placements of one task group.
type SelectOptions struct {
	// AllocName is the name of the allocation being placed,
	// "<job>.<group>[<index>]": a per_alloc host volume is the one named
	// after the index.
	AllocName string
}

type groupStage struct {
	tg       *structs.TaskGroup
	ask      *groupAsk
	checkers []Checker
	distinct *DistinctHostsChecker
	property *DistinctPropertyChecker
	// perAllocVolumes checks per_alloc host volumes, whose verdict
	// depends on the allocation; nil when the group has none (shared
	// host volumes are among the static checkers).
	perAllocVolumes *HostVolumeChecker
	// affinity and spread are nil when the group has none.
	affinity *AffinityScorer
	spread   *SpreadScorer
	// verdicts caches the static checkers per node index: 0 not yet
	// checked, 1 feasible, 2 rejected with reasons[i].
	verdicts []uint8
	reasons  []string
	// pool holds indexes of busy nodes that may still take one of the
	// group's allocations without a collision; poolFrom is how much of
	// the stack's busy list it has taken in, poolPos where the next
	// placement starts scoring it.
	pool     []int
	poolFrom int
	poolPos  int
	// limit is the stack's sample bound, widened for a group whose
	// affinity or spread must find nodes of particular values.
	limit int

	// checkers decide from what the computed class hashes (drivers,
	// constraints on non-unique targets); their verdict is cached per
	// class in elig. nodeCheckers read what differs between nodes of one
	// class (constraints on unique targets; host volumes belong here) and
	// are never answered from a class. Both are static in an evaluation.
	nodeCheckers []Checker
	elig         *EvalEligibility
}

// NewStack shuffles the candidates with the context's random source and
// prepares the chain. limit <= 0 selects DefaultLimit.
func NewStack(ctx *Context, job *structs.Job, cand Candidates, limit int) *Stack {
	nodes := append([]*structs.Node(nil), cand.Nodes...)
	ctx.rng.Shuffle(len(nodes), func(i, j int) { nodes[i], nodes[j] = nodes[j], nodes[i] })
	if limit <= 0 {
		limit = DefaultLimit(len(nodes))
	}
	ctx.Eligibility().noteCandidates(cand)
	return &Stack{
		ctx: ctx, job: job, nodes: nodes, limit: limit,
		inPool: cand.InPool, availableByDC: cand.AvailableByDC,
		groups: make(map[string]*groupStage),
		seen:   make([]uint32, len(nodes)),
		usage:  make([]*nodeUsage, len(nodes)),
	}
}

// Limit returns how many fitting nodes a placement scores.
func (s *Stack) Limit() int { return s.limit }

func (s *Stack) group(tg *structs.TaskGroup) *groupStage {
	if g, ok := s.groups[tg.Name]; ok && g.tg == tg {
		return g
	}
	constraints := append([]*structs.Constraint(nil), s.job.Constraints...)
	constraints = append(constraints, tg.Constraints...)
	for _, t := range tg.Tasks {
		constraints = append(constraints, t.Constraints...)
	}
	byClass, perNode := classEscapes(constraints)
	volumes := NewHostVolumeChecker(tg)
	g := &groupStage{
		tg:       tg,
		ask:      newGroupAsk(tg),
		checkers: []Checker{NewDriverChecker(tg), NewConstraintChecker(s.ctx, byClass)},
		distinct: NewDistinctHostsChecker(s.ctx, s.job, tg),
		property: NewDistinctPropertyChecker(s.ctx, s.job, tg),
		affinity: NewAffinityScorer(s.ctx, s.job, tg, len(s.nodes)),
		spread:   NewSpreadScorer(s.ctx, s.job, tg),
		verdicts: make([]uint8, len(s.nodes)),
		reasons:  make([]string, len(s.nodes)),
		limit:    s.limit,
	}
	if g.affinity != nil || g.spread != nil {
		g.limit = s.limit * PreferenceLimitFactor
	}
	g.elig = s.ctx.Eligibility()
	if len(perNode) > 0 {
		g.nodeCheckers = append(g.nodeCheckers, NewConstraintChecker(s.ctx, perNode))
	}
	g.elig.setEscaped(tg.Name, len(perNode) > 0)
	// Host volumes are not part of a node's computed class, so they are
	// checked per node; a per_alloc volume per placement.
	if volumes != nil && !volumes.PerAlloc() {
		g.nodeCheckers = append(g.nodeCheckers, volumes)
	}
	if volumes != nil && volumes.PerAlloc() {
		g.perAllocVolumes = volumes
	}
	if g.spread != nil {
		g.spread.sizeCache(len(s.nodes))
	}
	s.groups[tg.Name] = g
	return g
}

func (g *groupStage) static(i int, node *structs.Node) (bool, string) {
	switch g.verdicts[i] {
	case 1:
		return true, ""
	case 2:
		return false, g.reasons[i]
	}
	ok, reason := g.classFeasible(node)
	for j := 0; ok && j < len(g.nodeCheckers); j++ {
		ok, reason = g.nodeCheckers[j].Feasible(node)
	}
	if !ok {
		g.verdicts[i], g.reasons[i] = 2, reason
		return false, reason
	}
	g.verdicts[i] = 1
	return true, ""
}

// classFeasible runs the class checkers, or answers from the verdict an
// earlier node of the same computed class got. A node without a computed
// class is checked and nothing is recorded.
func (g *groupStage) classFeasible(node *structs.Node) (bool, string) {
	class := node.ComputedClass
	if class != "" {
		if v, ok := g.elig.verdict(g.tg.Name, class); ok {
			return v.ok, v.reason
		}
	}
	v := classVerdict{ok: true}
	for _, c := range g.checkers {
		if ok, reason := c.Feasible(node); !ok {
			v = classVerdict{reason: reason}
			break
		}
	}
	if class != "" {
		g.elig.setVerdict(g.tg.Name, class, v)
	}
	return v.ok, v.reason
}

type scored struct {
	index   int
	node    *structs.Node
	usage   *nodeUsage
	binpack float64
	penalty float64
	// affinity and spread are recorded only when the group has them
	// (hasAffinity: and the node matched any).
	affinity    float64
	spread      float64
	hasAffinity bool
	hasSpread   bool
	// resched is the reschedule penalty, when the node has one.
	resched    float64
	hasResched bool
	score      float64
}

// Select picks a node for one allocation of tg. It returns a nil option,
// with the metric explaining why, when no node fits; an error only when
// state could not be read.
func (s *Stack) Select(tg *structs.TaskGroup) (*Option, *structs.AllocMetric, error) {
	return s.SelectWith(tg, SelectOptions{})
}

// SelectWith is Select for one named allocation; see SelectOptions.
func (s *Stack) SelectWith(tg *structs.TaskGroup, opts SelectOptions) (*Option, *structs.AllocMetric, error) {
	s.opts = opts
	m := &structs.AllocMetric{NodesInPool: s.inPool, NodesAvailable: s.availableByDC}
	defer s.rej.flush(m)
	g := s.group(tg)
	s.gen++
	top, err := s.scorePool(g, m, s.top[:0])
	if err != nil {
		return nil, m, err
	}
	top, err = s.sample(g, m, top)
	if err != nil {
		return nil, m, err
	}
	return s.choose(tg, m, top)
}

// SelectAt runs only the stack's node i (an index into Nodes) through the
// chain for one allocation of tg: the system scheduler's placement, which
// targets every node in turn and shares one stack, with its per-node
// caches, across them. The results are Select's.
func (s *Stack) SelectAt(tg *structs.TaskGroup, i int) (*Option, *structs.AllocMetric, error) {
	m := &structs.AllocMetric{NodesInPool: s.inPool, NodesAvailable: s.availableByDC}
	defer s.rej.flush(m)
	g := s.group(tg)
	s.gen++
	s.seen[i] = s.gen
	sc, ok, err := s.consider(g, i, m)
	if err != nil || !ok {
		return nil, m, err
	}
	return s.choose(tg, m, insertTop(s.top[:0], sc))
}

// Nodes returns the candidates in the stack's shuffled order.
func (s *Stack) Nodes() []*structs.Node { return s.nodes }

// choose turns the ranked nodes into the option for the best one.
func (s *Stack) choose(tg *structs.TaskGroup, m *structs.AllocMetric, top []scored) (*Option, *structs.AllocMetric, error) {
	if len(top) == 0 {
		return nil, m, nil
	}
	best := top[0]
	ar, ok := s.ctx.allocatedResources(best.usage, tg)
	if !ok {
		// fits counted the free dynamic ports, so this means the count
		// and the scan disagree; report it rather than place badly.
		exhaustNode(m, best.node, DimensionDynamicPorts)
		return nil, m, nil
	}
	m.ScoreMetaData = scoreMeta(top)
	return &Option{Node: best.node, Resources: ar, Score: best.score}, m, nil
}

// sample scores the shuffled nodes from where the previous placement
// stopped until g.limit of them fit, skipping those the pool stage already
// scored.
func (s *Stack) sample(g *groupStage, m *structs.AllocMetric, top []scored) ([]scored, error) {
	n := len(s.nodes)
	found, skipped, visited := 0, 0, 0
	for ; visited < n && found < g.limit; visited++ {
		i := (s.next + visited) % n
		if s.seen[i] == s.gen {
			continue
		}
		s.seen[i] = s.gen
		sc, ok, err := s.consider(g, i, m)
		if err != nil {
			return top, err
		}
		if !ok {
			continue
		}
		top = insertTop(top, sc)
		if sc.score <= skipScoreThreshold && skipped < maxSkip {
			skipped++
			continue
		}
		found++
	}
	if n > 0 {
		s.next = (s.next + visited) % n
	}
	return top, nil
}

// consider runs node i through the chain, recording a rejection in m (its
// maps through s.rej), and scores it when it fits.
func (s *Stack) consider(g *groupStage, i int, m *structs.AllocMetric) (scored, bool, error) {
	node := s.nodes[i]
	m.NodesEvaluated++
	if ok, reason := g.static(i, node); !ok {
		s.rej.filter(m, node, reason)
		return scored{}, false, nil
	}
	if g.perAllocVolumes != nil {
		if ok, reason := g.perAllocVolumes.FeasibleFor(node, s.opts.AllocName); !ok {
			s.rej.filter(m, node, reason)
			return scored{}, false, nil
		}
	}
	if ok, reason, err := g.property.planFeasible(node); err != nil {
		return scored{}, false, err
	} else if !ok {
		s.rej.filter(m, node, reason)
		return scored{}, false, nil
	}
	u := s.usage[i]
	if u == nil || u.stale {
		var err error
		if u, err = s.ctx.nodeUsageFor(node); err != nil {
			return scored{}, false, err
		}
		s.usage[i] = u
	}
	if ok, reason := g.distinct.usageFeasible(u); !ok {
		s.rej.filter(m, node, reason)
		return scored{}, false, nil
	}
	if ok, dim := u.fits(g.ask); !ok {
		s.rej.exhaust(m, node, dim)
		return scored{}, false, nil
	}
	sc, err := s.score(g, i, u)
	if err != nil {
		return scored{}, false, err
	}
	sc.index = i
	return sc, true, nil
}

// score combines the scorers as Nomad does, by their mean: bin-packing is
// one term, the job anti-affinity penalty another when the node already
// holds allocations of the group, the affinity score another when the node
// matches any affinity, the spread score another when the group spreads.
func (s *Stack) score(g *groupStage, i int, u *nodeUsage) (scored, error) {
	sc := scored{node: u.node, usage: u, binpack: s.ctx.fit(u.avail, u.withAsk(g.ask))}
	total, terms := sc.binpack, 1.0
	if c := u.groupAllocs[g.tg.Name]; c > 0 {
		sc.penalty = AntiAffinityPenalty(c, g.tg.Count)
		total, terms = total-sc.penalty, terms+1
	}
	if g.affinity != nil {
		if a := g.affinity.Score(i, u.node); a != 0 {
			sc.affinity, sc.hasAffinity = a, true
			total, terms = total+a, terms+1
		}
	}
	if g.spread != nil {
		v, err := g.spread.ScoreAt(i, u.node)
		if err != nil {
			return scored{}, err
		}
		sc.spread, sc.hasSpread = v, true
		total, terms = total+v, terms+1
	}
	if p, ok := ReschedulePenalty(s.penalty, u.node.ID); ok {
		sc.resched, sc.hasResched = p, true
		total, terms = total+p, terms+1
	}
	sc.score = total / terms
	return sc, nil
}

// insertTop keeps the best topScores entries, best first; an equal score
// keeps the earlier node so the shuffle alone breaks ties.
func insertTop(top []scored, sc scored) []scored {
	pos := len(top)
	for pos > 0 && top[pos-1].score < sc.score {
		pos--
	}
	if pos >= topScores {
		return top
	}
	if len(top) < topScores {
		top = append(top, scored{})
	}
	copy(top[pos+1:], top[pos:])
	top[pos] = sc
	return top
}

func scoreMeta(top []scored) []*structs.NodeScoreMeta {
	out := make([]*structs.NodeScoreMeta, len(top))
	metas := make([]structs.NodeScoreMeta, len(top))
	for i, sc := range top {
		scores := make(map[string]float64, 2)
		scores[ScoreBinPack] = sc.binpack
		if sc.penalty != 0 {
			scores[ScoreAntiAffinity] = -sc.penalty
		}
		if sc.hasAffinity {
			scores[ScoreNodeAffinity] = sc.affinity
		}
		if sc.hasSpread {
			scores[ScoreSpread] = sc.spread
		}
		if sc.hasResched {
			scores[ScoreNodeReschedulePenalty] = sc.resched
		}
		metas[i] = structs.NodeScoreMeta{NodeID: sc.node.ID, Scores: scores, NormScore: sc.score}
		out[i] = &metas[i]
	}
	return out
}

func filterNode(m *structs.AllocMetric, node *structs.Node, reason string) {
	m.NodesFiltered++
	if node.NodeClass != "" {
		m.ClassFiltered = incr(m.ClassFiltered, node.NodeClass)
	}
	m.ConstraintFiltered = incr(m.ConstraintFiltered, reason)
}

func exhaustNode(m *structs.AllocMetric, node *structs.Node, dim string) {
	m.NodesExhausted++
	if node.NodeClass != "" {
		m.ClassExhausted = incr(m.ClassExhausted, node.NodeClass)
	}
	m.DimensionExhausted = incr(m.DimensionExhausted, dim)
}

func incr(m map[string]int, key string) map[string]int {
	if m == nil {
		m = make(map[string]int, 1)
	}
	m[key]++
	return m
}
