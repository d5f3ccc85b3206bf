// Package mock is an in-process task driver for client and scheduler tests.
// A task does nothing but wait: its config says how long it runs
// (run_for), how it ends (exit_code, exit_signal), what it prints
// (stdout_string), whether it fails to start (start_error,
// start_block_for) and how slowly it obeys a stop (kill_after). It stands in
// for a real driver where the behaviour under test is the client's or the
// scheduler's; it is never a substitute for testing a real driver.
package mock
