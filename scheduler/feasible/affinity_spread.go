package feasible

import (
	"math"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// Score names of the affinity and spread scorers in NodeScoreMeta.Scores.
const (
	ScoreNodeAffinity = "node-affinity"
	ScoreSpread       = "allocation-spread"
)

// PreferenceLimitFactor widens the sample of a group with an affinity or a
// spread: the best node of a few random ones is usually not of the value
// the preference wants, and the wider sample is what keeps a rack spread
// within a couple of allocations (see BenchmarkMatrix's spread_evenness).
const PreferenceLimitFactor = 4

// AffinityScorer rates a node by the group's affinities (the job's, the
// group's and its tasks'): the sum of the weights of those the node
// matches over the sum of all weights' magnitudes, in [-1, 1]. A node
// matching every positive and no negative affinity scores 1. The score
// depends on the node alone, so it is computed once per node and group.
type AffinityScorer struct {
	ctx        *Context
	affinities []*structs.Constraint
	weights    []float64
	sumWeight  float64
	// cache holds each node index's score; NaN is not yet computed.
	cache []float64
}

// NewAffinityScorer returns nil when tg has no affinity to score, so the
// stack can skip the scorer without a branch per node.
func NewAffinityScorer(ctx *Context, job *structs.Job, tg *structs.TaskGroup, nodes int) *AffinityScorer {
	all := append([]*structs.Affinity(nil), job.Affinities...)
	all = append(all, tg.Affinities...)
	for _, t := range tg.Tasks {
		all = append(all, t.Affinities...)
	}
	a := &AffinityScorer{ctx: ctx}
	for _, af := range all {
		if af == nil || af.Weight == 0 {
			continue
		}
		a.affinities = append(a.affinities, &structs.Constraint{LTarget: af.LTarget, RTarget: af.RTarget, Operand: af.Operand})
		a.weights = append(a.weights, float64(af.Weight))
		a.sumWeight += math.Abs(float64(af.Weight))
	}
	if len(a.affinities) == 0 {
		return nil
	}
	a.cache = make([]float64, nodes)
	for i := range a.cache {
		a.cache[i] = math.NaN()
	}
	return a
}

// Score returns the affinity score of node, the stack's node index i.
func (a *AffinityScorer) Score(i int, node *structs.Node) float64 {
	if i >= 0 && i < len(a.cache) && !math.IsNaN(a.cache[i]) {
		return a.cache[i]
	}
	total := 0.0
	for k, c := range a.affinities {
		if a.ctx.Satisfies(c, node) {
			total += a.weights[k]
		}
	}
	score := total / a.sumWeight
	if i >= 0 && i < len(a.cache) {
		a.cache[i] = score
	}
	return score
}

// SpreadScorer rates a node by how much placing one more allocation of the
// group there moves each spread attribute's distribution towards its goal,
// in [-1, 1]:
//
//   - with targets, a value's goal is its percent of the group's count (the
//     values no target names share what the percents leave, as one pool);
//     the score is the part of the goal still missing, (goal − count) /
//     goal, and -1 for a value with no share left;
//   - without targets the goal is an even share of the allocations over
//     the values seen on feasible nodes so far, so the least used value
//     scores highest.
//
// A node without the attribute scores -1. Several spreads are combined by
// weight. Counts come from the Context's per-value property counts, which
// follow every placement and stop of the plan, so a score costs a few map
// lookups however many allocations the job has.
type SpreadScorer struct {
	ctx       *Context
	count     int
	rules     []*spreadRule
	sumWeight float64
}

type spreadRule struct {
	key    propertyKey
	weight float64
	// targets maps a targeted value to its share of the count, in [0, 1].
	targets map[string]float64
	// rest is the share the targets leave to every other value together.
	rest float64
	// seen is every value met on a feasible node or under a counted
	// allocation: the values an even spread divides the count between.
	seen map[string]struct{}
	// values caches each stack node index's value of the attribute
	// (known: 0 not yet resolved, 1 resolved, 2 the node has none), and
	// counts the Context's counts once looked up: a group with a spread
	// scores dozens of nodes per placement, and resolving the attribute
	// and finding the counts were most of a spread score's cost.
	values []string
	known  []uint8
	counts *propertyCounts
}

// NewSpreadScorer returns nil when neither the job nor tg spreads. A
// spread on the job counts each group's allocations separately, as a
// group-level one does: the group's count is what the percents divide.
func NewSpreadScorer(ctx *Context, job *structs.Job, tg *structs.TaskGroup) *SpreadScorer {
	s := &SpreadScorer{ctx: ctx, count: max(tg.Count, 1)}
	byAttr := make(map[string]bool)
	// The group's spread wins over the job's on the same attribute.
	for _, list := range [][]*structs.Spread{tg.Spreads, job.Spreads} {
		for _, sp := range list {
			if sp == nil || sp.Attribute == "" || byAttr[sp.Attribute] || sp.Weight <= 0 {
				continue
			}
			byAttr[sp.Attribute] = true
			s.rules = append(s.rules, newSpreadRule(sp, tg.Name))
			s.sumWeight += float64(sp.Weight)
		}
	}
	if len(s.rules) == 0 {
		return nil
	}
	return s
}

func newSpreadRule(sp *structs.Spread, group string) *spreadRule {
	r := &spreadRule{
		key:    propertyKey{target: sp.Attribute, group: group},
		weight: float64(sp.Weight),
		seen:   make(map[string]struct{}),
	}
	if len(sp.SpreadTarget) == 0 {
		return r
	}
	r.targets = make(map[string]float64, len(sp.SpreadTarget))
	// Whole percents are summed as integers: 60 + 30 + 10 in floating
	// point leaves a sliver of a share for the untargeted values.
	sum := 0
	for _, t := range sp.SpreadTarget {
		if t == nil {
			continue
		}
		r.targets[t.Value] = float64(t.Percent) / 100
		sum += int(t.Percent)
	}
	r.rest = float64(max(0, 100-sum)) / 100
	return r
}

// Score returns the spread score of node. The error is a failure to read
// state while building the counts.
func (s *SpreadScorer) Score(node *structs.Node) (float64, error) {
	return s.ScoreAt(-1, node)
}

// ScoreAt is Score for the stack's node index i, whose attribute values it
// caches; i < 0 caches nothing.
func (s *SpreadScorer) ScoreAt(i int, node *structs.Node) (float64, error) {
	total := 0.0
	for _, r := range s.rules {
		v, err := s.ruleScore(r, i, node)
		if err != nil {
			return 0, err
		}
		total += v * r.weight
	}
	return total / s.sumWeight, nil
}

// sizeCache makes room to cache the values of n stack nodes.
func (s *SpreadScorer) sizeCache(n int) {
	for _, r := range s.rules {
		r.values, r.known = make([]string, n), make([]uint8, n)
	}
}

func (s *SpreadScorer) ruleScore(r *spreadRule, i int, node *structs.Node) (float64, error) {
	value, ok := s.value(r, i, node)
	if !ok {
		return -1, nil
	}
	counts := r.counts
	if counts == nil || s.ctx.props.err != nil {
		var err error
		if counts, err = s.ctx.propertyCounts(r.key); err != nil {
			return 0, err
		}
		r.counts = counts
	}
	if r.targets == nil {
		return r.evenScore(counts, value), nil
	}
	share, targeted := r.targets[value]
	used := counts.byValue[value]
	if !targeted {
		share, used = r.rest, len(counts.members)
		for t := range r.targets {
			used -= counts.byValue[t]
		}
	}
	return goalScore(share*float64(s.count), used), nil
}

// value resolves r's attribute on node, through the cache when i is a
// stack node index, and records it as seen.
func (s *SpreadScorer) value(r *spreadRule, i int, node *structs.Node) (string, bool) {
	if i >= 0 && i < len(r.known) {
		switch r.known[i] {
		case 1:
			return r.values[i], true
		case 2:
			return "", false
		}
	}
	value, ok := s.ctx.resolveTarget(r.key.target, node)
	if ok {
		r.seen[value] = struct{}{}
	}
	if i >= 0 && i < len(r.known) {
		r.values[i], r.known[i] = value, 1
		if !ok {
			r.known[i] = 2
		}
	}
	return value, ok
}

// evenScore compares value's count with an even share of the allocations,
// this one included, over every value seen.
func (r *spreadRule) evenScore(counts *propertyCounts, value string) float64 {
	if len(r.seen) < len(counts.byValue) {
		for v := range counts.byValue {
			r.seen[v] = struct{}{}
		}
	}
	ideal := float64(len(counts.members)+1) / float64(len(r.seen))
	return goalScore(ideal, counts.byValue[value])
}

// goalScore is the part of goal that used leaves missing, in [-1, 1]; a
// goal of nothing is -1, a share the user asked to keep empty.
func goalScore(goal float64, used int) float64 {
	if goal <= 0 {
		return -1
	}
	return math.Max(-1, math.Min(1, (goal-float64(used))/goal))
}
