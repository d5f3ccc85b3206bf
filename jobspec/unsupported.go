package jobspec

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// scope names the kind of body a block appears in, by its block type.
type scope string

const (
	scopeJob       scope = "job"
	scopeGroup     scope = "group"
	scopeTask      scope = "task"
	scopeNetwork   scope = "network"
	scopeResources scope = "resources"
	scopeService   scope = "service"
)

// unsupportedBlocks lists the blocks Nomad accepts but orch does not
// implement yet, with the bodies Nomad accepts each in. A job using one
// gets an error saying so instead of HCL's generic "unexpected block",
// which would suggest a typo. Implementing a block means deleting its entry
// here and adding it to the schema of its scope.
var unsupportedBlocks = map[string][]scope{
	"consul":      {scopeJob, scopeGroup, scopeTask},
	"csi_plugin":  {scopeTask},
	"device":      {scopeResources},
	"disconnect":  {scopeGroup},
	"dns":         {scopeNetwork},
	"identity":    {scopeTask},
	"migrate":     {scopeJob},
	"multiregion": {scopeJob},
	"numa":        {scopeResources},
	"scaling":     {scopeTask},
	"ui":          {scopeJob},
	"vault":       {scopeJob, scopeGroup, scopeTask},
}

func unsupportedIn(blockType string, s scope) bool {
	for _, allowed := range unsupportedBlocks[blockType] {
		if allowed == s {
			return true
		}
	}
	return false
}

// content decodes body against schema, first taking out the blocks orch
// does not support yet in this scope so that each gets its own clear error
// and the rest of the body is still checked. Anything else the schema does
// not name is reported by HCL, with a "did you mean" hint for typos.
func (e *evaluator) content(body hcl.Body, s scope, schema *hcl.BodySchema) *hcl.BodyContent {
	syn, ok := body.(*hclsyntax.Body)
	if !ok {
		e.errorf(body.MissingItemRange(), "Unsupported syntax", "only the HCL native syntax is supported")
		return &hcl.BodyContent{Attributes: hcl.Attributes{}}
	}
	kept := make(hclsyntax.Blocks, 0, len(syn.Blocks))
	for _, b := range syn.Blocks {
		if unsupportedIn(b.Type, s) {
			e.errorf(b.TypeRange, "Unsupported block",
				"the %q block is not supported by orch yet", b.Type)
			continue
		}
		kept = append(kept, b)
	}
	filtered := &hclsyntax.Body{
		Attributes: syn.Attributes,
		Blocks:     kept,
		SrcRange:   syn.SrcRange,
		EndRange:   syn.EndRange,
	}
	c, diags := filtered.Content(schema)
	e.addDiags(diags)
	return c
}

// singleBlock returns the only block of the given type, reporting any
// repeat: blocks such as resources or restart describe one thing.
func (e *evaluator) singleBlock(blocks hcl.Blocks, typ string) *hcl.Block {
	var first *hcl.Block
	for _, b := range blocks {
		if b.Type != typ {
			continue
		}
		if first != nil {
			e.errorf(b.DefRange, fmt.Sprintf("Duplicate %s block", typ),
				"only one %s block is allowed here; the first is at %s", typ, first.DefRange)
			continue
		}
		first = b
	}
	return first
}

// blocksOf returns the blocks of one type, in source order.
func blocksOf(blocks hcl.Blocks, typ string) hcl.Blocks {
	var out hcl.Blocks
	for _, b := range blocks {
		if b.Type == typ {
			out = append(out, b)
		}
	}
	return out
}

// stringMapAttrOrBlock decodes env or meta, which Nomad accepts both as a
// block (`meta { k = "v" }`) and as a map attribute (`meta = { "a.b" = "v"
// }`, needed for keys that are not identifiers).
func (e *evaluator) stringMapAttrOrBlock(c *hcl.BodyContent, name string) map[string]string {
	attr := c.Attributes[name]
	block := e.singleBlock(c.Blocks, name)
	if attr != nil && block != nil {
		e.errorf(block.DefRange, fmt.Sprintf("Duplicate %s", name),
			"%s is already set as an argument at %s; use either the block or the argument", name, attr.Range)
		return nil
	}
	if attr != nil {
		v, ok := e.value(attr.Expr)
		if !ok || v.IsNull() {
			return nil
		}
		m, _ := e.stringMap(attr.Expr.Range(), name, v)
		return m
	}
	if block == nil {
		return nil
	}
	attrs, diags := block.Body.JustAttributes()
	e.addDiags(diags)
	out := make(map[string]string, len(attrs))
	for _, a := range sortedAttributes(attrs) {
		v, ok := e.value(a.Expr)
		if !ok || v.IsNull() {
			continue
		}
		s, err := convert.Convert(v, cty.String)
		if err != nil || s.IsNull() {
			e.errorf(a.Expr.Range(), invalidValue(name+"."+a.Name),
				"%s.%s must be a string, got %s", name, a.Name, describe(v))
			continue
		}
		out[a.Name] = s.AsString()
	}
	return out
}
