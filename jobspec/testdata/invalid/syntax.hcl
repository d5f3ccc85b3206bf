job "web" {
  group "web" {
    count = 
  }
}
