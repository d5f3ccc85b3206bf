package serviceregistration

import (
	"strconv"
	"strings"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// instance is one service block of the allocation, as registered.
type instance struct {
	service *structs.Service
	// task is the task the service belongs to; "" for a group service.
	task string
	reg  *structs.ServiceRegistration
	// checks are the service's checks, in order, with their targets.
	checks []*checkState
}

// instanceID names an instance after what makes it unique, like Nomad's
// _nomad-task-... IDs: allocation, owner, service and port.
func instanceID(allocID, owner, service, port string) string {
	return strings.Join([]string{"_orch", allocID, owner, service, port}, "-")
}

// buildInstances derives the allocation's instances from its job.
func buildInstances(alloc *structs.Allocation, node *structs.Node) []*instance {
	tg := alloc.Job.LookupTaskGroup(alloc.TaskGroup)
	if tg == nil {
		return nil
	}
	var out []*instance
	for _, s := range tg.Services {
		out = append(out, newInstance(alloc, node, s, "", "group-"+tg.Name))
	}
	for _, t := range tg.Tasks {
		for _, s := range t.Services {
			out = append(out, newInstance(alloc, node, s, t.Name, "task-"+t.Name))
		}
	}
	return out
}

func newInstance(alloc *structs.Allocation, node *structs.Node, s *structs.Service, task, owner string) *instance {
	addr, port := resolve(alloc, node, task, s.PortLabel, s.AddressMode)
	inst := &instance{service: s, task: task, reg: &structs.ServiceRegistration{
		ID:          instanceID(alloc.ID, owner, s.Name, s.PortLabel),
		ServiceName: s.Name,
		Namespace:   alloc.Namespace,
		NodeID:      alloc.NodeID,
		Datacenter:  node.Datacenter,
		JobID:       alloc.JobID,
		AllocID:     alloc.ID,
		Tags:        append([]string(nil), s.Tags...),
		Address:     addr,
		Port:        port,
		// The load balancers on every client find what to publish here.
		Publish: s.Publish.Copy(),
	}}
	for _, c := range s.Checks {
		caddr, cport := addr, port
		if c.PortLabel != "" && c.PortLabel != s.PortLabel {
			caddr, cport = resolve(alloc, node, task, c.PortLabel, s.AddressMode)
		}
		checkTask := c.TaskName
		if checkTask == "" {
			checkTask = task
		}
		inst.checks = append(inst.checks, &checkState{check: c, address: caddr, port: cport, task: checkTask,
			status: initialStatus(c)})
	}
	inst.reg.Status = inst.status()
	return inst
}

func initialStatus(c *structs.ServiceCheck) string {
	if c.InitialStatus != "" {
		return c.InitialStatus
	}
	return structs.HealthCritical
}

// resolve finds the address and port of a port label: the host port the
// scheduler assigned and the network's address (or the node's), or the
// port inside the task for address_mode = "driver". A number is taken as
// is, at the node's address.
func resolve(alloc *structs.Allocation, node *structs.Node, task, label, mode string) (string, int) {
	addr := nodeAddress(node)
	if label == "" {
		return addr, 0
	}
	if n, err := strconv.Atoi(label); err == nil {
		return addr, n
	}
	for _, p := range alloc.AllocatedResources.TaskPorts(task) {
		if p.Label != label {
			continue
		}
		if p.HostIP != "" {
			addr = p.HostIP
		}
		if mode == "driver" && p.To > 0 {
			return addr, p.To
		}
		return addr, p.Value
	}
	return addr, 0
}

func nodeAddress(node *structs.Node) string {
	if node != nil {
		if ip := node.Attributes["unique.network.ip-address"]; ip != "" {
			return ip
		}
	}
	return "127.0.0.1"
}

// status is the worst of the instance's checks; passing without checks.
func (i *instance) status() string {
	worst := structs.HealthPassing
	for _, c := range i.checks {
		switch c.status {
		case structs.HealthCritical:
			return structs.HealthCritical
		case structs.HealthWarning:
			worst = structs.HealthWarning
		}
	}
	return worst
}
