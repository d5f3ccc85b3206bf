// Package logrotate writes a task's stdout or stderr to size-bounded files
// "<base>.0", "<base>.1", ..., keeping only the newest few. Drivers wrap
// each task's output pipe in a Writer; `alloc logs` reads the files back in
// index order. A Writer resumes at the highest existing index, so a driver
// plugin that restarts appends instead of overwriting what a task wrote.
package logrotate
