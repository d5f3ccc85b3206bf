package nomadlike

import (
	"fmt"
	"sort"

	"github.com/google/uuid"
	"github.com/hashicorp/go-memdb"

	"github.com/orch-dev/orch/nomadlike/state"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// Scale changes one group's count: a new job version with a job-scaling
// evaluation, and a scaling event, in one Raft entry. With no Count it
// records the event alone (Nomad's way for an autoscaler to report an
// error). Manual `job scale` and the autoscaler both come through here.
func (j *Job) Scale(args *structs.JobScaleRequest, reply *structs.JobRegisterResponse) error {
	countRPC(structs.JobScaleRPC)
	if handled, err := j.srv.forward(structs.JobScaleRPC, args, args, reply); handled {
		return err
	}
	if err := requireString("JobID", args.JobID); err != nil {
		return fmt.Errorf("job scale: %w", err)
	}
	apply, err := j.srv.buildScale(args)
	if err != nil {
		return fmt.Errorf("job scale: %w", err)
	}
	// An event alone changes no job: an older server may skip it. A
	// scale must not be skipped, or that server's jobs would diverge.
	msgType := structs.ScalingEventRequestType | structs.IgnoreUnknownTypeFlag
	if apply.Job != nil {
		msgType = structs.JobScaleRequestType
	}
	index, _, err := j.srv.raftApply(msgType, apply)
	if err != nil {
		return fmt.Errorf("job scale %q: %w", args.JobID, err)
	}
	if apply.Eval != nil {
		reply.EvalID = apply.Eval.ID
		reply.EvalCreateIndex = index
	}
	if stored, err := j.srv.fsm.State().JobByID(nil, apply.Namespace, apply.JobID); err == nil && stored != nil {
		reply.JobModifyIndex = stored.JobModifyIndex
	}
	reply.Index = index
	j.srv.setQueryMeta(&reply.QueryMeta)
	return nil
}

// buildScale checks a scale request against the current job and returns
// the Raft body that applies it.
func (s *Server) buildScale(args *structs.JobScaleRequest) (*structs.JobScaleApply, error) {
	ns := queryNamespace(args.Namespace)
	if t := args.Target[structs.ScalingTargetJob]; t != "" && t != args.JobID {
		return nil, fmt.Errorf("%w: Target.Job %q does not match job %q", structs.ErrBadRequest, t, args.JobID)
	}
	group := args.Target[structs.ScalingTargetGroup]
	if group == "" {
		return nil, fmt.Errorf("%w: Target.Group: missing task group", structs.ErrBadRequest)
	}
	job, err := s.fsm.State().JobByID(nil, ns, args.JobID)
	if err != nil {
		return nil, err
	}
	if job == nil {
		return nil, fmt.Errorf("job %q in namespace %q: %w", args.JobID, ns, structs.ErrNotFound)
	}
	tg := job.LookupTaskGroup(group)
	if tg == nil {
		return nil, fmt.Errorf("%w: Target.Group: job %q has no task group %q (groups: %s)",
			structs.ErrBadRequest, job.ID, group, groupNames(job))
	}
	if args.EnforceIndex {
		if err := checkEnforcedIndex(job, args.JobModifyIndex); err != nil {
			return nil, err
		}
	}
	now := s.config.Clock.Now().UnixNano()
	ev := &structs.ScalingEvent{Time: now, Count: args.Count, PreviousCount: int64(tg.Count),
		Message: args.Message, Error: args.Error, Meta: args.Meta}
	apply := &structs.JobScaleApply{Namespace: ns, JobID: job.ID, Group: group, Event: ev}
	if args.Count == nil {
		if args.Message == "" && !args.Error {
			return nil, fmt.Errorf("%w: Count: missing count (or a message or error to record)", structs.ErrBadRequest)
		}
		return apply, nil
	}
	if err := checkScaleCount(job, tg, *args.Count); err != nil {
		return nil, err
	}
	if err := s.jobRegistrationAllowed(); err != nil {
		return nil, err
	}
	scaled := job.Copy()
	scaled.LookupTaskGroup(group).Count = int(*args.Count)
	scaled.SubmitTime = now
	scaled.Status = structs.JobStatusPending
	apply.Job = scaled
	apply.Eval = &structs.Evaluation{
		ID: uuid.NewString(), Namespace: ns, Priority: job.Priority, Type: job.Type,
		TriggeredBy: structs.EvalTriggerScaling, JobID: job.ID,
		Status: structs.EvalStatusPending, CreateTime: now, ModifyTime: now,
	}
	ev.EvalID = &apply.Eval.ID
	return apply, nil
}

// checkScaleCount refuses what Nomad refuses: a negative count, a count
// outside the group's scaling bounds, and scaling a stopped or
// non-schedulable job.
func checkScaleCount(job *structs.Job, tg *structs.TaskGroup, count int64) error {
	switch {
	case count < 0:
		return fmt.Errorf("%w: Count: %d is negative: want 0 or more", structs.ErrBadRequest, count)
	case job.Stop:
		return fmt.Errorf("%w: job %q is stopped: run it again before scaling", structs.ErrBadRequest, job.ID)
	case job.Type == structs.JobTypeSystem || job.Type == structs.JobTypeSysBatch:
		return fmt.Errorf("%w: job %q is a %s job, which runs on every node and cannot be scaled", structs.ErrBadRequest, job.ID, job.Type)
	case job.IsPeriodic() || job.IsParameterized():
		return fmt.Errorf("%w: job %q is periodic or parameterized: scale its children instead", structs.ErrBadRequest, job.ID)
	}
	if p := tg.Scaling; p != nil {
		if count < p.Min {
			return fmt.Errorf("%w: Count: %d is below the scaling minimum %d of group %q", structs.ErrBadRequest, count, p.Min, tg.Name)
		}
		if count > p.Max {
			return fmt.Errorf("%w: Count: %d is above the scaling maximum %d of group %q", structs.ErrBadRequest, count, p.Max, tg.Name)
		}
	}
	return nil
}

func groupNames(job *structs.Job) string {
	names := make([]string, 0, len(job.TaskGroups))
	for _, tg := range job.TaskGroups {
		names = append(names, fmt.Sprintf("%q", tg.Name))
	}
	sort.Strings(names)
	return fmt.Sprint(names)
}

// ScaleStatus returns each group's counts and recent scaling events.
func (j *Job) ScaleStatus(args *structs.JobScaleStatusRequest, reply *structs.JobScaleStatusResponse) error {
	countRPC(structs.JobScaleStatusRPC)
	if handled, err := j.srv.forward(structs.JobScaleStatusRPC, args, args, reply); handled {
		return err
	}
	if err := requireString("JobID", args.JobID); err != nil {
		return fmt.Errorf("job scale status: %w", err)
	}
	ns := queryNamespace(args.Namespace)
	return j.srv.blockingQuery(&args.QueryOptions, &reply.QueryMeta,
		func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
			job, err := st.JobByID(ws, ns, args.JobID)
			if err != nil {
				return 0, err
			}
			reply.JobScaleStatus = nil
			if job == nil {
				return tableIndex(st, state.TableJobs)
			}
			allocs, err := st.AllocsByJob(ws, ns, job.ID)
			if err != nil {
				return 0, err
			}
			events, err := st.ScalingEventsByJob(ws, ns, job.ID)
			if err != nil {
				return 0, err
			}
			reply.JobScaleStatus = scaleStatus(job, allocs, events)
			return tableIndex(st, state.TableJobs, state.TableAllocs, state.TableScalingEvent)
		})
}

// scaleStatus counts the current version's allocations per group. Until
// deployments track health, a running allocation counts as healthy and a
// failed one as unhealthy.
func scaleStatus(job *structs.Job, allocs []*structs.Allocation, events *structs.JobScalingEvents) *structs.JobScaleStatus {
	out := &structs.JobScaleStatus{JobID: job.ID, Namespace: job.Namespace, JobCreateIndex: job.CreateIndex,
		JobModifyIndex: job.JobModifyIndex, JobStopped: job.Stop, TaskGroups: map[string]*structs.TaskGroupScaleStatus{}}
	for _, tg := range job.TaskGroups {
		gs := &structs.TaskGroupScaleStatus{Desired: tg.Count, Events: []*structs.ScalingEvent{}}
		if events != nil && events.ScalingEvents[tg.Name] != nil {
			gs.Events = events.ScalingEvents[tg.Name]
		}
		out.TaskGroups[tg.Name] = gs
	}
	for _, a := range allocs {
		gs := out.TaskGroups[a.TaskGroup]
		if gs == nil || a.DesiredStatus != structs.AllocDesiredStatusRun {
			continue
		}
		gs.Placed++
		switch a.ClientStatus {
		case structs.AllocClientStatusRunning:
			gs.Running++
			gs.Healthy++
		case structs.AllocClientStatusFailed:
			gs.Unhealthy++
		}
	}
	return out
}
