package nomadlike_test

import (
	"errors"
	"testing"
	"time"

	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/nomadtest"
	"github.com/orch-dev/orch/nomadlike/structs"
)

func TestServiceRegistrationEndpoint(t *testing.T) {
	t.Parallel()
	s := nomadtest.TestServer(t, noWorkers)
	node := mock.Node()
	node.SecretID = "node-secret"
	var nr structs.NodeUpdateResponse
	if err := s.RPC(structs.NodeRegisterRPC, &structs.NodeRegisterRequest{Node: node}, &nr); err != nil {
		t.Fatal(err)
	}
	job := mock.Job()
	registerJob(t, s, job)
	a0, a1 := mock.AllocFor(job, node, 0), mock.AllocFor(job, node, 1)
	applyPlan(t, s, job, a0, a1)
	inst := func(a *structs.Allocation, name string, tags ...string) *structs.ServiceRegistration {
		return &structs.ServiceRegistration{ID: "_orch-" + a.ID + "-" + name, ServiceName: name, NodeID: node.ID,
			AllocID: a.ID, JobID: job.ID, Address: "127.0.0.1", Port: 8080, Tags: tags}
	}
	upsert := func(secret string, regs ...*structs.ServiceRegistration) error {
		var resp structs.GenericResponse
		return s.RPC(structs.ServiceRegistrationUpsertRPC, &structs.ServiceRegistrationUpsertRequest{Services: regs, SecretID: secret}, &resp)
	}

	t.Run("upsert refuses another node's secret", func(t *testing.T) {
		if err := upsert("wrong", inst(a0, "web")); !errors.Is(err, structs.ErrPermission) {
			t.Fatalf("got %v, want permission denied", err)
		}
	})
	t.Run("upsert names the missing field", func(t *testing.T) {
		bad := inst(a0, "web")
		bad.ServiceName = ""
		if err := upsert("node-secret", bad); !errors.Is(err, structs.ErrBadRequest) || !contains(err.Error(), "Services[0].ServiceName") {
			t.Fatalf("got %v", err)
		}
	})
	if err := upsert("node-secret", inst(a0, "web", "v1"), inst(a1, "web", "v2"), inst(a0, "db")); err != nil {
		t.Fatal(err)
	}

	var list structs.ServiceRegistrationListResponse
	if err := s.RPC(structs.ServiceRegistrationListRPC, &structs.ServiceRegistrationListRequest{}, &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Services) != 1 || len(list.Services[0].Services) != 2 || list.Services[0].Services[1].ServiceName != "web" ||
		len(list.Services[0].Services[1].Tags) != 2 {
		t.Fatalf("list: %+v", list.Services)
	}

	get := func(minIndex uint64) *structs.ServiceRegistrationByNameResponse {
		req := &structs.ServiceRegistrationByNameRequest{ServiceName: "web"}
		req.MinQueryIndex, req.MaxQueryTime = minIndex, 10*time.Second
		var resp structs.ServiceRegistrationByNameResponse
		if err := s.RPC(structs.ServiceRegistrationGetRPC, req, &resp); err != nil {
			t.Error(err)
		}
		return &resp
	}
	first := get(0)
	if len(first.Services) != 2 || first.Services[0].Status != structs.HealthPassing || first.Services[0].Namespace != "default" {
		t.Fatalf("get: %+v", first.Services)
	}

	t.Run("blocking get wakes on delete", func(t *testing.T) {
		done := make(chan *structs.ServiceRegistrationByNameResponse, 1)
		go func() { done <- get(first.Index) }()
		var resp structs.GenericResponse
		if err := s.RPC(structs.ServiceRegistrationDeleteRPC, &structs.ServiceRegistrationDeleteByIDRequest{ID: inst(a1, "web").ID}, &resp); err != nil {
			t.Fatal(err)
		}
		select {
		case got := <-done:
			if len(got.Services) != 1 || got.Index <= first.Index {
				t.Fatalf("after delete: %d instances at index %d", len(got.Services), got.Index)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("blocking query did not wake")
		}
	})
	t.Run("delete of an unknown instance", func(t *testing.T) {
		var resp structs.GenericResponse
		err := s.RPC(structs.ServiceRegistrationDeleteRPC, &structs.ServiceRegistrationDeleteByIDRequest{ID: "nope"}, &resp)
		if !errors.Is(err, structs.ErrNotFound) {
			t.Fatalf("got %v, want not found", err)
		}
	})
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
