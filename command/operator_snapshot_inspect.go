package command

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/orch-dev/orch/nomadlike/snapshot"
)

// OperatorSnapshotInspectCommand describes a snapshot file and checks it.
type OperatorSnapshotInspectCommand struct{ Meta }

func (c *OperatorSnapshotInspectCommand) Help() string {
	return strings.TrimSpace(`
Usage: orch operator snapshot inspect <file>

  Prints the ID, size, Raft index and term, version and creation time of
  a snapshot file written by "orch operator snapshot save", and verifies
  its checksums. Exits 1 when the file is damaged. Needs no agent.`)
}

func (c *OperatorSnapshotInspectCommand) Synopsis() string {
	return "Describe and verify a snapshot file"
}

func (c *OperatorSnapshotInspectCommand) Run(args []string) int {
	fs := c.FlagSet("operator snapshot inspect")
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
	meta, verr := snapshot.Verify(f)
	if meta == nil {
		c.Ui.Error(fmt.Sprintf("Error reading snapshot %s: %v", path, verr))
		return exitError
	}
	status := "ok"
	if verr != nil {
		status = "FAILED"
	}
	c.Ui.Output(formatKV([]string{
		"ID|" + meta.ID,
		"Size|" + strconv.FormatInt(meta.Size, 10),
		"Index|" + strconv.FormatUint(meta.Index, 10),
		"Term|" + strconv.FormatUint(meta.Term, 10),
		"Version|" + strconv.Itoa(int(meta.Version)),
		"Created|" + meta.CreatedAt.Format(time.RFC3339),
		"Checksum|" + status,
	}))
	if verr != nil {
		c.Ui.Error(fmt.Sprintf("Snapshot %s is damaged: %v", path, verr))
		return exitError
	}
	return exitOK
}
