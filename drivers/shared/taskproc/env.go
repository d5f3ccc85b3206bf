package taskproc

import "sort"

// DefaultPath is given to tasks whose env sets no PATH, so that a command
// such as "sleep" resolves as it would in a login shell.
const DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// Env is the task's environment and nothing of the agent's, sorted: a
// task must not see the agent's secrets or depend on how the agent was
// started.
func Env(env map[string]string) []string {
	out := make([]string, 0, len(env)+1)
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	if _, ok := env["PATH"]; !ok {
		out = append(out, "PATH="+DefaultPath)
	}
	sort.Strings(out)
	return out
}
