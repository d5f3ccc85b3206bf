package command

import (
	"bytes"
	"errors"
	"flag"
	"regexp"
	"testing"

	"github.com/orch-dev/orch/command/agent"
)

// TestAgentCommand_HelpNamesEveryFlag: `orch agent -help` documents every
// flag the agent accepts. The flag set's own usage listing is the truth.
func TestAgentCommand_HelpNamesEveryFlag(t *testing.T) {
	var usage bytes.Buffer
	if _, err := agent.LoadConfig([]string{"-h"}, &usage); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("LoadConfig(-h) = %v, want flag.ErrHelp", err)
	}
	names := regexp.MustCompile(`(?m)^\s+-([a-z][a-z-]*)`).FindAllStringSubmatch(usage.String(), -1)
	if len(names) < 10 {
		t.Fatalf("found %d flags in the usage listing, want the agent's full set:\n%s", len(names), usage.String())
	}
	help := (&AgentCommand{}).Help()
	for _, m := range names {
		t.Run(m[1], func(t *testing.T) {
			if !regexp.MustCompile(`-` + regexp.QuoteMeta(m[1]) + `\b[^-]`).MatchString(help) {
				t.Errorf("orch agent -help does not mention -%s", m[1])
			}
		})
	}
}
