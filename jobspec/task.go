package jobspec

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/orch-dev/orch/api"
)

var taskSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "driver"},
		{Name: "user"},
		{Name: "config"},
		{Name: "env"},
		{Name: "meta"},
		{Name: "kill_timeout"},
		{Name: "kill_signal"},
		{Name: "leader"},
		{Name: "shutdown_delay"},
	},
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "config"},
		{Type: "env"},
		{Type: "meta"},
		{Type: "resources"},
		{Type: "restart"},
		{Type: "logs"},
		{Type: "constraint"},
		{Type: "affinity"},
		{Type: "lifecycle"},
		{Type: "artifact"},
		{Type: "dispatch_payload"},
		{Type: "volume_mount"},
		{Type: "service"},
		{Type: "template"},
	},
}

var resourcesSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "cpu"}, {Name: "cores"}, {Name: "memory"}, {Name: "memory_max"}},
}

var logsSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "max_files"}, {Name: "max_file_size"}, {Name: "disabled"}},
}

// task decodes a `task "name" { ... }` block. groupVolumes are the volumes
// its group declares, which its volume_mount blocks may name.
func (e *evaluator) task(b *hcl.Block, groupVolumes map[string]hcl.Range, sc *serviceScope) *api.Task {
	name := b.Labels[0]
	if name == "" {
		e.errorf(b.LabelRanges[0], "Invalid task name", "the task name (the label of the task block) must not be empty")
	}
	c := e.content(b.Body, scopeTask, taskSchema)
	t := &api.Task{
		Name:        name,
		Config:      e.taskConfig(c),
		Env:         e.stringMapAttrOrBlock(c, "env"),
		Meta:        e.stringMapAttrOrBlock(c, "meta"),
		KillTimeout: e.durationAttr(c.Attributes, "kill_timeout"),
		Constraints: e.constraints(c.Blocks),
		Affinities:  e.affinities(c.Blocks),
	}
	if s := e.stringAttr(c.Attributes, "driver"); s != nil {
		t.Driver = *s
	}
	if t.Driver == "" {
		rng := b.DefRange
		if a := c.Attributes["driver"]; a != nil {
			rng = a.Expr.Range()
		}
		e.errorf(rng, "Missing driver", "task %q needs a driver, for example driver = \"raw_exec\"", name)
	}
	if s := e.stringAttr(c.Attributes, "user"); s != nil {
		t.User = *s
	}
	if s := e.stringAttr(c.Attributes, "kill_signal"); s != nil {
		t.KillSignal = *s
	}
	if l := e.boolAttr(c.Attributes, "leader"); l != nil {
		t.Leader = *l
	}
	if d := e.durationAttr(c.Attributes, "shutdown_delay"); d != nil {
		t.ShutdownDelay = *d
	}
	if rb := e.singleBlock(c.Blocks, "resources"); rb != nil {
		t.Resources = e.resources(rb)
	}
	if rb := e.singleBlock(c.Blocks, "restart"); rb != nil {
		t.RestartPolicy = e.restart(rb)
	}
	if lb := e.singleBlock(c.Blocks, "logs"); lb != nil {
		t.LogConfig = e.logs(lb)
	}
	if lb := e.singleBlock(c.Blocks, "lifecycle"); lb != nil {
		t.Lifecycle = e.lifecycle(lb)
	}
	if db := e.singleBlock(c.Blocks, "dispatch_payload"); db != nil {
		t.DispatchPayload = e.dispatchPayload(db)
	}
	for _, ab := range blocksOf(c.Blocks, "artifact") {
		t.Artifacts = append(t.Artifacts, e.artifact(ab))
	}
	t.VolumeMounts = e.volumeMounts(c.Blocks, groupVolumes)
	t.Services = e.services(c.Blocks, sc, name)
	t.Templates = e.templates(c.Blocks)
	e.checkDriverConfig(t.Driver, c, b.DefRange)
	return t
}

func (e *evaluator) resources(b *hcl.Block) *api.Resources {
	c := e.content(b.Body, scopeResources, resourcesSchema)
	r := &api.Resources{
		CPU:         e.intAttr(c.Attributes, "cpu"),
		Cores:       e.intAttr(c.Attributes, "cores"),
		MemoryMB:    e.intAttr(c.Attributes, "memory"),
		MemoryMaxMB: e.intAttr(c.Attributes, "memory_max"),
	}
	rangeOf := func(name string) hcl.Range { return c.Attributes[name].Expr.Range() }
	if r.CPU != nil && *r.CPU <= 0 {
		e.errorf(rangeOf("cpu"), invalidValue("cpu"), "cpu is in MHz and must be more than 0, got %d", *r.CPU)
	}
	if r.Cores != nil && *r.Cores < 0 {
		e.errorf(rangeOf("cores"), invalidValue("cores"), "cores must be 0 or more, got %d", *r.Cores)
	}
	if r.CPU != nil && r.Cores != nil && *r.Cores > 0 {
		e.errorf(rangeOf("cores"), "Conflicting resources", "set either cpu or cores, not both")
	}
	if r.MemoryMB != nil && *r.MemoryMB <= 0 {
		e.errorf(rangeOf("memory"), invalidValue("memory"), "memory is in MB and must be more than 0, got %d", *r.MemoryMB)
	}
	if r.MemoryMaxMB != nil {
		// Compare against what memory will be once defaulted, since a
		// limit below the reservation can never be honoured.
		memory := api.DefaultMemoryMB
		if r.MemoryMB != nil {
			memory = *r.MemoryMB
		}
		if *r.MemoryMaxMB < memory {
			e.errorf(rangeOf("memory_max"), invalidValue("memory_max"),
				"memory_max must be at least memory (%d MB), got %d", memory, *r.MemoryMaxMB)
		}
	}
	e.checkCapacity(c.Attributes, r)
	return r
}

func (e *evaluator) logs(b *hcl.Block) *api.LogConfig {
	c := e.content(b.Body, "logs", logsSchema)
	l := &api.LogConfig{
		MaxFiles:      e.intAttr(c.Attributes, "max_files"),
		MaxFileSizeMB: e.intAttr(c.Attributes, "max_file_size"),
		Disabled:      e.boolAttr(c.Attributes, "disabled"),
	}
	if n := l.MaxFiles; n != nil && *n < 1 {
		e.errorf(c.Attributes["max_files"].Expr.Range(), invalidValue("max_files"),
			"max_files must be at least 1, got %d", *n)
	}
	if n := l.MaxFileSizeMB; n != nil && *n < 1 {
		e.errorf(c.Attributes["max_file_size"].Expr.Range(), invalidValue("max_file_size"),
			"max_file_size is in MB and must be at least 1, got %d", *n)
	}
	return l
}

// taskConfig decodes the driver's free-form config, given as a block or as
// a map attribute. Its schema belongs to the driver: any attribute and
// nested block is decoded here, and checkDriverConfig then reports keys
// the driver does not accept when the caller gave the drivers' schemas.
func (e *evaluator) taskConfig(c *hcl.BodyContent) map[string]interface{} {
	attr := c.Attributes["config"]
	block := e.singleBlock(c.Blocks, "config")
	if attr != nil && block != nil {
		e.errorf(block.DefRange, "Duplicate config",
			"config is already set as an argument at %s; use either the block or the argument", attr.Range)
		return nil
	}
	if attr != nil {
		v, ok := e.value(attr.Expr)
		if !ok || v.IsNull() {
			return nil
		}
		if !v.Type().IsObjectType() && !v.Type().IsMapType() {
			e.errorf(attr.Expr.Range(), invalidValue("config"), "config must be a map, got %s", describe(v))
			return nil
		}
		gv, err := goValue(v)
		if err != nil {
			e.errorf(attr.Expr.Range(), invalidValue("config"), "%s", err)
			return nil
		}
		m, _ := gv.(map[string]interface{})
		return m
	}
	if block == nil {
		return nil
	}
	body, ok := block.Body.(*hclsyntax.Body)
	if !ok {
		return nil
	}
	return e.freeform(body)
}

// freeform decodes an arbitrary body the way Nomad hands driver config
// over: attributes as values, each nested block type as a list of maps,
// and block labels as further levels of nesting
// (`mount "data" { ... }` becomes mount: [{data: [{...}]}]).
func (e *evaluator) freeform(body *hclsyntax.Body) map[string]interface{} {
	out := make(map[string]interface{}, len(body.Attributes)+len(body.Blocks))
	attrs := make(hcl.Attributes, len(body.Attributes))
	for name, a := range body.Attributes {
		attrs[name] = a.AsHCLAttribute()
	}
	for _, a := range sortedAttributes(attrs) {
		v, ok := e.value(a.Expr)
		if !ok {
			continue
		}
		gv, err := goValue(v)
		if err != nil {
			e.errorf(a.Expr.Range(), invalidValue(a.Name), "%s", err)
			continue
		}
		out[a.Name] = gv
	}
	for _, b := range body.Blocks {
		if _, clash := body.Attributes[b.Type]; clash {
			e.errorf(b.TypeRange, "Duplicate config key",
				"%q is set both as an argument and as a block; use one", b.Type)
			continue
		}
		inner := e.freeform(b.Body)
		for i := len(b.Labels) - 1; i >= 0; i-- {
			inner = map[string]interface{}{b.Labels[i]: []map[string]interface{}{inner}}
		}
		list, _ := out[b.Type].([]map[string]interface{})
		out[b.Type] = append(list, inner)
	}
	return out
}
