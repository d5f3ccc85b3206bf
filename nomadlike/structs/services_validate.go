package structs

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// MinCheckInterval and MinCheckTimeout are the shortest check interval and
// timeout accepted, as in Nomad: shorter ones would mostly measure the
// client's own scheduling.
const (
	MinCheckInterval = time.Second
	MinCheckTimeout  = time.Second
)

var (
	serviceAddressModes = []string{"auto", "host", "driver", "alloc"}
	checkTypes          = []string{ServiceCheckHTTP, ServiceCheckTCP, ServiceCheckScript, ServiceCheckGRPC}
	checkOnUpdates      = []string{"require_healthy", "ignore_warnings", "ignore"}
	checkInitialStatus  = []string{HealthPassing, HealthWarning, HealthCritical}
)

// Copy returns a deep copy of the service.
func (s *Service) Copy() *Service {
	if s == nil {
		return nil
	}
	c := *s
	c.Tags = slices.Clone(s.Tags)
	c.Meta = maps.Clone(s.Meta)
	if s.Checks != nil {
		c.Checks = make([]*ServiceCheck, len(s.Checks))
		for i, ch := range s.Checks {
			c.Checks[i] = ch.Copy()
		}
	}
	if s.Publish != nil {
		p := *s.Publish
		c.Publish = &p
	}
	return &c
}

// Copy returns a deep copy of the check.
func (c *ServiceCheck) Copy() *ServiceCheck {
	if c == nil {
		return nil
	}
	n := *c
	n.Args = slices.Clone(c.Args)
	n.ExpectedStatus = slices.Clone(c.ExpectedStatus)
	if c.Header != nil {
		n.Header = make(map[string][]string, len(c.Header))
		for k, v := range c.Header {
			n.Header[k] = slices.Clone(v)
		}
	}
	if c.CheckRestart != nil {
		cr := *c.CheckRestart
		n.CheckRestart = &cr
	}
	return &n
}

// Copy returns a deep copy of the registration.
func (r *ServiceRegistration) Copy() *ServiceRegistration {
	if r == nil {
		return nil
	}
	c := *r
	c.Tags = slices.Clone(r.Tags)
	return &c
}

func copyServices(ss []*Service) []*Service {
	if ss == nil {
		return nil
	}
	out := make([]*Service, len(ss))
	for i, s := range ss {
		out[i] = s.Copy()
	}
	return out
}

// groupPortLabels are the port labels of a group's network blocks.
func groupPortLabels(tg *TaskGroup) map[string]bool {
	labels := make(map[string]bool)
	for _, n := range tg.Networks {
		if n == nil {
			continue
		}
		for _, p := range n.ReservedPorts {
			labels[p.Label] = true
		}
		for _, p := range n.DynamicPorts {
			labels[p.Label] = true
		}
	}
	return labels
}

// validateServices checks the group's and its tasks' services: names are
// unique within the group (they name catalog entries), ports name the
// group's network ports, and checks are complete.
func (tg *TaskGroup) validateServices(p *problems, index int) {
	where := fmt.Sprintf("TaskGroups[%d]", index)
	if tg.Name != "" {
		where = fmt.Sprintf("TaskGroups[%q]", tg.Name)
	}
	ports := groupPortLabels(tg)
	tasks := make(map[string]bool, len(tg.Tasks))
	for _, t := range tg.Tasks {
		if t != nil {
			tasks[t.Name] = true
		}
	}
	names := make(map[string]string)
	for i, s := range tg.Services {
		validateService(p, fmt.Sprintf("%s.Services[%d]", where, i), s, ports, tasks, true, names)
	}
	for ti, t := range tg.Tasks {
		if t == nil {
			continue
		}
		tp := fmt.Sprintf("%s.Tasks[%d]", where, ti)
		if t.Name != "" {
			tp = fmt.Sprintf("%s.Tasks[%q]", where, t.Name)
		}
		for i, s := range t.Services {
			validateService(p, fmt.Sprintf("%s.Services[%d]", tp, i), s, ports, tasks, false, names)
		}
		validateTemplates(p, tp+".Templates", t.Templates)
	}
}

func validateService(p *problems, sp string, s *Service, ports, tasks map[string]bool, group bool, names map[string]string) {
	if s == nil {
		p.addf(sp, "empty service")
		return
	}
	switch {
	case s.Name == "":
		p.addf(sp+".Name", "missing service name")
	case strings.ContainsAny(s.Name, " \t\n.\x00"):
		p.addf(sp+".Name", "%q must not contain whitespace, dots or NUL (it is a DNS label)", s.Name)
	default:
		if first, dup := names[s.Name]; dup {
			p.addf(sp+".Name", "%q is already the name of %s", s.Name, first)
		} else {
			names[s.Name] = sp
		}
	}
	switch s.Provider {
	case "", ServiceProviderOrch, ServiceProviderNomad:
	case "consul":
		p.addf(sp+".Provider", "consul is not supported by orch: use the built-in catalog (provider = %q)", ServiceProviderOrch)
	default:
		p.addf(sp+".Provider", "%q is not a provider: want %q or %q", s.Provider, ServiceProviderOrch, ServiceProviderNomad)
	}
	if s.AddressMode != "" && !slices.Contains(serviceAddressModes, s.AddressMode) {
		p.addf(sp+".AddressMode", "%q is not an address mode: want one of %s", s.AddressMode, strings.Join(serviceAddressModes, ", "))
	}
	validatePortRef(p, sp+".PortLabel", s.PortLabel, ports)
	if group && s.TaskName != "" && !tasks[s.TaskName] {
		p.addf(sp+".TaskName", "%q is not a task of the group", s.TaskName)
	}
	for i, c := range s.Checks {
		validateCheck(p, fmt.Sprintf("%s.Checks[%d]", sp, i), c, s, ports, tasks, group)
	}
	if s.Publish != nil {
		if err := s.Publish.Validate(); err != nil {
			p.addf(sp+".Publish", "%v", err)
		}
	}
}

// validatePortRef accepts a label of the group's network or a number.
func validatePortRef(p *problems, field, label string, ports map[string]bool) {
	if label == "" || ports[label] {
		return
	}
	if n, err := strconv.Atoi(label); err == nil {
		if n < 1 || n > 65535 {
			p.addf(field, "%d is not a port number from 1 to 65535", n)
		}
		return
	}
	p.addf(field, "%q is not a port label of the group's network block: want one of %s", label, portList(ports))
}

func portList(ports map[string]bool) string {
	if len(ports) == 0 {
		return "(none: the group has no network ports)"
	}
	return strings.Join(slices.Sorted(maps.Keys(ports)), ", ")
}

func validateCheck(p *problems, cp string, c *ServiceCheck, s *Service, ports, tasks map[string]bool, group bool) {
	if c == nil {
		p.addf(cp, "empty check")
		return
	}
	if !slices.Contains(checkTypes, c.Type) {
		p.addf(cp+".Type", "%q is not a check type: want one of %s", c.Type, strings.Join(checkTypes, ", "))
	}
	if c.Interval < MinCheckInterval {
		p.addf(cp+".Interval", "interval must be at least %s, got %s", MinCheckInterval, c.Interval)
	}
	if c.Timeout < MinCheckTimeout {
		p.addf(cp+".Timeout", "timeout must be at least %s, got %s", MinCheckTimeout, c.Timeout)
	}
	if c.InitialStatus != "" && !slices.Contains(checkInitialStatus, c.InitialStatus) {
		p.addf(cp+".InitialStatus", "%q is not a status: want passing, warning or critical", c.InitialStatus)
	}
	if c.OnUpdate != "" && !slices.Contains(checkOnUpdates, c.OnUpdate) {
		p.addf(cp+".OnUpdate", "%q is not an on_update mode: want one of %s", c.OnUpdate, strings.Join(checkOnUpdates, ", "))
	}
	switch c.Type {
	case ServiceCheckHTTP:
		if c.Path == "" {
			p.addf(cp+".Path", "an http check needs a path")
		}
		for i, code := range c.ExpectedStatus {
			if code < 100 || code > 599 {
				p.addf(fmt.Sprintf("%s.ExpectedStatus[%d]", cp, i), "%d is not an HTTP status code", code)
			}
		}
	case ServiceCheckScript:
		if c.Command == "" {
			p.addf(cp+".Command", "a script check needs a command")
		}
		if group && c.TaskName == "" {
			p.addf(cp+".TaskName", "a script check of a group service needs a task to run in")
		} else if c.TaskName != "" && !tasks[c.TaskName] {
			p.addf(cp+".TaskName", "%q is not a task of the group", c.TaskName)
		}
	}
	if c.Type != ServiceCheckScript {
		validatePortRef(p, cp+".PortLabel", c.PortLabel, ports)
		if c.PortLabel == "" && s.PortLabel == "" {
			p.addf(cp+".PortLabel", "a %s check needs a port: set port on the check or its service", c.Type)
		}
	}
	if cr := c.CheckRestart; cr != nil {
		if cr.Limit < 0 {
			p.addf(cp+".CheckRestart.Limit", "limit must be 0 or more, got %d", cr.Limit)
		}
		if cr.Grace < 0 {
			p.addf(cp+".CheckRestart.Grace", "grace must not be negative, got %s", cr.Grace)
		}
	}
}
