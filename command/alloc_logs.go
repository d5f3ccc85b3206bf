package command

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/orch-dev/orch/api"
)

// tailSettle is how long a -tail stream must be quiet before the catch-up
// part is taken as complete and its last lines printed.
const tailSettle = 300 * time.Millisecond

// AllocLogsCommand prints a task's stdout or stderr.
type AllocLogsCommand struct {
	Meta
	// Stdout receives the log bytes; nil means os.Stdout.
	Stdout io.Writer
}

func (c *AllocLogsCommand) Help() string {
	return strings.TrimSpace(`
Usage: orch alloc logs [options] <allocation> [task]

  Prints the stdout (or stderr) of a task of an allocation (an ID or a
  unique prefix). The task may be left out when the allocation's group
  has a single task.

` + generalOptionsHelp + `

Logs Options:

  -stderr
    Print stderr instead of stdout.

  -f
    Follow: keep printing new output until interrupted.

  -tail
    Print the end of the log instead of the beginning; see -n and -c.

  -n=<lines>
    With -tail, how many lines to print (default 10).

  -c=<bytes>
    With -tail, print the last <bytes> bytes instead of lines.`)
}

func (c *AllocLogsCommand) Synopsis() string { return "Streams the logs of a task" }

type logsOptions struct {
	stderr, follow, tail bool
	lines                int
	bytes                int64
}

func (c *AllocLogsCommand) Run(args []string) int {
	var o logsOptions
	fs := c.FlagSet("alloc logs")
	fs.BoolVar(&o.stderr, "stderr", false, "")
	fs.BoolVar(&o.follow, "f", false, "")
	fs.BoolVar(&o.tail, "tail", false, "")
	fs.IntVar(&o.lines, "n", -1, "")
	fs.Int64Var(&o.bytes, "c", -1, "")
	fs.Bool("verbose", false, "")
	if !c.parseArgs(fs, args, 1, 2, c.Help()) {
		return exitError
	}
	if (o.lines >= 0 || o.bytes >= 0) && !o.tail {
		c.Ui.Error("-n and -c only apply with -tail")
		return exitError
	}
	client, ok := c.client()
	if !ok {
		return exitError
	}
	allocID, err := resolveAllocID(client, fs.Arg(0))
	if err != nil {
		c.Ui.Error(err.Error())
		return exitError
	}
	alloc, _, err := client.Allocations().Info(allocID, nil)
	if err != nil {
		c.Ui.Error(fmt.Sprintf("Error querying allocation: %v", err))
		return exitError
	}
	task, err := pickTask(alloc, fs.Arg(1))
	if err != nil {
		c.Ui.Error(err.Error())
		return exitError
	}
	out := c.Stdout
	if out == nil {
		out = os.Stdout
	}
	if err := c.stream(client, alloc, task, o, out); err != nil {
		c.Ui.Error(fmt.Sprintf("Error reading logs: %v", err))
		return exitError
	}
	return exitOK
}

// pickTask returns the named task, or the group's only one.
func pickTask(alloc *api.Allocation, task string) (string, error) {
	var tasks []string
	if alloc.Job != nil {
		for _, tg := range alloc.Job.TaskGroups {
			if deref(tg.Name) == alloc.TaskGroup {
				for _, t := range tg.Tasks {
					tasks = append(tasks, t.Name)
				}
			}
		}
	}
	if len(tasks) == 0 {
		for name := range alloc.TaskStates {
			tasks = append(tasks, name)
		}
		sort.Strings(tasks)
	}
	switch {
	case task != "":
		return task, nil
	case len(tasks) == 1:
		return tasks[0], nil
	case len(tasks) == 0:
		return "", fmt.Errorf("allocation %s has no tasks to read logs of", alloc.ID)
	}
	return "", fmt.Errorf("allocation %s has several tasks: name one of %s", alloc.ID, strings.Join(tasks, ", "))
}

func (c *AllocLogsCommand) stream(client *api.Client, alloc *api.Allocation, task string, o logsOptions, out io.Writer) error {
	logType := "stdout"
	if o.stderr {
		logType = "stderr"
	}
	origin, offset := api.OriginStart, int64(0)
	if o.tail {
		origin = api.OriginEnd
		if o.lines < 0 && o.bytes < 0 {
			o.lines = 10
		}
		offset = o.bytes
		if o.bytes < 0 {
			// Lines have no fixed size: fetch a generous window and cut.
			offset = int64(o.lines+1) * 1024
		}
	}
	cancel := make(chan struct{})
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		select {
		case <-sigs:
			close(cancel)
		case <-cancel:
		}
	}()
	frames, errs := client.AllocFS().Logs(alloc, o.follow, task, logType, origin, offset, cancel, nil)
	var err error
	if o.tail && o.lines >= 0 {
		err = writeTailLines(frames, out, o.lines)
	} else {
		for f := range frames {
			if _, err = out.Write(f.Data); err != nil {
				break
			}
		}
	}
	select {
	case <-cancel:
	default:
		close(cancel)
	}
	if err != nil {
		return err
	}
	return <-errs
}

// writeTailLines buffers the catch-up part of a stream (until it ends or
// goes quiet), prints its last n lines, then passes the rest through.
func writeTailLines(frames <-chan *api.StreamFrame, out io.Writer, n int) error {
	var buf bytes.Buffer
	timer := time.NewTimer(tailSettle)
	defer timer.Stop()
catchUp:
	for {
		select {
		case f, ok := <-frames:
			if !ok {
				break catchUp
			}
			buf.Write(f.Data)
			timer.Reset(tailSettle)
		case <-timer.C:
			break catchUp
		}
	}
	if _, err := out.Write(lastLines(buf.Bytes(), n)); err != nil {
		return err
	}
	for f := range frames {
		if _, err := out.Write(f.Data); err != nil {
			return err
		}
	}
	return nil
}

// lastLines returns the last n lines of b; a final newline does not start
// an extra, empty line.
func lastLines(b []byte, n int) []byte {
	if n == 0 {
		return nil
	}
	end := len(b)
	if end > 0 && b[end-1] == '\n' {
		end--
	}
	for i := end - 1; i >= 0; i-- {
		if b[i] == '\n' {
			n--
			if n == 0 {
				return b[i+1:]
			}
		}
	}
	return b
}
