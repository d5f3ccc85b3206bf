// Package catalog knows orch's built-in task drivers and runs each one as a
// plugin subprocess of the orch binary itself: Launch re-executes
// os.Executable() with ORCH_DRIVER_PLUGIN=<name>, and MaybeServePlugin,
// called first thing in main() (and in the TestMain of any test that
// launches plugins), turns that process into the driver's go-plugin server.
// One plugin process serves all tasks of its driver on a client.
//
// Plugin processes start in their own process group so that a signal to
// the agent's group (Ctrl-C, or a supervisor killing the agent) leaves them
// and their tasks running; a restarted agent finds them again with
// Reattach.
//
// Load is what an agent calls: it brings up the built-ins and the
// third-party plugins found in plugin_dir (any executable speaking orch's
// handshake, named by its PluginInfo; it may not take a built-in's name),
// reattaching to the processes an earlier agent left running from the
// records in a Store. Each plugin is then Supervised: when its process
// dies it is relaunched, reconfigured, and its tasks are recovered in the
// new process, so callers keep one sdk.Driver across plugin crashes.
package catalog
