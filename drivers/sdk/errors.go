package sdk

import "errors"

// ErrTaskNotFound is returned for a task ID the driver does not know, and by
// RecoverTask when the task's process is gone. It survives the gRPC
// boundary (mapped to codes.NotFound) so callers can branch on it.
var ErrTaskNotFound = errors.New("task not found")
