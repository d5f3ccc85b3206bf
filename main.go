// Command orch is a Nomad-style cluster scheduler: agent, CLI and driver
// plugins in one binary.
package main

import (
	"os"

	"github.com/orch-dev/orch/command"
	"github.com/orch-dev/orch/drivers/catalog"
)

func main() {
	// The binary re-executes itself as driver plugins; such a child serves
	// its plugin and exits here.
	catalog.MaybeServePlugin()
	os.Exit(command.Run(os.Args[1:]))
}
