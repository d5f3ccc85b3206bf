package agent

import (
	"io"
	"strings"
	"testing"
	"time"
)

func TestLoadConfig_Discovery(t *testing.T) {
	t.Run("defaults", func(t *testing.T) {
		c, err := LoadConfig([]string{"-dev"}, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		want := DNSConfig{Enabled: true, Address: "127.0.0.1", Port: 8600, Domain: "orch"}
		if c.DNS != want {
			t.Errorf("dns = %+v, want %+v", c.DNS, want)
		}
		if !c.Client.LoadBalancer.Enabled || c.LoadBalancerBind() != "127.0.0.1" {
			t.Errorf("load balancer = %+v bind %q, want enabled on the bind address", c.Client.LoadBalancer, c.LoadBalancerBind())
		}
	})
	t.Run("file and flags", func(t *testing.T) {
		dir := t.TempDir()
		writeFiles(t, dir, map[string]string{"a.hcl": `dns {
  address = "127.0.0.2"
  port    = 8601
  domain  = "cluster"
  ttl     = "5s"
}
client {
  load_balancer {
    enabled = false
    bind    = "10.0.0.1"
  }
}
`})
		c, err := LoadConfig([]string{"-dev", "-config", dir, "-dns-port", "0"}, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		want := DNSConfig{Enabled: true, Address: "127.0.0.2", Port: 0, Domain: "cluster", TTL: 5 * time.Second, Explicit: true}
		if c.DNS != want {
			t.Errorf("dns = %+v, want %+v", c.DNS, want)
		}
		if c.Client.LoadBalancer.Enabled || c.LoadBalancerBind() != "10.0.0.1" {
			t.Errorf("load balancer = %+v", c.Client.LoadBalancer)
		}
	})
	t.Run("flag alone is explicit", func(t *testing.T) {
		c, err := LoadConfig([]string{"-dev", "-dns-addr", "127.0.0.3"}, io.Discard)
		if err != nil || !c.DNS.Explicit || c.DNS.Address != "127.0.0.3" {
			t.Fatalf("dns = %+v, %v", c.DNS, err)
		}
	})
}

func TestLoadConfig_DiscoveryErrors(t *testing.T) {
	cases := []struct{ name, file, want string }{
		{"bad ttl", "dns {\n  ttl = \"soon\"\n}\n", `dns.ttl "soon": want a duration of 0 or more`},
		{"bad address", "dns {\n  address = \"localhost\"\n}\n", `dns.address "localhost" is invalid: want an IP address`},
		{"bad port", "dns {\n  port = 70000\n}\n", `dns.port 70000 is invalid`},
		{"bad domain", "dns {\n  domain = \".\"\n}\n", `dns.domain "." is invalid`},
		{"bad lb bind", "client {\n  load_balancer {\n    bind = \"any\"\n  }\n}\n", `client.load_balancer.bind "any" is invalid`},
		{"unknown dns key", "dns {\n  porty = 1\n}\n", `a.hcl:2,3-8: Unsupported argument`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFiles(t, dir, map[string]string{"a.hcl": tc.file})
			_, err := LoadConfig([]string{"-dev", "-config", dir}, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
}
