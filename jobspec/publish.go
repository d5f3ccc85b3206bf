package jobspec

import (
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/orch-dev/orch/api"
)

// publishSchema is a service's publish block (orch extension): the port
// every client serves the service on through its load balancer.
var publishSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "port", Required: true},
		{Name: "mode"},
		{Name: "balance"},
		{Name: "client_affinity"},
	},
}

var (
	publishModes      = []string{api.PublishModeTCP, api.PublishModeHTTP}
	publishBalances   = []string{api.PublishBalanceRoundRobin, api.PublishBalanceLeastConn}
	publishAffinities = []string{api.PublishAffinityClientIP}
)

// servicePublish decodes the publish block, if any, of the service named
// service whose body content is c, and claims its port for the job. The
// service decoder calls it with "publish" in its schema's blocks.
func (e *evaluator) servicePublish(c *hcl.BodyContent, service string) *api.ServicePublish {
	b := e.singleBlock(c.Blocks, "publish")
	if b == nil {
		return nil
	}
	p := e.publish(b)
	if e.publishedPorts == nil {
		e.publishedPorts = map[int]publishedPort{}
	}
	e.claimPublishPort(e.publishedPorts, service, p, b.DefRange)
	return p
}

// publish decodes a service's `publish { port = 8080 ... }` block. The
// service decoder calls it for the (single) publish block of a service
// and then claimPublishPort with the job-wide port map.
func (e *evaluator) publish(b *hcl.Block) *api.ServicePublish {
	c := e.content(b.Body, "publish", publishSchema)
	p := &api.ServicePublish{}
	if port := e.intAttr(c.Attributes, "port"); port != nil {
		p.Port = port
		if *port < 1 || *port > 65535 {
			e.errorf(c.Attributes["port"].Expr.Range(), invalidValue("port"),
				"port must be between 1 and 65535, got %d", *port)
		}
	}
	p.Mode = e.oneOfString(c.Attributes, "mode", publishModes)
	p.Balance = e.oneOfString(c.Attributes, "balance", publishBalances)
	p.ClientAffinity = e.oneOfString(c.Attributes, "client_affinity", publishAffinities)
	return p
}

// oneOf reads a string attribute that must be one of valid.
func (e *evaluator) oneOfString(attrs hcl.Attributes, name string, valid []string) *string {
	v := e.stringAttr(attrs, name)
	if v != nil && !contains(valid, *v) {
		e.errorf(attrs[name].Expr.Range(), invalidValue(name),
			"%s must be one of %s, got %q", name, strings.Join(valid, ", "), *v)
	}
	return v
}

// publishedPort is where a job first published a port, and for which
// service.
type publishedPort struct {
	service string
	rng     hcl.Range
}

// claimPublishPort records that service publishes p (its publish block
// at rng) in ports, one map per job, and reports a second service on the
// same port: a client has one listener per port. The same service named
// in several groups may publish its port again.
func (e *evaluator) claimPublishPort(ports map[int]publishedPort, service string, p *api.ServicePublish, rng hcl.Range) {
	if p == nil || p.Port == nil {
		return
	}
	first, taken := ports[*p.Port]
	switch {
	case !taken:
		ports[*p.Port] = publishedPort{service: service, rng: rng}
	case first.service != service:
		e.errorf(rng, "Duplicate published port",
			"port %d is already published by service %q at %s; each published port serves one service", *p.Port, first.service, first.rng)
	}
}
