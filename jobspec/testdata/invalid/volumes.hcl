job "db" {
  group "db" {
    volume "data" {
      type   = "nfs"
      source = "pg-data"
    }

    volume "nosource" {
      type = "host"
    }

    volume "notype" {
      source = "x"
    }

    volume "data" {
      type   = "host"
      source = "again"
    }

    volume "fancy" {
      type   = "csi"
      source = "ebs"
    }

    task "postgres" {
      driver = "exec"

      volume_mount {
        volume      = "logs"
        destination = "/var/log/postgres"
      }

      volume_mount {
        volume      = "data"
        destination = "data"
      }

      volume_mount {
        destination = "/srv"
      }

      volume_mount {
        volume           = "data"
        destination      = "/mnt"
        propagation_mode = "bidirectional"
      }
    }
  }
}
