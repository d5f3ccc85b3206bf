// Command cpuburner burns about a tenth of a core while the file named by
// its first argument exists, and idles otherwise: the load the autoscaling
// end-to-end test turns on and off.
package main

import (
	"os"
	"time"
)

func main() {
	if len(os.Args) != 2 {
		os.Stderr.WriteString("usage: cpuburner <control-file>\n")
		os.Exit(2)
	}
	control := os.Args[1]
	for {
		if _, err := os.Stat(control); err != nil {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		// 10 ms busy, 90 ms idle: a tenth of a core, which is well above
		// a 100 MHz ask on any machine, without crowding a shared host.
		end := time.Now().Add(10 * time.Millisecond)
		for time.Now().Before(end) {
		}
		time.Sleep(90 * time.Millisecond)
	}
}
