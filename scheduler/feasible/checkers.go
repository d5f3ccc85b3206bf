package feasible

import (
	"strconv"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// Reasons recorded in AllocMetric.ConstraintFiltered by the built-in
// checkers; constraint checkers use the constraint's own text.
const (
	ReasonNotReady      = "node not ready"
	ReasonDatacenter    = "datacenter not in job"
	ReasonNodePool      = "node pool not in job"
	ReasonMissingDriver = "missing drivers"
	ReasonDistinctHosts = "distinct_hosts"
)

// NodePoolAll is the pool name that matches every node.
const NodePoolAll = "all"

// Checker is one feasibility test. Feasible returns false and a short
// reason, suitable as a metric key, when the node must not be used.
type Checker interface {
	Feasible(node *structs.Node) (bool, string)
}

// ReadyChecker keeps nodes that accept new work: status ready, eligible,
// not draining.
type ReadyChecker struct{}

func (ReadyChecker) Feasible(node *structs.Node) (bool, string) {
	if !node.Ready() {
		return false, ReasonNotReady
	}
	return true, ""
}

// DatacenterChecker keeps nodes in one of the job's datacenters; each
// pattern may use "*" to match any run of characters.
type DatacenterChecker struct {
	Patterns []string
}

func (d DatacenterChecker) Feasible(node *structs.Node) (bool, string) {
	for _, p := range d.Patterns {
		if globMatch(p, node.Datacenter) {
			return true, ""
		}
	}
	return false, ReasonDatacenter
}

// PoolChecker keeps nodes of the job's node pool; an empty pool on either
// side means "default", and the job pool "all" matches every node.
type PoolChecker struct {
	Pool string
}

func (p PoolChecker) Feasible(node *structs.Node) (bool, string) {
	want := orDefaultPool(p.Pool)
	if want == NodePoolAll || want == orDefaultPool(node.NodePool) {
		return true, ""
	}
	return false, ReasonNodePool
}

func orDefaultPool(p string) string {
	if p == "" {
		return "default"
	}
	return p
}

// DriverChecker keeps nodes that have every driver the group's tasks use,
// detected and healthy.
type DriverChecker struct {
	Drivers []string
}

// NewDriverChecker collects the distinct drivers of tg's tasks.
func NewDriverChecker(tg *structs.TaskGroup) DriverChecker {
	var d DriverChecker
	for _, t := range tg.Tasks {
		if t.Driver != "" && !containsString(d.Drivers, t.Driver) {
			d.Drivers = append(d.Drivers, t.Driver)
		}
	}
	return d
}

func (d DriverChecker) Feasible(node *structs.Node) (bool, string) {
	for _, name := range d.Drivers {
		if !hasDriver(node, name) {
			return false, ReasonMissingDriver
		}
	}
	return true, ""
}

// hasDriver prefers the driver's fingerprint and falls back to the
// "driver.<name>" attribute older clients publish.
func hasDriver(node *structs.Node, name string) bool {
	if info, ok := node.Drivers[name]; ok && info != nil {
		return info.Detected && info.Healthy
	}
	v, ok := node.Attributes["driver."+name]
	if !ok {
		return false
	}
	on, err := strconv.ParseBool(v)
	return err == nil && on
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// globMatch reports whether s matches pattern, where "*" matches any run of
// characters (including none) and every other character only itself.
func globMatch(pattern, s string) bool {
	px, sx := 0, 0
	// Where to resume after the last "*" if the rest fails to match.
	star, resume := -1, 0
	for sx < len(s) {
		switch {
		case px < len(pattern) && pattern[px] == '*':
			star, resume = px, sx
			px++
		case px < len(pattern) && pattern[px] == s[sx]:
			px++
			sx++
		case star >= 0:
			resume++
			px, sx = star+1, resume
		default:
			return false
		}
	}
	for px < len(pattern) && pattern[px] == '*' {
		px++
	}
	return px == len(pattern)
}

// Candidates are the nodes an evaluation may place on, with the counts a
// placement failure reports.
type Candidates struct {
	Nodes []*structs.Node
	// InPool counts the nodes of the job's node pool, in any status.
	InPool int
	// AvailableByDC counts ready candidates per job datacenter, listing
	// datacenters with none as 0 so a user sees the typo.
	AvailableByDC map[string]int
	// IneligibleClasses maps the computed class of every node outside the
	// job's node pool or datacenters to the reason: datacenter and pool
	// are part of the class, so no node of it can ever suit the job.
	IneligibleClasses map[string]string
}

// NewCandidates keeps the nodes that pass the job-wide checks: ready,
// datacenter and pool. They run once per evaluation, not per placement,
// because they cannot change while the evaluation is planned.
func NewCandidates(job *structs.Job, nodes []*structs.Node) Candidates {
	ready, dc, pool := ReadyChecker{}, DatacenterChecker{Patterns: job.Datacenters}, PoolChecker{Pool: job.NodePool}
	c := Candidates{AvailableByDC: make(map[string]int, len(job.Datacenters))}
	for _, p := range job.Datacenters {
		if !hasGlob(p) {
			c.AvailableByDC[p] = 0
		}
	}
	for _, n := range nodes {
		if ok, reason := pool.Feasible(n); !ok {
			c.noteIneligible(n, reason)
			continue
		}
		c.InPool++
		if ok, reason := dc.Feasible(n); !ok {
			c.noteIneligible(n, reason)
			continue
		}
		if ok, _ := ready.Feasible(n); !ok {
			continue
		}
		c.AvailableByDC[n.Datacenter]++
		c.Nodes = append(c.Nodes, n)
	}
	return c
}

func (c *Candidates) noteIneligible(n *structs.Node, reason string) {
	if n.ComputedClass == "" {
		return
	}
	if c.IneligibleClasses == nil {
		c.IneligibleClasses = make(map[string]string)
	}
	c.IneligibleClasses[n.ComputedClass] = reason
}

func hasGlob(p string) bool {
	for i := range len(p) {
		if p[i] == '*' {
			return true
		}
	}
	return false
}
