// Package sdk is the task-driver plugin API: the Driver interface every
// driver implements, the types that cross the plugin boundary, and the
// go-plugin glue (gRPC client and server) that lets a driver run in its own
// process. Built-in drivers and third-party plugins use the same API.
package sdk
