package nomadlike

import (
	"fmt"
	"strings"

	"github.com/hashicorp/go-memdb"

	"github.com/orch-dev/orch/nomadlike/state"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// Scaling serves the scaling policies, which are derived from the
// registered jobs' scaling blocks (indexed in the store) rather than kept
// as objects of their own.
type Scaling struct {
	srv *Server
}

// ListPolicies lists the policies, optionally of one job or type.
func (s *Scaling) ListPolicies(args *structs.ScalingPolicyListRequest, reply *structs.ScalingPolicyListResponse) error {
	countRPC(structs.ScalingListPoliciesRPC)
	if handled, err := s.srv.forward(structs.ScalingListPoliciesRPC, args, args, reply); handled {
		return err
	}
	ns := queryNamespace(args.Namespace)
	return s.srv.blockingQuery(&args.QueryOptions, &reply.QueryMeta,
		func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
			policies, err := st.ScalingPolicies(ws)
			if err != nil {
				return 0, err
			}
			reply.Policies = []*structs.ScalingPolicyListStub{}
			for _, p := range policies {
				if !policyMatches(p, ns, args.Job, args.Type) {
					continue
				}
				reply.Policies = append(reply.Policies, &structs.ScalingPolicyListStub{ID: p.ID, Enabled: p.Enabled,
					Type: p.Type, Target: p.Target, CreateIndex: p.CreateIndex, ModifyIndex: p.ModifyIndex})
			}
			return tableIndex(st, state.TableJobs)
		})
}

func policyMatches(p *structs.ScalingPolicy, ns, job, typ string) bool {
	if ns != "*" && p.Target[structs.ScalingTargetNamespace] != ns {
		return false
	}
	if job != "" && p.Target[structs.ScalingTargetJob] != job {
		return false
	}
	return typ == "" || strings.HasPrefix(p.Type, typ)
}

// GetPolicy returns one policy by ID; nil when there is none.
func (s *Scaling) GetPolicy(args *structs.ScalingPolicySpecificRequest, reply *structs.SingleScalingPolicyResponse) error {
	countRPC(structs.ScalingGetPolicyRPC)
	if handled, err := s.srv.forward(structs.ScalingGetPolicyRPC, args, args, reply); handled {
		return err
	}
	if err := requireString("ID", args.ID); err != nil {
		return fmt.Errorf("scaling policy: %w", err)
	}
	return s.srv.blockingQuery(&args.QueryOptions, &reply.QueryMeta,
		func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
			policies, err := st.ScalingPolicies(ws)
			if err != nil {
				return 0, err
			}
			reply.Policy = nil
			for _, p := range policies {
				if p.ID == args.ID {
					reply.Policy = p
				}
			}
			return tableIndex(st, state.TableJobs)
		})
}
