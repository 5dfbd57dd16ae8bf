// http-go is examples/http-c with Go's net/http:
//
//	GET /           a fixed page
//	GET /env/NAME   the value of environment variable NAME (404 if unset)
//	anything else   404 (405 for methods other than GET and HEAD)
//
// It listens on 0.0.0.0:$PORT (default 8080) and shuts down cleanly on
// SIGTERM (unik stop).
package main

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

const page = "<!doctype html><title>unik</title><h1>hello from a Go unikernel</h1>\n"

func handle(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	switch {
	case r.URL.Path == "/":
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, page)
	case strings.HasPrefix(r.URL.Path, "/env/") && len(r.URL.Path) > len("/env/"):
		v, ok := os.LookupEnv(r.URL.Path[len("/env/"):])
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintln(w, v)
	default:
		http.NotFound(w, r)
	}
}

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	srv := &http.Server{Addr: "0.0.0.0:" + port, Handler: http.HandlerFunc(handle)}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, os.Interrupt)
	go func() {
		<-stop
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}()
	log.SetFlags(0)
	log.Printf("http-go listening on %s", srv.Addr)
	if err := srv.ListenAndServe(); err != http.ErrServerClosed {
		log.Fatal(err)
	}
	log.Printf("http-go: shut down")
}
