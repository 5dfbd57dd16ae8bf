// gostress exercises what the Go runtime needs of the unik runtime:
// goroutines by the ten thousand, channels, timers, the garbage collector
// under allocation, asynchronous preemption (SIGURG), signals, pipes
// through the netpoller.  Each part prints one line "NAME: ok" or
// "NAME: FAILED ..."; the last line is "gostress: ok" when all passed, and
// the exit status is 1 when one failed.  tests/e2e/t0012-go.sh checks the
// lines.  The argument picks the goroutine count (default 10000); the
// garbage made scales with it.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

var failed bool

func report(name string, err error) {
	if err != nil {
		failed = true
		fmt.Printf("%s: FAILED %v\n", name, err)
		return
	}
	fmt.Printf("%s: ok\n", name)
}

// goroutines: n goroutines each wait on a timer, then send their number
// through a channel; every number arrives exactly once.
func goroutines(n int) error {
	out := make(chan int, 64)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			t := time.NewTimer(time.Duration(i%50) * time.Millisecond)
			<-t.C
			out <- i
		}(i)
	}
	go func() { wg.Wait(); close(out) }()
	seen := make([]bool, n)
	count := 0
	for i := range out {
		if seen[i] {
			return fmt.Errorf("goroutine %d reported twice", i)
		}
		seen[i] = true
		count++
	}
	if count != n {
		return fmt.Errorf("%d of %d goroutines reported", count, n)
	}
	fmt.Printf("goroutines: %d started, each a timer and a send, all arrived\n", n)
	return nil
}

// pipeline: numbers through a chain of stages joined by unbuffered
// channels; the sum at the end is the sum put in.
func pipeline(stages, items int) error {
	first := make(chan int)
	in := first
	for s := 0; s < stages; s++ {
		next := make(chan int)
		go func(in <-chan int, out chan<- int) {
			for v := range in {
				out <- v + 1
			}
			close(out)
		}(in, next)
		in = next
	}
	go func() {
		for i := 0; i < items; i++ {
			first <- i
		}
		close(first)
	}()
	sum, want := 0, 0
	for v := range in {
		sum += v
	}
	for i := 0; i < items; i++ {
		want += i + stages
	}
	if sum != want {
		return fmt.Errorf("sum %d, want %d", sum, want)
	}
	return nil
}

// selects: select with time.After timeouts, a ticker, and a context
// deadline all fire, none before its time.
func selects() error {
	start := time.Now()
	never := make(chan int)
	select {
	case <-never:
		return fmt.Errorf("a channel nobody sends on delivered")
	case <-time.After(30 * time.Millisecond):
	}
	if d := time.Since(start); d < 30*time.Millisecond {
		return fmt.Errorf("time.After(30ms) fired after %v", d)
	}
	tk := time.NewTicker(5 * time.Millisecond)
	for i := 0; i < 10; i++ {
		<-tk.C
	}
	tk.Stop()
	if d := time.Since(start); d < 80*time.Millisecond {
		return fmt.Errorf("30ms + 10 ticks of 5ms took %v", d)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	<-ctx.Done()
	if ctx.Err() != context.DeadlineExceeded {
		return fmt.Errorf("context: %v", ctx.Err())
	}
	return nil
}

type node struct {
	next *node
	data [120]byte
}

// gc: goroutines allocate linked lists (about 200 MB in all for 10,000
// goroutines, more than the instance's memory) and keep only a little;
// the collector must reclaim the rest.
func gc(workers, rounds int) error {
	var wg sync.WaitGroup
	var kept int64
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	before := ms.NumGC
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for r := 0; r < rounds; r++ {
				var head *node
				for i := 0; i < 1000; i++ {
					head = &node{next: head}
					head.data[0] = byte(i)
				}
				n := 0
				for p := head; p != nil; p = p.next {
					n++
				}
				if n == 1000 {
					atomic.AddInt64(&kept, 1)
				}
			}
		}(w)
	}
	wg.Wait()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	if kept != int64(workers*rounds) {
		return fmt.Errorf("%d of %d lists whole", kept, workers*rounds)
	}
	cycles := ms.NumGC - before
	if cycles < 2 {
		return fmt.Errorf("only %d collections", cycles)
	}
	fmt.Printf("gc: %d MB allocated in all, %d collections, heap %d MB after\n",
		ms.TotalAlloc>>20, cycles, ms.HeapAlloc>>20)
	return nil
}

// preempt: with one P, a goroutine spinning in a loop without calls must
// be preempted (SIGURG) so that a timer's goroutine runs.
func preempt() error {
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)
	var stop int32
	done := make(chan struct{})
	go func() {
		x := 0
		for atomic.LoadInt32(&stop) == 0 {
			x++
		}
		_ = x
		close(done)
	}()
	runtime.Gosched() // the spinner starts
	fired := make(chan struct{})
	go func() {
		time.Sleep(20 * time.Millisecond)
		close(fired)
	}()
	select {
	case <-fired:
	case <-time.After(20 * time.Second):
		atomic.StoreInt32(&stop, 1)
		return fmt.Errorf("a busy goroutine starved the others")
	}
	atomic.StoreInt32(&stop, 1)
	<-done
	return nil
}

// signals: SIGUSR1 sent to the process itself arrives through
// os/signal; SIGTERM when ignored does not end it.
func signals() error {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGUSR1)
	defer signal.Stop(c)
	if err := syscall.Kill(os.Getpid(), syscall.SIGUSR1); err != nil {
		return fmt.Errorf("kill: %v", err)
	}
	select {
	case s := <-c:
		if s != syscall.SIGUSR1 {
			return fmt.Errorf("got %v", s)
		}
	case <-time.After(10 * time.Second):
		return fmt.Errorf("SIGUSR1 did not arrive")
	}
	signal.Ignore(syscall.SIGHUP)
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		return fmt.Errorf("kill: %v", err)
	}
	time.Sleep(10 * time.Millisecond)
	return nil
}

// pipes: an os.Pipe written by one goroutine and read by another, with
// read deadlines (the netpoller, over epoll).
func pipes() error {
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	defer r.Close()
	const total = 1 << 20
	go func() {
		buf := make([]byte, 4096)
		for n := 0; n < total; n += len(buf) {
			if _, err := w.Write(buf); err != nil {
				return
			}
		}
		w.Close()
	}()
	buf := make([]byte, 8192)
	got := 0
	for {
		n, err := r.Read(buf)
		got += n
		if err != nil {
			break
		}
	}
	if got != total {
		return fmt.Errorf("read %d of %d bytes", got, total)
	}
	r2, w2, err := os.Pipe()
	if err != nil {
		return err
	}
	defer r2.Close()
	defer w2.Close()
	start := time.Now()
	r2.SetReadDeadline(start.Add(30 * time.Millisecond))
	if _, err := r2.Read(buf); !os.IsTimeout(err) {
		return fmt.Errorf("read past its deadline: %v", err)
	}
	if d := time.Since(start); d < 30*time.Millisecond {
		return fmt.Errorf("deadline of 30ms ended after %v", d)
	}
	return nil
}

// files: a file written in /tmp reads back.
func files() error {
	data := []byte("written by gostress\n")
	if err := os.WriteFile("/tmp/gostress.txt", data, 0o644); err != nil {
		return err
	}
	got, err := os.ReadFile("/tmp/gostress.txt")
	if err != nil {
		return err
	}
	if string(got) != string(data) {
		return fmt.Errorf("read back %q", got)
	}
	return os.Remove("/tmp/gostress.txt")
}

func main() {
	n := 10000
	if len(os.Args) > 1 {
		v, err := strconv.Atoi(os.Args[1])
		if err != nil || v < 1 {
			fmt.Fprintf(os.Stderr, "usage: gostress [GOROUTINES]\n")
			os.Exit(2)
		}
		n = v
	}
	fmt.Printf("gostress: GOMAXPROCS %d, NumCPU %d\n", runtime.GOMAXPROCS(0), runtime.NumCPU())
	report("goroutines", goroutines(n))
	report("pipeline", pipeline(100, (n+9)/10))
	report("selects", selects())
	report("gc", gc(8, (n+49)/50))
	report("preempt", preempt())
	report("signals", signals())
	report("pipes", pipes())
	report("files", files())
	if failed {
		fmt.Println("gostress: FAILED")
		os.Exit(1)
	}
	fmt.Println("gostress: ok")
}
