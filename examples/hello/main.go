// Command hello is the tiny HTTP server of the orch examples: built as a
// static binary into a FROM-scratch image (`make example-image`), it needs
// nothing a registry would have to provide.
package main

import (
	"fmt"
	"log"
	"net/http"
	"os"
)

func main() {
	addr := ":8080"
	if p := os.Getenv("PORT"); p != "" {
		addr = ":" + p
	}
	host, _ := os.Hostname()
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		log.Printf("%s %s from %s", r.Method, r.URL.Path, r.RemoteAddr)
		fmt.Fprintf(w, "hello from %s (alloc %s)\n", host, os.Getenv("NOMAD_ALLOC_ID"))
	})
	log.SetOutput(os.Stdout)
	log.Printf("hello listening on %s", addr)
	log.Fatal(http.ListenAndServe(addr, nil))
}
