package feasible

import "github.com/orch-dev/orch/nomadlike/structs"

// discoverFactor bounds how many nodes one placement looks at to find busy
// ones, as a multiple of the group's sample bound; the stack's first
// placement looks at the sample bound times as many again (4 log²n nodes:
// 676 of 5,000), so a job's first allocations find the other jobs' nodes
// too. Finding out whether a node is busy costs one read of its
// allocations, much less than scoring it, and the pass over the
// candidates happens at most once per evaluation: a group placing p
// allocations reads at most min(n, (p + limit) × discoverFactor × limit)
// nodes' allocations.
const discoverFactor = 4

// scorePool scores up to g.limit nodes of the group's pool, from where the
// previous placement stopped, after extending the stack's busy list by
// one placement's share of discovery. A pooled node leaves the pool for
// good once it no longer fits or is infeasible, since an evaluation's
// placements only fill nodes up (a node freed by the stop of a
// rescheduled allocation is still found by the sample), or once it holds
// one of the group's allocations: from then on only the random sample
// finds it, and the score weighs the collision.
func (s *Stack) scorePool(g *groupStage, m *structs.AllocMetric, top []scored) ([]scored, error) {
	// With fewer nodes than the sample bound the sample sees them all.
	if len(s.nodes) <= g.limit {
		return top, nil
	}
	budget := discoverFactor * g.limit
	if s.discovered == 0 {
		budget *= g.limit
	}
	if err := s.discover(budget); err != nil {
		return top, err
	}
	g.pool = append(g.pool, s.busy[g.poolFrom:]...)
	g.poolFrom = len(s.busy)
	// Where busy nodes are not rare the sample finds them by itself (a
	// sample of limit nodes misses them all with odds of 2^-limit at
	// most), and scoring the pool too would only double the cost.
	if 2*len(s.busy) > s.discovered {
		return top, nil
	}
	found := 0
	for steps := len(g.pool); steps > 0 && found < g.limit && len(g.pool) > 0; steps-- {
		if g.poolPos >= len(g.pool) {
			g.poolPos = 0
		}
		i := g.pool[g.poolPos]
		if s.seen[i] == s.gen {
			g.poolPos++
			continue
		}
		s.seen[i] = s.gen
		sc, ok, err := s.consider(g, i, m)
		if err != nil {
			return top, err
		}
		if !ok || sc.usage.groupAllocs[g.tg.Name] > 0 {
			// Swap the last entry in; it is scored next unless this
			// placement saw it already.
			last := len(g.pool) - 1
			g.pool[g.poolPos] = g.pool[last]
			g.pool = g.pool[:last]
		} else {
			g.poolPos++
		}
		if ok {
			found++
			top = insertTop(top, sc)
		}
	}
	return top, nil
}

// discover looks at up to budget more candidates, in shuffled order, and
// records those running work.
func (s *Stack) discover(budget int) error {
	for ; budget > 0 && s.discovered < len(s.nodes); budget-- {
		i := s.discovered
		s.discovered++
		busy, err := s.ctx.busy(s.nodes[i])
		if err != nil {
			return err
		}
		if busy {
			s.busy = append(s.busy, i)
		}
	}
	return nil
}
