package rawexec_test

import (
	"os"
	"strings"
	"testing"

	"github.com/orch-dev/orch/drivers/catalog"
)

// TestMain lets catalog.Launch re-execute this test binary as the raw_exec
// plugin: in that child, MaybeServePlugin serves and never returns.
func TestMain(m *testing.M) {
	catalog.MaybeServePlugin()
	// Under -race every plugin child would linger a second at exit for
	// late race reports. Its reports reach the test through the log relay
	// (see testWriter), so the wait buys nothing.
	_ = os.Setenv("GORACE", strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
	os.Exit(m.Run())
}
