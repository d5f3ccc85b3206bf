package jobspec

import (
	"fmt"
	"math/big"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// Roots of the references that can be resolved while parsing. Every other
// root (attr, node, meta, env, NOMAD_*, ...) names something only the client
// knows, so such interpolations are kept as text for the client to expand.
const (
	rootVar   = "var"
	rootLocal = "local"
)

// evaluator evaluates expressions of one job file, keeping runtime
// interpolations verbatim. It collects diagnostics rather than stopping at
// the first, so one parse reports every mistake.
type evaluator struct {
	src    []byte
	ctx    *hcl.EvalContext
	vars   map[string]bool
	locals map[string]bool
	// broken holds the "var.x" and "local.x" whose value could not be
	// set, already reported; references to them fail quietly so that one
	// mistake is reported once.
	broken map[string]bool
	diags  hcl.Diagnostics
	// configSchema checks drivers' config keys; nil skips the check.
	configSchema TaskConfigSchema
	// capacity bounds task resources; nil skips the check.
	capacity *NodeCapacity
	// jobType is the type of the job being decoded (service when unset),
	// for the group checks that depend on it.
	jobType string
	// publishedPorts are the ports the job's services publish so far
	// (see publish.go); one file holds one job.
	publishedPorts map[int]publishedPort
}

func (e *evaluator) addDiags(diags hcl.Diagnostics) {
	e.diags = append(e.diags, diags...)
}

func (e *evaluator) errorf(rng hcl.Range, summary, format string, args ...interface{}) {
	e.diags = append(e.diags, errorDiag(rng, summary, fmt.Sprintf(format, args...)))
}

// value evaluates expr. It reports false when the value is unusable, having
// recorded why.
func (e *evaluator) value(expr hcl.Expression) (cty.Value, bool) {
	if !e.checkReferences(expr) {
		return cty.NilVal, false
	}
	syn, ok := expr.(hclsyntax.Expression)
	if !ok {
		// Only the native syntax is parsed, so this means a caller bug.
		e.errorf(expr.Range(), "Unsupported expression", "expressions must be in HCL native syntax")
		return cty.NilVal, false
	}
	v, diags := e.eval(syn)
	e.addDiags(diags)
	if diags.HasErrors() {
		return cty.NilVal, false
	}
	if !v.IsWhollyKnown() {
		e.errorf(expr.Range(), "Unknown value", "the value of this expression cannot be known when the job is parsed")
		return cty.NilVal, false
	}
	return v, true
}

// checkReferences reports references to variables and locals that no block
// declares, with a clearer message than HCL's "unsupported attribute".
func (e *evaluator) checkReferences(expr hcl.Expression) bool {
	ok := true
	for _, tr := range expr.Variables() {
		var declared map[string]bool
		var kind string
		switch tr.RootName() {
		case rootVar:
			declared, kind = e.vars, "variable"
		case rootLocal:
			declared, kind = e.locals, "local value"
		default:
			continue
		}
		name, named := traversalName(tr)
		if !named {
			e.errorf(tr.SourceRange(), "Invalid reference",
				"a reference to %s must name one, as in %s.name", tr.RootName(), tr.RootName())
			ok = false
			continue
		}
		switch {
		case !declared[name]:
			e.errorf(tr.SourceRange(), "Undefined "+kind,
				"%s.%s is referenced but no %s named %q is declared", tr.RootName(), name, kind, name)
			ok = false
		case e.broken[tr.RootName()+"."+name]:
			ok = false
		}
	}
	return ok
}

// traversalName returns the name a var.x or local.x reference picks.
func traversalName(tr hcl.Traversal) (string, bool) {
	if len(tr) < 2 {
		return "", false
	}
	switch step := tr[1].(type) {
	case hcl.TraverseAttr:
		return step.Name, true
	case hcl.TraverseIndex:
		if step.Key.Type() == cty.String && step.Key.IsKnown() && !step.Key.IsNull() {
			return step.Key.AsString(), true
		}
	}
	return "", false
}

// refersToRuntime reports whether expr mentions a root only a client can
// resolve.
func refersToRuntime(expr hclsyntax.Expression) bool {
	for _, tr := range hclsyntax.Variables(expr) {
		if root := tr.RootName(); root != rootVar && root != rootLocal {
			return true
		}
	}
	return false
}

// eval walks the containers and templates of expr itself so that a runtime
// interpolation nested anywhere inside a string, list or object survives
// verbatim while the parts around it are still evaluated. Any other
// expression that mentions a runtime root is evaluated by HCL, which
// reports the unknown variable: a function cannot be applied to a value
// that does not exist yet.
func (e *evaluator) eval(expr hclsyntax.Expression) (cty.Value, hcl.Diagnostics) {
	if !refersToRuntime(expr) {
		return expr.Value(e.ctx)
	}
	switch x := expr.(type) {
	case *hclsyntax.TemplateWrapExpr:
		return cty.StringVal("${" + e.source(x.Wrapped.Range()) + "}"), nil
	case *hclsyntax.TemplateExpr:
		return e.evalTemplate(x)
	case *hclsyntax.ParenthesesExpr:
		return e.eval(x.Expression)
	case *hclsyntax.TupleConsExpr:
		return e.evalTuple(x)
	case *hclsyntax.ObjectConsExpr:
		return e.evalObject(x)
	default:
		for _, tr := range hclsyntax.Variables(expr) {
			if isClientRoot(tr.RootName()) {
				ref := e.source(tr.SourceRange())
				return cty.DynamicVal, hcl.Diagnostics{errorDiag(tr.SourceRange(), "Runtime variable outside a string",
					fmt.Sprintf("%s is only known on the client when the task starts, so it can only be used inside a string, as in \"${%s}\", not passed to a function, operator or for expression", ref, ref))}
			}
		}
		return expr.Value(e.ctx)
	}
}

// isClientRoot reports whether root is one of the namespaces the client
// interpolates, as opposed to a misspelt parse-time name.
func isClientRoot(root string) bool {
	switch root {
	case "attr", "node", "meta", "env":
		return true
	}
	return strings.HasPrefix(root, "NOMAD_")
}

func (e *evaluator) evalTemplate(x *hclsyntax.TemplateExpr) (cty.Value, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	var out []byte
	for _, part := range x.Parts {
		if refersToRuntime(part) {
			if !e.isInterpolation(part.Range()) {
				diags = append(diags, errorDiag(part.Range(), "Runtime variable in template directive",
					"runtime variables such as attr, node, meta, env and NOMAD_* are resolved on the client and can only be used in ${...} interpolations, not in %{...} directives"))
				continue
			}
			out = append(out, "${"+e.source(part.Range())+"}"...)
			continue
		}
		v, partDiags := part.Value(e.ctx)
		diags = append(diags, partDiags...)
		if partDiags.HasErrors() {
			continue
		}
		s, err := templateString(v)
		if err != nil {
			diags = append(diags, errorDiag(part.Range(), "Invalid template interpolation value", err.Error()))
			continue
		}
		out = append(out, s...)
	}
	if diags.HasErrors() {
		return cty.DynamicVal, diags
	}
	return cty.StringVal(string(out)), diags
}

// templateString converts an interpolated value the way HCL templates do.
func templateString(v cty.Value) (string, error) {
	if v.IsNull() {
		return "", fmt.Errorf("the interpolated value is null")
	}
	if !v.IsKnown() {
		return "", fmt.Errorf("the interpolated value is not known when the job is parsed")
	}
	if !v.Type().IsPrimitiveType() {
		return "", fmt.Errorf("cannot include a %s in a string", v.Type().FriendlyName())
	}
	switch v.Type() {
	case cty.String:
		return v.AsString(), nil
	case cty.Bool:
		if v.True() {
			return "true", nil
		}
		return "false", nil
	default:
		return v.AsBigFloat().Text('f', -1), nil
	}
}

func (e *evaluator) evalTuple(x *hclsyntax.TupleConsExpr) (cty.Value, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	vals := make([]cty.Value, 0, len(x.Exprs))
	for _, item := range x.Exprs {
		v, itemDiags := e.eval(item)
		diags = append(diags, itemDiags...)
		vals = append(vals, v)
	}
	if diags.HasErrors() {
		return cty.DynamicVal, diags
	}
	return cty.TupleVal(vals), diags
}

func (e *evaluator) evalObject(x *hclsyntax.ObjectConsExpr) (cty.Value, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	attrs := make(map[string]cty.Value, len(x.Items))
	for _, item := range x.Items {
		k, keyDiags := item.KeyExpr.Value(e.ctx)
		diags = append(diags, keyDiags...)
		if keyDiags.HasErrors() {
			continue
		}
		key, err := templateString(k)
		if err != nil {
			diags = append(diags, errorDiag(item.KeyExpr.Range(), "Invalid object key", err.Error()))
			continue
		}
		v, valDiags := e.eval(item.ValueExpr)
		diags = append(diags, valDiags...)
		attrs[key] = v
	}
	if diags.HasErrors() {
		return cty.DynamicVal, diags
	}
	return cty.ObjectVal(attrs), diags
}

// source returns the file text of rng.
func (e *evaluator) source(rng hcl.Range) string {
	if rng.Start.Byte < 0 || rng.End.Byte > len(e.src) || rng.Start.Byte > rng.End.Byte {
		return ""
	}
	return string(e.src[rng.Start.Byte:rng.End.Byte])
}

// isInterpolation reports whether the template part at rng sits inside
// "${ ... }" rather than a "%{ ... }" directive, whose parts HCL also
// represents as plain expressions.
func (e *evaluator) isInterpolation(rng hcl.Range) bool {
	i := rng.Start.Byte - 1
	for i >= 0 && i < len(e.src) && (e.src[i] == ' ' || e.src[i] == '\t' || e.src[i] == '\n' || e.src[i] == '\r' || e.src[i] == '~') {
		i--
	}
	return i >= 1 && i < len(e.src) && e.src[i] == '{' && e.src[i-1] == '$'
}

// goValue converts a cty value into the plain Go shapes drivers expect of
// task config: whole numbers as int, others as float64, sequences as
// []interface{} and objects as map[string]interface{}.
func goValue(v cty.Value) (interface{}, error) {
	if v.IsNull() {
		return nil, nil
	}
	if !v.IsKnown() {
		return nil, fmt.Errorf("value is not known when the job is parsed")
	}
	ty := v.Type()
	switch {
	case ty == cty.String:
		return v.AsString(), nil
	case ty == cty.Bool:
		return v.True(), nil
	case ty == cty.Number:
		return goNumber(v.AsBigFloat()), nil
	case ty.IsListType() || ty.IsTupleType() || ty.IsSetType():
		out := make([]interface{}, 0, v.LengthInt())
		for it := v.ElementIterator(); it.Next(); {
			_, ev := it.Element()
			gv, err := goValue(ev)
			if err != nil {
				return nil, err
			}
			out = append(out, gv)
		}
		return out, nil
	case ty.IsMapType() || ty.IsObjectType():
		out := make(map[string]interface{}, v.LengthInt())
		for it := v.ElementIterator(); it.Next(); {
			k, ev := it.Element()
			gv, err := goValue(ev)
			if err != nil {
				return nil, err
			}
			out[k.AsString()] = gv
		}
		return out, nil
	default:
		return nil, fmt.Errorf("a value of type %s cannot be used here", ty.FriendlyName())
	}
}

// goNumber keeps whole numbers as int so that drivers comparing against
// int literals (ports, counts) see the type they expect.
func goNumber(f *big.Float) interface{} {
	if f.IsInt() {
		if i, acc := f.Int64(); acc == big.Exact && int64(int(i)) == i {
			return int(i)
		}
	}
	fl, _ := f.Float64()
	return fl
}

// sortedAttributes returns a body's attributes in source order, so
// decoding (and therefore diagnostics) do not depend on map order.
func sortedAttributes(attrs hcl.Attributes) []*hcl.Attribute {
	out := make([]*hcl.Attribute, 0, len(attrs))
	for _, a := range attrs {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Range.Start.Byte < out[j].Range.Start.Byte })
	return out
}
