// Package clienttest holds helpers shared by the client's tests: a logger
// routed to the test and a poll-with-deadline wait. It is imported by
// tests only.
package clienttest
