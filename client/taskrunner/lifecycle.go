package taskrunner

import (
	"context"
	"fmt"
	"maps"
	"sync"

	"github.com/orch-dev/orch/client/getter"
	"github.com/orch-dev/orch/client/taskenv"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// defaultGetter is shared by runners given none, so that every task's
// downloads reuse one HTTP connection pool.
var defaultGetter = sync.OnceValue(func() *getter.Getter { return getter.New(getter.Config{}) })

// Task is the task this runner runs; callers must not change it.
func (tr *TaskRunner) Task() *structs.Task { return tr.task }

// waitStartGate holds the task until its lifecycle phase begins. false
// means Run must end: the task was killed before it began (and is marked
// dead) or the runner was detached.
func (tr *TaskRunner) waitStartGate() bool {
	if tr.cfg.StartGate == nil {
		return true
	}
	select {
	case <-tr.cfg.StartGate:
	case <-tr.killCh:
	case <-tr.ctx.Done():
		return false
	}
	// A kill and the gate may arrive together; the kill wins, so that a
	// stopping allocation starts nothing new.
	if tr.killed() {
		tr.setDead(false, nil)
		return false
	}
	return !tr.detached()
}

func (tr *TaskRunner) taskEnv() *taskenv.TaskEnv {
	td := tr.cfg.AllocDir.TaskDir(tr.task.Name)
	return taskenv.New(taskenv.Input{
		Node: tr.cfg.Node, Alloc: tr.cfg.Alloc, Task: tr.task, Region: tr.cfg.Region,
		AllocDir: tr.cfg.AllocDir.SharedDir, TaskDir: td.LocalDir, SecretsDir: td.SecretsDir,
	})
}

// fetchArtifacts downloads every artifact into the task directory, its
// source, destination, options and headers interpolated first as Nomad
// does. A kill or detach cancels the download.
func (tr *TaskRunner) fetchArtifacts() error {
	tr.emit(newEvent(structs.TaskDownloadingArtifacts, "Client is downloading artifacts"))
	g := tr.cfg.Getter
	if g == nil {
		g = defaultGetter()
	}
	ctx, cancel := context.WithCancel(tr.ctx)
	defer cancel()
	go func() {
		select {
		case <-tr.killCh:
			cancel()
		case <-ctx.Done():
		}
	}()
	env := tr.taskEnv()
	taskDir := tr.cfg.AllocDir.TaskDir(tr.task.Name).Dir
	for _, a := range tr.task.Artifacts {
		resolved := &structs.TaskArtifact{
			GetterSource:  env.Replace(a.GetterSource),
			GetterOptions: replaceMap(env, a.GetterOptions),
			GetterHeaders: replaceMap(env, a.GetterHeaders),
			GetterMode:    a.GetterMode,
			RelativeDest:  env.Replace(a.RelativeDest),
		}
		if err := g.Get(ctx, taskDir, resolved); err != nil {
			tr.logger.Warn("failed to download artifact", "source", resolved.GetterSource, "error", err)
			err = fmt.Errorf("failed to download artifact %q: %w", resolved.GetterSource, err)
			tr.emit(artifactFailedEvent(err))
			return err
		}
		tr.logger.Debug("downloaded artifact", "source", resolved.GetterSource, "destination", resolved.RelativeDest)
	}
	return nil
}

func replaceMap(env *taskenv.TaskEnv, m map[string]string) map[string]string {
	out := maps.Clone(m)
	for k, v := range out {
		out[k] = env.Replace(v)
	}
	return out
}

func artifactFailedEvent(err error) *structs.TaskEvent {
	ev := newEvent(structs.TaskArtifactDownloadFl, err.Error())
	ev.Message = err.Error()
	ev.Details["download_error"] = err.Error()
	return ev
}

// MainDeadEvent is what the alloc runner passes to Kill on sidecars and
// poststart tasks once every main task has finished.
func MainDeadEvent() *structs.TaskEvent {
	return newEvent(structs.TaskMainDead, "Main tasks in the group died")
}
