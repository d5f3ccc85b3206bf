package jobspec

import (
	"net/url"
	"path"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/orch-dev/orch/api"
)

var lifecycleSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "hook", Required: true}, {Name: "sidecar"}},
}

var artifactSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "source", Required: true},
		{Name: "destination"},
		{Name: "mode"},
		{Name: "options"},
		{Name: "headers"},
	},
	Blocks: []hcl.BlockHeaderSchema{{Type: "options"}, {Type: "headers"}},
}

var (
	lifecycleHooks = []string{api.TaskLifecycleHookPrestart, api.TaskLifecycleHookPoststart, api.TaskLifecycleHookPoststop}
	getterModes    = []string{api.GetterModeAny, api.GetterModeFile, api.GetterModeDir}
	// checksumDigits is the length in hex digits of each checksum type an
	// artifact may name.
	checksumDigits = map[string]int{"md5": 32, "sha1": 40, "sha256": 64, "sha512": 128}
)

// lifecycle decodes a task's `lifecycle { hook = "prestart" }` block.
func (e *evaluator) lifecycle(b *hcl.Block) *api.TaskLifecycle {
	c := e.content(b.Body, "lifecycle", lifecycleSchema)
	l := &api.TaskLifecycle{}
	if h := e.stringAttr(c.Attributes, "hook"); h != nil {
		l.Hook = *h
		if !contains(lifecycleHooks, *h) {
			e.errorf(c.Attributes["hook"].Expr.Range(), invalidValue("hook"),
				"hook must be one of %s, got %q", strings.Join(lifecycleHooks, ", "), *h)
		}
	}
	if s := e.boolAttr(c.Attributes, "sidecar"); s != nil {
		l.Sidecar = *s
	}
	return l
}

// artifact decodes one `artifact { source = ... }` block of a task. The
// source may hold runtime interpolations (${NOMAD_*}, ${attr.*}); the
// client resolves them before fetching.
func (e *evaluator) artifact(b *hcl.Block) *api.TaskArtifact {
	c := e.content(b.Body, "artifact", artifactSchema)
	a := &api.TaskArtifact{
		GetterSource:  e.stringAttr(c.Attributes, "source"),
		RelativeDest:  e.stringAttr(c.Attributes, "destination"),
		GetterMode:    e.stringAttr(c.Attributes, "mode"),
		GetterOptions: e.stringMapAttrOrBlock(c, "options"),
		GetterHeaders: e.stringMapAttrOrBlock(c, "headers"),
	}
	rangeOf := func(name string) hcl.Range { return c.Attributes[name].Expr.Range() }
	if s := a.GetterSource; s != nil {
		if strings.TrimSpace(*s) == "" {
			e.errorf(rangeOf("source"), invalidValue("source"), "source must be the URL to fetch, got an empty string")
		} else if u, err := url.Parse(*s); err == nil && u.Scheme != "" && u.Scheme != "http" && u.Scheme != "https" && !strings.Contains(*s, "${") {
			e.errorf(rangeOf("source"), invalidValue("source"),
				"source must be an http:// or https:// URL, got scheme %q", u.Scheme)
		}
	}
	if m := a.GetterMode; m != nil && !contains(getterModes, *m) {
		e.errorf(rangeOf("mode"), invalidValue("mode"), "mode must be one of %s, got %q", strings.Join(getterModes, ", "), *m)
	}
	if d := a.RelativeDest; d != nil && destinationEscapes(*d) {
		e.errorf(rangeOf("destination"), invalidValue("destination"),
			"destination must be a path inside the task directory, without \"..\" and not absolute, got %q", *d)
	}
	e.artifactOptions(c, a.GetterOptions)
	return a
}

// artifactOptions checks the getter options orch implements: only
// checksum, as "type:hex".
func (e *evaluator) artifactOptions(c *hcl.BodyContent, opts map[string]string) {
	rng := func() hcl.Range {
		if a := c.Attributes["options"]; a != nil {
			return a.Expr.Range()
		}
		if bs := blocksOf(c.Blocks, "options"); len(bs) > 0 {
			b := bs[0]
			if attrs, _ := b.Body.JustAttributes(); len(attrs) > 0 {
				if a := attrs["checksum"]; a != nil {
					return a.Expr.Range()
				}
			}
			return b.DefRange
		}
		return hcl.Range{}
	}
	keys := make([]string, 0, len(opts))
	for k := range opts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if k != "checksum" {
			e.errorf(rng(), invalidValue("options"), "options supports only checksum, got %q", k)
			continue
		}
		typ, digest, _ := strings.Cut(opts[k], ":")
		want, ok := checksumDigits[strings.ToLower(typ)]
		if !ok || len(digest) != want || strings.Trim(strings.ToLower(digest), "0123456789abcdef") != "" {
			e.errorf(rng(), invalidValue("checksum"),
				"checksum must be \"type:hex\" with type md5, sha1, sha256 or sha512 and a digest of that length, got %q", opts[k])
		}
	}
}

// destinationEscapes reports whether an artifact destination leaves the
// task directory. Destinations starting with an interpolation are checked
// on the client once resolved.
func destinationEscapes(dest string) bool {
	if strings.HasPrefix(dest, "${") {
		return false
	}
	if path.IsAbs(dest) || strings.HasPrefix(dest, `\`) {
		return true
	}
	for _, part := range strings.FieldsFunc(dest, func(r rune) bool { return r == '/' || r == '\\' }) {
		if part == ".." {
			return true
		}
	}
	return false
}
