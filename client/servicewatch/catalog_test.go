package servicewatch_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/orch-dev/orch/client/servicewatch"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// fakeRPC answers the two catalog RPCs and records the requests, standing
// in for the servers' ServiceRegistration endpoints.
type fakeRPC struct {
	methods []string
	get     *structs.ServiceRegistrationByNameRequest
	list    *structs.ServiceRegistrationListRequest
	err     error
}

func (f *fakeRPC) RPC(method string, args, reply interface{}) error {
	f.methods = append(f.methods, method)
	if f.err != nil {
		return f.err
	}
	switch method {
	case structs.ServiceRegistrationGetRPC:
		f.get = args.(*structs.ServiceRegistrationByNameRequest)
		r := reply.(*structs.ServiceRegistrationByNameResponse)
		r.Services = []*structs.ServiceRegistration{{ID: "1", ServiceName: f.get.ServiceName}}
		r.Index = 7
	case structs.ServiceRegistrationListRPC:
		f.list = args.(*structs.ServiceRegistrationListRequest)
		r := reply.(*structs.ServiceRegistrationListResponse)
		r.Services = []*structs.ServiceRegistrationListStub{
			{Namespace: "prod", Services: []*structs.ServiceRegistrationStub{{ServiceName: "b"}, {ServiceName: "a"}}},
			{Namespace: "default", Services: []*structs.ServiceRegistrationStub{{ServiceName: "web", Published: true}}},
		}
		r.Index = 9
	}
	return nil
}

func TestRPCCatalog(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("instances", func(t *testing.T) {
		rpc := &fakeRPC{}
		c := &servicewatch.RPCCatalog{RPC: rpc, Region: "eu", MaxWait: time.Minute}
		insts, idx, err := c.Instances(ctx, "prod", "web", 5)
		if err != nil || idx != 7 || len(insts) != 1 {
			t.Fatalf("Instances = %v, %d, %v", insts, idx, err)
		}
		want := structs.QueryOptions{Region: "eu", Namespace: "prod", MinQueryIndex: 5, MaxQueryTime: time.Minute, AllowStale: true}
		if rpc.get.ServiceName != "web" || !reflect.DeepEqual(rpc.get.QueryOptions, want) {
			t.Errorf("request %+v, want service web and %+v", rpc.get, want)
		}
	})
	t.Run("services of every namespace, sorted, with Published", func(t *testing.T) {
		rpc := &fakeRPC{}
		c := &servicewatch.RPCCatalog{RPC: rpc}
		ids, idx, err := c.Services(ctx, 0)
		if err != nil || idx != 9 {
			t.Fatal(idx, err)
		}
		want := []servicewatch.ServiceStub{
			{ServiceID: servicewatch.ServiceID{Namespace: "default", Name: "web"}, Published: true},
			{ServiceID: servicewatch.ServiceID{Namespace: "prod", Name: "a"}},
			{ServiceID: servicewatch.ServiceID{Namespace: "prod", Name: "b"}},
		}
		if !reflect.DeepEqual(ids, want) {
			t.Errorf("ids %v, want %v", ids, want)
		}
		if rpc.list.Namespace != servicewatch.AllNamespaces || rpc.list.MaxQueryTime != 5*time.Minute {
			t.Errorf("list request %+v", rpc.list.QueryOptions)
		}
	})
	t.Run("errors wrapped with context", func(t *testing.T) {
		boom := errors.New("no leader")
		c := &servicewatch.RPCCatalog{RPC: &fakeRPC{err: boom}}
		_, _, err := c.Instances(ctx, "default", "web", 0)
		if !errors.Is(err, boom) || err.Error() != `service "web" in namespace "default": no leader` {
			t.Errorf("error %v", err)
		}
	})
	t.Run("cancelled context makes no call", func(t *testing.T) {
		rpc := &fakeRPC{}
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, _, err := (&servicewatch.RPCCatalog{RPC: rpc}).Services(cctx, 0); err == nil || len(rpc.methods) != 0 {
			t.Errorf("err %v, calls %v", err, rpc.methods)
		}
	})
}
