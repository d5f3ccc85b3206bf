package jobspec

import (
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/orch-dev/orch/api"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

var serviceSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "name"}, {Name: "port"}, {Name: "tags"}, {Name: "meta"},
		{Name: "address_mode"}, {Name: "provider"}, {Name: "task"},
		// canary_tags and enable_tag_override are Consul's; accepted so
		// Nomad jobspecs parse, and ignored.
		{Name: "canary_tags"}, {Name: "enable_tag_override"},
	},
	Blocks: []hcl.BlockHeaderSchema{{Type: "check"}, {Type: "meta"}, {Type: "publish"}},
}

var checkSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "name"}, {Name: "type"}, {Name: "path"}, {Name: "method"},
		{Name: "protocol"}, {Name: "port"}, {Name: "command"}, {Name: "args"},
		{Name: "task"}, {Name: "grpc_service"}, {Name: "grpc_use_tls"},
		{Name: "tls_skip_verify"}, {Name: "interval"}, {Name: "timeout"},
		{Name: "initial_status"}, {Name: "on_update"}, {Name: "expected_status"},
	},
	Blocks: []hcl.BlockHeaderSchema{{Type: "check_restart"}, {Type: "header"}},
}

var checkRestartSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "limit"}, {Name: "grace"}, {Name: "ignore_warnings"}},
}

var (
	checkTypes         = []string{"http", "tcp", "script", "grpc"}
	addressModes       = []string{"auto", "host", "driver", "alloc"}
	checkOnUpdates     = []string{"require_healthy", "ignore_warnings", "ignore"}
	checkInitialStatus = []string{"passing", "warning", "critical"}
)

// serviceScope is what the service blocks of one group are checked
// against: its port labels, and the names already used by its services
// (group and task level share one namespace in the catalog).
type serviceScope struct {
	job   string
	group string
	ports map[string]hcl.Range
	names map[string]hcl.Range
}

// services decodes the service blocks of a group (task == "") or a task.
func (e *evaluator) services(blocks hcl.Blocks, sc *serviceScope, task string) []*api.Service {
	var out []*api.Service
	for _, b := range blocksOf(blocks, "service") {
		out = append(out, e.service(b, sc, task))
	}
	return out
}

func (e *evaluator) service(b *hcl.Block, sc *serviceScope, task string) *api.Service {
	c := e.content(b.Body, scopeService, serviceSchema)
	s := &api.Service{
		Tags: e.stringListAttr(c.Attributes, "tags"),
		Meta: e.stringMapAttrOrBlock(c, "meta"),
	}
	setString(&s.Name, e.stringAttr(c.Attributes, "name"))
	setString(&s.AddressMode, e.stringAttr(c.Attributes, "address_mode"))
	setString(&s.Provider, e.stringAttr(c.Attributes, "provider"))
	setString(&s.TaskName, e.stringAttr(c.Attributes, "task"))
	s.PortLabel = e.portRef(c.Attributes, sc)
	e.oneOf(c.Attributes, "address_mode", s.AddressMode, addressModes)
	if s.Provider == api.ServiceProviderConsul {
		e.errorf(c.Attributes["provider"].Expr.Range(), invalidValue("provider"),
			"consul is not supported by orch: services are registered in orch's built-in catalog (provider = \"orch\", or \"nomad\")")
	} else if s.Provider != "" && s.Provider != api.ServiceProviderOrch && s.Provider != api.ServiceProviderNomad {
		e.errorf(c.Attributes["provider"].Expr.Range(), invalidValue("provider"),
			"provider must be \"orch\" or \"nomad\", got %q", s.Provider)
	}
	if task != "" && s.TaskName != "" && s.TaskName != task {
		e.errorf(c.Attributes["task"].Expr.Range(), invalidValue("task"),
			"task is only for group services; this service belongs to task %q", task)
	}
	e.uniqueServiceName(b, c, s, sc, task)
	name := s.Name
	if name == "" {
		name = sc.job + "-" + sc.group
		if task != "" {
			name += "-" + task
		}
	}
	s.Publish = e.servicePublish(c, name)
	for _, cb := range blocksOf(c.Blocks, "check") {
		if ch := e.check(cb, sc, task == "" && s.TaskName == ""); ch != nil {
			s.Checks = append(s.Checks, *ch)
		}
	}
	return s
}

// uniqueServiceName reports a name used twice in the group, with the name
// Canonicalize would give an unnamed service.
func (e *evaluator) uniqueServiceName(b *hcl.Block, c *hcl.BodyContent, s *api.Service, sc *serviceScope, task string) {
	name, rng := s.Name, b.DefRange
	if a := c.Attributes["name"]; a != nil {
		rng = a.Expr.Range()
	}
	if name == "" {
		name = sc.job + "-" + sc.group
		if task != "" {
			name += "-" + task
		}
	}
	if first, dup := sc.names[name]; dup {
		e.errorf(rng, "Duplicate service name",
			"service names must be unique within a group; %q is already used at %s", name, first)
		return
	}
	sc.names[name] = rng
}

func (e *evaluator) check(b *hcl.Block, sc *serviceScope, groupWithoutTask bool) *api.ServiceCheck {
	c := e.content(b.Body, "check", checkSchema)
	ch := &api.ServiceCheck{Args: e.stringListAttr(c.Attributes, "args")}
	for name, dst := range map[string]*string{
		"name": &ch.Name, "type": &ch.Type, "path": &ch.Path, "method": &ch.Method,
		"protocol": &ch.Protocol, "command": &ch.Command, "task": &ch.TaskName,
		"grpc_service": &ch.GRPCService, "initial_status": &ch.InitialStatus, "on_update": &ch.OnUpdate,
	} {
		setString(dst, e.stringAttr(c.Attributes, name))
	}
	ch.GRPCUseTLS = deref(e.boolAttr(c.Attributes, "grpc_use_tls"))
	ch.TLSSkipVerify = deref(e.boolAttr(c.Attributes, "tls_skip_verify"))
	ch.PortLabel = e.portRef(c.Attributes, sc)
	ch.ExpectedStatus = e.statusList(c.Attributes)
	ch.Header = e.header(c.Blocks)
	if cr := e.singleBlock(c.Blocks, "check_restart"); cr != nil {
		ch.CheckRestart = e.checkRestart(cr)
	}
	switch {
	case c.Attributes["type"] == nil:
		e.errorf(b.DefRange, "Missing check type", "a check needs a type: one of %s", strings.Join(checkTypes, ", "))
	default:
		e.oneOf(c.Attributes, "type", ch.Type, checkTypes)
	}
	e.oneOf(c.Attributes, "on_update", ch.OnUpdate, checkOnUpdates)
	e.oneOf(c.Attributes, "initial_status", ch.InitialStatus, checkInitialStatus)
	e.checkTiming(b, c, ch)
	if ch.Type == "script" {
		if ch.Command == "" {
			e.errorf(b.DefRange, "Missing command", "a script check needs a command to run inside the task")
		}
		if groupWithoutTask && ch.TaskName == "" {
			e.errorf(b.DefRange, "Missing task",
				"a script check of a group service runs inside a task: set task on the check or the service")
		}
	}
	if ch.Type == "http" && ch.Path == "" {
		e.errorf(b.DefRange, "Missing path", "an http check needs a path, for example path = \"/health\"")
	}
	return ch
}

func (e *evaluator) checkTiming(b *hcl.Block, c *hcl.BodyContent, ch *api.ServiceCheck) {
	for _, f := range []struct {
		name string
		dst  *time.Duration
	}{{"interval", &ch.Interval}, {"timeout", &ch.Timeout}} {
		d := e.durationAttr(c.Attributes, f.name)
		if d == nil {
			if c.Attributes[f.name] == nil {
				e.errorf(b.DefRange, "Missing "+f.name, "a check needs %s, for example %s = \"10s\"", withArticle(f.name), f.name)
			}
			continue
		}
		*f.dst = *d
		if *d < time.Second {
			e.errorf(c.Attributes[f.name].Expr.Range(), invalidValue(f.name), "%s must be at least 1s, got %s", f.name, *d)
		}
	}
}

func (e *evaluator) checkRestart(b *hcl.Block) *api.CheckRestart {
	c := e.content(b.Body, "check_restart", checkRestartSchema)
	cr := &api.CheckRestart{
		Limit:          deref(e.intAttr(c.Attributes, "limit")),
		Grace:          e.durationAttr(c.Attributes, "grace"),
		IgnoreWarnings: deref(e.boolAttr(c.Attributes, "ignore_warnings")),
	}
	if cr.Limit < 0 {
		e.errorf(c.Attributes["limit"].Expr.Range(), invalidValue("limit"), "limit must be 0 or more, got %d", cr.Limit)
	}
	return cr
}

// header decodes `header { Name = ["value", ...] }`.
func (e *evaluator) header(blocks hcl.Blocks) map[string][]string {
	hb := e.singleBlock(blocks, "header")
	if hb == nil {
		return nil
	}
	attrs, diags := hb.Body.JustAttributes()
	e.addDiags(diags)
	out := make(map[string][]string, len(attrs))
	for _, a := range sortedAttributes(attrs) {
		out[a.Name] = e.stringListAttr(attrs, a.Name)
	}
	return out
}

func (e *evaluator) statusList(attrs hcl.Attributes) []int {
	a, v, ok := e.attrValue(attrs, "expected_status")
	if !ok {
		return nil
	}
	l, err := convert.Convert(v, cty.List(cty.Number))
	if err != nil || l.IsNull() {
		e.errorf(a.Expr.Range(), invalidValue("expected_status"), "expected_status must be a list of HTTP status codes, got %s", describe(v))
		return nil
	}
	var out []int
	for it := l.ElementIterator(); it.Next(); {
		_, ev := it.Element()
		n, acc := ev.AsBigFloat().Int64()
		if ev.IsNull() || acc != 0 || n < 100 || n > 599 {
			e.errorf(a.Expr.Range(), invalidValue("expected_status"), "expected_status must hold HTTP status codes from 100 to 599")
			return nil
		}
		out = append(out, int(n))
	}
	return out
}

// portRef decodes a service's or check's port: a label of the group's
// network block, or a port number.
func (e *evaluator) portRef(attrs hcl.Attributes, sc *serviceScope) string {
	a, v, ok := e.attrValue(attrs, "port")
	if !ok {
		return ""
	}
	if v.Type() == cty.Number {
		n := e.intAttr(attrs, "port")
		if n == nil {
			return ""
		}
		if *n < 1 || *n > 65535 {
			e.errorf(a.Expr.Range(), invalidValue("port"), "port must be a port number from 1 to 65535, got %d", *n)
		}
		return strconv.Itoa(*n)
	}
	label := deref(e.stringAttr(attrs, "port"))
	if _, err := strconv.Atoi(label); err == nil || label == "" {
		return label
	}
	if _, known := sc.ports[label]; !known {
		e.errorf(a.Expr.Range(), invalidValue("port"),
			"port %q is not a port label of the group's network block; want one of %s", label, labelList(sc.ports))
	}
	return label
}

func labelList(ports map[string]hcl.Range) string {
	if len(ports) == 0 {
		return "(none: the group has no network block with ports)"
	}
	labels := make([]string, 0, len(ports))
	for l := range ports {
		labels = append(labels, strconv.Quote(l))
	}
	sort.Strings(labels)
	return strings.Join(labels, ", ")
}

// oneOf reports a set attribute whose value is not among valid.
func (e *evaluator) oneOf(attrs hcl.Attributes, name, value string, valid []string) {
	if a := attrs[name]; a != nil && value != "" && !contains(valid, value) {
		e.errorf(a.Expr.Range(), invalidValue(name), "%s must be one of %s, got %q", name, strings.Join(valid, ", "), value)
	}
}

func setString(dst *string, v *string) {
	if v != nil {
		*dst = *v
	}
}

// deref returns *p, or the first of or (else the zero value) when p is nil.
func deref[T any](p *T, or ...T) T {
	if p != nil {
		return *p
	}
	var zero T
	if len(or) > 0 {
		return or[0]
	}
	return zero
}

func withArticle(word string) string {
	if strings.ContainsRune("aeiou", rune(word[0])) {
		return "an " + word
	}
	return "a " + word
}
