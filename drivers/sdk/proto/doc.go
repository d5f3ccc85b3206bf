// Package proto holds the gRPC service between an orch client and a
// task-driver plugin, generated from driver.proto. Nothing outside
// drivers/sdk should import it: the sdk package adapts it to and from the
// Go Driver interface, so callers never see wire types.
package proto
