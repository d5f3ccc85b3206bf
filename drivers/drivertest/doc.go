// Package drivertest holds what the task drivers' tests share: launching a
// driver as a real go-plugin subprocess of the test binary, a logger that
// routes plugin output to the test, polling waits, task lifecycle helpers
// and the /proc readings the benchmarks report.
//
// A test package that launches plugins must still call
// catalog.MaybeServePlugin first thing in its own TestMain, because the
// plugin child is that package's test binary re-executed.
package drivertest
