package command

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/hashicorp/cli"

	"github.com/orch-dev/orch/api"
)

// Meta holds what every command shares: the UI and the flags that select
// and authenticate to an agent.
type Meta struct {
	Ui cli.Ui

	address   string
	region    string
	namespace string
	token     string
}

// generalOptionsHelp documents the flags Meta adds to every command.
const generalOptionsHelp = `General Options:

  -address=<addr>
    The address of the orch agent. Overrides ORCH_ADDR (or NOMAD_ADDR).
    Default: http://127.0.0.1:4646

  -region=<region>
    The region to send the request to. Overrides ORCH_REGION.

  -namespace=<namespace>
    The namespace to use. Overrides ORCH_NAMESPACE (or NOMAD_NAMESPACE).
    Default: "default".

  -token=<token>
    The ACL token. Overrides ORCH_TOKEN (or NOMAD_TOKEN).`

// FlagSet returns a flag set with the general options; parse errors are
// reported once, by the command.
func (m *Meta) FlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&m.address, "address", "", "")
	fs.StringVar(&m.region, "region", "", "")
	fs.StringVar(&m.namespace, "namespace", "", "")
	fs.StringVar(&m.token, "token", "", "")
	return fs
}

// Client returns an API client: the environment, then the flags.
func (m *Meta) Client() (*api.Client, error) {
	cfg := api.DefaultConfig()
	if m.address != "" {
		cfg.Address = m.address
	}
	if m.region != "" {
		cfg.Region = m.region
	}
	if m.namespace != "" {
		cfg.Namespace = m.namespace
	}
	if m.token != "" {
		cfg.SecretID = m.token
	}
	return api.NewClient(cfg)
}

// parseArgs parses flags and checks the positional argument count; on a
// usage error it prints why and the help, and returns false.
func (m *Meta) parseArgs(fs *flag.FlagSet, args []string, minArgs, maxArgs int, help string) bool {
	if err := fs.Parse(args); err != nil {
		m.Ui.Error(fmt.Sprintf("Error parsing flags: %v", err))
		m.Ui.Error(commandErrorText(help))
		return false
	}
	n := fs.NArg()
	if n < minArgs || (maxArgs >= 0 && n > maxArgs) {
		switch {
		case maxArgs == 0:
			m.Ui.Error("This command takes no arguments")
		case minArgs == maxArgs:
			m.Ui.Error(fmt.Sprintf("This command takes %d argument(s), got %d", minArgs, n))
		default:
			m.Ui.Error(fmt.Sprintf("This command takes %d to %d arguments, got %d", minArgs, maxArgs, n))
		}
		m.Ui.Error(commandErrorText(help))
		return false
	}
	return true
}

// client builds the API client, reporting a failure to the user.
func (m *Meta) client() (*api.Client, bool) {
	c, err := m.Client()
	if err != nil {
		m.Ui.Error(fmt.Sprintf("Error initializing client: %v", err))
		return nil, false
	}
	return c, true
}

// jobClient builds the API client and resolves a job ID or prefix, the
// start of every verb that acts on one job; failures are reported to the
// user.
func (m *Meta) jobClient(idOrPrefix string) (*api.Client, string, bool) {
	c, ok := m.client()
	if !ok {
		return nil, "", false
	}
	jobID, err := resolveJobID(c, idOrPrefix)
	if err != nil {
		m.Ui.Error(err.Error())
		return nil, "", false
	}
	return c, jobID, true
}

// outputJSON prints v as indented JSON, for -json.
func (m *Meta) outputJSON(v interface{}) int {
	buf, err := json.MarshalIndent(v, "", "    ")
	if err != nil {
		m.Ui.Error(fmt.Sprintf("Error encoding JSON: %v", err))
		return 1
	}
	m.Ui.Output(string(buf))
	return 0
}

func commandErrorText(help string) string {
	first, _, _ := strings.Cut(strings.TrimSpace(help), "\n")
	return first + "\nRun with -help for more information."
}

// idLength is how many characters of an ID tables show: all of it with
// -verbose, Nomad's short prefix otherwise.
func idLength(verbose bool) int {
	if verbose {
		return 0
	}
	return shortIDLength
}

// clockOr returns now, or time.Now when a test did not set a clock.
func clockOr(now func() time.Time) func() time.Time {
	if now != nil {
		return now
	}
	return time.Now
}
