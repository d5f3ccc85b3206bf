package agent

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// pluginBodyToMap evaluates a plugin's free-form config block into plain
// Go values: attributes as bodyToMap does, and nested blocks, which
// Nomad's plugin configs use (docker's `volumes { enabled = true }`), as a
// list of maps, one per occurrence, the shape jobspecs give a driver.
// JSON config files express blocks as objects, which attributes already
// cover.
func pluginBodyToMap(body hcl.Body) (map[string]interface{}, error) {
	native, ok := body.(*hclsyntax.Body)
	if !ok {
		return bodyToMap(body)
	}
	out := make(map[string]interface{}, len(native.Attributes)+len(native.Blocks))
	for name, attr := range native.Attributes {
		v, diags := attr.Expr.Value(nil)
		if diags.HasErrors() {
			return nil, diags
		}
		out[name] = ctyToGo(v)
	}
	for _, block := range native.Blocks {
		if len(block.Labels) > 0 {
			return nil, fmt.Errorf("%s: block %q takes no labels", block.LabelRanges[0], block.Type)
		}
		if _, isAttr := native.Attributes[block.Type]; isAttr {
			return nil, fmt.Errorf("%s: %q is set both as an argument and as a block; use one", block.TypeRange, block.Type)
		}
		m, err := pluginBodyToMap(block.Body)
		if err != nil {
			return nil, err
		}
		list, _ := out[block.Type].([]interface{})
		out[block.Type] = append(list, m)
	}
	return out, nil
}
