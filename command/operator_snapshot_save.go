package command

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/orch-dev/orch/api"
	"github.com/orch-dev/orch/nomadlike/snapshot"
)

// OperatorSnapshotSaveCommand writes a snapshot of the cluster state to a
// file.
type OperatorSnapshotSaveCommand struct{ Meta }

func (c *OperatorSnapshotSaveCommand) Help() string {
	return strings.TrimSpace(`
Usage: orch operator snapshot save [options] <file>

  Saves a point-in-time snapshot of the whole cluster state (jobs,
  allocations, evaluations, nodes and their indexes) to <file>. The
  snapshot is taken by the leader. The archive is verified before it
  replaces <file>, so an interrupted save never leaves a partial file.

` + generalOptionsHelp + `

Snapshot Save Options:

  -stale
    Let the agent's server take the snapshot from its own state even if
    it is not the leader, e.g. when the cluster has lost its leader.`)
}

func (c *OperatorSnapshotSaveCommand) Synopsis() string {
	return "Save a snapshot of the cluster state"
}

func (c *OperatorSnapshotSaveCommand) Run(args []string) int {
	var stale bool
	fs := c.FlagSet("operator snapshot save")
	fs.BoolVar(&stale, "stale", false, "")
	if !c.parseArgs(fs, args, 1, 1, c.Help()) {
		return exitError
	}
	client, ok := c.client()
	if !ok {
		return exitError
	}
	path := fs.Arg(0)
	body, err := client.Operator().Snapshot(&api.QueryOptions{AllowStale: stale})
	if err != nil {
		c.Ui.Error(fmt.Sprintf("Error requesting the snapshot: %v", err))
		return exitError
	}
	defer body.Close()
	meta, err := writeSnapshotFile(path, body)
	if err != nil {
		c.Ui.Error(fmt.Sprintf("Error saving the snapshot: %v", err))
		return exitError
	}
	c.Ui.Output(fmt.Sprintf("State file written to %s (snapshot %s, index %d)", path, meta.ID, meta.Index))
	return exitOK
}

// writeSnapshotFile copies an archive to a temporary file beside path,
// syncs and verifies it, then renames it over path: readers of path see
// the old file or the whole new one, never a torn write.
func writeSnapshotFile(path string, r io.Reader) (*snapshot.Meta, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("create temporary file: %w", err)
	}
	keep := false
	defer func() {
		if !keep {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := io.Copy(tmp, r); err != nil {
		return nil, fmt.Errorf("download: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return nil, fmt.Errorf("sync %s: %w", tmp.Name(), err)
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("rewind %s: %w", tmp.Name(), err)
	}
	meta, err := snapshot.Verify(tmp)
	if err != nil {
		return nil, fmt.Errorf("the downloaded archive does not verify: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("close %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return nil, fmt.Errorf("rename into place: %w", err)
	}
	keep = true
	return meta, nil
}
