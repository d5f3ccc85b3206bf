job "full" {
  name        = "Full example"
  region      = "eu"
  namespace   = "platform"
  type        = "batch"
  priority    = 70
  datacenters = ["dc1", "dc2"]
  node_pool   = "gpu"
  all_at_once = true

  meta {
    team = "infra"
    tier = 2
  }

  constraint {
    distinct_hosts = true
  }

  constraint {
    attribute = "${attr.cpu.arch}"
    operator  = "!="
    value     = "arm64"
  }

  group "work" {
    count = 0

    meta = {
      "owner.email" = "ops@example.com"
    }

    constraint {
      distinct_property = "${meta.rack}"
      value             = "2"
    }

    ephemeral_disk {
      size    = 500
      sticky  = true
      migrate = false
    }

    network {
      mode = "host"
      port "db" {
        static       = 5432
        to           = 5432
        host_network = "private"
      }
      port "metrics" {
        to = -1
      }
    }

    task "main" {
      driver       = "raw_exec"
      user         = "nobody"
      leader       = true
      kill_signal  = "SIGINT"
      kill_timeout = "1m30s"

      env = {
        "APP.MODE" = "batch"
        RETRIES    = 3
      }

      config {
        command = "/usr/bin/env"
        args    = ["ratio", 0.5, 42, true]
        nested = {
          deep = ["${NOMAD_TASK_DIR}/x"]
        }
        mount {
          source = "/a"
        }
        mount {
          source = "/b"
        }
        volume "data" {
          path = "/data"
        }
      }

      resources {
        cpu        = 500
        memory     = 256
        memory_max = 512
      }

      restart {
        attempts = 0
      }

      logs {
        disabled = true
      }

      constraint {
        regexp    = "^v[0-9]+"
        attribute = "${attr.os.version}"
      }
    }

    task "sidecar" {
      driver = "raw_exec"

      config {
        command = "sleep"
      }

      lifecycle {
        hook    = "prestart"
        sidecar = true
      }

      artifact {
        source      = "https://example.com/tool.tar.gz"
        destination = "local/tool"
        options {
          checksum = "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
        }
        headers {
          X-Token = "secret"
        }
      }

      artifact {
        source = "https://example.com/${NOMAD_JOB_NAME}/config.json"
        mode   = "file"
      }

      resources {
        cores  = 2
        memory = 64
      }
    }
  }
}
