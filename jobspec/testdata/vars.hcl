replicas = 5
labels = {
  owner = "web-team"
}
