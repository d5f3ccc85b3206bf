package agent

import (
	"fmt"
	"net"
	"strings"
	"time"
)

// DefaultDNSPort is where the agent answers DNS unless told otherwise,
// Consul's port.
const DefaultDNSPort = 8600

// DNSConfig is the dns block: the agent's DNS interface to the service
// catalog (NAME.service.DOMAIN).
type DNSConfig struct {
	Enabled bool
	Address string
	Port    int
	Domain  string
	TTL     time.Duration
	// Explicit is set when a file or flag configured DNS: only then is a
	// port the agent cannot listen on an error rather than a warning
	// (several agents on one host share the default port's fate).
	Explicit bool
}

// LoadBalancerConfig is the client's load_balancer block: the built-in
// load balancer serving services that set a publish block.
type LoadBalancerConfig struct {
	Enabled bool
	// Bind is the address published ports listen on; empty means the
	// agent's bind_addr.
	Bind string
}

type fileDNS struct {
	Enabled *bool   `hcl:"enabled,optional"`
	Address *string `hcl:"address,optional"`
	Port    *int    `hcl:"port,optional"`
	Domain  *string `hcl:"domain,optional"`
	// TTL is a duration such as "0s" or "5s".
	TTL *string `hcl:"ttl,optional"`
}

type fileLoadBalancer struct {
	Enabled *bool   `hcl:"enabled,optional"`
	Bind    *string `hcl:"bind,optional"`
}

func defaultDNS() DNSConfig {
	return DNSConfig{Enabled: true, Address: "127.0.0.1", Port: DefaultDNSPort, Domain: "orch"}
}

// mergeDNS applies a file's dns block.
func (c *Config) mergeDNS(f *fileDNS) error {
	if f == nil {
		return nil
	}
	c.DNS.Explicit = true
	set(&c.DNS.Enabled, f.Enabled)
	set(&c.DNS.Address, f.Address)
	set(&c.DNS.Port, f.Port)
	set(&c.DNS.Domain, f.Domain)
	if f.TTL != nil {
		d, err := time.ParseDuration(*f.TTL)
		if err != nil || d < 0 {
			return fmt.Errorf("dns.ttl %q: want a duration of 0 or more, such as \"0s\" or \"5s\"", *f.TTL)
		}
		c.DNS.TTL = d
	}
	return nil
}

func mergeLoadBalancer(dst *LoadBalancerConfig, f *fileLoadBalancer) {
	if f == nil {
		return
	}
	set(&dst.Enabled, f.Enabled)
	set(&dst.Bind, f.Bind)
}

// LoadBalancerBind is the address published ports listen on.
func (c *Config) LoadBalancerBind() string {
	if c.Client.LoadBalancer.Bind != "" {
		return c.Client.LoadBalancer.Bind
	}
	return c.BindAddr
}

// validateDiscovery checks the dns and load_balancer settings.
func (c *Config) validateDiscovery(add func(format string, args ...interface{})) {
	d := c.DNS
	if d.Enabled {
		if net.ParseIP(d.Address) == nil {
			add("dns.address %q is invalid: want an IP address such as \"127.0.0.1\"", d.Address)
		}
		if d.Port < 0 || d.Port > 65535 {
			add("dns.port %d is invalid: want 0 (any free port) to 65535", d.Port)
		}
		if d.Domain == "" || strings.Trim(d.Domain, ".") == "" || strings.ContainsAny(d.Domain, " \t/") {
			add("dns.domain %q is invalid: want a domain such as \"orch\"", d.Domain)
		}
	}
	if c.Client.LoadBalancer.Bind != "" && net.ParseIP(c.Client.LoadBalancer.Bind) == nil {
		add("client.load_balancer.bind %q is invalid: want an IP address such as \"0.0.0.0\"", c.Client.LoadBalancer.Bind)
	}
}
