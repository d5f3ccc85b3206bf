package feasible

import (
	"fmt"
	"strconv"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// DistinctPropertyChecker enforces distinct_property constraints: at most N
// allocations of the job (for a constraint on the job) or of the task group
// (for one on the group or on one of its tasks) may run on nodes that share
// one value of a node property, N being the constraint's value, 1 when it
// has none. A node without the property is infeasible: there is no telling
// which value its allocations would count against.
//
// Like distinct_hosts it depends on the plan being built, so its verdict is
// not cached with the static checkers.
type DistinctPropertyChecker struct {
	ctx    *Context
	limits []propertyLimit
}

type propertyLimit struct {
	key propertyKey
	// max is 0 when the constraint's value is not a whole number of at
	// least 1; every node is then rejected with reason, which names the
	// value, rather than the constraint being silently dropped.
	max    int
	reason string
	unset  string
}

// NewDistinctPropertyChecker collects the distinct_property constraints
// that apply to tg: the job's, counted over the whole job, and the group's
// and its tasks', counted over the group.
func NewDistinctPropertyChecker(ctx *Context, job *structs.Job, tg *structs.TaskGroup) *DistinctPropertyChecker {
	d := &DistinctPropertyChecker{ctx: ctx}
	d.add(job.Constraints, "")
	d.add(tg.Constraints, tg.Name)
	for _, t := range tg.Tasks {
		d.add(t.Constraints, tg.Name)
	}
	return d
}

func (d *DistinctPropertyChecker) add(cs []*structs.Constraint, group string) {
	for _, c := range cs {
		if c == nil || c.Operand != OpDistinctProperty {
			continue
		}
		l := propertyLimit{
			key:    propertyKey{target: c.LTarget, group: group},
			max:    1,
			reason: DistinctPropertyReason(c.LTarget),
			unset:  DistinctPropertyReason(c.LTarget) + " not set",
		}
		if c.RTarget != "" {
			n, err := strconv.Atoi(c.RTarget)
			if err != nil || n < 1 {
				n = 0
				l.reason = fmt.Sprintf("%s: value %q is not a whole number of at least 1", l.reason, c.RTarget)
			}
			l.max = n
		}
		d.limits = append(d.limits, l)
	}
}

// DistinctPropertyReason is the metric key of a node rejected because
// enough allocations already share its value of target.
func DistinctPropertyReason(target string) string {
	return OpDistinctProperty + ": " + target
}

// planFeasible reports whether one more allocation of the group may go to
// node. The error is a failure to read state while counting.
func (d *DistinctPropertyChecker) planFeasible(node *structs.Node) (bool, string, error) {
	for _, l := range d.limits {
		if l.max == 0 {
			return false, l.reason, nil
		}
		value, ok := d.ctx.resolveTarget(l.key.target, node)
		if !ok {
			return false, l.unset, nil
		}
		counts, err := d.ctx.propertyCounts(l.key)
		if err != nil {
			return false, "", err
		}
		if counts.byValue[value] >= l.max {
			return false, l.reason, nil
		}
	}
	return true, "", nil
}

// propertyKey names one set of counts: a property and the allocations
// counted, those of one task group or, with group empty, the whole job's.
type propertyKey struct {
	target string
	group  string
}

// propertyCounts counts the job's live allocations per value of a property
// of the node each runs on.
type propertyCounts struct {
	key     propertyKey
	byValue map[string]int
	// members records the value each counted allocation is counted
	// under, so that a stop or an update can take it back.
	members map[string]string
}

func (pc *propertyCounts) add(allocID, value string) {
	pc.members[allocID] = value
	pc.byValue[value]++
}

func (pc *propertyCounts) remove(allocID string) {
	value, ok := pc.members[allocID]
	if !ok {
		return
	}
	delete(pc.members, allocID)
	if pc.byValue[value]--; pc.byValue[value] <= 0 {
		delete(pc.byValue, value)
	}
}

// propertyTracker is the Context's share of distinct_property: the counts
// built so far, kept current as the plan changes, and the nodes read to
// resolve property values.
type propertyTracker struct {
	counts map[propertyKey]*propertyCounts
	// nodes caches NodeByID; a nil entry is a node that no longer exists.
	nodes map[string]*structs.Node
	// err is the first state read that failed while following a plan
	// change, which has no error return; the next count read reports it.
	err error
}

func newPropertyTracker() propertyTracker {
	return propertyTracker{counts: make(map[propertyKey]*propertyCounts), nodes: make(map[string]*structs.Node)}
}

// propertyCounts returns the counts for key, built on first use from the
// job's allocations in state as the plan leaves them.
func (c *Context) propertyCounts(key propertyKey) (*propertyCounts, error) {
	if c.props.err != nil {
		return nil, c.props.err
	}
	if pc, ok := c.props.counts[key]; ok {
		return pc, nil
	}
	live, err := c.liveJobAllocs()
	if err != nil {
		return nil, err
	}
	pc := &propertyCounts{key: key, byValue: make(map[string]int), members: make(map[string]string)}
	for _, a := range live {
		if err := c.countProperty(pc, a); err != nil {
			return nil, err
		}
	}
	c.props.counts[key] = pc
	return pc, nil
}

// liveJobAllocs returns the job's allocations that still run once the plan
// applies: those in state, in the plan's version where the plan changes
// them, less those it stops, plus the ones it places.
func (c *Context) liveJobAllocs() ([]*structs.Allocation, error) {
	if c.job == nil {
		return nil, nil
	}
	existing, err := c.state.AllocsByJob(c.job.Namespace, c.job.ID)
	if err != nil {
		return nil, fmt.Errorf("reading allocations of job %s: %w", c.job.ID, err)
	}
	latest := make(map[string]*structs.Allocation, len(existing))
	for _, a := range existing {
		latest[a.ID] = a
	}
	for _, allocs := range c.plan.NodeAllocation {
		for _, a := range allocs {
			if c.ownAlloc(a) {
				latest[a.ID] = a
			}
		}
	}
	for _, allocs := range c.plan.NodeUpdate {
		for _, a := range allocs {
			delete(latest, a.ID)
		}
	}
	out := make([]*structs.Allocation, 0, len(latest))
	for _, a := range latest {
		if !a.TerminalStatus() {
			out = append(out, a)
		}
	}
	return out, nil
}

func (c *Context) ownAlloc(a *structs.Allocation) bool {
	return c.job != nil && a.JobID == c.job.ID && a.Namespace == c.job.Namespace
}

// countProperty (re)counts a, the newest version of an allocation, in pc:
// it counts when it is the job's, of pc's group, not terminal, not
// stopped by the plan, and its node has the property.
func (c *Context) countProperty(pc *propertyCounts, a *structs.Allocation) error {
	pc.remove(a.ID)
	if a.TerminalStatus() || !c.ownAlloc(a) || containsAlloc(c.plan.NodeUpdate[a.NodeID], a.ID) {
		return nil
	}
	if pc.key.group != "" && a.TaskGroup != pc.key.group {
		return nil
	}
	node, err := c.propertyNode(a.NodeID)
	if err != nil || node == nil {
		return err
	}
	if value, ok := c.resolveTarget(pc.key.target, node); ok {
		pc.add(a.ID, value)
	}
	return nil
}

func (c *Context) propertyNode(id string) (*structs.Node, error) {
	if node, ok := c.props.nodes[id]; ok {
		return node, nil
	}
	node, err := c.state.NodeByID(id)
	if err != nil {
		return nil, fmt.Errorf("reading node %s: %w", id, err)
	}
	c.props.nodes[id] = node
	return node, nil
}

// trackProperties follows a placement or update of alloc in every count
// built so far.
func (c *Context) trackProperties(alloc *structs.Allocation) {
	for _, pc := range c.props.counts {
		if err := c.countProperty(pc, alloc); err != nil && c.props.err == nil {
			c.props.err = err
		}
	}
}

// untrackProperties follows a stop.
func (c *Context) untrackProperties(allocID string) {
	for _, pc := range c.props.counts {
		pc.remove(allocID)
	}
}
