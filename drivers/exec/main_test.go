package exec_test

import (
	"os"
	"strings"
	"testing"

	"github.com/orch-dev/orch/drivers/catalog"
)

// TestMain lets catalog.Launch re-execute this test binary as the exec
// plugin, and the plugin re-execute it as a task's shim: in those
// children, MaybeServePlugin serves or becomes the task and never returns.
func TestMain(m *testing.M) {
	catalog.MaybeServePlugin()
	// See drivers/rawexec/main_test.go: no second of race-detector
	// lingering for every plugin child.
	_ = os.Setenv("GORACE", strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
	os.Exit(m.Run())
}
