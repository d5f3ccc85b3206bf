# A small service: three copies of a shell loop that logs a line every
# second. Run it with `orch job run examples/web.hcl`, then follow one
# allocation with `orch alloc logs -f <alloc-id>`.
job "web" {
  type        = "service"
  datacenters = ["*"]

  group "web" {
    count = 3

    task "server" {
      driver = "raw_exec"

      config {
        command = "/bin/sh"
        # $NOMAD_ALLOC_ID is read by the shell from the task's environment.
        args = ["-c", "while true; do echo \"web $NOMAD_ALLOC_ID: $(date -u +%H:%M:%S)\"; sleep 1; done"]
      }

      resources {
        cpu    = 100
        memory = 64
      }
    }
  }
}
