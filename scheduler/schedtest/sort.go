package schedtest

import (
	"cmp"
	"slices"
	"strings"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// sortAllocs orders allocations by name index, then name, then ID, which
// is how a person reads "web.web[2]" before "web.web[10]".
func sortAllocs(allocs []*structs.Allocation) {
	slices.SortFunc(allocs, func(a, b *structs.Allocation) int {
		return cmp.Or(
			strings.Compare(prefix(a.Name), prefix(b.Name)),
			cmp.Compare(len(a.Name), len(b.Name)),
			strings.Compare(a.Name, b.Name),
			strings.Compare(a.ID, b.ID),
		)
	})
}

func prefix(name string) string {
	if i := strings.LastIndexByte(name, '['); i >= 0 {
		return name[:i]
	}
	return name
}
