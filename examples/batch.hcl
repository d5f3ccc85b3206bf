# A batch job: one task that prints a line and exits 0, after which the
# allocation is complete and is not restarted.
job "batch" {
  type        = "batch"
  datacenters = ["*"]

  group "batch" {
    count = 1

    task "hello" {
      driver = "raw_exec"

      config {
        command = "/bin/sh"
        args    = ["-c", "echo \"hello from ${NOMAD_JOB_NAME} in allocation $NOMAD_ALLOC_ID\"; exit 0"]
      }

      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
