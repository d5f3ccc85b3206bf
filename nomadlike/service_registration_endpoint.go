package nomadlike

import (
	"fmt"
	"slices"
	"sort"

	"github.com/hashicorp/go-memdb"

	"github.com/orch-dev/orch/nomadlike/state"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// ServiceRegistration is the service catalog's RPC endpoint: reads for
// users, DNS and load balancers; writes from the clients that run the
// instances and their checks.
type ServiceRegistration struct {
	srv *Server
}

// List returns the service names of every namespace (or of the request's
// namespace when it names one), each with the union of its instances'
// tags, as Nomad's /v1/services.
func (s *ServiceRegistration) List(args *structs.ServiceRegistrationListRequest, reply *structs.ServiceRegistrationListResponse) error {
	countRPC(structs.ServiceRegistrationListRPC)
	if handled, err := s.srv.forward(structs.ServiceRegistrationListRPC, args, args, reply); handled {
		return err
	}
	return s.srv.blockingQuery(&args.QueryOptions, &reply.QueryMeta,
		func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
			regs, err := st.ServiceRegistrations(ws)
			if err != nil {
				return 0, err
			}
			reply.Services = listStubs(regs, args.Namespace)
			return tableIndex(st, state.TableServiceRegistrations)
		})
}

// listStubs groups registrations by namespace and name, a service being
// Published when any instance has a publish block. namespace "" or "*"
// means every namespace.
func listStubs(regs []*structs.ServiceRegistration, namespace string) []*structs.ServiceRegistrationListStub {
	byNS := make(map[string]map[string]*structs.ServiceRegistrationStub)
	for _, r := range regs {
		if namespace != "" && namespace != "*" && r.Namespace != namespace {
			continue
		}
		names := byNS[r.Namespace]
		if names == nil {
			names = make(map[string]*structs.ServiceRegistrationStub)
			byNS[r.Namespace] = names
		}
		stub := names[r.ServiceName]
		if stub == nil {
			stub = &structs.ServiceRegistrationStub{ServiceName: r.ServiceName, Tags: []string{}}
			names[r.ServiceName] = stub
		}
		stub.Published = stub.Published || r.Publish != nil
		for _, t := range r.Tags {
			if !slices.Contains(stub.Tags, t) {
				stub.Tags = append(stub.Tags, t)
			}
		}
	}
	out := make([]*structs.ServiceRegistrationListStub, 0, len(byNS))
	for ns, names := range byNS {
		l := &structs.ServiceRegistrationListStub{Namespace: ns}
		for _, stub := range names {
			sort.Strings(stub.Tags)
			l.Services = append(l.Services, stub)
		}
		sort.Slice(l.Services, func(i, j int) bool { return l.Services[i].ServiceName < l.Services[j].ServiceName })
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Namespace < out[j].Namespace })
	return out
}

// GetService returns the instances of one service in the request's
// namespace, as a blocking query: a watcher (template, DNS, load
// balancer) wakes when the service's instances change.
func (s *ServiceRegistration) GetService(args *structs.ServiceRegistrationByNameRequest, reply *structs.ServiceRegistrationByNameResponse) error {
	countRPC(structs.ServiceRegistrationGetRPC)
	if handled, err := s.srv.forward(structs.ServiceRegistrationGetRPC, args, args, reply); handled {
		return err
	}
	if err := requireString("ServiceName", args.ServiceName); err != nil {
		return fmt.Errorf("service registration get: %w", err)
	}
	ns := queryNamespace(args.Namespace)
	return s.srv.blockingQuery(&args.QueryOptions, &reply.QueryMeta,
		func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
			regs, err := st.ServiceRegistrationsByName(ws, ns, args.ServiceName)
			if err != nil {
				return 0, err
			}
			reply.Services = regs
			if reply.Services == nil {
				reply.Services = []*structs.ServiceRegistration{}
			}
			// The table index, not the service's newest row: a deleted
			// instance leaves no row to carry the index of its deletion.
			return tableIndex(st, state.TableServiceRegistrations)
		})
}

// Upsert writes instances sent by a client. Every instance must name the
// sending node, whose secret the request carries, and a live allocation
// on that node.
func (s *ServiceRegistration) Upsert(args *structs.ServiceRegistrationUpsertRequest, reply *structs.GenericResponse) error {
	countRPC(structs.ServiceRegistrationUpsertRPC)
	if handled, err := s.srv.forward(structs.ServiceRegistrationUpsertRPC, args, args, reply); handled {
		return err
	}
	if len(args.Services) == 0 {
		return fmt.Errorf("service registration upsert: %w: missing services", structs.ErrBadRequest)
	}
	if err := s.checkUpsert(args); err != nil {
		return fmt.Errorf("service registration upsert: %w", err)
	}
	index, _, err := s.srv.raftApply(structs.ServiceRegistrationUpsertRequestType, args)
	if err != nil {
		return fmt.Errorf("service registration upsert: %w", err)
	}
	reply.Index = index
	return nil
}

func (s *ServiceRegistration) checkUpsert(args *structs.ServiceRegistrationUpsertRequest) error {
	st := s.srv.fsm.State()
	checked := make(map[string]bool)
	for i, r := range args.Services {
		if r == nil {
			return fmt.Errorf("%w: Services[%d]: empty registration", structs.ErrBadRequest, i)
		}
		for _, f := range []struct{ name, v string }{{"ID", r.ID}, {"ServiceName", r.ServiceName}, {"NodeID", r.NodeID}, {"AllocID", r.AllocID}} {
			if err := requireString(fmt.Sprintf("Services[%d].%s", i, f.name), f.v); err != nil {
				return err
			}
		}
		if r.Namespace == "" {
			r.Namespace = structs.DefaultNamespace
		}
		switch r.Status {
		case "":
			r.Status = structs.HealthPassing
		case structs.HealthPassing, structs.HealthWarning, structs.HealthCritical:
		default:
			return fmt.Errorf("%w: Services[%d].Status: %q: want passing, warning or critical", structs.ErrBadRequest, i, r.Status)
		}
		if r.Port < 0 || r.Port > 65535 {
			return fmt.Errorf("%w: Services[%d].Port: %d is not a port", structs.ErrBadRequest, i, r.Port)
		}
		if checked[r.NodeID] {
			continue
		}
		node, err := st.NodeByID(nil, r.NodeID)
		if err != nil {
			return err
		}
		if node == nil {
			return fmt.Errorf("Services[%d].NodeID: node %q: %w", i, r.NodeID, structs.ErrNotFound)
		}
		if err := checkSecret(node, args.SecretID); err != nil {
			return err
		}
		checked[r.NodeID] = true
	}
	return nil
}

// DeleteByID removes one instance. A client's delete carries its secret
// and may remove only its node's instances.
func (s *ServiceRegistration) DeleteByID(args *structs.ServiceRegistrationDeleteByIDRequest, reply *structs.GenericResponse) error {
	countRPC(structs.ServiceRegistrationDeleteRPC)
	if handled, err := s.srv.forward(structs.ServiceRegistrationDeleteRPC, args, args, reply); handled {
		return err
	}
	if err := requireString("ID", args.ID); err != nil {
		return fmt.Errorf("service registration delete: %w", err)
	}
	st := s.srv.fsm.State()
	reg, err := st.ServiceRegistrationByID(nil, args.ID)
	if err != nil {
		return fmt.Errorf("service registration delete: %w", err)
	}
	if reg == nil {
		return fmt.Errorf("service registration delete: instance %q: %w", args.ID, structs.ErrNotFound)
	}
	if args.SecretID != "" {
		node, err := st.NodeByID(nil, reg.NodeID)
		if err != nil {
			return fmt.Errorf("service registration delete: %w", err)
		}
		if node != nil {
			if err := checkSecret(node, args.SecretID); err != nil {
				return fmt.Errorf("service registration delete: %w", err)
			}
		}
	}
	index, _, err := s.srv.raftApply(structs.ServiceRegistrationDeleteRequestType,
		&structs.ServiceRegistrationDeleteMsg{IDs: []string{args.ID}})
	if err != nil {
		return fmt.Errorf("service registration delete: %w", err)
	}
	reply.Index = index
	return nil
}
