package api

import "time"

// Template is a task's template block, in Nomad's JSON shape: a Go
// text/template rendered into the task directory before the task starts
// and again whenever the catalog data it reads changes.
type Template struct {
	SourcePath   *string        `json:",omitempty"`
	DestPath     *string        `json:",omitempty"`
	EmbeddedTmpl *string        `json:",omitempty"`
	ChangeMode   *string        `json:",omitempty"`
	ChangeSignal *string        `json:",omitempty"`
	Splay        *time.Duration `json:",omitempty"`
	Perms        *string        `json:",omitempty"`
	LeftDelim    *string        `json:",omitempty"`
	RightDelim   *string        `json:",omitempty"`
	Envvars      *bool          `json:",omitempty"`
}

// Template change modes.
const (
	TemplateChangeModeNoop    = "noop"
	TemplateChangeModeRestart = "restart"
	TemplateChangeModeSignal  = "signal"
)

// Canonicalize fills a template's unset fields with Nomad's defaults.
func (t *Template) Canonicalize() {
	if t == nil {
		return
	}
	setDefault(&t.SourcePath, "")
	setDefault(&t.DestPath, "")
	setDefault(&t.EmbeddedTmpl, "")
	setDefault(&t.ChangeMode, TemplateChangeModeRestart)
	setDefault(&t.ChangeSignal, "")
	setDefault(&t.Splay, 5*time.Second)
	setDefault(&t.Perms, "0644")
	setDefault(&t.LeftDelim, "{{")
	setDefault(&t.RightDelim, "}}")
	setDefault(&t.Envvars, false)
}

// TemplateFuncNames are the functions a template may call, beyond
// text/template's own; nomadService and nomadServices are Nomad's names.
var TemplateFuncNames = []string{
	"service", "services", "nomadService", "nomadServices", "env", "key", "keyOrDefault",
	"toUpper", "toLower", "join", "split", "trimSpace", "replaceAll", "contains", "default",
}
