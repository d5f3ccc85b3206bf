// Command testprog is the one program inside the docker driver's test
// image. It is built static (CGO_ENABLED=0) so the image can be FROM
// scratch; the first argument picks what it does:
//
//	echo OUT ERR        print OUT to stdout and ERR to stderr, exit 0
//	exit CODE           exit with CODE
//	env NAME...         print NAME=value for each variable
//	sleep DURATION      print "sleeping", sleep, exit 0 on SIGTERM or SIGINT
//	ignoreterm          run until SIGKILL, reporting and ignoring SIGTERM
//	signals             print "got <signal>" for SIGHUP/SIGUSR1, exit 0 on SIGTERM
//	serve PORT          answer HTTP GETs on PORT with "hello from testprog"
//	oom                 allocate and touch memory until killed
//	ticks N INTERVAL CODE  print "tick i" N times, INTERVAL apart, then exit CODE
//	spin DURATION       keep one core busy, then exit 0
//	cwd                 print the working directory and hostname
//	cat PATH            print a file's contents
//	write PATH TEXT...  write each TEXT to its PATH, printing "wrote PATH"
//	                    or "failed PATH: <error>" for each; exit 0
package main

import (
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fail("usage: testprog MODE [ARGS]")
	}
	args := os.Args[2:]
	switch os.Args[1] {
	case "echo":
		fmt.Fprintln(os.Stdout, arg(args, 0))
		fmt.Fprintln(os.Stderr, arg(args, 1))
	case "exit":
		os.Exit(atoi(arg(args, 0)))
	case "env":
		for _, name := range args {
			fmt.Printf("%s=%s\n", name, os.Getenv(name))
		}
	case "sleep":
		d, err := time.ParseDuration(arg(args, 0))
		if err != nil {
			fail(err.Error())
		}
		sigs := make(chan os.Signal, 1)
		signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
		fmt.Println("sleeping")
		select {
		case <-time.After(d):
		case s := <-sigs:
			fmt.Println("stopping on", s)
		}
	case "ignoreterm":
		sigs := make(chan os.Signal, 1)
		signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
		fmt.Println("ignoring SIGTERM")
		for s := range sigs {
			fmt.Println("ignored", s)
		}
	case "signals":
		signalLoop()
	case "serve":
		http.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
			fmt.Fprintln(w, "hello from testprog")
		})
		fmt.Println("listening on", arg(args, 0))
		if err := http.ListenAndServe(":"+arg(args, 0), nil); err != nil {
			fail(err.Error())
		}
	case "oom":
		var keep [][]byte
		for {
			b := make([]byte, 4<<20)
			for i := range b {
				b[i] = byte(i)
			}
			keep = append(keep, b)
		}
	case "ticks":
		n, code := atoi(arg(args, 0)), atoi(arg(args, 2))
		d, err := time.ParseDuration(arg(args, 1))
		if err != nil {
			fail(err.Error())
		}
		for i := 0; i < n; i++ {
			fmt.Printf("tick %d\n", i)
			time.Sleep(d)
		}
		os.Exit(code)
	case "spin":
		d, err := time.ParseDuration(arg(args, 0))
		if err != nil {
			fail(err.Error())
		}
		n := 0
		for end := time.Now().Add(d); time.Now().Before(end); {
			n++
		}
		fmt.Println("spun", n)
	case "cwd":
		wd, _ := os.Getwd()
		host, _ := os.Hostname()
		fmt.Printf("cwd=%s hostname=%s\n", wd, host)
	case "cat":
		b, err := os.ReadFile(arg(args, 0))
		if err != nil {
			fail(err.Error())
		}
		os.Stdout.Write(b)
	case "write":
		for i := 0; i+1 < len(args); i += 2 {
			if err := os.WriteFile(args[i], []byte(args[i+1]), 0o644); err != nil {
				fmt.Printf("failed %s: %v\n", args[i], err)
			} else {
				fmt.Printf("wrote %s\n", args[i])
			}
		}
	default:
		fail("unknown mode " + os.Args[1])
	}
}

func signalLoop() {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGHUP, syscall.SIGUSR1, syscall.SIGTERM)
	fmt.Println("waiting for signals")
	for s := range sigs {
		fmt.Println("got", s)
		if s == syscall.SIGTERM {
			os.Exit(0)
		}
	}
}

func arg(args []string, i int) string {
	if i >= len(args) {
		fail(fmt.Sprintf("missing argument %d", i+1))
	}
	return args[i]
}

func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		fail(err.Error())
	}
	return n
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, "testprog:", msg)
	os.Exit(2)
}
