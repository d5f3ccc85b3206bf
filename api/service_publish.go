package api

// Load balancer modes, strategies and affinities of a publish block.
const (
	PublishModeTCP           = "tcp"
	PublishModeHTTP          = "http"
	PublishBalanceRoundRobin = "round_robin"
	PublishBalanceLeastConn  = "least_conn"
	PublishAffinityClientIP  = "client_ip"
)

// ServicePublish is a service's publish block, an orch extension: every
// client serves the service on Port through its built-in load balancer,
// proxying to the service's passing instances.
type ServicePublish struct {
	Port *int `json:"Port,omitempty"`
	// Mode is "tcp" (default) or "http".
	Mode *string `json:"Mode,omitempty"`
	// Balance is "round_robin" (default) or "least_conn".
	Balance *string `json:"Balance,omitempty"`
	// ClientAffinity "client_ip" keeps each client address on one
	// instance while it passes; empty means none.
	ClientAffinity *string `json:"ClientAffinity,omitempty"`
}

// Canonicalize fills the defaults: tcp, round_robin, no affinity.
func (p *ServicePublish) Canonicalize() {
	if p == nil {
		return
	}
	setDefault(&p.Mode, PublishModeTCP)
	setDefault(&p.Balance, PublishBalanceRoundRobin)
	setDefault(&p.ClientAffinity, "")
}
