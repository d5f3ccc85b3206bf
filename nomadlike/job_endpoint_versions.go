package nomadlike

import (
	"fmt"

	"github.com/hashicorp/go-memdb"

	"github.com/orch-dev/orch/nomadlike/state"
	"github.com/orch-dev/orch/nomadlike/structs"
)

func init() {
	fsmAppliers[structs.JobStabilityRequestType] = struct {
		name  string
		apply fsmApplier
	}{"job_stability", (*FSM).applyJobStability}
}

func (f *FSM) applyJobStability(buf []byte, index uint64) ([]string, error) {
	var req structs.JobStabilityRequest
	if err := decodeMsg(buf, &req); err != nil {
		return nil, fmt.Errorf("fsm: decode job stability: %w", err)
	}
	return nil, f.State().UpdateJobStability(index, queryNamespace(req.Namespace), req.JobID, req.JobVersion, req.Stable)
}

// GetJobVersions returns the kept versions of a job, newest first.
func (j *Job) GetJobVersions(args *structs.JobVersionsRequest, reply *structs.JobVersionsResponse) error {
	countRPC(structs.JobGetJobVersionsRPC)
	if handled, err := j.srv.forward(structs.JobGetJobVersionsRPC, args, args, reply); handled {
		return err
	}
	if err := requireString("JobID", args.JobID); err != nil {
		return fmt.Errorf("job versions: %w", err)
	}
	ns := queryNamespace(args.Namespace)
	return j.srv.blockingQuery(&args.QueryOptions, &reply.QueryMeta,
		func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
			versions, err := st.JobVersionsByID(ws, ns, args.JobID)
			if err != nil {
				return 0, err
			}
			reply.Versions = versions
			reply.Diffs = nil
			if args.Diffs {
				for i := 0; i+1 < len(versions); i++ {
					d, err := versions[i+1].Diff(versions[i], true)
					if err != nil {
						return 0, fmt.Errorf("diff of versions %d and %d: %w", versions[i+1].Version, versions[i].Version, err)
					}
					reply.Diffs = append(reply.Diffs, d)
				}
			}
			return tableIndex(st, state.TableJobVersion, state.TableJobs)
		})
}

// Revert registers an earlier version of a job again. The result is a new
// version whose spec is the old one's, with a job-register evaluation, so
// the scheduler rolls the allocations back as for any other change.
func (j *Job) Revert(args *structs.JobRevertRequest, reply *structs.JobRegisterResponse) error {
	countRPC(structs.JobRevertRPC)
	if handled, err := j.srv.forward(structs.JobRevertRPC, args, args, reply); handled {
		return err
	}
	if err := requireString("JobID", args.JobID); err != nil {
		return fmt.Errorf("job revert: %w", err)
	}
	ns := queryNamespace(args.Namespace)
	st := j.srv.fsm.State()
	current, err := st.JobByID(nil, ns, args.JobID)
	if err != nil {
		return fmt.Errorf("job revert: %w", err)
	}
	if current == nil {
		return fmt.Errorf("job revert: job %q in namespace %q: %w", args.JobID, ns, structs.ErrNotFound)
	}
	if args.EnforcePriorVersion != nil && *args.EnforcePriorVersion != current.Version {
		return fmt.Errorf("job revert: %w: current job has version %d; enforcing version %d",
			structs.ErrIndexChanged, current.Version, *args.EnforcePriorVersion)
	}
	if args.JobVersion == current.Version {
		return fmt.Errorf("job revert: %w: can't revert to current version %d", structs.ErrBadRequest, current.Version)
	}
	old, err := st.JobByIDAndVersion(nil, ns, args.JobID, args.JobVersion)
	if err != nil {
		return fmt.Errorf("job revert: %w", err)
	}
	if old == nil {
		return fmt.Errorf("job revert: %w: job %q has no version %d (kept versions: %s)",
			structs.ErrNotFound, args.JobID, args.JobVersion, keptVersions(st, ns, args.JobID))
	}
	reg := &structs.JobRegisterRequest{
		Job: old.Copy(),
		// The revert must apply to the version it was checked against.
		EnforceIndex:   true,
		JobModifyIndex: current.JobModifyIndex,
		WriteRequest:   args.WriteRequest,
	}
	return j.Register(reg, reply)
}

func keptVersions(st *state.StateStore, ns, id string) string {
	versions, err := st.JobVersionsByID(nil, ns, id)
	if err != nil || len(versions) == 0 {
		return "none"
	}
	out := ""
	for i, v := range versions {
		if i > 0 {
			out += ", "
		}
		out += fmt.Sprint(v.Version)
	}
	return out
}

// Stable marks one version of a job stable or not.
func (j *Job) Stable(args *structs.JobStabilityRequest, reply *structs.JobStabilityResponse) error {
	countRPC(structs.JobStableRPC)
	if handled, err := j.srv.forward(structs.JobStableRPC, args, args, reply); handled {
		return err
	}
	if err := requireString("JobID", args.JobID); err != nil {
		return fmt.Errorf("job stable: %w", err)
	}
	ns := queryNamespace(args.Namespace)
	v, err := j.srv.fsm.State().JobByIDAndVersion(nil, ns, args.JobID, args.JobVersion)
	if err != nil {
		return fmt.Errorf("job stable: %w", err)
	}
	if v == nil {
		return fmt.Errorf("job stable: job %q version %d in namespace %q: %w", args.JobID, args.JobVersion, ns, structs.ErrNotFound)
	}
	args.Namespace = ns
	index, _, err := j.srv.raftApply(structs.JobStabilityRequestType, args)
	if err != nil {
		return fmt.Errorf("job stable %q: %w", args.JobID, err)
	}
	reply.Index = index
	return nil
}
