package taskrunner

import (
	"github.com/orch-dev/orch/client/template"
	"github.com/orch-dev/orch/drivers/sdk"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// renderTemplates renders the task's templates before its first start and
// keeps them current while the runner lives: env = true templates add to
// the task's environment, and a changed output restarts or signals the
// task as its change_mode says. A template that cannot render fails the
// task's setup, as in Nomad.
func (tr *TaskRunner) renderTemplates(base *sdk.TaskConfig) error {
	if len(tr.task.Templates) == 0 {
		return nil
	}
	if tr.cfg.Catalog == nil {
		return nil
	}
	mgr := template.New(&template.Config{
		Logger: tr.logger, Templates: tr.task.Templates, TaskDir: tr.cfg.AllocDir.TaskDir(tr.task.Name).Dir,
		Env: base.Env, RPC: tr.cfg.Catalog, Namespace: tr.cfg.Alloc.Namespace, Region: tr.cfg.Region,
	})
	env, err := mgr.RenderAll()
	if err != nil {
		return err
	}
	if len(env) > 0 {
		merged := make(map[string]string, len(base.Env)+len(env))
		for k, v := range base.Env {
			merged[k] = v
		}
		for k, v := range env {
			merged[k] = v
		}
		base.Env = merged
	}
	go mgr.Watch(tr.ctx, tr.templateChanged)
	return nil
}

func (tr *TaskRunner) templateChanged(c template.Change) {
	switch c.Mode {
	case structs.TemplateChangeModeRestart:
		if err := tr.Restart("Template with change_mode restart re-rendered", false); err != nil {
			tr.logger.Debug("template restart skipped", "destination", c.Dest, "error", err)
		}
	case structs.TemplateChangeModeSignal:
		if err := tr.Signal(c.Signal); err != nil {
			tr.logger.Warn("template signal failed", "destination", c.Dest, "signal", c.Signal, "error", err)
		}
	}
}
