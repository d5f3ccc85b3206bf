// Package taskconfig decodes the loosely typed `config` blocks that reach a
// driver (from HCL through JSON and msgpack, so a list may arrive as
// []interface{} and a number as float64) against the driver's published
// schema. Every driver rejects unknown keys with the list of valid ones,
// because a misspelt key would otherwise silently do nothing.
package taskconfig
