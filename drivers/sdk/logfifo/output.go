package logfifo

import (
	"fmt"
	"os"

	"github.com/hashicorp/go-hclog"

	"github.com/orch-dev/orch/drivers/sdk"
	"github.com/orch-dev/orch/drivers/sdk/logrotate"
)

// Nomad's defaults for a task without a logs block.
const (
	defaultLogMaxFiles  = 10
	defaultLogMaxSizeMB = 10
)

// Output is a task's stdout and stderr as FIFOs drained by the plugin into
// rotated log files. Drivers record StdoutFIFO and StderrFIFO in their
// task handle so that a restarted plugin can Reopen them.
type Output struct {
	// Stdout and Stderr are the task's ends; nil when logging is disabled,
	// which gives the task /dev/null.
	Stdout, Stderr *os.File
	// StdoutFIFO and StderrFIFO are the FIFOs' paths; empty when logging
	// is disabled.
	StdoutFIFO, StderrFIFO string

	copiers []func()
}

// OpenOutput creates the FIFOs and log writers of cfg; driver prefixes
// errors. Exactly one of Started or Abandon must follow.
func OpenOutput(logger hclog.Logger, driver string, cfg *sdk.TaskConfig) (*Output, error) {
	o := &Output{}
	if cfg.LogDisabled {
		return o, nil
	}
	var ends []*os.File
	var paths []string
	for _, base := range []string{cfg.StdoutPath, cfg.StderrPath} {
		path := ""
		if base != "" {
			path = Path(base, cfg.ID)
		}
		end, copier, err := openStream(logger, driver, cfg, base, path, true)
		if err != nil {
			for _, f := range ends {
				_ = f.Close()
			}
			o.runCopiers()
			removeAll(paths)
			return nil, err
		}
		ends, paths, o.copiers = append(ends, end), append(paths, path), append(o.copiers, copier)
	}
	o.Stdout, o.Stderr = ends[0], ends[1]
	o.StdoutFIFO, o.StderrFIFO = paths[0], paths[1]
	return o, nil
}

// Reopen resumes copying the output of a task started by an earlier
// plugin process from its FIFOs into its log files. A FIFO path may be
// empty (logging disabled, or a handle from before FIFOs).
func Reopen(logger hclog.Logger, driver string, cfg *sdk.TaskConfig, stdoutFIFO, stderrFIFO string) error {
	var copiers []func()
	for _, s := range []struct{ base, fifo string }{{cfg.StdoutPath, stdoutFIFO}, {cfg.StderrPath, stderrFIFO}} {
		if s.fifo == "" {
			continue
		}
		_, copier, err := openStream(logger, driver, cfg, s.base, s.fifo, false)
		if err != nil {
			for _, c := range copiers {
				go c()
			}
			return err
		}
		copiers = append(copiers, copier)
	}
	for _, c := range copiers {
		go c()
	}
	return nil
}

// openStream opens base's log writer and the FIFO at path, creating the
// FIFO when create is set, and returns the task's end (create only) and
// the copier that drains the FIFO into the log writer.
func openStream(logger hclog.Logger, driver string, cfg *sdk.TaskConfig, base, path string, create bool) (*os.File, func(), error) {
	if base == "" {
		return nil, nil, fmt.Errorf("%s: task %q has no log path; the client must set StdoutPath and StderrPath", driver, cfg.ID)
	}
	files, sizeMB := cfg.LogMaxFiles, cfg.LogMaxFileSizeMB
	if files <= 0 {
		files = defaultLogMaxFiles
	}
	if sizeMB <= 0 {
		sizeMB = defaultLogMaxSizeMB
	}
	lw, err := logrotate.New(base, files, int64(sizeMB)<<20)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: task logs: %w", driver, err)
	}
	var reader, end *os.File
	if create {
		reader, end, err = Create(path)
	} else {
		reader, err = Open(path)
	}
	if err != nil {
		_ = lw.Close()
		return nil, nil, fmt.Errorf("%s: task output: %w", driver, err)
	}
	return end, func() { Copy(logger, reader, lw) }, nil
}

// Started closes the plugin's copies of the task's ends, so that the
// copiers see EOF once the task's processes exit, and starts the copiers.
func (o *Output) Started() {
	o.closeEnds()
	for _, c := range o.copiers {
		go c()
	}
}

// Abandon releases the FIFOs and log files of a task that did not start.
func (o *Output) Abandon() {
	o.closeEnds()
	o.runCopiers()
	removeAll([]string{o.StdoutFIFO, o.StderrFIFO})
}

// runCopiers runs each copier to completion; with every writer closed
// each returns at once after closing its reader and log writer.
func (o *Output) runCopiers() {
	for _, c := range o.copiers {
		c()
	}
}

func (o *Output) closeEnds() {
	for _, f := range []*os.File{o.Stdout, o.Stderr} {
		if f != nil {
			_ = f.Close()
		}
	}
}

// RemoveFIFOs deletes a task's FIFOs once it is destroyed; the log files
// stay.
func RemoveFIFOs(paths ...string) error {
	var first error
	for _, p := range paths {
		if p == "" {
			continue
		}
		if err := Remove(p); err != nil && first == nil {
			first = err
		}
	}
	return first
}

func removeAll(paths []string) { _ = RemoveFIFOs(paths...) }
