package nomadlike

import (
	"fmt"
	"time"

	"github.com/hashicorp/go-memdb"

	"github.com/orch-dev/orch/nomadlike/state"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// Deployment serves the Deployment.* RPCs. Reads are blocking queries;
// writes check the request against the current state first, so bad input
// is refused with a clear error and never reaches the Raft log, then
// commit one entry that carries the change, its evaluation and, when it
// fails the deployment with auto_revert, the job version to go back to.
type Deployment struct {
	srv *Server
}

// List returns the deployments of the namespace whose ID starts with
// Prefix, newest first.
func (d *Deployment) List(args *structs.DeploymentListRequest, reply *structs.DeploymentListResponse) error {
	countRPC(structs.DeploymentListRPC)
	if handled, err := d.srv.forward(structs.DeploymentListRPC, args, args, reply); handled {
		return err
	}
	ns := queryNamespace(args.Namespace)
	return d.srv.blockingQuery(&args.QueryOptions, &reply.QueryMeta,
		func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
			ds, err := st.Deployments(ws, ns, args.Prefix)
			if err != nil {
				return 0, err
			}
			reply.Deployments = ds
			return st.Index(state.TableDeployment)
		})
}

// GetDeployment returns one deployment, or a nil Deployment when there is
// none.
func (d *Deployment) GetDeployment(args *structs.DeploymentSpecificRequest, reply *structs.SingleDeploymentResponse) error {
	countRPC(structs.DeploymentGetDeploymentRPC)
	if handled, err := d.srv.forward(structs.DeploymentGetDeploymentRPC, args, args, reply); handled {
		return err
	}
	if err := requireString("DeploymentID", args.DeploymentID); err != nil {
		return fmt.Errorf("deployment get: %w", err)
	}
	return d.srv.blockingQuery(&args.QueryOptions, &reply.QueryMeta,
		func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
			dep, err := st.DeploymentByID(ws, args.DeploymentID)
			if err != nil {
				return 0, err
			}
			reply.Deployment = dep
			if dep != nil {
				return dep.ModifyIndex, nil
			}
			return st.Index(state.TableDeployment)
		})
}

// Allocations lists the allocations of a deployment.
func (d *Deployment) Allocations(args *structs.DeploymentSpecificRequest, reply *structs.AllocListResponse) error {
	countRPC(structs.DeploymentAllocationsRPC)
	if handled, err := d.srv.forward(structs.DeploymentAllocationsRPC, args, args, reply); handled {
		return err
	}
	if err := requireString("DeploymentID", args.DeploymentID); err != nil {
		return fmt.Errorf("deployment allocations: %w", err)
	}
	return d.srv.blockingQuery(&args.QueryOptions, &reply.QueryMeta,
		func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
			allocs, err := st.AllocsByDeployment(ws, args.DeploymentID)
			if err != nil {
				return 0, err
			}
			reply.Allocations = allocStubs(allocs)
			return st.Index(state.TableAllocs)
		})
}

// active returns the deployment and its job (nil when purged), or
// ErrNotFound, or ErrBadRequest saying verb cannot apply to a finished
// deployment.
func (d *Deployment) active(id, verb string) (*structs.Deployment, *structs.Job, error) {
	if err := requireString("DeploymentID", id); err != nil {
		return nil, nil, err
	}
	st := d.srv.fsm.State()
	dep, err := st.DeploymentByID(nil, id)
	if err != nil {
		return nil, nil, err
	}
	if dep == nil {
		return nil, nil, fmt.Errorf("deployment %q: %w", id, structs.ErrNotFound)
	}
	if !dep.Active() {
		return nil, nil, fmt.Errorf("%w: can't %s terminal deployment %q: it is %s", structs.ErrBadRequest, verb, id, dep.Status)
	}
	job, err := st.JobByID(nil, dep.Namespace, dep.JobID)
	if err != nil {
		return nil, nil, err
	}
	return dep, job, nil
}

// Promote promotes the canaries of every group (All) or of the named ones;
// the evaluation then replaces the remaining old allocations.
func (d *Deployment) Promote(args *structs.DeploymentPromoteRequest, reply *structs.DeploymentUpdateResponse) error {
	countRPC(structs.DeploymentPromoteRPC)
	if handled, err := d.srv.forward(structs.DeploymentPromoteRPC, args, args, reply); handled {
		return err
	}
	dep, job, err := d.active(args.DeploymentID, "promote")
	if err != nil {
		return fmt.Errorf("deployment promote: %w", err)
	}
	if err := d.srv.fsm.State().CheckDeploymentPromotion(args); err != nil {
		return fmt.Errorf("deployment promote: %w", err)
	}
	now := time.Now()
	req := &structs.ApplyDeploymentPromoteRequest{
		DeploymentPromoteRequest: *args,
		Now:                      now,
		Eval:                     deploymentEval(dep, job, now),
	}
	index, _, err := d.srv.raftApply(structs.DeploymentPromoteRequestType, req)
	if err != nil {
		return fmt.Errorf("deployment promote %q: %w", args.DeploymentID, err)
	}
	fillUpdateResponse(reply, index, req.Eval, nil)
	return nil
}

// Fail marks a deployment failed by hand. With auto_revert on any of its
// groups, the newest stable version of the job is registered again in
// the same entry.
func (d *Deployment) Fail(args *structs.DeploymentFailRequest, reply *structs.DeploymentUpdateResponse) error {
	countRPC(structs.DeploymentFailRPC)
	if handled, err := d.srv.forward(structs.DeploymentFailRPC, args, args, reply); handled {
		return err
	}
	dep, job, err := d.active(args.DeploymentID, "fail")
	if err != nil {
		return fmt.Errorf("deployment fail: %w", err)
	}
	versions, err := d.versions(dep, job)
	if err != nil {
		return fmt.Errorf("deployment fail: %w", err)
	}
	update, revert := failDeployment(dep, structs.DeploymentStatusDescriptionFailedByUser, nil, job, versions)
	req := &structs.DeploymentStatusUpdateRequest{
		DeploymentUpdate: update,
		Job:              revert,
		Eval:             deploymentEval(dep, job, time.Now()),
		WriteRequest:     args.WriteRequest,
	}
	index, _, err := d.srv.raftApply(structs.DeploymentStatusUpdateRequestType, req)
	if err != nil {
		return fmt.Errorf("deployment fail %q: %w", args.DeploymentID, err)
	}
	fillUpdateResponse(reply, index, req.Eval, revert)
	return nil
}

func (d *Deployment) versions(dep *structs.Deployment, job *structs.Job) ([]*structs.Job, error) {
	if job == nil {
		return nil, nil
	}
	return d.srv.fsm.State().JobVersionsByID(nil, dep.Namespace, dep.JobID)
}

// Pause pauses a deployment (no more allocations are replaced until it is
// resumed) or resumes it, with an evaluation to pick the rollout up again.
func (d *Deployment) Pause(args *structs.DeploymentPauseRequest, reply *structs.DeploymentUpdateResponse) error {
	countRPC(structs.DeploymentPauseRPC)
	if handled, err := d.srv.forward(structs.DeploymentPauseRPC, args, args, reply); handled {
		return err
	}
	verb := "resume"
	if args.Pause {
		verb = "pause"
	}
	dep, job, err := d.active(args.DeploymentID, verb)
	if err != nil {
		return fmt.Errorf("deployment %s: %w", verb, err)
	}
	req := &structs.DeploymentStatusUpdateRequest{
		DeploymentUpdate: &structs.DeploymentStatusUpdate{
			DeploymentID:      dep.ID,
			Status:            structs.DeploymentStatusPaused,
			StatusDescription: structs.DeploymentStatusDescriptionPaused,
		},
		WriteRequest: args.WriteRequest,
	}
	if !args.Pause {
		req.DeploymentUpdate.Status = structs.DeploymentStatusRunning
		req.DeploymentUpdate.StatusDescription = resumeDescription(dep)
		req.Eval = deploymentEval(dep, job, time.Now())
	}
	index, _, err := d.srv.raftApply(structs.DeploymentStatusUpdateRequestType, req)
	if err != nil {
		return fmt.Errorf("deployment %s %q: %w", verb, args.DeploymentID, err)
	}
	fillUpdateResponse(reply, index, req.Eval, nil)
	return nil
}

// SetAllocHealth marks allocations of a deployment healthy or unhealthy
// by hand (for health_check = "manual", or to override a client). An
// unhealthy mark fails the deployment, reverting the job when the group
// of an unhealthy allocation has auto_revert.
func (d *Deployment) SetAllocHealth(args *structs.DeploymentAllocHealthRequest, reply *structs.DeploymentUpdateResponse) error {
	countRPC(structs.DeploymentSetAllocHealthRPC)
	if handled, err := d.srv.forward(structs.DeploymentSetAllocHealthRPC, args, args, reply); handled {
		return err
	}
	dep, job, err := d.active(args.DeploymentID, "set allocation health of")
	if err != nil {
		return fmt.Errorf("deployment alloc health: %w", err)
	}
	st := d.srv.fsm.State()
	if err := st.CheckDeploymentAllocHealth(args); err != nil {
		return fmt.Errorf("deployment alloc health: %w", err)
	}
	now := time.Now()
	req := &structs.ApplyDeploymentAllocHealthRequest{
		DeploymentAllocHealthRequest: *args,
		Timestamp:                    now,
		Eval:                         deploymentEval(dep, job, now),
	}
	var revert *structs.Job
	if len(args.UnhealthyAllocationIDs) > 0 {
		groups, err := allocGroups(st, args.UnhealthyAllocationIDs)
		if err != nil {
			return fmt.Errorf("deployment alloc health: %w", err)
		}
		versions, err := d.versions(dep, job)
		if err != nil {
			return fmt.Errorf("deployment alloc health: %w", err)
		}
		req.DeploymentUpdate, revert = failDeployment(dep, structs.DeploymentStatusDescriptionFailedAllocations, groups, job, versions)
		req.Job = revert
	}
	index, _, err := d.srv.raftApply(structs.DeploymentAllocHealthRequestType, req)
	if err != nil {
		return fmt.Errorf("deployment alloc health %q: %w", args.DeploymentID, err)
	}
	fillUpdateResponse(reply, index, req.Eval, revert)
	return nil
}

// allocGroups names the task groups of the allocations, once each.
func allocGroups(st *state.StateStore, ids []string) ([]string, error) {
	seen := make(map[string]bool)
	groups := []string{}
	for _, id := range ids {
		a, err := st.AllocByID(nil, id)
		if err != nil {
			return nil, err
		}
		if a != nil && !seen[a.TaskGroup] {
			seen[a.TaskGroup] = true
			groups = append(groups, a.TaskGroup)
		}
	}
	return groups, nil
}

// Deployments lists a job's deployments, newest first: those of the job
// as registered now, or with All also those of earlier registrations of
// its ID (a job purged and registered again).
func (j *Job) Deployments(args *structs.JobSpecificRequest, reply *structs.DeploymentListResponse) error {
	countRPC(structs.JobDeploymentsRPC)
	if handled, err := j.srv.forward(structs.JobDeploymentsRPC, args, args, reply); handled {
		return err
	}
	if err := requireString("JobID", args.JobID); err != nil {
		return fmt.Errorf("job deployments: %w", err)
	}
	ns := queryNamespace(args.Namespace)
	return j.srv.blockingQuery(&args.QueryOptions, &reply.QueryMeta,
		func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
			ds, err := st.DeploymentsByJobID(ws, ns, args.JobID)
			if err != nil {
				return 0, err
			}
			job, err := st.JobByID(ws, ns, args.JobID)
			if err != nil {
				return 0, err
			}
			reply.Deployments = ds
			if !args.All && job != nil {
				reply.Deployments = nil
				for _, d := range ds {
					if d.JobCreateIndex == job.CreateIndex {
						reply.Deployments = append(reply.Deployments, d)
					}
				}
			}
			return tableIndex(st, state.TableDeployment, state.TableJobs)
		})
}

// LatestDeployment returns a job's newest deployment, or a nil one.
func (j *Job) LatestDeployment(args *structs.JobSpecificRequest, reply *structs.SingleDeploymentResponse) error {
	countRPC(structs.JobLatestDeploymentRPC)
	if handled, err := j.srv.forward(structs.JobLatestDeploymentRPC, args, args, reply); handled {
		return err
	}
	if err := requireString("JobID", args.JobID); err != nil {
		return fmt.Errorf("job latest deployment: %w", err)
	}
	ns := queryNamespace(args.Namespace)
	return j.srv.blockingQuery(&args.QueryOptions, &reply.QueryMeta,
		func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
			dep, err := st.LatestDeploymentByJobID(ws, ns, args.JobID)
			if err != nil {
				return 0, err
			}
			reply.Deployment = dep
			return tableIndex(st, state.TableDeployment, state.TableJobs)
		})
}

// fillUpdateResponse answers a deployment write committed at index.
func fillUpdateResponse(reply *structs.DeploymentUpdateResponse, index uint64, eval *structs.Evaluation, revert *structs.Job) {
	reply.Index = index
	reply.DeploymentModifyIndex = index
	if eval != nil {
		reply.EvalID = eval.ID
		reply.EvalCreateIndex = index
	}
	if revert != nil {
		v := revert.Version
		reply.RevertedJobVersion = &v
	}
}
