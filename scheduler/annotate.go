package scheduler

import (
	"sort"
	"strconv"
	"strings"

	"github.com/orch-dev/orch/nomadlike/structs"
	"github.com/orch-dev/orch/scheduler/reconcile"
)

// Plan annotations: what a plan does per task group, counted the way
// Nomad's `job plan` reports it, and the job diff marked up with it.
//
// Migrate stays 0 because the drainer stops allocations itself and the
// scheduler sees only missing slots; Canary stays 0 until deployments
// exist.

// AnnotatePreemptions fills the plan's PreemptedAllocs (sorted by ID) and
// each group's Preemptions count from Plan.NodePreemptions: a victim is
// counted against the group of the placement that evicts it.
func AnnotatePreemptions(plan *structs.Plan) {
	if plan == nil || plan.Annotations == nil || len(plan.NodePreemptions) == 0 {
		return
	}
	groupOf := make(map[string]string)
	for _, allocs := range plan.NodeAllocation {
		for _, a := range allocs {
			groupOf[a.ID] = a.TaskGroup
		}
	}
	var stubs []*structs.AllocListStub
	for _, victims := range plan.NodePreemptions {
		for _, v := range victims {
			stubs = append(stubs, v.Stub())
			group := groupOf[v.PreemptedByAllocation]
			d := plan.Annotations.DesiredTGUpdates[group]
			if d == nil {
				if plan.Annotations.DesiredTGUpdates == nil {
					plan.Annotations.DesiredTGUpdates = make(map[string]*structs.DesiredUpdates)
				}
				d = &structs.DesiredUpdates{}
				plan.Annotations.DesiredTGUpdates[group] = d
			}
			d.Preemptions++
		}
	}
	sort.Slice(stubs, func(i, j int) bool { return stubs[i].ID < stubs[j].ID })
	plan.Annotations.PreemptedAllocs = stubs
}

// desiredTGUpdates turns the reconciler's counts into a plan's. The
// reconciler counts a destructive update as a stop and a place too, and a
// failed allocation replaced now as a stop: a plan reports the first as
// one update and does not call the second a stop, since nothing running
// is destroyed.
func desiredTGUpdates(desired map[string]*reconcile.DesiredUpdates) map[string]*structs.DesiredUpdates {
	out := make(map[string]*structs.DesiredUpdates, len(desired))
	for group, d := range desired {
		out[group] = &structs.DesiredUpdates{
			Ignore:            uint64(d.Ignore),
			Place:             uint64(d.Place - d.Destructive),
			Stop:              uint64(d.Stop - d.Destructive - d.RescheduleNow),
			InPlaceUpdate:     uint64(d.InPlaceUpdate),
			DestructiveUpdate: uint64(d.Destructive),
			RescheduleNow:     uint64(d.RescheduleNow),
			RescheduleLater:   uint64(d.Deferred),
			Canary:            uint64(d.Canary),
		}
	}
	return out
}

// systemDesired counts a system scheduler attempt's decisions. A
// destructive update is a stop in classify and a placement on the same
// node in placeOn; it is counted once, when the placement is decided.
type systemDesired struct {
	groups map[string]*structs.DesiredUpdates
	// pending[group][node] marks an allocation stopped for a destructive
	// update whose replacement placeOn has not decided yet.
	pending map[string]map[string]bool
}

func newSystemDesired(job *structs.Job) *systemDesired {
	d := &systemDesired{groups: map[string]*structs.DesiredUpdates{}, pending: map[string]map[string]bool{}}
	if job != nil {
		for _, tg := range job.TaskGroups {
			d.group(tg.Name)
		}
	}
	return d
}

func (d *systemDesired) group(name string) *structs.DesiredUpdates {
	g, ok := d.groups[name]
	if !ok {
		g = &structs.DesiredUpdates{}
		d.groups[name] = g
	}
	return g
}

func (d *systemDesired) replacing(group, node string) {
	if d.pending[group] == nil {
		d.pending[group] = map[string]bool{}
	}
	d.pending[group][node] = true
}

// placed records placeOn's outcome for a node: wanted is false when the
// node turned out not to be a target of the group (its constraints rule
// it out), so an allocation replaced there is simply stopped.
func (d *systemDesired) placed(group, node string, wanted bool) {
	g := d.group(group)
	replacing := d.pending[group][node]
	delete(d.pending[group], node)
	switch {
	case replacing && wanted:
		g.DestructiveUpdate++
	case replacing:
		g.Stop++
	case wanted:
		g.Place++
	}
}

// Annotate marks up diff with what the plan does: each group's Updates
// from the plan's counts, the Count field with whether it forces creates
// or destroys, and each changed task with whether its change is applied in
// place or needs new allocations. The in-place rule is the reconciler's:
// only a change of count or meta leaves allocations where they are.
func Annotate(diff *structs.JobDiff, ann *structs.PlanAnnotations) {
	if diff == nil {
		return
	}
	for _, tg := range diff.TaskGroups {
		if ann != nil {
			if d := ann.DesiredTGUpdates[tg.Name]; d != nil {
				tg.Updates = groupUpdates(d)
			}
		}
		annotateCount(tg)
		for _, t := range tg.Tasks {
			annotateTask(t, tg)
		}
	}
}

func groupUpdates(d *structs.DesiredUpdates) map[string]uint64 {
	out := map[string]uint64{}
	for typ, n := range map[string]uint64{
		structs.UpdateTypeIgnore:            d.Ignore,
		structs.UpdateTypeCreate:            d.Place,
		structs.UpdateTypeDestroy:           d.Stop,
		structs.UpdateTypeMigrate:           d.Migrate,
		structs.UpdateTypeCanary:            d.Canary,
		structs.UpdateTypeInplaceUpdate:     d.InPlaceUpdate,
		structs.UpdateTypeDestructiveUpdate: d.DestructiveUpdate,
	} {
		if n > 0 {
			out[typ] = n
		}
	}
	return out
}

func annotateCount(tg *structs.TaskGroupDiff) {
	for _, f := range tg.Fields {
		if f.Name != "Count" {
			continue
		}
		// An absent side ("") is a count of 0: the group is new or gone.
		oldN, _ := strconv.Atoi(f.Old)
		newN, _ := strconv.Atoi(f.New)
		switch {
		case newN > oldN:
			f.Annotations = append(f.Annotations, structs.AnnotationForcesCreate)
		case newN < oldN:
			f.Annotations = append(f.Annotations, structs.AnnotationForcesDestroy)
		}
	}
}

func annotateTask(t *structs.TaskDiff, parent *structs.TaskGroupDiff) {
	switch {
	case t.Type == structs.DiffTypeNone:
		return
	case t.Type == structs.DiffTypeAdded && parent.Type == structs.DiffTypeAdded:
		t.Annotations = append(t.Annotations, structs.AnnotationForcesCreate)
		return
	case t.Type == structs.DiffTypeDeleted && parent.Type == structs.DiffTypeDeleted:
		t.Annotations = append(t.Annotations, structs.AnnotationForcesDestroy)
		return
	}
	inPlace := t.Type == structs.DiffTypeEdited && len(t.Objects) == 0
	for _, f := range t.Fields {
		if f.Type != structs.DiffTypeNone && !strings.HasPrefix(f.Name, "Meta[") {
			inPlace = false
		}
	}
	if inPlace {
		t.Annotations = append(t.Annotations, structs.AnnotationForcesInplaceUpdate)
	} else {
		t.Annotations = append(t.Annotations, structs.AnnotationForcesDestructiveUpdate)
	}
}
