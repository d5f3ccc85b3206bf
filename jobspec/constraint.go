package jobspec

import (
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/orch-dev/orch/api"
)

// Constraint operators Nomad defines; the scheduler implements their
// meaning, the jobspec only makes sure a typo is caught at parse time.
const (
	opDistinctHosts    = "distinct_hosts"
	opDistinctProperty = "distinct_property"
	opRegexp           = "regexp"
	opVersion          = "version"
	opSemver           = "semver"
	opSetContains      = "set_contains"
	opSetContainsAll   = "set_contains_all"
	opSetContainsAny   = "set_contains_any"
	opIsSet            = "is_set"
	opIsNotSet         = "is_not_set"
)

var comparisonOperators = []string{"=", "==", "is", "!=", "not", "<", "<=", ">", ">="}

// knownOperators is every operand a constraint may use.
var knownOperators = append(append([]string{}, comparisonOperators...),
	opDistinctHosts, opDistinctProperty, opRegexp, opVersion, opSemver,
	opSetContains, opSetContainsAll, opSetContainsAny, opIsSet, opIsNotSet)

// valueShorthands are the arguments that set the operator and the value
// at once: `regexp = "^x"` means operator "regexp", value "^x".
var valueShorthands = []string{opRegexp, opVersion, opSemver, opSetContains, opSetContainsAll, opSetContainsAny}

// attributeShorthands set the operator and the attribute at once:
// `distinct_property = "${meta.rack}"` or `is_set = "${meta.gpu}"`.
var attributeShorthands = []string{opDistinctProperty, opIsSet, opIsNotSet}

func constraintSchema() *hcl.BodySchema {
	s := &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
		{Name: "attribute"}, {Name: "operator"}, {Name: "value"}, {Name: opDistinctHosts},
	}}
	for _, name := range append(append([]string{}, valueShorthands...), attributeShorthands...) {
		s.Attributes = append(s.Attributes, hcl.AttributeSchema{Name: name})
	}
	return s
}

// constraints decodes every constraint block in blocks.
func (e *evaluator) constraints(blocks hcl.Blocks) []*api.Constraint {
	var out []*api.Constraint
	for _, b := range blocksOf(blocks, "constraint") {
		if c := e.constraint(b); c != nil {
			out = append(out, c)
		}
	}
	return out
}

func (e *evaluator) constraint(b *hcl.Block) *api.Constraint {
	c := e.content(b.Body, "constraint", constraintSchema())
	con := &api.Constraint{}
	if s := e.stringAttr(c.Attributes, "attribute"); s != nil {
		con.LTarget = *s
	}
	if s := e.stringAttr(c.Attributes, "operator"); s != nil {
		con.Operand = *s
	}
	if s := e.stringAttr(c.Attributes, "value"); s != nil {
		con.RTarget = *s
	}

	var shorthands []*hcl.Attribute
	for _, name := range valueShorthands {
		if s := e.stringAttr(c.Attributes, name); s != nil {
			con.Operand, con.RTarget = name, *s
			shorthands = append(shorthands, c.Attributes[name])
		}
	}
	for _, name := range attributeShorthands {
		if s := e.stringAttr(c.Attributes, name); s != nil {
			con.Operand, con.LTarget = name, *s
			shorthands = append(shorthands, c.Attributes[name])
		}
	}
	if d := e.boolAttr(c.Attributes, opDistinctHosts); d != nil {
		if !*d {
			// "distinct_hosts = false" asks for nothing.
			return nil
		}
		con.Operand = opDistinctHosts
		shorthands = append(shorthands, c.Attributes[opDistinctHosts])
	}
	if op := c.Attributes["operator"]; op != nil && len(shorthands) > 0 {
		shorthands = append(shorthands, op)
	}
	if len(shorthands) > 1 {
		names := make([]string, len(shorthands))
		for i, a := range shorthands {
			names[i] = a.Name
		}
		e.errorf(shorthands[1].NameRange, "Conflicting constraint operators",
			"a constraint has one operator, but %s are all set; keep one", strings.Join(names, ", "))
		return nil
	}
	if con.Operand == "" {
		con.Operand = "="
	}
	e.validateConstraint(con, b, c.Attributes)
	return con
}

// validateConstraint checks what the scheduler would otherwise reject.
func (e *evaluator) validateConstraint(con *api.Constraint, b *hcl.Block, attrs hcl.Attributes) {
	at := func(names ...string) hcl.Range {
		for _, n := range names {
			if a := attrs[n]; a != nil {
				return a.Expr.Range()
			}
		}
		return b.DefRange
	}
	if !contains(knownOperators, con.Operand) {
		e.errorf(at("operator"), "Invalid constraint operator",
			"operator %q is not known; valid operators are %s", con.Operand, strings.Join(knownOperators, ", "))
		return
	}
	if con.LTarget == "" && con.Operand != opDistinctHosts {
		e.errorf(b.DefRange, "Missing constraint attribute",
			"a constraint with operator %q needs attribute, for example attribute = \"${attr.kernel.name}\"", con.Operand)
	}
	switch {
	case contains(comparisonOperators, con.Operand) || contains(valueShorthands, con.Operand):
		if con.RTarget == "" {
			e.errorf(b.DefRange, "Missing constraint value",
				"a constraint with operator %q needs value", con.Operand)
		}
	case con.Operand == opDistinctProperty && con.RTarget != "":
		if n, err := strconv.Atoi(con.RTarget); err != nil || n < 1 {
			e.errorf(at("value"), "Invalid constraint value",
				"the value of a distinct_property constraint is the most allocations per property value and must be a whole number of at least 1, got %q", con.RTarget)
		}
	}
	// A value with an interpolation is completed on the client, so it
	// can only be checked there.
	if con.RTarget == "" || strings.Contains(con.RTarget, "${") {
		return
	}
	if msg := constraintValueProblem(con.Operand, con.RTarget); msg != "" {
		e.errorf(at(con.Operand, "value"), "Invalid constraint value", "%s", msg)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
