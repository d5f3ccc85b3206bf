package jobspec

import (
	"sort"
	"strings"

	"github.com/agext/levenshtein"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// ConfigKey is one top-level key of a driver's task `config` block.
type ConfigKey struct {
	Name     string
	Required bool
}

// TaskConfigSchema returns the keys the named driver's task config
// accepts; known is false for a driver the caller does not know (a
// third-party plugin), whose config is then not checked.
type TaskConfigSchema func(driver string) (keys []ConfigKey, known bool)

// configEntry is a key of a task's config as written, with where it is.
type configEntry struct {
	name    string
	rng     hcl.Range
	isBlock bool
}

// checkDriverConfig reports every key of a task's config its driver does
// not accept, at the key itself, and every required key that is missing,
// at the config block. Only top-level keys are checked: nested blocks are
// the driver's business, checked when the job is validated in full.
func (e *evaluator) checkDriverConfig(driver string, c *hcl.BodyContent, taskRange hcl.Range) {
	if e.configSchema == nil || driver == "" {
		return
	}
	keys, known := e.configSchema(driver)
	if !known {
		return
	}
	accepted := make(map[string]bool, len(keys))
	names := make([]string, 0, len(keys))
	for _, k := range keys {
		accepted[k.Name] = true
		names = append(names, k.Name)
	}
	sort.Strings(names)
	list := strings.Join(names, ", ")
	if list == "" {
		list = "no keys"
	}

	entries, where, ok := configEntries(c, taskRange)
	if !ok {
		return // not a literal map: its keys are not known before evaluation
	}
	seen := make(map[string]bool, len(entries))
	for _, en := range entries {
		seen[en.name] = true
		if accepted[en.name] {
			continue
		}
		hint := ""
		if s := suggest(en.name, names); s != "" {
			hint = " Did you mean \"" + s + "\"?"
		}
		if en.isBlock {
			e.errorf(en.rng, "Unsupported block type",
				"Blocks of type %q are not expected here: the %s driver's config accepts %s.%s", en.name, driver, list, hint)
			continue
		}
		e.errorf(en.rng, "Unsupported argument",
			"An argument named %q is not expected here: the %s driver's config accepts %s.%s", en.name, driver, list, hint)
	}
	for _, k := range keys {
		if k.Required && !seen[k.Name] {
			e.errorf(where, "Missing required argument",
				"The argument %q is required by the %s driver's config", k.Name, driver)
		}
	}
}

// configEntries lists the keys of a task's config as written, as a block
// or as a map argument; where is the place to report a missing key. ok is
// false when the argument is not an object literal (config = var.x).
func configEntries(c *hcl.BodyContent, taskRange hcl.Range) (entries []configEntry, where hcl.Range, ok bool) {
	if a := c.Attributes["config"]; a != nil {
		obj, isObj := a.Expr.(*hclsyntax.ObjectConsExpr)
		if !isObj {
			return nil, a.Range, false
		}
		for _, item := range obj.Items {
			name := hcl.ExprAsKeyword(item.KeyExpr)
			if name == "" {
				v, diags := item.KeyExpr.Value(nil)
				if diags.HasErrors() || v.IsNull() || !v.IsKnown() || !v.Type().Equals(cty.String) {
					continue
				}
				name = v.AsString()
			}
			entries = append(entries, configEntry{name: name, rng: item.KeyExpr.Range()})
		}
		return entries, a.NameRange, true
	}
	bs := blocksOf(c.Blocks, "config")
	if len(bs) == 0 {
		return nil, taskRange, true
	}
	body, isSyntax := bs[0].Body.(*hclsyntax.Body)
	if !isSyntax {
		return nil, bs[0].DefRange, false
	}
	for name, a := range body.Attributes {
		entries = append(entries, configEntry{name: name, rng: a.NameRange})
	}
	for _, b := range body.Blocks {
		entries = append(entries, configEntry{name: b.Type, rng: b.TypeRange, isBlock: true})
	}
	return entries, bs[0].DefRange, true
}

// suggest returns the accepted name closest to a misspelt one, or "" when
// none is close enough to be what the user meant.
func suggest(given string, names []string) string {
	best, bestDist := "", 3
	for _, n := range names {
		if d := levenshtein.Distance(given, n, nil); d < bestDist {
			best, bestDist = n, d
		}
	}
	return best
}
