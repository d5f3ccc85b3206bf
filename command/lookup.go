package command

import (
	"fmt"
	"strings"

	"github.com/orch-dev/orch/api"
)

// uuidLength is the length of a full ID; anything shorter is a prefix.
const uuidLength = 36

// prefixError explains a prefix that matched nothing or too much.
type prefixError struct {
	kind    string
	prefix  string
	matches []string
}

func (e *prefixError) Error() string {
	if len(e.matches) == 0 {
		return fmt.Sprintf("No %s(s) with prefix or id %q found", e.kind, e.prefix)
	}
	return fmt.Sprintf("Prefix %q matched multiple %ss:\n\n%s", e.prefix, e.kind, strings.Join(e.matches, "\n"))
}

// resolveID turns a full ID or a unique prefix into a full ID.
func resolveID(kind, id string, list func(prefix string) ([]string, error)) (string, error) {
	if len(id) == uuidLength {
		return id, nil
	}
	ids, err := list(id)
	if err != nil {
		return "", fmt.Errorf("querying %ss: %w", kind, err)
	}
	if len(ids) == 1 {
		return ids[0], nil
	}
	return "", &prefixError{kind: kind, prefix: id, matches: ids}
}

func resolveAllocID(c *api.Client, id string) (string, error) {
	return resolveID("allocation", id, func(p string) ([]string, error) {
		stubs, _, err := c.Allocations().PrefixList(p)
		ids := make([]string, len(stubs))
		for i, s := range stubs {
			ids[i] = s.ID
		}
		return ids, err
	})
}

func resolveEvalID(c *api.Client, id string) (string, error) {
	return resolveID("evaluation", id, func(p string) ([]string, error) {
		evals, _, err := c.Evaluations().PrefixList(p)
		ids := make([]string, len(evals))
		for i, e := range evals {
			ids[i] = e.ID
		}
		return ids, err
	})
}

func resolveNodeID(c *api.Client, id string) (string, error) {
	return resolveID("node", id, func(p string) ([]string, error) {
		nodes, _, err := c.Nodes().PrefixList(p)
		ids := make([]string, len(nodes))
		for i, n := range nodes {
			ids[i] = n.ID
		}
		return ids, err
	})
}

// resolveJobID accepts an exact job ID or a unique prefix of one.
func resolveJobID(c *api.Client, id string) (string, error) {
	jobs, _, err := c.Jobs().PrefixList(id)
	if err != nil {
		return "", fmt.Errorf("querying jobs: %w", err)
	}
	ids := make([]string, 0, len(jobs))
	for _, j := range jobs {
		if j.ID == id {
			return id, nil
		}
		ids = append(ids, j.ID)
	}
	if len(ids) == 1 {
		return ids[0], nil
	}
	return "", &prefixError{kind: "job", prefix: id, matches: ids}
}
