package command

import (
	"fmt"
	"io"
	"os"
	"strings"
)

// JobDispatchCommand dispatches a parameterized job: a child job with the
// given meta and payload, whose evaluation it monitors.
type JobDispatchCommand struct {
	Meta
	// Stdin replaces os.Stdin for a "-" payload in tests.
	Stdin io.Reader
}

func (c *JobDispatchCommand) Help() string {
	return strings.TrimSpace(`
Usage: orch job dispatch [options] <parameterized job> [input source]

  Dispatches a new instance of a parameterized job: a child job with the
  given meta data and payload, which the job's tasks find in the file their
  dispatch_payload block names (under local/). The input source is a file
  to read the payload from, or "-" for standard input; the payload may be
  at most 16 KiB. The command monitors the child's evaluation unless
  -detach is given.

` + generalOptionsHelp + `

Dispatch Options:

  -meta <key>=<value>
    Meta data for the dispatched job; repeat for several keys. Every key
    must be in the job's meta_required or meta_optional.

  -detach
    Return right after dispatching, printing the child job and evaluation
    IDs.

  -verbose
    Show full IDs.`)
}

func (c *JobDispatchCommand) Synopsis() string { return "Dispatch an instance of a parameterized job" }

func (c *JobDispatchCommand) Run(args []string) int {
	var detach, verbose bool
	var metaFlags stringList
	fs := c.FlagSet("job dispatch")
	fs.BoolVar(&detach, "detach", false, "")
	fs.BoolVar(&verbose, "verbose", false, "")
	fs.Var(&metaFlags, "meta", "")
	if !c.parseArgs(fs, args, 1, 2, c.Help()) {
		return exitError
	}
	meta, err := parseMetaFlags(metaFlags)
	if err != nil {
		c.Ui.Error(err.Error())
		return exitError
	}
	var payload []byte
	if fs.NArg() == 2 {
		if payload, err = c.readPayload(fs.Arg(1)); err != nil {
			c.Ui.Error(err.Error())
			return exitError
		}
	}
	client, jobID, ok := c.jobClient(fs.Arg(0))
	if !ok {
		return exitError
	}
	resp, _, err := client.Jobs().Dispatch(jobID, meta, payload, nil)
	if err != nil {
		c.Ui.Error(fmt.Sprintf("Failed to dispatch job: %v", err))
		return exitError
	}
	idLen := idLength(verbose)
	lines := []string{"Dispatched Job ID|" + resp.DispatchedJobID}
	if resp.EvalID != "" {
		lines = append(lines, "Evaluation ID|"+limit(resp.EvalID, idLen))
	}
	c.Ui.Output(formatKV(lines))
	if detach || resp.EvalID == "" {
		return exitOK
	}
	c.Ui.Output("")
	mon := newEvalMonitor(c.Ui, client, verbose)
	if _, code := mon.monitorEval(resp.EvalID); code != exitOK {
		return code
	}
	return mon.waitRunning(resp.EvalID)
}

// readPayload reads the payload from a file or, for "-", standard input,
// refusing more than the servers accept before sending anything.
func (c *JobDispatchCommand) readPayload(src string) ([]byte, error) {
	var in io.Reader
	if src == "-" {
		in = c.Stdin
		if in == nil {
			in = os.Stdin
		}
	} else {
		f, err := os.Open(src)
		if err != nil {
			return nil, fmt.Errorf("Error opening payload file: %w", err)
		}
		defer f.Close()
		in = f
	}
	const limit = 16 * 1024
	b, err := io.ReadAll(io.LimitReader(in, limit+1))
	if err != nil {
		return nil, fmt.Errorf("Error reading payload from %s: %w", src, err)
	}
	if len(b) > limit {
		return nil, fmt.Errorf("Payload from %s is larger than the limit of %d bytes", src, limit)
	}
	return b, nil
}

// parseMetaFlags turns repeated -meta key=value flags into a map.
func parseMetaFlags(flags []string) (map[string]string, error) {
	if len(flags) == 0 {
		return nil, nil
	}
	meta := make(map[string]string, len(flags))
	for _, f := range flags {
		k, v, ok := strings.Cut(f, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("Invalid -meta %q: want key=value", f)
		}
		meta[k] = v
	}
	return meta, nil
}
