package feasible

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/go-version"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// Constraint operators, as written in a jobspec.
const (
	OpEqual            = "="
	OpEqualAlt         = "=="
	OpIs               = "is"
	OpNotEqual         = "!="
	OpNot              = "not"
	OpLess             = "<"
	OpLessEqual        = "<="
	OpGreater          = ">"
	OpGreaterEqual     = ">="
	OpRegexp           = "regexp"
	OpVersion          = "version"
	OpSemver           = "semver"
	OpSetContains      = "set_contains"
	OpSetContainsAll   = "set_contains_all"
	OpSetContainsAny   = "set_contains_any"
	OpIsSet            = "is_set"
	OpIsNotSet         = "is_not_set"
	OpDistinctHosts    = "distinct_hosts"
	OpDistinctProperty = "distinct_property"
)

// ConstraintChecker tests node-only constraints: every operator except
// distinct_hosts and distinct_property, which depend on the plan and have
// checkers of their own.
type ConstraintChecker struct {
	ctx         *Context
	constraints []*structs.Constraint
}

// NewConstraintChecker checks the given constraints, typically the job's,
// the group's and its tasks' together.
func NewConstraintChecker(ctx *Context, constraints []*structs.Constraint) *ConstraintChecker {
	var keep []*structs.Constraint
	for _, c := range constraints {
		if c != nil && !planDependent(c.Operand) {
			keep = append(keep, c)
		}
	}
	return &ConstraintChecker{ctx: ctx, constraints: keep}
}

func planDependent(op string) bool {
	return op == OpDistinctHosts || op == OpDistinctProperty
}

func (cc *ConstraintChecker) Feasible(node *structs.Node) (bool, string) {
	for _, c := range cc.constraints {
		if !cc.ctx.Satisfies(c, node) {
			return false, ConstraintReason(c)
		}
	}
	return true, ""
}

// ConstraintReason is the metric key of a failed constraint: its text, as
// the user wrote it, e.g. "${attr.kernel.name} = windows".
func ConstraintReason(c *structs.Constraint) string {
	return strings.TrimSpace(fmt.Sprintf("%s %s %s", c.LTarget, c.Operand, c.RTarget))
}

// nodeRegionTarget is resolved from the job rather than the node: a
// region's servers only ever place work on that region's nodes, so every
// node an evaluation considers is in the job's region.
const nodeRegionTarget = "${node.region}"

// resolveTarget is ResolveTarget plus the targets only the evaluation
// knows: ${node.region}.
func (c *Context) resolveTarget(target string, node *structs.Node) (string, bool) {
	if target == nodeRegionTarget {
		if c.job == nil || c.job.Region == "" {
			return "", false
		}
		return c.job.Region, true
	}
	return ResolveTarget(target, node)
}

// ResolveTarget returns the value a constraint target stands for on node:
// ${attr.X}, ${meta.X}, ${node.*} interpolations or the literal itself.
// The boolean is false when the node has no such value; ${node.region} is
// not a property of the node and only Context.resolveTarget knows it.
func ResolveTarget(target string, node *structs.Node) (string, bool) {
	inner, ok := strings.CutPrefix(target, "${")
	if !ok {
		return target, true
	}
	inner, ok = strings.CutSuffix(inner, "}")
	if !ok {
		return target, true
	}
	switch inner {
	case "node.unique.id":
		return node.ID, true
	case "node.unique.name":
		return node.Name, true
	case "node.datacenter":
		return node.Datacenter, true
	case "node.class":
		return node.NodeClass, true
	case "node.pool":
		return orDefaultPool(node.NodePool), true
	}
	if key, ok := strings.CutPrefix(inner, "attr."); ok {
		v, found := node.Attributes[key]
		return v, found
	}
	if key, ok := strings.CutPrefix(inner, "meta."); ok {
		v, found := node.Meta[key]
		return v, found
	}
	return "", false
}

// Satisfies reports whether node satisfies c. distinct_hosts and
// distinct_property are not properties of a node alone and are always
// satisfied here.
func (ctx *Context) Satisfies(c *structs.Constraint, node *structs.Node) bool {
	l, lok := ctx.resolveTarget(c.LTarget, node)
	r, rok := ctx.resolveTarget(c.RTarget, node)
	switch c.Operand {
	case OpIsSet:
		return lok
	case OpIsNotSet:
		return !lok
	case OpNotEqual, OpNot:
		return lok != rok || l != r
	case OpDistinctHosts, OpDistinctProperty:
		return true
	}
	if !lok || !rok {
		return false
	}
	switch c.Operand {
	case OpEqual, OpEqualAlt, OpIs:
		return l == r
	case OpLess, OpLessEqual, OpGreater, OpGreaterEqual:
		return compareOrdered(c.Operand, l, r)
	case OpRegexp:
		re := ctx.regexp(r)
		return re != nil && re.MatchString(l)
	case OpVersion:
		v, cons := ctx.version(l), ctx.versionConstraints(r)
		return v != nil && cons != nil && cons.Check(v)
	case OpSemver:
		v, cons := ctx.semver(l), ctx.semverConstraints(r)
		return v != nil && cons != nil && cons.check(v)
	case OpSetContains, OpSetContainsAll:
		return setContains(l, ctx.setItems(r), true)
	case OpSetContainsAny:
		return setContains(l, ctx.setItems(r), false)
	}
	// An unknown operator matches nothing, so the job stays unplaced with
	// the constraint named as the reason instead of landing anywhere.
	return false
}

// compareOrdered compares numerically when both sides are numbers and
// lexically otherwise.
func compareOrdered(op, l, r string) bool {
	var cmp int
	lf, lerr := strconv.ParseFloat(l, 64)
	rf, rerr := strconv.ParseFloat(r, 64)
	switch {
	case lerr == nil && rerr == nil && lf < rf:
		cmp = -1
	case lerr == nil && rerr == nil && lf > rf:
		cmp = 1
	case lerr == nil && rerr == nil:
		cmp = 0
	default:
		cmp = strings.Compare(l, r)
	}
	switch op {
	case OpLess:
		return cmp < 0
	case OpLessEqual:
		return cmp <= 0
	case OpGreater:
		return cmp > 0
	default:
		return cmp >= 0
	}
}

// setContains reports whether the comma-separated set have holds all (or,
// with all false, any) of the items of want.
func setContains(have string, want []string, all bool) bool {
	items := splitSet(have)
	for _, w := range want {
		ok := slices.Contains(items, w)
		if ok && !all {
			return true
		}
		if !ok && all {
			return false
		}
	}
	return all
}

// splitSet splits a comma-separated set into its trimmed items.
func splitSet(s string) []string {
	if !strings.Contains(s, ",") {
		return []string{strings.TrimSpace(s)}
	}
	items := strings.Split(s, ",")
	for i := range items {
		items[i] = strings.TrimSpace(items[i])
	}
	return items
}

// semverConstraints is a parsed "semver" operand: every term must hold.
// Unlike the "version" operator, a pre-release satisfies a range by plain
// Semantic Versioning precedence (1.3.0-beta1 >= 1.2.0), which is what
// users of semver expect.
type semverConstraints []semverTerm

type semverTerm struct {
	op string
	v  *version.Version
}

func parseSemverConstraints(s string) (semverConstraints, error) {
	var out semverConstraints
	for _, term := range strings.Split(s, ",") {
		term = strings.TrimSpace(term)
		op := "="
		for _, candidate := range []string{">=", "<=", "!=", ">", "<", "="} {
			if rest, ok := strings.CutPrefix(term, candidate); ok {
				op, term = candidate, strings.TrimSpace(rest)
				break
			}
		}
		v, err := version.NewSemver(term)
		if err != nil {
			return nil, fmt.Errorf("parsing semver constraint %q: %w", s, err)
		}
		out = append(out, semverTerm{op: op, v: v})
	}
	return out, nil
}

func (cs semverConstraints) check(v *version.Version) bool {
	for _, t := range cs {
		cmp := v.Compare(t.v)
		ok := false
		switch t.op {
		case "=":
			ok = cmp == 0
		case "!=":
			ok = cmp != 0
		case ">":
			ok = cmp > 0
		case ">=":
			ok = cmp >= 0
		case "<":
			ok = cmp < 0
		case "<=":
			ok = cmp <= 0
		}
		if !ok {
			return false
		}
	}
	return true
}

// DistinctHostsChecker rejects nodes that already hold an allocation of the
// job (job-level constraint) or of the group (group-level), counting the
// plan being built.
type DistinctHostsChecker struct {
	ctx      *Context
	group    string
	jobLevel bool
	enabled  bool
}

// NewDistinctHostsChecker looks for distinct_hosts on the job and on tg.
func NewDistinctHostsChecker(ctx *Context, job *structs.Job, tg *structs.TaskGroup) *DistinctHostsChecker {
	d := &DistinctHostsChecker{ctx: ctx, group: tg.Name}
	if distinctHostsOn(job.Constraints) {
		d.enabled, d.jobLevel = true, true
	} else if distinctHostsOn(tg.Constraints) {
		d.enabled = true
	}
	return d
}

func distinctHostsOn(cs []*structs.Constraint) bool {
	for _, c := range cs {
		if c != nil && c.Operand == OpDistinctHosts {
			on, err := strconv.ParseBool(c.RTarget)
			if c.RTarget == "" || (err == nil && on) {
				return true
			}
		}
	}
	return false
}

// Feasible needs the node's usage, so it is called through usageFeasible.
func (d *DistinctHostsChecker) usageFeasible(u *nodeUsage) (bool, string) {
	if !d.enabled {
		return true, ""
	}
	if d.jobLevel && u.jobAllocs > 0 || !d.jobLevel && u.groupAllocs[d.group] > 0 {
		return false, ReasonDistinctHosts
	}
	return true, ""
}
