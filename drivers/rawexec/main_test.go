package rawexec_test

import (
	"os"
	"testing"

	"github.com/orch-dev/orch/drivers/catalog"
	"github.com/orch-dev/orch/drivers/drivertest"
)

// TestMain lets catalog.Launch re-execute this test binary as the raw_exec
// plugin: in that child, MaybeServePlugin serves and never returns.
func TestMain(m *testing.M) {
	catalog.MaybeServePlugin()
	drivertest.NoRaceLinger()
	os.Exit(m.Run())
}
