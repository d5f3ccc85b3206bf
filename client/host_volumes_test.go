package client

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/orch-dev/orch/client/clienttest"
	"github.com/orch-dev/orch/nomadlike/structs"
)

func TestClientRegistersHostVolumesAndPortRange(t *testing.T) {
	t.Parallel()
	srv := newFakeServer()
	dir := t.TempDir()
	tc := newTestClient(t, srv, func(c *Config) {
		c.HostVolumes = map[string]*structs.ClientHostVolumeConfig{"data": {Name: "data", Path: dir, ReadOnly: true}}
		c.MinDynamicPort, c.MaxDynamicPort = 30000, 30002
		c.Reserved = &structs.NodeReservedResources{Networks: structs.NodeReservedNetworkResources{ReservedHostPorts: "22,30001"}}
	})
	tc.waitReady(t)
	var n *structs.Node
	clienttest.WaitFor(t, waitTimeout, func() (bool, string) {
		n = srv.node(tc.NodeID())
		return n != nil, "node not registered"
	})
	if v := n.HostVolumes["data"]; v == nil || v.Path != dir || !v.ReadOnly || v.Name != "data" {
		t.Errorf("registered host volumes %+v, want data at %s read-only", n.HostVolumes, dir)
	}
	if r := n.NodeResources; r.MinDynamicPort != 30000 || r.MaxDynamicPort != 30002 {
		t.Errorf("registered dynamic range %d-%d, want 30000-30002", r.MinDynamicPort, r.MaxDynamicPort)
	}
	if got := n.ReservedResources.Networks.ReservedHostPorts; got != "22,30001" {
		t.Errorf("registered reserved ports %q", got)
	}
}

func TestNewClient_BadVolumesAndPorts(t *testing.T) {
	t.Parallel()
	missing := filepath.Join(t.TempDir(), "absent")
	cases := []struct {
		name    string
		change  func(*Config)
		wantErr string
	}{
		{"missing host volume", func(c *Config) {
			c.HostVolumes = map[string]*structs.ClientHostVolumeConfig{"data": {Name: "data", Path: missing}}
		}, `host_volume "data": path "` + missing + `" does not exist`},
		{"bad reserved ports", func(c *Config) {
			c.Reserved = &structs.NodeReservedResources{Networks: structs.NodeReservedNetworkResources{ReservedHostPorts: "22,ssh"}}
		}, `client config: reserved ports "22,ssh" are invalid: "ssh": "ssh" is not a port number`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := &Config{DataDir: t.TempDir(), NodeName: "n", DevMode: true}
			tc.change(cfg)
			_, err := NewClient(cfg, newFakeServer())
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want %q", err, tc.wantErr)
			}
		})
	}
}
