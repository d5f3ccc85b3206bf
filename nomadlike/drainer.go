package nomadlike

import (
	"sort"
	"time"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// drainDesc is the DesiredDescription of an allocation a drain stops.
const drainDesc = "alloc is being migrated off a draining node"

// drainInput is what one drain pass looks at: every draining node with
// its allocations, and for each job with work on them the job as stored
// (nil once purged) and all of its allocations, so a group's health counts
// replacements placed elsewhere.
type drainInput struct {
	Now       time.Time
	Nodes     []*structs.Node
	NodeAlloc map[string][]*structs.Allocation
	Jobs      map[jobRef]*structs.Job
	JobAllocs map[jobRef][]*structs.Allocation
}

// jobRef names a job across namespaces.
type jobRef struct{ Namespace, ID string }

// drainResult is what a pass decided: allocations to stop (their jobs get
// an evaluation each, so the scheduler replaces them off the node) and
// nodes whose drain is finished.
type drainResult struct {
	Stop []*structs.Allocation
	Done []string
}

// groupRef names a task group of a job.
type groupRef struct {
	job   jobRef
	group string
}

// planDrain decides one pass. Service allocations move a group's
// max_parallel at a time: a group may lose only as many running
// allocations as max_parallel less those already not running, so a
// replacement must be running before the next one moves. Batch
// allocations are left to finish until the deadline; system ones stop
// once nothing else is left, unless the drain ignores them. At the
// deadline everything left is stopped. It has no side effects.
func planDrain(in drainInput) drainResult {
	var res drainResult
	budget := make(map[groupRef]int)
	nodes := append([]*structs.Node(nil), in.Nodes...)
	sort.Slice(nodes, func(i, j int) bool { return nodes[i].ID < nodes[j].ID })
	for _, node := range nodes {
		strategy := node.DrainStrategy
		if strategy == nil {
			continue
		}
		forced := strategy.DeadlineReached(in.Now)
		live, system := liveAllocs(in.NodeAlloc[node.ID], strategy.IgnoreSystemJobs)
		if len(live) == 0 && len(system) == 0 {
			res.Done = append(res.Done, node.ID)
			continue
		}
		if len(live) == 0 {
			res.Stop = append(res.Stop, system...)
			continue
		}
		for _, a := range live {
			if forced || in.mayMigrate(a, budget) {
				res.Stop = append(res.Stop, a)
			}
		}
	}
	return res
}

// liveAllocs splits the node's allocations still wanted by the server
// and not finished by the client into system ones and the rest, each
// sorted by name. System ones are dropped when the drain ignores them.
func liveAllocs(allocs []*structs.Allocation, ignoreSystem bool) (live, system []*structs.Allocation) {
	for _, a := range allocs {
		if a.TerminalStatus() {
			continue
		}
		if isSystemAlloc(a) {
			if !ignoreSystem {
				system = append(system, a)
			}
			continue
		}
		live = append(live, a)
	}
	byName := func(s []*structs.Allocation) {
		sort.Slice(s, func(i, j int) bool {
			if s[i].Name != s[j].Name {
				return s[i].Name < s[j].Name
			}
			return s[i].ID < s[j].ID
		})
	}
	byName(live)
	byName(system)
	return live, system
}

func isSystemAlloc(a *structs.Allocation) bool {
	return a.Job != nil && (a.Job.Type == structs.JobTypeSystem || a.Job.Type == structs.JobTypeSysBatch)
}

// mayMigrate reports whether a non-system allocation may be stopped now,
// spending its group's budget when it may.
func (in drainInput) mayMigrate(a *structs.Allocation, budget map[groupRef]int) bool {
	ref := jobRef{a.Namespace, a.JobID}
	job := in.Jobs[ref]
	if job == nil || job.Stop {
		// The scheduler is stopping the job's allocations anyway.
		return true
	}
	if job.Type == structs.JobTypeBatch {
		return false
	}
	tg := job.LookupTaskGroup(a.TaskGroup)
	if tg == nil {
		return true
	}
	key := groupRef{ref, a.TaskGroup}
	left, ok := budget[key]
	if !ok {
		left = migrateMaxParallel(tg) - (tg.Count - runningInGroup(in.JobAllocs[ref], a.TaskGroup))
	}
	if left <= 0 {
		budget[key] = left
		return false
	}
	budget[key] = left - 1
	return true
}

// runningInGroup counts the group's allocations that are running and meant
// to keep running: the healthy ones a migration must not go below.
func runningInGroup(allocs []*structs.Allocation, group string) int {
	n := 0
	for _, a := range allocs {
		if a.TaskGroup == group && !a.ServerTerminalStatus() && a.ClientStatus == structs.AllocClientStatusRunning {
			n++
		}
	}
	return n
}

// migrateMaxParallel is how many of the group's allocations may be
// migrating at once: the group's migrate block, or the default without one.
func migrateMaxParallel(tg *structs.TaskGroup) int {
	if tg.Migrate == nil || tg.Migrate.MaxParallel < 1 {
		return structs.DefaultMigrateMaxParallel
	}
	return tg.Migrate.MaxParallel
}
