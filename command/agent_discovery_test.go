package command

import (
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	dnsmsg "github.com/miekg/dns"

	"github.com/orch-dev/orch/client/servicewatch"
	"github.com/orch-dev/orch/client/servicewatch/servicewatchtest"
	"github.com/orch-dev/orch/command/agent"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// TestDiscoveryWiring starts DNS and the load balancer as the agent does,
// over an in-memory catalog, and checks both serve it.
func TestDiscoveryWiring(t *testing.T) {
	cat := servicewatchtest.New()
	cat.Upsert(&structs.ServiceRegistration{
		ID: "r1", ServiceName: "web", Namespace: "default", AllocID: "0123456789", Address: "127.0.0.7", Port: 9,
		Status: structs.HealthPassing, Publish: &structs.ServicePublish{Port: 0, Mode: structs.PublishModeTCP},
	})
	cfg := agent.DefaultConfig()
	cfg.Client.Enabled = true
	cfg.BindAddr = "127.0.0.1"
	cfg.DNS.Port = 0
	cfg.DNS.Explicit = true
	d, err := newDiscovery(cfg, hclog.NewNullLogger(), cat)
	if err != nil || d == nil || d.dns == nil || d.lb == nil {
		t.Fatalf("newDiscovery = %+v, %v; want DNS and the load balancer", d, err)
	}
	defer d.stop()
	m := new(dnsmsg.Msg)
	m.SetQuestion("web.service.orch.", dnsmsg.TypeA)
	resp, _, err := new(dnsmsg.Client).Exchange(m, d.dns.Addr())
	if err != nil || len(resp.Answer) != 1 || resp.Answer[0].(*dnsmsg.A).A.String() != "127.0.0.7" {
		t.Fatalf("DNS answer %v, %v; want 127.0.0.7", resp, err)
	}
	web := servicewatch.ServiceID{Namespace: "default", Name: "web"}
	deadline := time.Now().Add(5 * time.Second)
	for d.lb.Addr(web) == "" {
		if time.Now().After(deadline) {
			t.Fatal("web never published by the load balancer")
		}
		time.Sleep(10 * time.Millisecond)
	}

	t.Run("no catalog starts nothing", func(t *testing.T) {
		d, err := newDiscovery(cfg, hclog.NewNullLogger(), nil)
		if d != nil || err != nil {
			t.Fatalf("newDiscovery(nil catalog) = %v, %v", d, err)
		}
	})
	t.Run("explicit busy port is an error", func(t *testing.T) {
		busy := *cfg
		busy.DNS.Port = portOf(t, d.dns.Addr())
		busy.Client.Enabled = false
		if _, err := newDiscovery(&busy, hclog.NewNullLogger(), cat); err == nil {
			t.Fatal("a DNS port in use was accepted")
		}
		busy.DNS.Explicit = false
		d2, err := newDiscovery(&busy, hclog.NewNullLogger(), cat)
		if err != nil {
			t.Fatalf("default DNS port in use: %v, want a warning only", err)
		}
		d2.stop()
	})
}

func portOf(t *testing.T, addr string) int {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(p)
	return n
}
