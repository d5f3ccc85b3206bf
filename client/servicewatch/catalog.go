package servicewatch

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// ServiceID names a service in a namespace.
type ServiceID struct {
	Namespace string
	Name      string
}

// ServiceStub is one service of the catalog's list.
type ServiceStub struct {
	ServiceID
	// Published is set when an instance of the service has a publish
	// block, so the load balancer can leave every other service unwatched.
	Published bool
}

// Catalog is the part of the servers' service catalog the DNS server and
// the load balancer read. Both methods are blocking queries: with minIndex
// above zero they return once the catalog's index passes minIndex, or
// after a server-chosen wait with the same index. They are called from
// several goroutines at once.
type Catalog interface {
	// Instances lists every instance (any health) of one service and the
	// catalog index the answer reflects.
	Instances(ctx context.Context, namespace, name string, minIndex uint64) ([]*structs.ServiceRegistration, uint64, error)
	// Services lists the services of all namespaces, sorted by
	// namespace then name.
	Services(ctx context.Context, minIndex uint64) ([]ServiceStub, uint64, error)
}

// AllNamespaces asks the catalog's list for every namespace, as Nomad's
// wildcard does.
const AllNamespaces = "*"

// RPCCatalog reads the catalog through the servers' ServiceRegistration
// RPCs. The RPCer does not take a context, so a cancelled context ends a
// blocking query only when it returns, at most MaxWait later.
type RPCCatalog struct {
	RPC    structs.RPCer
	Region string
	// MaxWait bounds each blocking query; zero means 5 minutes, the
	// servers' usual maximum.
	MaxWait time.Duration
}

var _ Catalog = (*RPCCatalog)(nil)

func (c *RPCCatalog) query(namespace string, minIndex uint64) structs.QueryOptions {
	wait := c.MaxWait
	if wait == 0 {
		wait = 5 * time.Minute
	}
	return structs.QueryOptions{
		Region:        c.Region,
		Namespace:     namespace,
		MinQueryIndex: minIndex,
		MaxQueryTime:  wait,
		// Any server may answer: discovery tolerates a slightly stale view
		// better than a leader bottleneck.
		AllowStale: true,
	}
}

// call makes a blocking RPC that ends with ctx: RPCs take no context, so
// the call runs in a goroutine that is left to finish on its own (when the
// query's wait ends or the server stops) once ctx is done. Without this a
// stopping agent would wait out a blocking query.
func (c *RPCCatalog) call(ctx context.Context, method string, args, reply interface{}) error {
	done := make(chan error, 1)
	go func() { done <- c.RPC.RPC(method, args, reply) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Instances implements Catalog.
func (c *RPCCatalog) Instances(ctx context.Context, namespace, name string, minIndex uint64) ([]*structs.ServiceRegistration, uint64, error) {
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	args := &structs.ServiceRegistrationByNameRequest{ServiceName: name, QueryOptions: c.query(namespace, minIndex)}
	var reply structs.ServiceRegistrationByNameResponse
	if err := c.call(ctx, structs.ServiceRegistrationGetRPC, args, &reply); err != nil {
		return nil, 0, fmt.Errorf("service %q in namespace %q: %w", name, namespace, err)
	}
	return reply.Services, reply.Index, nil
}

// Services implements Catalog.
func (c *RPCCatalog) Services(ctx context.Context, minIndex uint64) ([]ServiceStub, uint64, error) {
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	args := &structs.ServiceRegistrationListRequest{QueryOptions: c.query(AllNamespaces, minIndex)}
	var reply structs.ServiceRegistrationListResponse
	if err := c.call(ctx, structs.ServiceRegistrationListRPC, args, &reply); err != nil {
		return nil, 0, fmt.Errorf("list services: %w", err)
	}
	var ids []ServiceStub
	for _, ns := range reply.Services {
		for _, s := range ns.Services {
			ids = append(ids, ServiceStub{ServiceID: ServiceID{Namespace: ns.Namespace, Name: s.ServiceName}, Published: s.Published})
		}
	}
	sort.Slice(ids, func(i, j int) bool {
		if ids[i].Namespace != ids[j].Namespace {
			return ids[i].Namespace < ids[j].Namespace
		}
		return ids[i].Name < ids[j].Name
	})
	return ids, reply.Index, nil
}

// Passing returns the instances whose checks all pass, the only ones DNS
// and the load balancer hand out.
func Passing(insts []*structs.ServiceRegistration) []*structs.ServiceRegistration {
	out := make([]*structs.ServiceRegistration, 0, len(insts))
	for _, in := range insts {
		if in.Status == structs.HealthPassing {
			out = append(out, in)
		}
	}
	return out
}
