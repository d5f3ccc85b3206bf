package taskproc

import (
	"fmt"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// DefaultStopSignal is SIGINT, as Nomad sends before killing a task whose
// kill_signal is unset, so jobs written for Nomad shut down the same way.
const DefaultStopSignal = syscall.SIGINT

// ParseSignal accepts "SIGTERM", "TERM", "sigterm" or a number; driver
// prefixes the error.
func ParseSignal(driver, name string) (syscall.Signal, error) {
	s := strings.ToUpper(strings.TrimSpace(name))
	if n, err := strconv.Atoi(s); err == nil {
		if n <= 0 || n > 64 {
			return 0, fmt.Errorf("%s: invalid signal number %d; valid: 1-64", driver, n)
		}
		return syscall.Signal(n), nil
	}
	if !strings.HasPrefix(s, "SIG") {
		s = "SIG" + s
	}
	if sig := unix.SignalNum(s); sig != 0 {
		return sig, nil
	}
	return 0, fmt.Errorf("%s: unknown signal %q; use a name such as SIGINT, SIGTERM, SIGHUP or a number", driver, name)
}

// StopSignal is the signal a stop request names, or DefaultStopSignal when
// it names none; driver prefixes the error.
func StopSignal(driver, name string) (syscall.Signal, error) {
	if name == "" {
		return DefaultStopSignal, nil
	}
	return ParseSignal(driver, name)
}
