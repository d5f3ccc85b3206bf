package feasible

import (
	"math"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// Score names recorded in NodeScoreMeta.Scores.
const (
	ScoreBinPack      = "binpack"
	ScoreAntiAffinity = "job-anti-affinity"
)

// BinPackScore rates how full a node would be with used on it, from 0
// (empty) to 1 (full on CPU and memory). Each dimension's free fraction f
// contributes 10^f, which rises steeply as a node empties, so a node that is
// full on one dimension but idle on the other still scores low: packing one
// dimension while stranding the other is what this score discourages. The
// sum runs from 2 (both full) to 20 (both empty) and is mapped linearly onto
// [1, 0].
func BinPackScore(avail, used structs.ComparableResources) float64 {
	total := pow10(freeFraction(avail.CPU, used.CPU)) + pow10(freeFraction(avail.MemoryMB, used.MemoryMB))
	return clamp01((20 - total) / 18)
}

// pow10 is 10^x through Exp, which is several times cheaper than the
// general math.Pow and runs for every node scored.
func pow10(x float64) float64 { return math.Exp(x * math.Ln10) }

// freeFraction is the part of avail that used leaves free, in [0, 1]. A
// node with nothing to offer on a dimension counts as full on it.
func freeFraction(avail, used int64) float64 {
	if avail <= 0 {
		return 0
	}
	return clamp01(1 - float64(used)/float64(avail))
}

func clamp01(x float64) float64 {
	switch {
	case x < 0:
		return 0
	case x > 1:
		return 1
	}
	return x
}

// AntiAffinityPenalty is the job anti-affinity term of a node holding
// collisions allocations of the group being placed: (collisions + 1) /
// count, as Nomad computes it, and 0 without a collision. The stack
// averages it, negated, with the bin-pack score as a term of its own
// rather than subtracting it from bin-packing, so any collision roughly
// halves a node's score: a node of the group's loses to a fresh node with
// half its bin-pack score or more, however large the group. That keeps
// one group's allocations on distinct nodes while fresh nodes fit, which
// is what a service wants from replicas. It is not capped: a small group
// (count 1 or 2) pays more than the whole score range per collision, as
// in Nomad, so only a node with nothing better around takes a second one.
func AntiAffinityPenalty(collisions, count int) float64 {
	if collisions <= 0 {
		return 0
	}
	return float64(collisions+1) / float64(max(count, 1))
}

// SpreadFitScore is the fit score of the "spread" scheduler algorithm:
// BinPackScore turned around, so the emptiest node that fits scores
// highest and load is spread over the cluster. It uses the same
// 10^free-fraction curve, so a node idle on one dimension but full on the
// other still ranks as busy.
func SpreadFitScore(avail, used structs.ComparableResources) float64 {
	return 1 - BinPackScore(avail, used)
}

// FitScorer returns the fit score of a scheduler algorithm: SpreadFitScore
// for "spread", BinPackScore otherwise.
func FitScorer(algorithm string) func(avail, used structs.ComparableResources) float64 {
	if algorithm == structs.SchedulerAlgorithmSpread {
		return SpreadFitScore
	}
	return BinPackScore
}
