//go:build !linux

package fingerprint

import "errors"

// diskSpace is implemented on Linux only, the platform orch clients run on.
func diskSpace(string) (uint64, uint64, error) {
	return 0, 0, errors.New("disk fingerprint is only supported on linux")
}
