package nomadlike

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// Dispatch launches a child of a parameterized job with the request's
// meta and payload, after checking both against the job's parameterized
// block. The child is registered with its evaluation in one Raft entry.
func (j *Job) Dispatch(args *structs.JobDispatchRequest, reply *structs.JobDispatchResponse) error {
	countRPC(structs.JobDispatchRPC)
	if handled, err := j.srv.forward(structs.JobDispatchRPC, args, args, reply); handled {
		return err
	}
	if err := requireString("JobID", args.JobID); err != nil {
		return fmt.Errorf("job dispatch: %w", err)
	}
	ns := queryNamespace(args.Namespace)
	parent, err := j.srv.fsm.State().JobByID(nil, ns, args.JobID)
	if err != nil {
		return fmt.Errorf("job dispatch: %w", err)
	}
	switch {
	case parent == nil:
		return fmt.Errorf("job dispatch: job %q in namespace %q: %w", args.JobID, ns, structs.ErrNotFound)
	case !parent.IsParameterized():
		return fmt.Errorf("job dispatch: %w: job %q is not a parameterized job", structs.ErrBadRequest, args.JobID)
	case parent.Stop:
		return fmt.Errorf("job dispatch: %w: job %q is stopped", structs.ErrBadRequest, args.JobID)
	}
	if err := checkDispatch(parent.ParameterizedJob, args.Meta, args.Payload); err != nil {
		return fmt.Errorf("job dispatch: %w: %w", structs.ErrBadRequest, err)
	}
	child := dispatchChild(parent, j.srv.config.Clock.Now().Unix(), uuid.NewString()[:8], args.Meta, args.Payload)
	res, err := j.srv.registerChild(child, structs.EvalTriggerJobRegister)
	if err != nil {
		return fmt.Errorf("job dispatch: %w", err)
	}
	reply.DispatchedJobID = child.ID
	reply.EvalID = res.EvalID
	if res.EvalID != "" {
		reply.EvalCreateIndex = res.Index
	}
	reply.JobCreateIndex = res.JobCreateAt
	reply.Index = res.Index
	return nil
}

// checkDispatch checks a dispatch's meta and payload against the job's
// parameterized block, naming every offending key.
func checkDispatch(cfg *structs.ParameterizedJobConfig, meta map[string]string, payload []byte) error {
	var problems []string
	switch {
	case len(payload) > structs.DispatchPayloadSizeLimit:
		problems = append(problems, fmt.Sprintf("payload is %d bytes, over the limit of %d", len(payload), structs.DispatchPayloadSizeLimit))
	case cfg.Payload == structs.DispatchPayloadForbidden && len(payload) > 0:
		problems = append(problems, "payload is forbidden by the job's parameterized block (payload = \"forbidden\")")
	case cfg.Payload == structs.DispatchPayloadRequired && len(payload) == 0:
		problems = append(problems, "payload is required by the job's parameterized block (payload = \"required\") but none was given")
	}
	var unknown, missing []string
	for _, k := range slices.Sorted(maps.Keys(meta)) {
		if !slices.Contains(cfg.MetaRequired, k) && !slices.Contains(cfg.MetaOptional, k) {
			unknown = append(unknown, strconv.Quote(k))
		}
	}
	for _, k := range cfg.MetaRequired {
		if _, ok := meta[k]; !ok {
			missing = append(missing, strconv.Quote(k))
		}
	}
	if len(missing) > 0 {
		problems = append(problems, "missing required meta keys "+strings.Join(missing, ", "))
	}
	if len(unknown) > 0 {
		allowed := append(slices.Clone(cfg.MetaRequired), cfg.MetaOptional...)
		want := "the job allows no meta keys"
		if len(allowed) > 0 {
			want = "the job allows only " + strings.Join(allowed, ", ")
		}
		problems = append(problems, fmt.Sprintf("unknown meta keys %s: %s (meta_required and meta_optional)", strings.Join(unknown, ", "), want))
	}
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("%s", strings.Join(problems, "; "))
}

// dispatchChild derives the child of a dispatch: the parent under the ID
// "<parent>/dispatch-<unix seconds>-<8 hex>", with the dispatch's meta
// over the parent's and its payload.
func dispatchChild(parent *structs.Job, unix int64, suffix string, meta map[string]string, payload []byte) *structs.Job {
	c := parent.Copy()
	c.ID = fmt.Sprintf("%s%s%d-%s", parent.ID, structs.DispatchLaunchSuffix, unix, suffix)
	c.Name = c.ID
	c.ParentID = parent.ID
	c.Dispatched = true
	c.Status, c.StatusDescription = "", ""
	if len(meta) > 0 {
		if c.Meta == nil {
			c.Meta = make(map[string]string, len(meta))
		}
		maps.Copy(c.Meta, meta)
	}
	if len(payload) > 0 {
		c.Payload = slices.Clone(payload)
	}
	return c
}

// registerChild writes a launched or dispatched child with the evaluation
// that schedules it, in one Raft entry (which also records a periodic
// launch). A child that is itself periodic (dispatched from a periodic
// parameterized job) gets no evaluation: the dispatcher launches its own
// children.
func (s *Server) registerChild(child *structs.Job, trigger string) (*childLaunch, error) {
	now := s.config.Clock.Now().UnixNano()
	child.SubmitTime = now
	child.Status = structs.JobStatusPending
	req := &structs.JobRegisterRequest{Job: child}
	if !child.IsPeriodic() && !child.IsParameterized() {
		req.Eval = &structs.Evaluation{
			ID:          uuid.NewString(),
			Namespace:   child.Namespace,
			Priority:    child.Priority,
			Type:        child.Type,
			TriggeredBy: trigger,
			JobID:       child.ID,
			Status:      structs.EvalStatusPending,
			CreateTime:  now,
			ModifyTime:  now,
		}
	}
	index, _, err := s.raftApply(structs.JobRegisterRequestType, req)
	if err != nil {
		return nil, fmt.Errorf("register child %q: %w", child.ID, err)
	}
	res := &childLaunch{JobID: child.ID, Index: index, JobCreateAt: index}
	if req.Eval != nil {
		res.EvalID = req.Eval.ID
	}
	return res, nil
}

// Periodic serves the Periodic.* RPCs.
type Periodic struct {
	srv *Server
}

// Force launches a child of a periodic job now. Only the leader's
// dispatcher launches, so the request is always forwarded to it.
func (p *Periodic) Force(args *structs.PeriodicForceRequest, reply *structs.PeriodicForceResponse) error {
	countRPC(structs.PeriodicForceRPC)
	if handled, err := p.srv.forward(structs.PeriodicForceRPC, args, args, reply); handled {
		return err
	}
	if err := requireString("JobID", args.JobID); err != nil {
		return fmt.Errorf("periodic force: %w", err)
	}
	if !p.srv.IsLeader() {
		return fmt.Errorf("periodic force: %w", structs.ErrNoLeader)
	}
	res, err := p.srv.periodic.force(queryNamespace(args.Namespace), args.JobID)
	if err != nil {
		return fmt.Errorf("periodic force: %w", err)
	}
	reply.EvalID = res.EvalID
	reply.EvalCreateIndex = res.Index
	reply.Index = res.Index
	return nil
}
