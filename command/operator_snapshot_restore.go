package command

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/orch-dev/orch/nomadlike/snapshot"
)

// OperatorSnapshotRestoreCommand replaces the cluster state with a
// snapshot's.
type OperatorSnapshotRestoreCommand struct{ Meta }

func (c *OperatorSnapshotRestoreCommand) Help() string {
	return strings.TrimSpace(`
Usage: orch operator snapshot restore [options] <file>

  Replaces the whole cluster state with the snapshot in <file>, written by
  "orch operator snapshot save". Every server takes on the snapshot's
  jobs, allocations, evaluations, nodes and indexes; what the cluster held
  before is gone. The file is verified first, here and again by the
  leader: a damaged file is refused and changes nothing.

` + generalOptionsHelp)
}

func (c *OperatorSnapshotRestoreCommand) Synopsis() string {
	return "Replace the cluster state with a snapshot"
}

func (c *OperatorSnapshotRestoreCommand) Run(args []string) int {
	fs := c.FlagSet("operator snapshot restore")
	if !c.parseArgs(fs, args, 1, 1, c.Help()) {
		return exitError
	}
	path := fs.Arg(0)
	f, err := os.Open(path)
	if err != nil {
		c.Ui.Error(fmt.Sprintf("Error opening snapshot file: %v", err))
		return exitError
	}
	defer f.Close()
	if _, err := snapshot.Verify(f); err != nil {
		c.Ui.Error(fmt.Sprintf("Error: refusing to restore %s: %v", path, err))
		return exitError
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		c.Ui.Error(fmt.Sprintf("Error rewinding snapshot file: %v", err))
		return exitError
	}
	client, ok := c.client()
	if !ok {
		return exitError
	}
	if _, err := client.Operator().SnapshotRestore(f, nil); err != nil {
		c.Ui.Error(fmt.Sprintf("Error restoring snapshot: %v", err))
		return exitError
	}
	c.Ui.Output("Snapshot Restored")
	return exitOK
}
