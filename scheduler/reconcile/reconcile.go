package reconcile

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// Descriptions given to stopped allocations.
const (
	DescNotNeeded    = "alloc not needed due to job update"
	DescJobStopped   = "alloc not needed as job is stopped"
	DescGroupRemoved = "alloc not needed as task group was removed"
	DescLost         = "alloc is lost since its node is down"
	DescUpdating     = "alloc is being updated due to job update"
	DescRescheduled  = "alloc was rescheduled because it failed"
)

// Input is everything a reconciliation looks at.
type Input struct {
	// Job is the registered job; nil when it was purged.
	Job *structs.Job
	// Allocs are all allocations of the job, terminal ones included.
	Allocs []*structs.Allocation
	// TaintedNodes holds the IDs of nodes that are down or gone: what runs
	// there is lost.
	TaintedNodes map[string]bool
	// EvalID is the evaluation being processed: a failed allocation whose
	// follow-up evaluation this is may be replaced now.
	EvalID string
	Now    time.Time
	// Deployment is the job's latest deployment, nil when it has none.
	Deployment *structs.Deployment
	// NewDeploymentID is the ID a deployment created by this
	// reconciliation gets; the caller picks it so results are replayable.
	NewDeploymentID string
	// EvalPriority is recorded in a created deployment.
	EvalPriority int
}

// Placement asks for one new allocation.
type Placement struct {
	TaskGroup *structs.TaskGroup
	Name      string
	Index     int
	// Previous is the allocation this one replaces (failed, lost or
	// destructively updated); nil for a new slot.
	Previous *structs.Allocation
	// Reschedule marks the replacement of a failed allocation.
	Reschedule bool
	// RescheduleTracker is the replacement's reschedule history, set when
	// Reschedule is.
	RescheduleTracker *structs.RescheduleTracker
	// DeploymentID is the deployment the new allocation belongs to; ""
	// outside a rollout.
	DeploymentID string
	// Canary marks a canary of the deployment.
	Canary bool
}

// PenaltyNodes lists the nodes a rescheduled placement should avoid: the
// one its predecessor failed on and the earlier ones of its chain, as
// recorded in the tracker. Other placements avoid none.
func (p *Placement) PenaltyNodes() map[string]bool {
	if !p.Reschedule || p.RescheduleTracker == nil {
		return nil
	}
	out := make(map[string]bool, len(p.RescheduleTracker.Events))
	for _, e := range p.RescheduleTracker.Events {
		if e != nil && e.PrevNodeID != "" {
			out[e.PrevNodeID] = true
		}
	}
	return out
}

// Stop asks for an allocation to stop.
type Stop struct {
	Alloc       *structs.Allocation
	Description string
	// ClientStatus, when set, overrides the client status ("lost").
	ClientStatus string
	// ReplacedBy is set when the stop is one half of a replacement, so
	// the scheduler can link the old allocation to the new one.
	ReplacedBy *Placement
}

// Delayed is a failed allocation to replace at a later time, through a
// follow-up evaluation.
type Delayed struct {
	Alloc *structs.Allocation
	At    time.Time
}

// DesiredUpdates counts the decisions for one task group, for logs and for
// "job plan"-style summaries.
type DesiredUpdates struct {
	Place, Stop, Ignore           int
	InPlaceUpdate, Destructive    int
	Lost, RescheduleNow, Deferred int
	Canary                        int
}

// Result is what must change. Slices are ordered by task group, then name
// index, so equal inputs give equal results.
type Result struct {
	Place   []*Placement
	Stop    []*Stop
	InPlace []*structs.Allocation
	Delayed []*Delayed
	Desired map[string]*DesiredUpdates
	// Deployment is the deployment to create or update with the plan; nil
	// when none changes.
	Deployment *structs.Deployment
	// DeploymentUpdates cancel deployments of older versions.
	DeploymentUpdates []*structs.DeploymentStatusUpdate

	// deployment is the deployment of the job's current version, the
	// stored one or the one being created.
	deployment *structs.Deployment
}

// Reconcile compares the job with its allocations.
func Reconcile(in Input) *Result {
	r := &Result{Desired: make(map[string]*DesiredUpdates)}
	byGroup := make(map[string][]*structs.Allocation)
	for _, a := range in.Allocs {
		byGroup[a.TaskGroup] = append(byGroup[a.TaskGroup], a)
	}
	r.resolveDeployment(in)
	if in.Job == nil || in.Job.Stop {
		for _, name := range sortedKeys(byGroup) {
			r.stopAll(in, byGroup[name], DescJobStopped)
		}
		return r
	}
	for _, tg := range in.Job.TaskGroups {
		g := &groupReconciler{in: in, r: r, tg: tg, desired: r.desired(tg.Name)}
		g.run(byGroup[tg.Name])
		delete(byGroup, tg.Name)
	}
	for _, name := range sortedKeys(byGroup) {
		r.stopAll(in, byGroup[name], DescGroupRemoved)
	}
	r.describeNewDeployment(in)
	return r
}

func (r *Result) desired(group string) *DesiredUpdates {
	d, ok := r.Desired[group]
	if !ok {
		d = &DesiredUpdates{}
		r.Desired[group] = d
	}
	return d
}

func (r *Result) stopAll(in Input, allocs []*structs.Allocation, desc string) {
	sortByIndex(allocs)
	for _, a := range allocs {
		if a.TerminalStatus() {
			continue
		}
		s := &Stop{Alloc: a, Description: desc}
		if in.TaintedNodes[a.NodeID] {
			s.ClientStatus = structs.AllocClientStatusLost
		}
		r.Stop = append(r.Stop, s)
		r.desired(a.TaskGroup).Stop++
	}
}

type slotKind int

const (
	slotLive slotKind = iota
	slotLost
	slotFailedNow
	slotFailedLater
	slotDone
)

// slot is one occupied name index of a group.
type slot struct {
	alloc *structs.Allocation
	index int
	kind  slotKind
	// at and delay say when and after which delay a failed allocation is
	// replaced.
	at    time.Time
	delay time.Duration
}

type groupReconciler struct {
	in      Input
	r       *Result
	tg      *structs.TaskGroup
	desired *DesiredUpdates
	policy  *structs.ReschedulePolicy
	// deploymentID is set while the group rolls out through a deployment:
	// every placement joins it.
	deploymentID string
}

func (g *groupReconciler) run(allocs []*structs.Allocation) {
	sortByIndex(allocs)
	g.policy = PolicyFor(g.in.Job, g.tg)
	slots := g.classify(allocs)
	if g.tg.Completions > 0 && g.in.Job.Type == structs.JobTypeBatch {
		g.runCompletions(slots)
		return
	}
	if g.runDeployment(slots) {
		return
	}
	if excess := len(slots) - g.tg.Count; excess > 0 {
		slots = g.dropExcess(slots, excess)
	}
	used := make(map[int]bool, len(slots))
	for _, s := range slots {
		used[s.index] = true
		g.keep(s)
	}
	missing := g.tg.Count - len(slots)
	for idx := 0; missing > 0; idx++ {
		if used[idx] {
			continue
		}
		g.place(&Placement{TaskGroup: g.tg, Name: AllocName(g.in.Job.ID, g.tg.Name, idx), Index: idx})
		missing--
	}
}

// classify turns the group's allocations into occupied slots, ignoring
// the ones that no longer hold their name.
func (g *groupReconciler) classify(allocs []*structs.Allocation) []slot {
	batch := g.in.Job.Type == structs.JobTypeBatch
	var slots []slot
	for _, a := range allocs {
		s := slot{alloc: a, index: NameIndex(a.Name)}
		switch {
		case a.ServerTerminalStatus():
			continue
		case g.in.TaintedNodes[a.NodeID] && !a.ClientTerminalStatus():
			s.kind = slotLost
		case a.ClientStatus == structs.AllocClientStatusComplete:
			if !batch {
				// A service that exited is simply gone; its slot is
				// filled by a new placement.
				g.desired.Ignore++
				continue
			}
			s.kind = slotDone
		case a.ClientStatus == structs.AllocClientStatusFailed:
			if a.NextAllocation != "" {
				g.desired.Ignore++
				continue
			}
			s.kind = g.failedKind(a, &s)
		case a.ClientStatus == structs.AllocClientStatusLost:
			s.kind = slotLost
		case g.markedForReschedule(a):
			s.kind = g.failedKind(a, &s)
		default:
			s.kind = slotLive
		}
		slots = append(slots, s)
	}
	return slots
}

// markedForReschedule reports whether a live allocation was marked by the
// deployment watcher for replacement (unhealthy, with progress_deadline
// time left) in the active deployment of the job's current version; it
// is then replaced like a failed one. Outside such a deployment the mark
// means nothing: a cancelled or finished rollout replaces nothing more,
// and a paused one nothing until it is resumed.
func (g *groupReconciler) markedForReschedule(a *structs.Allocation) bool {
	d := g.r.deployment
	return a.DesiredTransition.ShouldReschedule() && d != nil && d.Active() &&
		d.Status != structs.DeploymentStatusPaused && a.DeploymentID == d.ID
}

// failedKind decides, by the group's policy, whether a failed allocation
// (or one marked for rescheduling) is replaced now, later (recording
// when in s), or never.
func (g *groupReconciler) failedKind(a *structs.Allocation, s *slot) slotKind {
	failed := rescheduleFrom(a, g.in.Now)
	if !Eligible(g.policy, a, failed) {
		return slotDone
	}
	s.delay = NextDelay(g.policy, a, failed)
	s.at = failed.Add(s.delay)
	if a.FollowupEvalID != "" && a.FollowupEvalID == g.in.EvalID || !s.at.After(g.in.Now) {
		return slotFailedNow
	}
	return slotFailedLater
}

// dropExcess stops the highest-indexed slots that can be given up; done
// batch allocations cannot be, since their work is finished.
func (g *groupReconciler) dropExcess(slots []slot, excess int) []slot {
	order := make([]int, len(slots))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(slots[b].index, slots[a].index) })
	drop := make(map[int]bool, excess)
	for _, i := range order {
		if len(drop) == excess {
			break
		}
		if slots[i].kind != slotDone {
			drop[i] = true
		}
	}
	kept := slots[:0:0]
	for i, s := range slots {
		if !drop[i] {
			kept = append(kept, s)
			continue
		}
		g.dropSlot(s)
	}
	return kept
}

// keep applies what a slot that stays needs: nothing, an update, or a
// replacement.
func (g *groupReconciler) keep(s slot) {
	a := s.alloc
	switch s.kind {
	case slotDone:
		g.desired.Ignore++
	case slotFailedLater:
		g.desired.Deferred++
		if a.FollowupEvalID == "" {
			g.r.Delayed = append(g.r.Delayed, &Delayed{Alloc: a, At: s.at})
		}
	case slotLost:
		g.desired.Lost++
		st := &Stop{Alloc: a, Description: DescLost}
		if !a.ClientTerminalStatus() {
			st.ClientStatus = structs.AllocClientStatusLost
		}
		g.replace(st, s.index, false)
	case slotFailedNow:
		g.desired.RescheduleNow++
		p := g.replace(&Stop{Alloc: a, Description: DescRescheduled}, s.index, true)
		p.RescheduleTracker = nextTracker(g.policy, a, g.in.Now, s.delay)
	case slotLive:
		switch {
		case !outdated(a, g.in.Job):
			g.desired.Ignore++
		case destructiveChange(a.Job, g.in.Job, g.tg.Name):
			g.desired.Destructive++
			g.replace(&Stop{Alloc: a, Description: DescUpdating}, s.index, false)
		default:
			g.desired.InPlaceUpdate++
			g.r.InPlace = append(g.r.InPlace, g.joinDeployment(a))
		}
	}
}

func (g *groupReconciler) replace(st *Stop, index int, reschedule bool) *Placement {
	p := &Placement{
		TaskGroup: g.tg, Name: AllocName(g.in.Job.ID, g.tg.Name, index), Index: index,
		Previous: st.Alloc, Reschedule: reschedule,
	}
	st.ReplacedBy = p
	g.stop(st)
	g.place(p)
	return p
}

func (g *groupReconciler) stop(st *Stop) {
	g.r.Stop = append(g.r.Stop, st)
	g.desired.Stop++
}

func (g *groupReconciler) place(p *Placement) {
	p.DeploymentID = g.deploymentID
	g.r.Place = append(g.r.Place, p)
	g.desired.Place++
}

// AllocName is the name of the allocation of a group with a given index:
// "<job>.<group>[<index>]".
func AllocName(jobID, group string, index int) string {
	return jobID + "." + group + "[" + strconv.Itoa(index) + "]"
}

// NameIndex returns the index of an allocation name, or -1 when the name
// has none.
func NameIndex(name string) int {
	open := strings.LastIndexByte(name, '[')
	if open < 0 || !strings.HasSuffix(name, "]") {
		return -1
	}
	idx, err := strconv.Atoi(name[open+1 : len(name)-1])
	if err != nil || idx < 0 {
		return -1
	}
	return idx
}

func sortByIndex(allocs []*structs.Allocation) {
	slices.SortStableFunc(allocs, func(a, b *structs.Allocation) int {
		return cmp.Or(
			cmp.Compare(NameIndex(a.Name), NameIndex(b.Name)),
			cmp.Compare(a.CreateIndex, b.CreateIndex),
			strings.Compare(a.ID, b.ID),
		)
	})
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// String summarises the counts for logs.
func (d *DesiredUpdates) String() string {
	return fmt.Sprintf("place=%d stop=%d ignore=%d in_place=%d destructive=%d lost=%d reschedule_now=%d deferred=%d canary=%d",
		d.Place, d.Stop, d.Ignore, d.InPlaceUpdate, d.Destructive, d.Lost, d.RescheduleNow, d.Deferred, d.Canary)
}
