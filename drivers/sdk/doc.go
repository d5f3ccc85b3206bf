// Package sdk is the task-driver plugin API: the Driver interface every
// driver implements, the types that cross the plugin boundary, and the
// go-plugin glue (gRPC client and server) that lets a driver run in its own
// process. Built-in drivers and third-party plugins use the same API.
//
// A plugin's main calls Serve with its Driver. The agent side gets a Driver
// back from go-plugin's Dispense (drivers/catalog does this for built-in
// drivers); that value forwards every call over gRPC (driver.proto) and
// behaves like the in-process driver: ErrTaskNotFound survives the
// boundary, driver error messages arrive verbatim, and the channels of
// Fingerprint, WaitTask and TaskStats close when the caller's context
// ends, which also cancels the stream inside the plugin.
package sdk
