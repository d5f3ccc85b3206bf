package fingerprint

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/hashicorp/go-hclog"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// detectHostVolumes checks that every configured host volume is an
// existing directory. A volume that is not there fails the client's start:
// registering it would let the scheduler place jobs that then fail to
// mount, on this node only, with a less helpful error.
func detectHostVolumes(cfg Config, res *Result, logger hclog.Logger) error {
	if len(cfg.HostVolumes) == 0 {
		return nil
	}
	res.HostVolumes = make(map[string]*structs.ClientHostVolumeConfig, len(cfg.HostVolumes))
	for name, v := range cfg.HostVolumes {
		if v == nil {
			continue
		}
		if !filepath.IsAbs(v.Path) {
			return fmt.Errorf("host_volume %q: path %q must be absolute", name, v.Path)
		}
		st, err := os.Stat(v.Path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return fmt.Errorf("host_volume %q: path %q does not exist: create the directory or remove the block", name, v.Path)
		case err != nil:
			return fmt.Errorf("host_volume %q: path %q: %w", name, v.Path, err)
		case !st.IsDir():
			return fmt.Errorf("host_volume %q: path %q is not a directory", name, v.Path)
		}
		res.HostVolumes[name] = &structs.ClientHostVolumeConfig{Name: name, Path: filepath.Clean(v.Path), ReadOnly: v.ReadOnly}
		logger.Debug("host volume", "name", name, "path", v.Path, "read_only", v.ReadOnly)
	}
	return nil
}
