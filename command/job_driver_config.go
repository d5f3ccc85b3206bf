package command

import (
	"errors"
	"fmt"

	"github.com/orch-dev/orch/api"
	"github.com/orch-dev/orch/drivers/catalog"
	"github.com/orch-dev/orch/drivers/docker"
	"github.com/orch-dev/orch/jobspec"
)

// builtinConfigSchema gives jobspec the config keys of the drivers built
// into this binary, whatever the catalog holds. A driver it does not know
// may be a plugin installed on the clients; its config is left to it.
func builtinConfigSchema(driver string) ([]jobspec.ConfigKey, bool) {
	spec, err := catalog.ConfigSpec(driver)
	if err != nil {
		return nil, false
	}
	keys := make([]jobspec.ConfigKey, len(spec))
	for i, f := range spec {
		keys[i] = jobspec.ConfigKey{Name: f.Name, Required: f.Required}
	}
	return keys, true
}

// validateDriverConfigs runs each built-in driver's own check of its
// tasks' config blocks: value types and nested blocks, which jobspec's key
// check does not know, and the only check a JSON job gets before it is
// registered.
func validateDriverConfigs(path string, job *api.Job) error {
	var errs []error
	for _, tg := range job.TaskGroups {
		if tg == nil {
			continue
		}
		group := ""
		if tg.Name != nil {
			group = *tg.Name
		}
		for _, t := range tg.Tasks {
			if t == nil {
				continue
			}
			err := catalog.ValidateTaskConfig(t.Driver, t.Config)
			if err == nil && t.Driver == docker.Name {
				err = docker.ValidatePortLabels(t.Config, portLabels(tg, t))
			}
			if err == nil || errors.Is(err, catalog.ErrUnknownDriver) {
				continue
			}
			errs = append(errs, fmt.Errorf("group %q, task %q: invalid %s config: %w", group, t.Name, t.Driver, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("validating job file %s:\n%w", path, err)
	}
	return nil
}

// portLabels are the labels a task's ports may name: those of its group's
// network blocks and of its own resources' (the older per-task form), the
// same set the client hands the driver.
func portLabels(tg *api.TaskGroup, t *api.Task) []string {
	nets := append([]*api.NetworkResource(nil), tg.Networks...)
	if t.Resources != nil {
		nets = append(nets, t.Resources.Networks...)
	}
	var labels []string
	for _, n := range nets {
		if n == nil {
			continue
		}
		for _, p := range append(append([]api.Port(nil), n.ReservedPorts...), n.DynamicPorts...) {
			labels = append(labels, p.Label)
		}
	}
	return labels
}
