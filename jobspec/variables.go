package jobspec

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

var variableSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "type"}, {Name: "default"}, {Name: "description"}},
}

// variable is one declared input of the job file.
type variable struct {
	name     string
	typ      cty.Type
	declared hcl.Range
	value    cty.Value
	set      bool
	// invalid is set when a given value was rejected, which was reported
	// already.
	invalid bool
}

// setInputs declares the file's variables, assigns their values (default,
// then var files in order, then -var arguments, the later winning) and
// evaluates locals, leaving e.ctx ready for the job block.
func (e *evaluator) setInputs(blocks hcl.Blocks, cfg *ParseConfig) {
	e.ctx = &hcl.EvalContext{Functions: functions()}
	e.broken = make(map[string]bool)
	vars := e.declareVariables(blocksOf(blocks, "variable"))
	for _, path := range cfg.VarFiles {
		e.applyVarFile(path, vars)
	}
	for _, vc := range cfg.VarContents {
		e.applyVarSource(vc.Name, vc.Body, vars)
	}
	for _, arg := range cfg.ArgVars {
		e.applyArgVar(arg, vars)
	}

	values := make(map[string]cty.Value, len(vars))
	e.vars = make(map[string]bool, len(vars))
	for _, name := range sortedKeys(vars) {
		v := vars[name]
		e.vars[name] = true
		if v.invalid {
			e.broken[rootVar+"."+name] = true
			continue
		}
		if !v.set {
			e.broken[rootVar+"."+name] = true
			e.errorf(v.declared, "Unset variable",
				"variable %q has no default and no value was given; pass one with -var %s=... or a var file", name, name)
			continue
		}
		values[name] = v.value
	}
	e.ctx.Variables = map[string]cty.Value{rootVar: cty.ObjectVal(values)}
	e.evalLocals(blocksOf(blocks, "locals"))
}

func (e *evaluator) declareVariables(blocks hcl.Blocks) map[string]*variable {
	// Defaults are constants: they may call functions but not read other
	// variables, so the declaration order does not matter.
	constCtx := &hcl.EvalContext{Functions: e.ctx.Functions}
	vars := make(map[string]*variable, len(blocks))
	for _, b := range blocks {
		name := b.Labels[0]
		if !hclsyntax.ValidIdentifier(name) {
			e.errorf(b.LabelRanges[0], "Invalid variable name",
				"%q is not a valid name; use letters, digits, underscores and dashes, starting with a letter", name)
			continue
		}
		if first, dup := vars[name]; dup {
			e.errorf(b.LabelRanges[0], "Duplicate variable",
				"variable %q is already declared at %s", name, first.declared)
			continue
		}
		v := &variable{name: name, typ: cty.DynamicPseudoType, declared: b.DefRange}
		vars[name] = v
		c := e.content(b.Body, "variable", variableSchema)
		if a := c.Attributes["type"]; a != nil {
			ty, diags := typeexpr.TypeConstraint(a.Expr)
			e.addDiags(diags)
			if !diags.HasErrors() {
				v.typ = ty
			}
		}
		if a := c.Attributes["default"]; a != nil {
			val, diags := a.Expr.Value(constCtx)
			e.addDiags(diags)
			v.invalid = diags.HasErrors()
			if !v.invalid {
				v.value, v.set = e.convertVar(v, val, a.Expr.Range())
				v.invalid = !v.set
			}
		}
	}
	return vars
}

// convertVar converts val to the variable's declared type.
func (e *evaluator) convertVar(v *variable, val cty.Value, rng hcl.Range) (cty.Value, bool) {
	out, err := convert.Convert(val, v.typ)
	if err != nil {
		e.diags = append(e.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid value for variable",
			Detail: fmt.Sprintf("the value for variable %q must be %s: %v",
				v.name, typeexpr.TypeString(v.typ), err),
			Subject: rng.Ptr(),
		})
		return cty.NilVal, false
	}
	if !out.IsWhollyKnown() {
		e.errorf(rng, "Invalid value for variable", "the value for variable %q must be known when the job is parsed", v.name)
		return cty.NilVal, false
	}
	return out, true
}

// applyVarFile reads a file of `name = value` lines.
func (e *evaluator) applyVarFile(path string, vars map[string]*variable) {
	src, err := os.ReadFile(path)
	if err != nil {
		e.diags = append(e.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Unreadable var file",
			Detail:   fmt.Sprintf("could not read var file %s: %v", path, err),
		})
		return
	}
	e.applyVarSource(path, src, vars)
}

// applyVarSource applies var-file content; name labels its diagnostics.
func (e *evaluator) applyVarSource(name string, src []byte, vars map[string]*variable) {
	file, diags := hclsyntax.ParseConfig(src, name, hcl.InitialPos)
	e.addDiags(diags)
	if diags.HasErrors() {
		return
	}
	attrs, diags := file.Body.JustAttributes()
	e.addDiags(diags)
	constCtx := &hcl.EvalContext{Functions: e.ctx.Functions}
	for _, a := range sortedAttributes(attrs) {
		v, ok := vars[a.Name]
		if !ok {
			e.errorf(a.NameRange, "Undefined variable",
				"a value is given for %q but the job file declares no variable %q", a.Name, a.Name)
			continue
		}
		val, diags := a.Expr.Value(constCtx)
		e.addDiags(diags)
		if diags.HasErrors() {
			v.invalid = true
			continue
		}
		if out, ok := e.convertVar(v, val, a.Expr.Range()); ok {
			v.value, v.set = out, true
		} else {
			v.invalid = true
		}
	}
}

// applyArgVar applies one "name=value" -var argument. As on Nomad's and
// Terraform's command line, a value for a string, number or bool variable
// is taken literally, while a list, map or object is written in HCL.
func (e *evaluator) applyArgVar(arg string, vars map[string]*variable) {
	name, raw, found := strings.Cut(arg, "=")
	name = strings.TrimSpace(name)
	if !found || name == "" {
		e.diags = append(e.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid -var argument",
			Detail:   fmt.Sprintf("%q must have the form name=value", arg),
		})
		return
	}
	v, ok := vars[name]
	if !ok {
		e.diags = append(e.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Undefined variable",
			Detail:   fmt.Sprintf("-var sets %q but the job file declares no variable %q", name, name),
		})
		return
	}
	rng := hcl.Range{Filename: fmt.Sprintf("<value for var.%s>", name), Start: hcl.InitialPos, End: hcl.InitialPos}
	val := cty.StringVal(raw)
	if !v.typ.IsPrimitiveType() && v.typ != cty.DynamicPseudoType {
		expr, diags := hclsyntax.ParseExpression([]byte(raw), rng.Filename, hcl.InitialPos)
		e.addDiags(diags)
		if diags.HasErrors() {
			v.invalid = true
			return
		}
		var valDiags hcl.Diagnostics
		val, valDiags = expr.Value(&hcl.EvalContext{Functions: e.ctx.Functions})
		e.addDiags(valDiags)
		if valDiags.HasErrors() {
			v.invalid = true
			return
		}
		rng = expr.Range()
	}
	if out, ok := e.convertVar(v, val, rng); ok {
		v.value, v.set = out, true
	} else {
		v.invalid = true
	}
}

// evalLocals evaluates the locals blocks. A local may use variables and
// other locals in any order, so they are evaluated in rounds, each taking
// the locals whose references are all resolved; what is left at the end
// refers to itself through a cycle.
func (e *evaluator) evalLocals(blocks hcl.Blocks) {
	pending := make(map[string]*hcl.Attribute)
	for _, b := range blocks {
		attrs, diags := b.Body.JustAttributes()
		e.addDiags(diags)
		for _, a := range sortedAttributes(attrs) {
			if first, dup := pending[a.Name]; dup {
				e.errorf(a.NameRange, "Duplicate local value",
					"local %q is already defined at %s", a.Name, first.NameRange)
				continue
			}
			pending[a.Name] = a
		}
	}
	e.locals = make(map[string]bool, len(pending))
	for name := range pending {
		e.locals[name] = true
	}
	values := make(map[string]cty.Value, len(pending))
	failed := make(map[string]bool)
	e.ctx.Variables[rootLocal] = cty.ObjectVal(values)
	for len(pending) > 0 {
		progressed := false
		for _, name := range sortedKeys(pending) {
			a := pending[name]
			deps, ready := e.localDeps(a.Expr, values, failed)
			if !ready {
				continue
			}
			delete(pending, name)
			progressed = true
			if deps.failed {
				// The failed local was reported; its dependants
				// would only repeat that.
				failed[name] = true
				e.broken[rootLocal+"."+name] = true
				continue
			}
			v, ok := e.value(a.Expr)
			if !ok {
				failed[name] = true
				e.broken[rootLocal+"."+name] = true
				continue
			}
			values[name] = v
			e.ctx.Variables[rootLocal] = cty.ObjectVal(values)
		}
		if !progressed {
			for _, name := range sortedKeys(pending) {
				e.broken[rootLocal+"."+name] = true
				e.errorf(pending[name].NameRange, "Cyclic local value",
					"local %q depends on itself through other locals", name)
			}
			return
		}
	}
}

type localDepState struct{ failed bool }

// localDeps reports whether every local.* reference of expr is settled,
// having a value or having failed, and whether any failed. References to
// locals nobody declares count as settled: checkReferences reports them.
func (e *evaluator) localDeps(expr hcl.Expression, values map[string]cty.Value, failed map[string]bool) (localDepState, bool) {
	var st localDepState
	for _, tr := range expr.Variables() {
		if tr.RootName() != rootLocal {
			continue
		}
		name, ok := traversalName(tr)
		if !ok || !e.locals[name] {
			continue
		}
		if failed[name] {
			st.failed = true
			continue
		}
		if _, done := values[name]; !done {
			return st, false
		}
	}
	return st, true
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
