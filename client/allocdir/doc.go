// Package allocdir lays out an allocation's directory on the client and
// reads the task logs drivers write into it:
//
//	<root>/<alloc-id>/
//	  alloc/            shared by the tasks (NOMAD_ALLOC_DIR)
//	    logs/           <task>.stdout.<n>, <task>.stderr.<n>, rotated by the driver
//	    data/ tmp/
//	  <task>/
//	    local/          the task's own files (NOMAD_TASK_DIR)
//	    secrets/        mode 0700 (NOMAD_SECRETS_DIR)
//	    tmp/
package allocdir
