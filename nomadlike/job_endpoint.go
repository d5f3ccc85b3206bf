package nomadlike

import (
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/go-memdb"

	"github.com/orch-dev/orch/api"
	"github.com/orch-dev/orch/nomadlike/state"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// Job serves the Job.* RPCs.
type Job struct {
	srv *Server
}

// Register validates a job and writes it with a job-register evaluation
// in one Raft entry. A request that fails validation writes nothing.
func (j *Job) Register(args *structs.JobRegisterRequest, reply *structs.JobRegisterResponse) error {
	countRPC(structs.JobRegisterRPC)
	if handled, err := j.srv.forward(structs.JobRegisterRPC, args, args, reply); handled {
		return err
	}
	if args.Job == nil {
		return fmt.Errorf("job register: %w: missing job", structs.ErrBadRequest)
	}
	if err := j.srv.jobRegistrationAllowed(); err != nil {
		return fmt.Errorf("job register: %w", err)
	}
	job := args.Job.Copy()
	if job.Namespace == "" {
		job.Namespace = queryNamespace(args.Namespace)
	}
	if job.Region == "" {
		job.Region = j.srv.config.Region
	}
	if err := job.Validate(); err != nil {
		return fmt.Errorf("job register: %w: invalid job:\n%w", structs.ErrBadRequest, err)
	}
	existing, err := j.srv.fsm.State().JobByID(nil, job.Namespace, job.ID)
	if err != nil {
		return fmt.Errorf("job register: %w", err)
	}
	if args.EnforceIndex {
		if err := checkEnforcedIndex(existing, args.JobModifyIndex); err != nil {
			return fmt.Errorf("job register: %w", err)
		}
	}
	if args.PreserveCounts && existing != nil {
		for _, tg := range job.TaskGroups {
			if old := existing.LookupTaskGroup(tg.Name); old != nil {
				tg.Count = old.Count
			}
			// The new version's bounds win over the kept count.
			if s := tg.Scaling; s != nil {
				tg.Count = int(min(max(int64(tg.Count), s.Min), s.Max))
			}
		}
	}

	// The submit time is on the server's clock: a periodic job's
	// schedule starts from it.
	now := j.srv.config.Clock.Now().UnixNano()
	job.SubmitTime = now
	job.Status = structs.JobStatusPending
	req := &structs.JobRegisterRequest{Job: job, WriteRequest: args.WriteRequest}
	// A periodic or parameterized job is never scheduled itself: its
	// children are, once launched or dispatched.
	if !job.IsPeriodic() && !job.IsParameterized() {
		req.Eval = &structs.Evaluation{
			ID:          uuid.NewString(),
			Namespace:   job.Namespace,
			Priority:    job.Priority,
			Type:        job.Type,
			TriggeredBy: structs.EvalTriggerJobRegister,
			JobID:       job.ID,
			Status:      structs.EvalStatusPending,
			CreateTime:  now,
			ModifyTime:  now,
		}
	}
	index, _, err := j.srv.raftApply(structs.JobRegisterRequestType, req)
	if err != nil {
		return fmt.Errorf("job register %q: %w", job.ID, err)
	}
	stored, err := j.srv.fsm.State().JobByID(nil, job.Namespace, job.ID)
	if err != nil {
		return fmt.Errorf("job register %q: read back: %w", job.ID, err)
	}
	if req.Eval != nil {
		reply.EvalID = req.Eval.ID
		reply.EvalCreateIndex = index
	}
	if stored != nil {
		reply.JobModifyIndex = stored.JobModifyIndex
	}
	reply.Index = index
	j.srv.setQueryMeta(&reply.QueryMeta)
	return nil
}

// checkEnforcedIndex refuses a registration made against a job version
// that is no longer current; 0 means the job must not exist yet. The text
// after the sentinel is Nomad's, which its CLI and API clients recognise.
func checkEnforcedIndex(existing *structs.Job, want uint64) error {
	prefix := api.RegisterEnforceIndexErrPrefix
	switch {
	case want == 0 && existing != nil:
		return fmt.Errorf("%w: %s 0: job already exists", structs.ErrIndexChanged, prefix)
	case want != 0 && existing == nil:
		return fmt.Errorf("%w: %s %d: job does not exist", structs.ErrIndexChanged, prefix, want)
	case existing != nil && existing.JobModifyIndex != want:
		return fmt.Errorf("%w: %s %d: job exists with conflicting job modify index: %d",
			structs.ErrIndexChanged, prefix, want, existing.JobModifyIndex)
	}
	return nil
}

// Deregister stops a job (its allocations are stopped by the scheduler)
// or, with Purge, removes it; either way with a job-deregister evaluation.
func (j *Job) Deregister(args *structs.JobDeregisterRequest, reply *structs.JobDeregisterResponse) error {
	countRPC(structs.JobDeregisterRPC)
	if handled, err := j.srv.forward(structs.JobDeregisterRPC, args, args, reply); handled {
		return err
	}
	if err := requireString("JobID", args.JobID); err != nil {
		return fmt.Errorf("job deregister: %w", err)
	}
	ns := queryNamespace(args.Namespace)
	job, err := j.srv.fsm.State().JobByID(nil, ns, args.JobID)
	if err != nil {
		return fmt.Errorf("job deregister: %w", err)
	}
	if job == nil {
		return fmt.Errorf("job deregister: job %q in namespace %q: %w", args.JobID, ns, structs.ErrNotFound)
	}
	now := time.Now().UnixNano()
	eval := &structs.Evaluation{
		ID:             uuid.NewString(),
		Namespace:      ns,
		Priority:       job.Priority,
		Type:           job.Type,
		TriggeredBy:    structs.EvalTriggerJobDeregister,
		JobID:          job.ID,
		JobModifyIndex: job.JobModifyIndex,
		Status:         structs.EvalStatusPending,
		CreateTime:     now,
		ModifyTime:     now,
	}
	req := &structs.JobDeregisterRequest{JobID: job.ID, Purge: args.Purge, NoShutdownDelay: args.NoShutdownDelay, Eval: eval,
		WriteRequest: structs.WriteRequest{Region: args.Region, Namespace: ns}}
	index, _, err := j.srv.raftApply(structs.JobDeregisterRequestType, req)
	if err != nil {
		return fmt.Errorf("job deregister %q: %w", job.ID, err)
	}
	j.srv.blockedEvals.Untrack(ns, job.ID)
	reply.EvalID = eval.ID
	reply.EvalCreateIndex = index
	reply.JobModifyIndex = index
	reply.Index = index
	j.srv.setQueryMeta(&reply.QueryMeta)
	return nil
}

// GetJob returns a job, or a nil Job when there is none (as Nomad does,
// so a blocking query can wait for a job to appear).
func (j *Job) GetJob(args *structs.JobSpecificRequest, reply *structs.SingleJobResponse) error {
	countRPC(structs.JobGetJobRPC)
	if handled, err := j.srv.forward(structs.JobGetJobRPC, args, args, reply); handled {
		return err
	}
	if err := requireString("JobID", args.JobID); err != nil {
		return fmt.Errorf("job get: %w", err)
	}
	ns := queryNamespace(args.Namespace)
	return j.srv.blockingQuery(&args.QueryOptions, &reply.QueryMeta,
		func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
			job, err := st.JobByID(ws, ns, args.JobID)
			if err != nil {
				return 0, err
			}
			reply.Job = job
			if job != nil {
				return job.ModifyIndex, nil
			}
			return st.Index(state.TableJobs)
		})
}

// List returns job stubs with their summaries, filtered by namespace and
// ID prefix.
func (j *Job) List(args *structs.JobListRequest, reply *structs.JobListResponse) error {
	countRPC(structs.JobListRPC)
	if handled, err := j.srv.forward(structs.JobListRPC, args, args, reply); handled {
		return err
	}
	ns := queryNamespace(args.Namespace)
	return j.srv.blockingQuery(&args.QueryOptions, &reply.QueryMeta,
		func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
			jobs, err := st.Jobs(ws, ns, args.Prefix)
			if err != nil {
				return 0, err
			}
			stubs := make([]*structs.JobListStub, 0, len(jobs))
			for _, job := range jobs {
				sum, err := st.JobSummaryByID(ws, job.Namespace, job.ID)
				if err != nil {
					return 0, err
				}
				stubs = append(stubs, job.Stub(sum))
			}
			reply.Jobs = stubs
			return tableIndex(st, state.TableJobs, state.TableJobSummary)
		})
}

// Allocations returns the stubs of a job's allocations. As in Nomad,
// without All only the allocations of the job as registered now are
// listed: a job purged and registered again under the same ID starts a
// new instance (a new CreateIndex), and the old instance's allocations are
// left out. With All, or once the job is purged, every allocation with
// the job's ID is listed.
func (j *Job) Allocations(args *structs.JobSpecificRequest, reply *structs.JobAllocationsResponse) error {
	countRPC(structs.JobAllocationsRPC)
	if handled, err := j.srv.forward(structs.JobAllocationsRPC, args, args, reply); handled {
		return err
	}
	if err := requireString("JobID", args.JobID); err != nil {
		return fmt.Errorf("job allocations: %w", err)
	}
	ns := queryNamespace(args.Namespace)
	return j.srv.blockingQuery(&args.QueryOptions, &reply.QueryMeta,
		func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
			allocs, err := st.AllocsByJob(ws, ns, args.JobID)
			if err != nil {
				return 0, err
			}
			if !args.All {
				job, err := st.JobByID(ws, ns, args.JobID)
				if err != nil {
					return 0, err
				}
				allocs = currentInstanceAllocs(job, allocs)
			}
			reply.Allocations = allocStubs(allocs)
			return tableIndex(st, state.TableAllocs, state.TableJobs)
		})
}

// currentInstanceAllocs drops the allocations made for an earlier
// registration of job's ID; all are kept when the job no longer exists.
func currentInstanceAllocs(job *structs.Job, allocs []*structs.Allocation) []*structs.Allocation {
	if job == nil {
		return allocs
	}
	out := allocs[:0:0]
	for _, a := range allocs {
		if a.Job == nil || a.Job.CreateIndex == job.CreateIndex {
			out = append(out, a)
		}
	}
	return out
}

// Evaluations returns a job's evaluations.
func (j *Job) Evaluations(args *structs.JobSpecificRequest, reply *structs.JobEvaluationsResponse) error {
	countRPC(structs.JobEvaluationsRPC)
	if handled, err := j.srv.forward(structs.JobEvaluationsRPC, args, args, reply); handled {
		return err
	}
	if err := requireString("JobID", args.JobID); err != nil {
		return fmt.Errorf("job evaluations: %w", err)
	}
	ns := queryNamespace(args.Namespace)
	return j.srv.blockingQuery(&args.QueryOptions, &reply.QueryMeta,
		func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
			evals, err := st.EvalsByJob(ws, ns, args.JobID)
			if err != nil {
				return 0, err
			}
			reply.Evaluations = evals
			return st.Index(state.TableEvals)
		})
}

// Summary returns a job's allocation counts per group, or a nil summary
// when the job does not exist.
func (j *Job) Summary(args *structs.JobSpecificRequest, reply *structs.JobSummaryResponse) error {
	countRPC(structs.JobSummaryRPC)
	if handled, err := j.srv.forward(structs.JobSummaryRPC, args, args, reply); handled {
		return err
	}
	if err := requireString("JobID", args.JobID); err != nil {
		return fmt.Errorf("job summary: %w", err)
	}
	ns := queryNamespace(args.Namespace)
	return j.srv.blockingQuery(&args.QueryOptions, &reply.QueryMeta,
		func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
			sum, err := st.JobSummaryByID(ws, ns, args.JobID)
			if err != nil {
				return 0, err
			}
			reply.JobSummary = sum
			if sum != nil {
				return sum.ModifyIndex, nil
			}
			return st.Index(state.TableJobSummary)
		})
}

func allocStubs(allocs []*structs.Allocation) []*structs.AllocListStub {
	stubs := make([]*structs.AllocListStub, 0, len(allocs))
	for _, a := range allocs {
		stubs = append(stubs, a.Stub())
	}
	return stubs
}
