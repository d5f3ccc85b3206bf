package feasible

import (
	"fmt"
	"math/rand/v2"
	"regexp"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-version"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// AllocSource is the part of the cluster state the checkers and rankers
// read: what already runs on a node, what the job already runs, and the
// nodes those allocations are on. The scheduler's State satisfies it.
type AllocSource interface {
	// AllocsByNode returns every allocation on a node, terminal ones
	// included.
	AllocsByNode(nodeID string) ([]*structs.Allocation, error)
	// AllocsByJob returns every allocation of a job, terminal ones
	// included.
	AllocsByJob(namespace, jobID string) ([]*structs.Allocation, error)
	// NodeByID returns a node, or nil when it no longer exists.
	NodeByID(id string) (*structs.Node, error)
}

// Context is the per-evaluation state shared by the checkers and rankers:
// the plan being built (so a node's usage includes earlier placements of the
// same evaluation), the random source, and caches of compiled constraint
// operands. It is not safe for concurrent use; one evaluation runs on one
// goroutine.
type Context struct {
	logger hclog.Logger
	state  AllocSource
	plan   *structs.Plan
	rng    *rand.Rand
	job    *structs.Job

	usage map[string]*nodeUsage
	// fit scores how well an allocation fits a node: bin-packing or its
	// reverse, from the scheduler configuration (SetSchedulerConfig).
	fit func(avail, used structs.ComparableResources) float64
	// memoryOversubscription grants tasks their memory_max.
	memoryOversubscription bool
	// props holds the distinct_property counts built so far; see
	// distinct_property.go.
	props propertyTracker
	// eligibility caches driver and constraint verdicts per computed
	// class; see class_eligibility.go.
	eligibility *EvalEligibility

	// Operand caches. A nil entry records an operand that failed to
	// parse, so a bad constraint is parsed once, not once per node.
	regexps  map[string]*regexp.Regexp
	versions map[string]*version.Version
	semvers  map[string]*version.Version
	vcons    map[string]version.Constraints
	scons    map[string]semverConstraints
	// sets caches the split right-hand side of set_contains constraints,
	// which every node's check would otherwise split again.
	sets map[string][]string
}

// NewContext returns a context for planning job into plan. The plan must be
// changed only through the context (AddPlaced, AddStopped, AddUpdated) once
// a node's usage may have been read, or the usage goes stale.
func NewContext(logger hclog.Logger, state AllocSource, plan *structs.Plan, job *structs.Job, rng *rand.Rand) *Context {
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	return &Context{
		logger:   logger,
		state:    state,
		plan:     plan,
		rng:      rng,
		job:      job,
		usage:    make(map[string]*nodeUsage),
		fit:      BinPackScore,
		props:    newPropertyTracker(),
		regexps:  make(map[string]*regexp.Regexp),
		versions: make(map[string]*version.Version),
		semvers:  make(map[string]*version.Version),
		vcons:    make(map[string]version.Constraints),
		scons:    make(map[string]semverConstraints),
		sets:     make(map[string][]string),
	}
}

// Plan returns the plan the context writes to.
func (c *Context) Plan() *structs.Plan { return c.plan }

// Eligibility returns what the evaluation learned about computed classes
// so far, for the scheduler to record on a blocked evaluation.
// It is created on first use, so contexts built as literals in tests work.
func (c *Context) Eligibility() *EvalEligibility {
	if c.eligibility == nil {
		c.eligibility = newEvalEligibility()
	}
	return c.eligibility
}

// AddPlaced records a new or updated allocation in the plan and in the
// usage of its node.
func (c *Context) AddPlaced(alloc *structs.Allocation) {
	c.plan.AppendAlloc(alloc)
	if u, ok := c.usage[alloc.NodeID]; ok {
		u.add(alloc, c.job)
	}
	c.trackProperties(alloc)
}

// AddStopped records that alloc stops, freeing its resources on its node.
// clientStatus, when not empty, overrides the client status (for "lost").
// It returns the stopped copy in the plan so callers can annotate it.
func (c *Context) AddStopped(alloc *structs.Allocation, desc, clientStatus string) *structs.Allocation {
	c.plan.AppendStoppedAlloc(alloc, desc)
	list := c.plan.NodeUpdate[alloc.NodeID]
	stopped := list[len(list)-1]
	if clientStatus != "" {
		stopped.ClientStatus = clientStatus
	}
	// Usage built before this stop still counts the allocation: rebuild
	// it lazily from state and plan the next time the node is looked at.
	c.dropUsage(alloc.NodeID)
	c.untrackProperties(alloc.ID)
	return stopped
}

// AddUpdated records an in-place change of an allocation that keeps its
// node and resources (a new job version, a follow-up evaluation ID).
func (c *Context) AddUpdated(alloc *structs.Allocation) {
	c.plan.AppendAlloc(alloc)
	c.dropUsage(alloc.NodeID)
	c.trackProperties(alloc)
}

func (c *Context) dropUsage(nodeID string) {
	if u, ok := c.usage[nodeID]; ok {
		u.stale = true
		delete(c.usage, nodeID)
	}
}

func (c *Context) regexp(pattern string) *regexp.Regexp {
	if re, ok := c.regexps[pattern]; ok {
		return re
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		c.logger.Debug("invalid regexp in constraint", "pattern", pattern, "error", err)
		re = nil
	}
	c.regexps[pattern] = re
	return re
}

func (c *Context) version(v string) *version.Version {
	if parsed, ok := c.versions[v]; ok {
		return parsed
	}
	parsed, err := version.NewVersion(v)
	if err != nil {
		parsed = nil
	}
	c.versions[v] = parsed
	return parsed
}

func (c *Context) semver(v string) *version.Version {
	if parsed, ok := c.semvers[v]; ok {
		return parsed
	}
	parsed, err := version.NewSemver(v)
	if err != nil {
		parsed = nil
	}
	c.semvers[v] = parsed
	return parsed
}

func (c *Context) versionConstraints(s string) version.Constraints {
	if cons, ok := c.vcons[s]; ok {
		return cons
	}
	cons, err := version.NewConstraint(s)
	if err != nil {
		c.logger.Debug("invalid version constraint", "constraint", s, "error", err)
		cons = nil
	}
	c.vcons[s] = cons
	return cons
}

func (c *Context) setItems(s string) []string {
	if items, ok := c.sets[s]; ok {
		return items
	}
	items := splitSet(s)
	c.sets[s] = items
	return items
}

func (c *Context) semverConstraints(s string) semverConstraints {
	if cons, ok := c.scons[s]; ok {
		return cons
	}
	cons, err := parseSemverConstraints(s)
	if err != nil {
		c.logger.Debug("invalid semver constraint", "constraint", s, "error", err)
		cons = nil
	}
	c.scons[s] = cons
	return cons
}

// nodeUsageFor returns what is in use on node: allocations in state that
// are still running and not stopped by the plan, plus the plan's own
// placements there.
func (c *Context) nodeUsageFor(node *structs.Node) (*nodeUsage, error) {
	if u, ok := c.usage[node.ID]; ok {
		return u, nil
	}
	existing, err := c.state.AllocsByNode(node.ID)
	if err != nil {
		return nil, fmt.Errorf("reading allocations of node %s: %w", node.ID, err)
	}
	return c.buildUsage(node, existing), nil
}

// buildUsage builds and caches node's usage from existing, its
// allocations in state.
func (c *Context) buildUsage(node *structs.Node, existing []*structs.Allocation) *nodeUsage {
	u := newNodeUsage(node)
	planned := c.plan.NodeAllocation[node.ID]
	stopped := c.plan.NodeUpdate[node.ID]
	evicted := c.plan.NodePreemptions[node.ID]
	for _, a := range existing {
		if a.TerminalStatus() || containsAlloc(stopped, a.ID) || containsAlloc(planned, a.ID) || containsAlloc(evicted, a.ID) {
			continue
		}
		u.add(a, c.job)
	}
	for _, a := range planned {
		if !a.TerminalStatus() {
			u.add(a, c.job)
		}
	}
	c.usage[node.ID] = u
	return u
}

// busy reports whether node runs any allocation that is not terminal, as
// the hint for the stack's pool of partly used nodes. A node with
// allocations gets its usage built and cached on the way, since the pool
// is about to score it; an empty one costs one read of state.
func (c *Context) busy(node *structs.Node) (bool, error) {
	if u, ok := c.usage[node.ID]; ok {
		return u.live > 0, nil
	}
	existing, err := c.state.AllocsByNode(node.ID)
	if err != nil {
		return false, fmt.Errorf("reading allocations of node %s: %w", node.ID, err)
	}
	if len(existing) == 0 {
		return false, nil
	}
	return c.buildUsage(node, existing).live > 0, nil
}

func containsAlloc(list []*structs.Allocation, id string) bool {
	for _, a := range list {
		if a.ID == id {
			return true
		}
	}
	return false
}
