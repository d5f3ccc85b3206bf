package jobspec

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/hashicorp/go-version"
)

// constraintValueProblem says what is wrong with the value of a
// constraint whose operator gives it a syntax, or "" when nothing is: a
// value the scheduler cannot parse would match no node, leaving the job
// unplaceable for a typo.
func constraintValueProblem(op, value string) string {
	switch op {
	case opRegexp:
		if _, err := regexp.Compile(value); err != nil {
			return fmt.Sprintf("the regular expression does not compile: %v", err)
		}
	case opVersion:
		if _, err := version.NewConstraint(value); err != nil {
			return fmt.Sprintf("%q is not a version constraint such as \">= 1.2, < 2.0\": %v", value, err)
		}
	case opSemver:
		return semverProblem(value)
	case opSetContains, opSetContainsAll, opSetContainsAny:
		for i, item := range strings.Split(value, ",") {
			if strings.TrimSpace(item) == "" {
				return fmt.Sprintf("item %d of the comma-separated list %q is empty; list the values to look for, such as \"a,b\"", i+1, value)
			}
		}
	}
	return ""
}

// semverOperators are the comparisons a semver term may start with,
// longest first so ">=" is not read as ">".
var semverOperators = []string{">=", "<=", "!=", ">", "<", "="}

// semverProblem checks a semver constraint: comma-separated terms, each
// an optional comparison and a Semantic Versioning 2.0 version.
func semverProblem(value string) string {
	for _, term := range strings.Split(value, ",") {
		v := strings.TrimSpace(term)
		for _, op := range semverOperators {
			if rest, ok := strings.CutPrefix(v, op); ok {
				v = strings.TrimSpace(rest)
				break
			}
		}
		if _, err := version.NewSemver(v); err != nil {
			return fmt.Sprintf("%q is not a semver constraint such as \">= 1.2.0, < 2.0.0\": term %q: %v", value, strings.TrimSpace(term), err)
		}
	}
	return ""
}
