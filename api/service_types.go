package api

import "time"

// Service is a service block of a group or a task, in Nomad's JSON shape.
// Clients register one instance per allocation in the built-in catalog.
type Service struct {
	Name        string            `json:",omitempty"`
	Tags        []string          `json:",omitempty"`
	PortLabel   string            `json:",omitempty"`
	AddressMode string            `json:",omitempty"`
	Provider    string            `json:",omitempty"`
	Checks      []ServiceCheck    `json:",omitempty"`
	TaskName    string            `json:",omitempty"`
	Meta        map[string]string `json:",omitempty"`
	// Publish (orch extension) serves the service on a port of every
	// client through the built-in load balancer.
	Publish *ServicePublish `json:",omitempty"`
}

// ServiceCheck is a check block of a service.
type ServiceCheck struct {
	Name          string              `json:",omitempty"`
	Type          string              `json:",omitempty"`
	Command       string              `json:",omitempty"`
	Args          []string            `json:",omitempty"`
	Path          string              `json:",omitempty"`
	Protocol      string              `json:",omitempty"`
	PortLabel     string              `json:",omitempty"`
	Interval      time.Duration       `json:",omitempty"`
	Timeout       time.Duration       `json:",omitempty"`
	InitialStatus string              `json:",omitempty"`
	Method        string              `json:",omitempty"`
	Header        map[string][]string `json:",omitempty"`
	TaskName      string              `json:",omitempty"`
	GRPCService   string              `json:",omitempty"`
	GRPCUseTLS    bool                `json:",omitempty"`
	TLSSkipVerify bool                `json:",omitempty"`
	OnUpdate      string              `json:",omitempty"`
	CheckRestart  *CheckRestart       `json:",omitempty"`
	// ExpectedStatus, an orch extension, lists the status codes an http
	// check accepts; empty means any 2xx.
	ExpectedStatus []int `json:",omitempty"`
}

// CheckRestart restarts a task whose check fails Limit times in a row,
// ignoring failures during Grace after the task (re)starts.
type CheckRestart struct {
	Limit          int            `json:",omitempty"`
	Grace          *time.Duration `json:",omitempty"`
	IgnoreWarnings bool           `json:",omitempty"`
}

// Service providers; "nomad" is accepted so Nomad jobspecs run unchanged.
const (
	ServiceProviderOrch   = "orch"
	ServiceProviderNomad  = "nomad"
	ServiceProviderConsul = "consul"
)

// Defaults of service and check blocks, as Nomad's.
const (
	DefaultServiceAddressMode = "auto"
	DefaultCheckMethod        = "GET"
	DefaultCheckOnUpdate      = "require_healthy"
	DefaultCheckInitialStatus = "critical"
	DefaultCheckRestartGrace  = time.Second
)

// Canonicalize fills a service's unset fields. Unnamed services take
// Nomad's default name: <job>-<group> for a group service,
// <job>-<group>-<task> for a task's.
func (s *Service) Canonicalize(job, group, task string) {
	if s == nil {
		return
	}
	if s.Name == "" {
		s.Name = job + "-" + group
		if task != "" {
			s.Name += "-" + task
		}
	}
	if s.AddressMode == "" {
		s.AddressMode = DefaultServiceAddressMode
	}
	if s.Provider == "" {
		s.Provider = ServiceProviderOrch
	}
	s.Publish.Canonicalize()
	for i := range s.Checks {
		s.Checks[i].Canonicalize(s)
	}
}

// Canonicalize fills a check's unset fields; it inherits its service's
// port and task when it names none.
func (c *ServiceCheck) Canonicalize(s *Service) {
	if c.Name == "" {
		c.Name = "service: " + quote(s.Name) + " check"
	}
	if c.PortLabel == "" && s != nil {
		c.PortLabel = s.PortLabel
	}
	if c.TaskName == "" && s != nil {
		c.TaskName = s.TaskName
	}
	if c.Type == "http" {
		if c.Method == "" {
			c.Method = DefaultCheckMethod
		}
		if c.Protocol == "" {
			c.Protocol = "http"
		}
	}
	if c.InitialStatus == "" {
		c.InitialStatus = DefaultCheckInitialStatus
	}
	if c.OnUpdate == "" {
		c.OnUpdate = DefaultCheckOnUpdate
	}
	if c.CheckRestart != nil {
		setDefault(&c.CheckRestart.Grace, DefaultCheckRestartGrace)
	}
}

func quote(s string) string { return `"` + s + `"` }
