package rawexec

import (
	"fmt"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// defaultStopSignal is SIGINT, as Nomad sends before killing a task whose
// kill_signal is unset, so jobs written for Nomad shut down the same way.
const defaultStopSignal = syscall.SIGINT

// parseSignal accepts "SIGTERM", "TERM", "sigterm" or a number.
func parseSignal(name string) (syscall.Signal, error) {
	s := strings.ToUpper(strings.TrimSpace(name))
	if n, err := strconv.Atoi(s); err == nil {
		if n <= 0 || n > 64 {
			return 0, fmt.Errorf("raw_exec: invalid signal number %d; valid: 1-64", n)
		}
		return syscall.Signal(n), nil
	}
	if !strings.HasPrefix(s, "SIG") {
		s = "SIG" + s
	}
	if sig := unix.SignalNum(s); sig != 0 {
		return sig, nil
	}
	return 0, fmt.Errorf("raw_exec: unknown signal %q; use a name such as SIGINT, SIGTERM, SIGHUP or a number", name)
}
