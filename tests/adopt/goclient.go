// kashim tests — a Go client for `kashim adopt`: Go makes its socket calls
// as raw system calls, never through libc, so no preload can reach it.
//
//	goclient ADDR PORT
//
// Connects with the dialer's keepalive turned off (Go turns it on by
// default since 1.13, and adopt leaves a program's own keepalive alone),
// prints "connected", blocks in Read, then prints "result=ERRNO
// elapsed_ms=T" (ms since connected).
package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: goclient ADDR PORT")
		os.Exit(2)
	}
	d := net.Dialer{KeepAlive: -1}
	c, err := d.Dial("tcp", net.JoinHostPort(os.Args[1], os.Args[2]))
	if err != nil {
		fmt.Printf("error connect: %v\n", err)
		os.Exit(1)
	}
	fmt.Println("connected")
	t0 := time.Now()
	buf := make([]byte, 1)
	_, err = c.Read(buf)
	ms := time.Since(t0).Milliseconds()
	switch {
	case errors.Is(err, syscall.ETIMEDOUT):
		fmt.Printf("result=ETIMEDOUT elapsed_ms=%d\n", ms)
	case errors.Is(err, syscall.ECONNRESET):
		fmt.Printf("result=ECONNRESET elapsed_ms=%d\n", ms)
	case err != nil:
		fmt.Printf("result=other elapsed_ms=%d err=%q\n", ms, err.Error())
	default:
		fmt.Printf("result=data elapsed_ms=%d\n", ms)
	}
}
