package sdk

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/hashicorp/go-msgpack/v2/codec"

	"github.com/orch-dev/orch/drivers/sdk/proto"
)

// msgpackHandle encodes the free-form config maps that cross the plugin
// boundary. msgpack rather than JSON so integers stay integers; MapType
// makes nested maps decode as map[string]interface{}, the shape drivers
// (and HCL-decoded configs) expect, instead of map[interface{}]interface{}.
var msgpackHandle = func() *codec.MsgpackHandle {
	h := &codec.MsgpackHandle{}
	h.RawToString = true
	// Integers decode as int64 whatever their sign or size on the wire, so a
	// driver sees one integer type.
	h.SignedInteger = true
	h.WriteExt = true
	h.MapType = reflect.TypeOf(map[string]interface{}(nil))
	return h
}()

func encodeConfig(m map[string]interface{}) ([]byte, error) {
	if m == nil {
		return nil, nil
	}
	var buf bytes.Buffer
	if err := codec.NewEncoder(&buf, msgpackHandle).Encode(m); err != nil {
		return nil, fmt.Errorf("encode config: %w", err)
	}
	return buf.Bytes(), nil
}

func decodeConfig(b []byte) (map[string]interface{}, error) {
	if len(b) == 0 {
		return nil, nil
	}
	var m map[string]interface{}
	if err := codec.NewDecoderBytes(b, msgpackHandle).Decode(&m); err != nil {
		return nil, fmt.Errorf("decode config: %w", err)
	}
	return m, nil
}

func taskConfigToProto(c *TaskConfig) (*proto.TaskConfig, error) {
	if c == nil {
		return nil, nil
	}
	cfg, err := encodeConfig(c.Config)
	if err != nil {
		return nil, fmt.Errorf("task %q: %w", c.ID, err)
	}
	pc := &proto.TaskConfig{
		Id:               c.ID,
		JobName:          c.JobName,
		TaskGroup:        c.TaskGroup,
		Name:             c.Name,
		AllocId:          c.AllocID,
		Namespace:        c.Namespace,
		Env:              c.Env,
		User:             c.User,
		ConfigMsgpack:    cfg,
		AllocDir:         c.AllocDir,
		TaskDir:          c.TaskDir,
		StdoutPath:       c.StdoutPath,
		StderrPath:       c.StderrPath,
		LogMaxFiles:      int64(c.LogMaxFiles),
		LogMaxFileSizeMb: int64(c.LogMaxFileSizeMB),
		LogDisabled:      c.LogDisabled,
	}
	for _, p := range c.Ports {
		pc.Ports = append(pc.Ports, &proto.PortMapping{
			Label: p.Label, Value: int64(p.Value), To: int64(p.To), HostIp: p.HostIP,
		})
	}
	for _, m := range c.Mounts {
		pc.Mounts = append(pc.Mounts, &proto.MountConfig{
			TaskPath: m.TaskPath, HostPath: m.HostPath, Readonly: m.Readonly, PropagationMode: m.PropagationMode,
		})
	}
	if r := c.Resources; r != nil {
		pc.Resources = &proto.Resources{
			CpuShares: r.CPUShares, MemoryMb: r.MemoryMB,
			MemoryMaxMb: r.MemoryMaxMB, DiskMb: r.DiskMB,
		}
	}
	return pc, nil
}

func taskConfigFromProto(pc *proto.TaskConfig) (*TaskConfig, error) {
	if pc == nil {
		return nil, nil
	}
	cfg, err := decodeConfig(pc.ConfigMsgpack)
	if err != nil {
		return nil, fmt.Errorf("task %q: %w", pc.Id, err)
	}
	c := &TaskConfig{
		ID:               pc.Id,
		JobName:          pc.JobName,
		TaskGroup:        pc.TaskGroup,
		Name:             pc.Name,
		AllocID:          pc.AllocId,
		Namespace:        pc.Namespace,
		Env:              pc.Env,
		User:             pc.User,
		Config:           cfg,
		AllocDir:         pc.AllocDir,
		TaskDir:          pc.TaskDir,
		StdoutPath:       pc.StdoutPath,
		StderrPath:       pc.StderrPath,
		LogMaxFiles:      int(pc.LogMaxFiles),
		LogMaxFileSizeMB: int(pc.LogMaxFileSizeMb),
		LogDisabled:      pc.LogDisabled,
	}
	for _, p := range pc.Ports {
		c.Ports = append(c.Ports, PortMapping{
			Label: p.Label, Value: int(p.Value), To: int(p.To), HostIP: p.HostIp,
		})
	}
	for _, m := range pc.Mounts {
		c.Mounts = append(c.Mounts, MountConfig{
			TaskPath: m.TaskPath, HostPath: m.HostPath, Readonly: m.Readonly, PropagationMode: m.PropagationMode,
		})
	}
	if r := pc.Resources; r != nil {
		c.Resources = &Resources{
			CPUShares: r.CpuShares, MemoryMB: r.MemoryMb,
			MemoryMaxMB: r.MemoryMaxMb, DiskMB: r.DiskMb,
		}
	}
	return c, nil
}

func taskHandleToProto(h *TaskHandle) (*proto.TaskHandle, error) {
	if h == nil {
		return nil, nil
	}
	cfg, err := taskConfigToProto(h.Config)
	if err != nil {
		return nil, err
	}
	return &proto.TaskHandle{
		Version:     int64(h.Version),
		Config:      cfg,
		State:       string(h.State),
		DriverState: h.DriverState,
	}, nil
}

func taskHandleFromProto(ph *proto.TaskHandle) (*TaskHandle, error) {
	if ph == nil {
		return nil, nil
	}
	cfg, err := taskConfigFromProto(ph.Config)
	if err != nil {
		return nil, err
	}
	return &TaskHandle{
		Version:     int(ph.Version),
		Config:      cfg,
		State:       TaskState(ph.State),
		DriverState: ph.DriverState,
	}, nil
}

func exitResultToProto(r *ExitResult) *proto.ExitResult {
	if r == nil {
		return nil
	}
	pr := &proto.ExitResult{
		ExitCode:  int64(r.ExitCode),
		Signal:    int64(r.Signal),
		OomKilled: r.OOMKilled,
	}
	if r.Err != nil {
		pr.Err = r.Err.Error()
	}
	return pr
}

func exitResultFromProto(pr *proto.ExitResult) *ExitResult {
	if pr == nil {
		return nil
	}
	r := &ExitResult{
		ExitCode:  int(pr.ExitCode),
		Signal:    int(pr.Signal),
		OOMKilled: pr.OomKilled,
	}
	if pr.Err != "" {
		r.Err = errors.New(pr.Err)
	}
	return r
}

func fingerprintToProto(f *Fingerprint) *proto.Fingerprint {
	return &proto.Fingerprint{
		Attributes:        f.Attributes,
		Health:            string(f.Health),
		HealthDescription: f.HealthDescription,
	}
}

func fingerprintFromProto(pf *proto.Fingerprint) *Fingerprint {
	return &Fingerprint{
		Attributes:        pf.Attributes,
		Health:            HealthState(pf.Health),
		HealthDescription: pf.HealthDescription,
	}
}

func usageToProto(u *TaskResourceUsage) *proto.TaskResourceUsage {
	pids := make([]int64, len(u.Pids))
	for i, p := range u.Pids {
		pids[i] = int64(p)
	}
	return &proto.TaskResourceUsage{
		Timestamp:   u.Timestamp,
		CpuPercent:  u.CPUPercent,
		CpuTotalMhz: u.CPUTotalMHz,
		CpuUserMs:   u.CPUUserMS,
		CpuSystemMs: u.CPUSystemMS,
		MemoryRss:   u.MemoryRSS,
		MemoryCache: u.MemoryCache,
		MemorySwap:  u.MemorySwap,
		Pids:        pids,
	}
}

func usageFromProto(pu *proto.TaskResourceUsage) *TaskResourceUsage {
	pids := make([]int, len(pu.Pids))
	for i, p := range pu.Pids {
		pids[i] = int(p)
	}
	return &TaskResourceUsage{
		Timestamp:   pu.Timestamp,
		CPUPercent:  pu.CpuPercent,
		CPUTotalMHz: pu.CpuTotalMhz,
		CPUUserMS:   pu.CpuUserMs,
		CPUSystemMS: pu.CpuSystemMs,
		MemoryRSS:   pu.MemoryRss,
		MemoryCache: pu.MemoryCache,
		MemorySwap:  pu.MemorySwap,
		Pids:        pids,
	}
}

func unixNanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromUnixNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}
