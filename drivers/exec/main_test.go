package exec_test

import (
	"os"
	"testing"

	"github.com/orch-dev/orch/drivers/catalog"
	"github.com/orch-dev/orch/drivers/drivertest"
)

// TestMain lets catalog.Launch re-execute this test binary as the exec
// plugin, and the plugin re-execute it as a task's shim: in those
// children, MaybeServePlugin serves or becomes the task and never returns.
func TestMain(m *testing.M) {
	catalog.MaybeServePlugin()
	drivertest.NoRaceLinger()
	os.Exit(m.Run())
}
