package docker

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/orch-dev/orch/drivers/sdk"
)

// TaskStats follows the engine's stats stream, which samples about once a
// second, and passes on at most one sample per interval.
func (d *Driver) TaskStats(ctx context.Context, taskID string, interval time.Duration) (<-chan *sdk.TaskResourceUsage, error) {
	h, err := d.handle(taskID)
	if err != nil {
		return nil, err
	}
	cli, _, err := d.client()
	if err != nil {
		return nil, err
	}
	// The stream must end when the task does, whoever stops reading.
	sctx, cancel := context.WithCancel(ctx)
	go func() {
		select {
		case <-h.done:
		case <-h.ctx.Done():
		case <-sctx.Done():
		}
		cancel()
	}()
	resp, err := cli.ContainerStats(sctx, h.containerID, true)
	if err != nil {
		cancel()
		return nil, err
	}
	out := make(chan *sdk.TaskResourceUsage, 1)
	go func() {
		defer close(out)
		defer cancel()
		defer resp.Body.Close()
		dec := json.NewDecoder(resp.Body)
		var sent time.Time
		for {
			var s container.StatsResponse
			if err := dec.Decode(&s); err != nil {
				if sctx.Err() == nil {
					h.logger.Debug("container stats stream ended", "error", err)
				}
				return
			}
			if !sent.IsZero() && time.Since(sent) < interval {
				continue
			}
			select {
			case out <- usage(&s, d.mhz):
				sent = time.Now()
			case <-sctx.Done():
				return
			}
		}
	}()
	return out, nil
}

// usage converts one engine sample. CPU percent is of one core, as for
// raw_exec: the engine's share of all CPUs times their number.
func usage(s *container.StatsResponse, mhz float64) *sdk.TaskResourceUsage {
	at := s.Read
	if at.IsZero() {
		at = time.Now()
	}
	u := &sdk.TaskResourceUsage{
		Timestamp:   at.UnixNano(),
		CPUUserMS:   float64(s.CPUStats.CPUUsage.UsageInUsermode) / 1e6,
		CPUSystemMS: float64(s.CPUStats.CPUUsage.UsageInKernelmode) / 1e6,
	}
	cpuDelta := float64(s.CPUStats.CPUUsage.TotalUsage) - float64(s.PreCPUStats.CPUUsage.TotalUsage)
	sysDelta := float64(s.CPUStats.SystemUsage) - float64(s.PreCPUStats.SystemUsage)
	cpus := float64(s.CPUStats.OnlineCPUs)
	if cpus == 0 {
		cpus = float64(len(s.CPUStats.CPUUsage.PercpuUsage))
	}
	if cpuDelta > 0 && sysDelta > 0 && s.PreCPUStats.SystemUsage > 0 {
		u.CPUPercent = cpuDelta / sysDelta * cpus * 100
		u.CPUTotalMHz = u.CPUPercent / 100 * mhz
	}
	// cgroup v1 names, then v2's.
	m := s.MemoryStats.Stats
	u.MemoryRSS, u.MemoryCache, u.MemorySwap = m["rss"], m["cache"], m["swap"]
	if u.MemoryRSS == 0 && u.MemoryCache == 0 {
		u.MemoryRSS, u.MemoryCache = m["anon"], m["file"]
	}
	if u.MemoryRSS == 0 && s.MemoryStats.Usage > u.MemoryCache {
		u.MemoryRSS = s.MemoryStats.Usage - u.MemoryCache
	}
	return u
}

// cpuMHz is one core's clock, to report CPU in MHz as Nomad does.
func cpuMHz() float64 {
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		defer f.Close()
		s := bufio.NewScanner(f)
		for s.Scan() {
			k, v, ok := strings.Cut(s.Text(), ":")
			if ok && strings.TrimSpace(k) == "cpu MHz" {
				if mhz, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil && mhz > 0 {
					return mhz
				}
			}
		}
	}
	return 0
}
