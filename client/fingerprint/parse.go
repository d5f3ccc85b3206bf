package fingerprint

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
)

type cpuInfo struct {
	cores int
	mhz   float64
	model string
}

// parseCPUInfo reads /proc/cpuinfo: one "processor" stanza per logical
// core, each with its model and clock.
func parseCPUInfo(data string) cpuInfo {
	var info cpuInfo
	for _, line := range strings.Split(data, "\n") {
		key, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		key, value = strings.TrimSpace(key), strings.TrimSpace(value)
		switch key {
		case "processor":
			info.cores++
		case "model name":
			if info.model == "" {
				info.model = value
			}
		case "cpu MHz":
			if mhz, err := strconv.ParseFloat(value, 64); err == nil && mhz > info.mhz {
				info.mhz = mhz
			}
		}
	}
	return info
}

// parseMemTotal returns MemTotal of /proc/meminfo in bytes.
func parseMemTotal(data string) (uint64, error) {
	for _, line := range strings.Split(data, "\n") {
		rest, ok := strings.CutPrefix(line, "MemTotal:")
		if !ok {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			break
		}
		kb, err := strconv.ParseUint(fields[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("parse MemTotal %q: %w", fields[0], err)
		}
		return kb * 1024, nil
	}
	return 0, fmt.Errorf("meminfo has no MemTotal line")
}

// parseOSRelease reads the KEY=value (optionally quoted) lines of
// /etc/os-release.
func parseOSRelease(data string) map[string]string {
	out := make(map[string]string)
	for _, line := range strings.Split(data, "\n") {
		key, value, ok := strings.Cut(strings.TrimSpace(line), "=")
		if !ok || strings.HasPrefix(key, "#") {
			continue
		}
		if unq, err := strconv.Unquote(value); err == nil {
			value = unq
		} else {
			value = strings.Trim(value, `'"`)
		}
		out[key] = value
	}
	return out
}

// volumeOf returns the device mounted at the deepest mount point holding
// path, from /proc/self/mounts.
func volumeOf(mounts, path string) string {
	path = filepath.Clean(path)
	best, dev := -1, ""
	for _, line := range strings.Split(mounts, "\n") {
		fields := strings.Fields(line)
		if len(fields) < 2 {
			continue
		}
		mp := unescapeMount(fields[1])
		if mp != "/" && path != mp && !strings.HasPrefix(path, mp+"/") {
			continue
		}
		if len(mp) > best {
			best, dev = len(mp), fields[0]
		}
	}
	return dev
}

// unescapeMount decodes the octal escapes (\040 for a space) the kernel
// writes into mount points.
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// defaultRouteInterface returns the interface of the IPv4 default route
// from /proc/net/route, or "".
func defaultRouteInterface(routes string) string {
	for _, line := range strings.Split(routes, "\n")[1:] {
		fields := strings.Fields(line)
		if len(fields) >= 2 && fields[1] == "00000000" {
			return fields[0]
		}
	}
	return ""
}

func trimSpace(s string) string { return strings.TrimSpace(s) }
