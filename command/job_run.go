package command

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/hashicorp/cli"

	"github.com/orch-dev/orch/api"
	"github.com/orch-dev/orch/command/agent"
	"github.com/orch-dev/orch/jobspec"
)

// JobRunCommand registers a job from a jobspec and follows it to running.
type JobRunCommand struct {
	Meta
	// Stdin replaces os.Stdin for "-" in tests.
	Stdin io.Reader
}

func (c *JobRunCommand) Help() string {
	return strings.TrimSpace(`
Usage: orch job run [options] <path>

  Registers the job in the jobspec at <path> ("-" reads stdin), then
  monitors its evaluation until every allocation it placed is running.
  When the change rolls out through a deployment (a service job with an
  update block), it then follows the deployment until it succeeds or
  fails, showing per task group the allocations desired, placed, healthy
  and unhealthy, the canaries and the time left before the progress
  deadline: redrawn in place on a terminal, one block per change
  otherwise. The jobspec is parsed locally, so syntax errors name the
  file and line.

  Exit codes: 0 all allocations running (or the deployment succeeded),
  1 error or the deployment failed or was cancelled, 2 placement failed
  or an allocation failed.

` + generalOptionsHelp + `

Run Options:

  -detach
    Return right after registering, printing the evaluation ID.

  -check-index=<index>
    Register only if the job's modify index is <index>; 0 means the job
    must not exist yet.

  -var 'key=value'
    Set a jobspec variable; may be repeated. Wins over -var-file.

  -var-file=<path>
    Read jobspec variable values ("key = value" lines) from a file; may be
    repeated, later files winning.

  -preserve-counts
    Keep the current count of every task group that exists already
    instead of the jobspec's (as Nomad's flag; for autoscaled groups, so a
    resubmission does not undo the autoscaler). A kept count is bounded by
    the group's scaling min and max.

  -json
    The file is a JSON job (as "orch job status -json" prints), not HCL.

  -verbose
    Show full IDs.`)
}

func (c *JobRunCommand) Synopsis() string { return "Run a new job or update an existing job" }

func (c *JobRunCommand) Run(args []string) int {
	var detach, asJSON, verbose, preserveCounts bool
	var checkIndex indexFlag
	var vars, varFiles stringList
	fs := c.FlagSet("job run")
	fs.BoolVar(&detach, "detach", false, "")
	fs.BoolVar(&asJSON, "json", false, "")
	fs.BoolVar(&verbose, "verbose", false, "")
	fs.BoolVar(&preserveCounts, "preserve-counts", false, "")
	fs.Var(&checkIndex, "check-index", "")
	fs.Var(&vars, "var", "")
	fs.Var(&varFiles, "var-file", "")
	if !c.parseArgs(fs, args, 1, 1, c.Help()) {
		return exitError
	}
	job, warnings, err := c.readJob(fs.Arg(0), asJSON, vars, varFiles)
	if err != nil {
		c.Ui.Error("Error " + err.Error())
		return exitError
	}
	client, ok := c.client()
	if !ok {
		return exitError
	}
	opts := &api.RegisterOptions{PreserveCounts: preserveCounts}
	if checkIndex.set {
		opts.EnforceIndex, opts.ModifyIndex = true, checkIndex.value
	}
	resp, _, err := client.Jobs().RegisterOpts(job, opts, nil)
	if err != nil {
		// Only the server's words tell a lost -check-index apart; the API
		// error wraps them as "Unexpected response code: 400 (...)".
		if i := strings.Index(err.Error(), api.RegisterEnforceIndexErrPrefix); checkIndex.set && i >= 0 {
			c.Ui.Error(strings.TrimSuffix(err.Error()[i:], ")"))
			c.Ui.Error("Job not updated")
			return exitError
		}
		c.Ui.Error(fmt.Sprintf("Error registering job: %v", err))
		return exitError
	}
	printWarnings(c.Ui, warnings, resp.Warnings)
	if resp.EvalID == "" {
		c.Ui.Output("Job registration successful")
		// A periodic job is not scheduled itself, as in Nomad: say when
		// its first child launches.
		if next := nextPeriodicLaunch(job, time.Now()); !next.IsZero() {
			c.Ui.Output(fmt.Sprintf("Approximate next launch time: %s (%s)", formatTime(next), prettyTimeDiff(next, time.Now())))
		}
		return exitOK
	}
	if detach {
		c.Ui.Output("Job registration successful")
		c.Ui.Output("Evaluation ID: " + resp.EvalID)
		return exitOK
	}
	mon := newEvalMonitor(c.Ui, client, verbose)
	eval, code := mon.monitorEval(resp.EvalID)
	if code != exitOK {
		return code
	}
	if eval != nil && eval.DeploymentID != "" {
		// A rollout: follow it until it succeeds or fails.
		return mon.monitorDeployment(eval.DeploymentID)
	}
	return mon.waitRunning(resp.EvalID)
}

// readJob parses the job file locally: HCL through jobspec, or JSON. The
// warnings name JSON keys orch ignored: they are lost once the job is
// decoded, so the agent cannot report them.
func (c *JobRunCommand) readJob(path string, asJSON bool, vars, varFiles []string) (*api.Job, []string, error) {
	var src []byte
	var err error
	if path == "-" {
		in := c.Stdin
		if in == nil {
			in = os.Stdin
		}
		src, err = io.ReadAll(in)
		path = "<stdin>"
	} else {
		src, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("reading job file: %w", err)
	}
	if asJSON {
		job, warnings, err := decodeJSONJob(path, src)
		if err == nil {
			err = validateDriverConfigs(path, job)
		}
		return job, warnings, err
	}
	job, err := jobspec.ParseWithConfig(&jobspec.ParseConfig{
		Path: path, Body: src, ArgVars: vars, VarFiles: varFiles, TaskConfigSchema: builtinConfigSchema,
		NodeCapacity: c.clusterCapacity(),
	})
	if err != nil {
		return nil, nil, fmt.Errorf("parsing job file %s:\n%w", path, err)
	}
	if err := validateDriverConfigs(path, job); err != nil {
		return nil, nil, err
	}
	return job, nil, nil
}

// decodeJSONJob accepts a bare job or a {"Job": ...} wrapper, as Nomad,
// and names the keys it ignored as the agent would ("Job.Update").
func decodeJSONJob(path string, src []byte) (*api.Job, []string, error) {
	var wrapper struct{ Job *api.Job }
	if err := json.Unmarshal(src, &wrapper); err == nil && wrapper.Job != nil {
		return wrapper.Job, agent.UnknownFields(src, &wrapper), nil
	}
	var job api.Job
	if err := json.Unmarshal(src, &job); err != nil {
		return nil, nil, fmt.Errorf("parsing JSON job file %s: %w", path, err)
	}
	var warnings []string
	for _, w := range agent.UnknownFields(src, &job) {
		warnings = append(warnings, "Job."+w)
	}
	return &job, warnings, nil
}

// printWarnings prints the CLI's own warnings and the agent's together,
// as Nomad prints a response's: "Job Warnings:" and then the list.
func printWarnings(ui cli.Ui, local []string, remote string) {
	text := remote
	if len(local) > 0 {
		if items := warningItems(remote); items != nil {
			local = append(local, items...)
		} else if remote != "" {
			local = append(local, remote)
		}
		text = agent.FormatWarnings(local)
	}
	if text != "" {
		ui.Output("Job Warnings:\n" + text + "\n")
	}
}

// warningItems takes a formatted Warnings string apart ("* " lines), or
// returns nil when it is not in that shape.
func warningItems(s string) []string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		if item, ok := strings.CutPrefix(line, "* "); ok {
			out = append(out, item)
		}
	}
	return out
}

// indexFlag is an optional uint64 flag that remembers whether it was set,
// since 0 is a meaningful -check-index.
type indexFlag struct {
	value uint64
	set   bool
}

func (f *indexFlag) String() string { return fmt.Sprint(f.value) }
func (f *indexFlag) Set(s string) error {
	if _, err := fmt.Sscan(s, &f.value); err != nil {
		return fmt.Errorf("invalid index %q: must be a non-negative integer", s)
	}
	f.set = true
	return nil
}

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }
