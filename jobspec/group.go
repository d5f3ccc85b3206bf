package jobspec

import (
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/orch-dev/orch/api"
)

var groupSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "count"},
		{Name: "meta"},
		{Name: "completions"},
		{Name: "parallelism"},
		{Name: "shutdown_delay"},
	},
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "constraint"},
		{Type: "affinity"},
		{Type: "spread"},
		{Type: "restart"},
		{Type: "ephemeral_disk"},
		{Type: "network"},
		{Type: "meta"},
		{Type: "migrate"},
		{Type: "reschedule"},
		{Type: "volume", LabelNames: []string{"name"}},
		{Type: "update"},
		{Type: "task", LabelNames: []string{"name"}},
		{Type: "scaling"},
		{Type: "service"},
	},
}

var migrateSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "max_parallel"}, {Name: "health_check"}, {Name: "min_healthy_time"}, {Name: "healthy_deadline"},
	},
}

var migrateHealthChecks = []string{api.MigrateHealthCheckChecks, api.MigrateHealthCheckTaskStates}

var restartSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "attempts"}, {Name: "interval"}, {Name: "delay"}, {Name: "mode"},
	},
}

var ephemeralDiskSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "size"}, {Name: "sticky"}, {Name: "migrate"}},
}

var networkSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "mode"}, {Name: "mbits"}},
	Blocks:     []hcl.BlockHeaderSchema{{Type: "port", LabelNames: []string{"label"}}},
}

var portSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "static"}, {Name: "to"}, {Name: "host_network"}},
}

var restartModes = []string{api.RestartPolicyModeFail, api.RestartPolicyModeDelay}

// group decodes a `group "name" { ... }` block.
func (e *evaluator) group(b *hcl.Block, jobName string) *api.TaskGroup {
	name := b.Labels[0]
	if name == "" {
		e.errorf(b.LabelRanges[0], "Invalid group name", "the group name (the label of the group block) must not be empty")
	}
	c := e.content(b.Body, scopeGroup, groupSchema)
	tg := &api.TaskGroup{
		Name:        &name,
		Count:       e.intAttr(c.Attributes, "count"),
		Constraints: e.constraints(c.Blocks),
		Affinities:  e.affinities(c.Blocks),
		Spreads:     e.spreads(c.Blocks),
		Meta:        e.stringMapAttrOrBlock(c, "meta"),
		// A negative delay is reported at its file:line by durationAttr.
		ShutdownDelay: e.durationAttr(c.Attributes, "shutdown_delay"),
	}
	if n := tg.Count; n != nil && *n < 0 {
		e.errorf(c.Attributes["count"].Expr.Range(), invalidValue("count"), "count must be 0 or more, got %d", *n)
	}
	if rb := e.singleBlock(c.Blocks, "restart"); rb != nil {
		tg.RestartPolicy = e.restart(rb)
	}
	if db := e.singleBlock(c.Blocks, "ephemeral_disk"); db != nil {
		tg.EphemeralDisk = e.ephemeralDisk(db)
	}
	if mb := e.singleBlock(c.Blocks, "migrate"); mb != nil {
		tg.Migrate = e.migrate(mb)
	}
	if rb := e.singleBlock(c.Blocks, "reschedule"); rb != nil {
		tg.ReschedulePolicy = e.reschedule(rb)
	}
	e.completions(c.Attributes, tg)
	if ub := e.singleBlock(c.Blocks, "update"); ub != nil {
		tg.Update = e.update(ub)
	}
	if sb := e.singleBlock(c.Blocks, "scaling"); sb != nil {
		tg.Scaling = e.scaling(sb, tg.Count, c.Attributes)
	}
	ports := make(map[string]hcl.Range)
	for _, nb := range blocksOf(c.Blocks, "network") {
		tg.Networks = append(tg.Networks, e.network(nb, ports))
	}
	volumes, declared := e.volumes(c.Blocks)
	tg.Volumes = volumes
	sc := &serviceScope{job: jobName, group: name, ports: ports, names: make(map[string]hcl.Range)}
	tg.Services = e.services(c.Blocks, sc, "")

	tasks := blocksOf(c.Blocks, "task")
	if len(tasks) == 0 {
		e.errorf(b.DefRange, "Missing task block",
			"group %q has no task block; a group needs at least one task", name)
	}
	seen := make(map[string]hcl.Range, len(tasks))
	for _, tb := range tasks {
		taskName := tb.Labels[0]
		if first, dup := seen[taskName]; dup {
			e.errorf(tb.LabelRanges[0], "Duplicate task name",
				"task names must be unique within a group; %q is already used at %s", taskName, first)
		} else {
			seen[taskName] = tb.LabelRanges[0]
		}
		tg.Tasks = append(tg.Tasks, e.task(tb, declared, sc))
	}
	return tg
}

// restart decodes a restart block of a group or a task.
func (e *evaluator) restart(b *hcl.Block) *api.RestartPolicy {
	c := e.content(b.Body, "restart", restartSchema)
	rp := &api.RestartPolicy{
		Attempts: e.intAttr(c.Attributes, "attempts"),
		Interval: e.durationAttr(c.Attributes, "interval"),
		Delay:    e.durationAttr(c.Attributes, "delay"),
		Mode:     e.stringAttr(c.Attributes, "mode"),
	}
	if n := rp.Attempts; n != nil && *n < 0 {
		e.errorf(c.Attributes["attempts"].Expr.Range(), invalidValue("attempts"),
			"attempts must be 0 or more, got %d", *n)
	}
	if m := rp.Mode; m != nil && !contains(restartModes, *m) {
		e.errorf(c.Attributes["mode"].Expr.Range(), invalidValue("mode"),
			"mode must be one of %s, got %q", strings.Join(restartModes, ", "), *m)
	}
	return rp
}

// migrate decodes a group's migrate block; unset fields are left for
// Canonicalize to default.
func (e *evaluator) migrate(b *hcl.Block) *api.MigrateStrategy {
	c := e.content(b.Body, "migrate", migrateSchema)
	m := &api.MigrateStrategy{
		MaxParallel:     e.intAttr(c.Attributes, "max_parallel"),
		HealthCheck:     e.stringAttr(c.Attributes, "health_check"),
		MinHealthyTime:  e.durationAttr(c.Attributes, "min_healthy_time"),
		HealthyDeadline: e.durationAttr(c.Attributes, "healthy_deadline"),
	}
	if n := m.MaxParallel; n != nil && *n < 1 {
		e.errorf(c.Attributes["max_parallel"].Expr.Range(), invalidValue("max_parallel"),
			"max_parallel must be 1 or more, got %d", *n)
	}
	if hc := m.HealthCheck; hc != nil && !contains(migrateHealthChecks, *hc) {
		e.errorf(c.Attributes["health_check"].Expr.Range(), invalidValue("health_check"),
			"health_check must be one of %s, got %q", strings.Join(migrateHealthChecks, ", "), *hc)
	}
	if m.MinHealthyTime != nil && m.HealthyDeadline != nil && *m.MinHealthyTime > *m.HealthyDeadline {
		e.errorf(c.Attributes["min_healthy_time"].Expr.Range(), invalidValue("min_healthy_time"),
			"min_healthy_time (%s) must not be longer than healthy_deadline (%s)", *m.MinHealthyTime, *m.HealthyDeadline)
	}
	return m
}

func (e *evaluator) ephemeralDisk(b *hcl.Block) *api.EphemeralDisk {
	c := e.content(b.Body, "ephemeral_disk", ephemeralDiskSchema)
	d := &api.EphemeralDisk{
		SizeMB:  e.intAttr(c.Attributes, "size"),
		Sticky:  e.boolAttr(c.Attributes, "sticky"),
		Migrate: e.boolAttr(c.Attributes, "migrate"),
	}
	if n := d.SizeMB; n != nil && *n <= 0 {
		e.errorf(c.Attributes["size"].Expr.Range(), invalidValue("size"),
			"size is in MB and must be more than 0, got %d", *n)
	}
	return d
}

// network decodes a group's network block. Ports with a static number are
// reserved as given; the others are picked by the scheduler. seen holds
// the port labels of the whole group, which must be unique because tasks
// find their ports by label (NOMAD_PORT_<label>).
func (e *evaluator) network(b *hcl.Block, seen map[string]hcl.Range) *api.NetworkResource {
	c := e.content(b.Body, scopeNetwork, networkSchema)
	n := &api.NetworkResource{MBits: e.intAttr(c.Attributes, "mbits")}
	if mode := e.stringAttr(c.Attributes, "mode"); mode != nil {
		n.Mode = *mode
		if !validNetworkMode(*mode) {
			e.errorf(c.Attributes["mode"].Expr.Range(), invalidValue("mode"),
				"mode must be one of host, bridge, none or cni/<name>, got %q", *mode)
		}
	}
	for _, pb := range blocksOf(c.Blocks, "port") {
		label := pb.Labels[0]
		if first, dup := seen[label]; dup {
			e.errorf(pb.LabelRanges[0], "Duplicate port label",
				"port labels must be unique within a group; %q is already used at %s", label, first)
		} else {
			seen[label] = pb.LabelRanges[0]
		}
		port, static := e.port(pb)
		if static {
			n.ReservedPorts = append(n.ReservedPorts, port)
		} else {
			n.DynamicPorts = append(n.DynamicPorts, port)
		}
	}
	return n
}

func validNetworkMode(mode string) bool {
	switch mode {
	case "", "host", "bridge", "none":
		return true
	}
	return strings.HasPrefix(mode, "cni/") && len(mode) > len("cni/")
}

func (e *evaluator) port(b *hcl.Block) (api.Port, bool) {
	label := b.Labels[0]
	if label == "" {
		e.errorf(b.LabelRanges[0], "Invalid port label", "the port label must not be empty")
	}
	c := e.content(b.Body, "port", portSchema)
	p := api.Port{Label: label}
	static := e.intAttr(c.Attributes, "static")
	if static != nil {
		p.Value = *static
		if *static < 1 || *static > 65535 {
			e.errorf(c.Attributes["static"].Expr.Range(), invalidValue("static"),
				"static must be a port number from 1 to 65535, got %d", *static)
		}
	}
	if to := e.intAttr(c.Attributes, "to"); to != nil {
		p.To = *to
		// -1 maps the port to the same number inside the task.
		if *to < -1 || *to > 65535 {
			e.errorf(c.Attributes["to"].Expr.Range(), invalidValue("to"),
				"to must be -1 or a port number from 0 to 65535, got %d", *to)
		}
	}
	if hn := e.stringAttr(c.Attributes, "host_network"); hn != nil {
		p.HostNetwork = *hn
	}
	return p, static != nil
}
