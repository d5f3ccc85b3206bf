package jobspec

import (
	"fmt"
	"os"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/orch-dev/orch/api"
)

// ParseConfig says what to parse and with which variable values.
type ParseConfig struct {
	// Path names the job file in diagnostics; it is read when Body is nil.
	Path string
	// Body is the job file's content.
	Body []byte
	// ArgVars are "name=value" assignments, as given to -var.
	ArgVars []string
	// VarFiles are files of "name = value" lines, as given to -var-file,
	// applied in order before ArgVars.
	VarFiles []string
	// VarContents are var files already in memory (the Variables of a
	// /v1/jobs/parse request), applied in order after VarFiles.
	VarContents []VarFileContent
	// TaskConfigSchema, when set, looks up the keys each driver's task
	// config accepts, so a misspelt key is reported at its own line
	// instead of failing the task on the client. jobspec knows no
	// drivers itself: the CLI passes the built-in drivers' schemas.
	TaskConfigSchema TaskConfigSchema
	// NodeCapacity, when set, is the most any ready node of the cluster
	// offers; a task asking for more cpu, cores or memory than that is
	// reported at the attribute, since it could never be placed.
	NodeCapacity *NodeCapacity
}

// VarFileContent is a var file's content; Name labels it in diagnostics.
type VarFileContent struct {
	Name string
	Body []byte
}

var fileSchema = &hcl.BodySchema{
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "job", LabelNames: []string{"id"}},
		{Type: "variable", LabelNames: []string{"name"}},
		{Type: "locals"},
	},
}

// Parse parses a jobspec held in memory; filename only names it in
// diagnostics. Variables without a default make it fail: use
// ParseWithConfig to give them values.
func Parse(filename string, src []byte) (*api.Job, error) {
	return ParseWithConfig(&ParseConfig{Path: filename, Body: src})
}

// ParseFile reads and parses the jobspec at path.
func ParseFile(path string) (*api.Job, error) {
	return ParseWithConfig(&ParseConfig{Path: path})
}

// ParseWithConfig parses a jobspec, resolving its variables from cfg.
//
// The job comes back with only what the file sets; call its Canonicalize
// for Nomad's defaults. When the file has problems the error is an *Error
// listing all of them, each with file:line,column.
func ParseWithConfig(cfg *ParseConfig) (*api.Job, error) {
	if cfg == nil {
		return nil, fmt.Errorf("parse jobspec: no parse config given")
	}
	src := cfg.Body
	if src == nil {
		var err error
		if src, err = os.ReadFile(cfg.Path); err != nil {
			return nil, fmt.Errorf("read jobspec: %w", err)
		}
	}
	file, diags := hclsyntax.ParseConfig(src, cfg.Path, hcl.InitialPos)
	if diags.HasErrors() {
		return nil, diagsError(diags)
	}

	e := &evaluator{src: src, configSchema: cfg.TaskConfigSchema, capacity: cfg.NodeCapacity}
	top := e.content(file.Body, "file", fileSchema)
	// Problems with variables are reported along with those of the job:
	// references to a broken variable fail quietly.
	e.setInputs(top.Blocks, cfg)

	jobs := blocksOf(top.Blocks, "job")
	if len(jobs) == 0 {
		// A job block whose header HCL rejected has been reported.
		if !hasBlock(file.Body, "job") {
			e.errorf(file.Body.MissingItemRange(), "Missing job block",
				`a jobspec needs exactly one job block, as in job "example" { ... }`)
		}
		return nil, diagsError(e.diags)
	}
	for _, extra := range jobs[1:] {
		e.errorf(extra.DefRange, "Duplicate job block",
			"a jobspec holds exactly one job block; the first is at %s", jobs[0].DefRange)
	}
	job := e.job(jobs[0])
	if err := diagsError(e.diags); err != nil {
		return nil, err
	}
	return job, nil
}

// hasBlock reports whether body holds a block of type typ, well-formed or
// not.
func hasBlock(body hcl.Body, typ string) bool {
	syn, ok := body.(*hclsyntax.Body)
	if !ok {
		return false
	}
	for _, b := range syn.Blocks {
		if b.Type == typ {
			return true
		}
	}
	return false
}
