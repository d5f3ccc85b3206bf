package command

import (
	"fmt"
	"io"
	"os"

	"github.com/hashicorp/cli"

	"github.com/orch-dev/orch/command/agent"
)

// Run runs the CLI with os.Args[1:] and returns the exit code.
func Run(args []string) int {
	ui := &cli.BasicUi{Reader: os.Stdin, Writer: os.Stdout, ErrorWriter: os.Stderr}
	return RunCustom(args, ui, os.Stdout)
}

// RunCustom runs the CLI with the given UI; help goes to helpOut.
func RunCustom(args []string, ui cli.Ui, helpOut io.Writer) int {
	c := &cli.CLI{
		Name:         "orch",
		Args:         args,
		Commands:     Commands(&Meta{Ui: ui}),
		Version:      agent.Version,
		HelpFunc:     cli.BasicHelpFunc("orch"),
		HelpWriter:   helpOut,
		ErrorWriter:  helpOut,
		Autocomplete: false,
	}
	code, err := c.Run()
	if err != nil {
		ui.Error(fmt.Sprintf("Error executing CLI: %v", err))
		return 1
	}
	return code
}

// Commands maps each verb to its factory.
func Commands(m *Meta) map[string]cli.CommandFactory {
	cmds := map[string]cli.CommandFactory{
		"version":      func() (cli.Command, error) { return &VersionCommand{Meta: *m}, nil },
		"agent":        func() (cli.Command, error) { return &AgentCommand{Meta: *m}, nil },
		"status":       func() (cli.Command, error) { return &StatusCommand{Meta: *m}, nil },
		"job":          func() (cli.Command, error) { return &groupCommand{name: "job", synopsis: "Interact with jobs"}, nil },
		"job run":      func() (cli.Command, error) { return &JobRunCommand{Meta: *m}, nil },
		"job plan":     func() (cli.Command, error) { return &JobPlanCommand{Meta: *m}, nil },
		"job status":   func() (cli.Command, error) { return &JobStatusCommand{Meta: *m}, nil },
		"job stop":     func() (cli.Command, error) { return &JobStopCommand{Meta: *m}, nil },
		"job validate": func() (cli.Command, error) { return &JobValidateCommand{Meta: *m}, nil },
		"job allocs":   func() (cli.Command, error) { return &JobAllocsCommand{Meta: *m}, nil },
		"job history":  func() (cli.Command, error) { return &JobHistoryCommand{Meta: *m}, nil },
		"job revert":   func() (cli.Command, error) { return &JobRevertCommand{Meta: *m}, nil },
		"job dispatch": func() (cli.Command, error) { return &JobDispatchCommand{Meta: *m}, nil },
		"job scale":    func() (cli.Command, error) { return &JobScaleCommand{Meta: *m}, nil },
		"scaling": func() (cli.Command, error) {
			return &groupCommand{name: "scaling", synopsis: "Interact with the scaling policies"}, nil
		},
		"scaling policy": func() (cli.Command, error) {
			return &groupCommand{name: "scaling policy", synopsis: "List and show scaling policies"}, nil
		},
		"scaling policy list": func() (cli.Command, error) { return &ScalingPolicyListCommand{Meta: *m}, nil },
		"scaling policy info": func() (cli.Command, error) { return &ScalingPolicyInfoCommand{Meta: *m}, nil },
		"job periodic": func() (cli.Command, error) {
			return &groupCommand{name: "job periodic", synopsis: "Interact with periodic jobs"}, nil
		},
		"job periodic force": func() (cli.Command, error) { return &JobPeriodicForceCommand{Meta: *m}, nil },
		"node":               func() (cli.Command, error) { return &groupCommand{name: "node", synopsis: "Interact with nodes"}, nil },
		"node status":        func() (cli.Command, error) { return &NodeStatusCommand{Meta: *m}, nil },
		"node drain":         func() (cli.Command, error) { return &NodeDrainCommand{Meta: *m}, nil },
		"node eligibility":   func() (cli.Command, error) { return &NodeEligibilityCommand{Meta: *m}, nil },
		"alloc": func() (cli.Command, error) {
			return &groupCommand{name: "alloc", synopsis: "Interact with allocations"}, nil
		},
		"alloc status": func() (cli.Command, error) { return &AllocStatusCommand{Meta: *m}, nil },
		"alloc logs":   func() (cli.Command, error) { return &AllocLogsCommand{Meta: *m}, nil },
		"eval": func() (cli.Command, error) {
			return &groupCommand{name: "eval", synopsis: "Interact with evaluations"}, nil
		},
		"eval status": func() (cli.Command, error) { return &EvalStatusCommand{Meta: *m}, nil },
		"service": func() (cli.Command, error) {
			return &groupCommand{name: "service", synopsis: "Interact with registered services"}, nil
		},
		"service list": func() (cli.Command, error) { return &ServiceListCommand{Meta: *m}, nil },
		"service info": func() (cli.Command, error) { return &ServiceInfoCommand{Meta: *m}, nil },
		"server": func() (cli.Command, error) {
			return &groupCommand{name: "server", synopsis: "Interact with servers"}, nil
		},
		"server members": func() (cli.Command, error) { return &ServerMembersCommand{Meta: *m}, nil },
		"server join":    func() (cli.Command, error) { return &ServerJoinCommand{Meta: *m}, nil },
		"operator": func() (cli.Command, error) {
			return &groupCommand{name: "operator", synopsis: "Operate the cluster: Raft peers, snapshots and the scheduler configuration"}, nil
		},
		"operator raft": func() (cli.Command, error) {
			return &groupCommand{name: "operator raft", synopsis: "Inspect and change the Raft peer set"}, nil
		},
		"operator raft list-peers":  func() (cli.Command, error) { return &OperatorRaftListPeersCommand{Meta: *m}, nil },
		"operator raft remove-peer": func() (cli.Command, error) { return &OperatorRaftRemovePeerCommand{Meta: *m}, nil },
		"operator snapshot": func() (cli.Command, error) {
			return &groupCommand{name: "operator snapshot", synopsis: "Save, inspect and restore snapshots of the cluster state"}, nil
		},
		"operator snapshot save":    func() (cli.Command, error) { return &OperatorSnapshotSaveCommand{Meta: *m}, nil },
		"operator snapshot inspect": func() (cli.Command, error) { return &OperatorSnapshotInspectCommand{Meta: *m}, nil },
		"operator snapshot restore": func() (cli.Command, error) { return &OperatorSnapshotRestoreCommand{Meta: *m}, nil },
		"operator scheduler": func() (cli.Command, error) {
			return &groupCommand{name: "operator scheduler", synopsis: "Display and change the scheduler configuration"}, nil
		},
		"operator scheduler get-config": func() (cli.Command, error) { return &OperatorSchedulerGetConfigCommand{Meta: *m}, nil },
		"operator scheduler set-config": func() (cli.Command, error) { return &OperatorSchedulerSetConfigCommand{Meta: *m}, nil },
	}
	addDeploymentCommands(cmds, m)
	return cmds
}

// groupCommand is a verb with subcommands only ("orch job"); it shows the
// subcommand list.
type groupCommand struct {
	name, synopsis string
}

func (g *groupCommand) Help() string {
	return fmt.Sprintf("Usage: orch %s <subcommand> [options] [args]\n\n  %s.", g.name, g.synopsis)
}
func (g *groupCommand) Synopsis() string      { return g.synopsis }
func (g *groupCommand) Run(args []string) int { return cli.RunResultHelp }

// VersionCommand prints the version.
type VersionCommand struct{ Meta }

func (c *VersionCommand) Help() string     { return "Usage: orch version\n\n  Prints the orch version." }
func (c *VersionCommand) Synopsis() string { return "Print the orch version" }
func (c *VersionCommand) Run(args []string) int {
	c.Ui.Output("orch v" + agent.Version)
	return 0
}
