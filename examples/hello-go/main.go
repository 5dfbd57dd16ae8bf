// hello-go prints its arguments and one environment variable, and exits
// with the status given in EXIT_CODE: examples/hello-c, in Go.
package main

import (
	"fmt"
	"os"
	"strconv"
)

func main() {
	fmt.Println("hello from unik")
	for i, a := range os.Args[1:] {
		fmt.Printf("arg[%d]=%s\n", i+1, a)
	}
	if g, ok := os.LookupEnv("GREETING"); ok {
		fmt.Printf("GREETING=%s\n", g)
	}
	code := 0
	if s := os.Getenv("EXIT_CODE"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			fmt.Fprintf(os.Stderr, "EXIT_CODE: %v\n", err)
			n = 2
		}
		code = n
	}
	os.Exit(code)
}
