job "db" {
  group "db" {
    count = 3

    volume "data" {
      type      = "host"
      source    = "pg-data"
      per_alloc = true
    }

    volume "certs" {
      type      = "host"
      source    = "ca-certificates"
      read_only = true
    }

    task "postgres" {
      driver = "exec"

      config {
        command = "/usr/lib/postgresql/bin/postgres"
      }

      volume_mount {
        volume      = "data"
        destination = "/var/lib/postgresql"
      }

      volume_mount {
        volume      = "certs"
        destination = "/etc/ssl/certs"
        read_only   = true
      }
    }
  }
}
