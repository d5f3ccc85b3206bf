package structs

import (
	"strings"

	"github.com/hashicorp/go-version"
)

// validateConstraintList checks the comma-separated values of semver and
// set_contains constraints. A value with an interpolation is completed on
// the client and left to it.
func validateConstraintList(p *problems, path string, c *Constraint) {
	if strings.Contains(c.RTarget, "${") {
		return
	}
	for i, item := range strings.Split(c.RTarget, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			p.addf(path, "item %d of %q is empty", i+1, c.RTarget)
			return
		}
		if c.Operand != "semver" {
			continue
		}
		for _, op := range []string{">=", "<=", "!=", ">", "<", "="} {
			if rest, ok := strings.CutPrefix(item, op); ok {
				item = strings.TrimSpace(rest)
				break
			}
		}
		if _, err := version.NewSemver(item); err != nil {
			p.addf(path, "invalid semver constraint %q: %v", c.RTarget, err)
			return
		}
	}
}
