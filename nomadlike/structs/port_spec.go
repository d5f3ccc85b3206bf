package structs

import (
	"fmt"
	"strconv"
	"strings"
)

// MaxPort is the highest TCP/UDP port number.
const MaxPort = 65535

// ParsePortSpec parses an operator's list of ports and inclusive ranges,
// "22,80,8000-8100", as the client's reserved_ports takes it. It is strict
// so that a typo in an agent's config stops the agent at startup instead
// of leaving ports it meant to keep free open to the scheduler.
func ParsePortSpec(spec string) ([][2]int, error) {
	var out [][2]int
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		lo, hi, isRange := strings.Cut(part, "-")
		start, err := parsePort(lo)
		if err != nil {
			return nil, fmt.Errorf("%q: %w", part, err)
		}
		end := start
		if isRange {
			if end, err = parsePort(hi); err != nil {
				return nil, fmt.Errorf("%q: %w", part, err)
			}
			if end < start {
				return nil, fmt.Errorf("%q: the range ends below its start; write it low-high, such as 8000-8100", part)
			}
		}
		out = append(out, [2]int{start, end})
	}
	return out, nil
}

func parsePort(s string) (int, error) {
	s = strings.TrimSpace(s)
	p, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a port number; want a port such as 22 or a range such as 8000-8100", s)
	}
	if p < 1 || p > MaxPort {
		return 0, fmt.Errorf("port %d is out of range: want 1 to %d", p, MaxPort)
	}
	return p, nil
}
