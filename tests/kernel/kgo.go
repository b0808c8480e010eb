// kgo — a Go client for the kernel-mode tests: net.Dial (which turns
// keepalive on itself: 15 s idle and interval), print the options, then
// Read until the connection dies.  It makes its own syscalls: no libc.
//
//	kgo HOST:PORT [-q]
package main

import (
	"fmt"
	"net"
	"os"
	"syscall"
)

func get(fd uintptr, level, name int) int {
	v, err := syscall.GetsockoptInt(int(fd), level, name)
	if err != nil {
		return -1
	}
	return v
}

func main() {
	c, err := net.Dial("tcp", os.Args[1])
	if err != nil {
		fmt.Printf("connect err=%v\n", err)
		os.Exit(1)
	}
	raw, _ := c.(*net.TCPConn).SyscallConn()
	fmt.Printf("up fd=0\n")
	raw.Control(func(fd uintptr) {
		fmt.Printf("opts ka=%d idle=%d intvl=%d cnt=%d ut=%d syncnt=%d euid=%d\n",
			get(fd, syscall.SOL_SOCKET, syscall.SO_KEEPALIVE),
			get(fd, syscall.IPPROTO_TCP, syscall.TCP_KEEPIDLE),
			get(fd, syscall.IPPROTO_TCP, syscall.TCP_KEEPINTVL),
			get(fd, syscall.IPPROTO_TCP, syscall.TCP_KEEPCNT),
			get(fd, syscall.IPPROTO_TCP, 18),
			get(fd, syscall.IPPROTO_TCP, syscall.TCP_SYNCNT),
			os.Geteuid())
	})
	if len(os.Args) > 2 && os.Args[2] == "-q" {
		return
	}
	buf := make([]byte, 64)
	_, err = c.Read(buf)
	if err == nil {
		fmt.Printf("dead err=DATA\n")
	} else if e, ok := err.(*net.OpError); ok {
		if se, ok := e.Err.(*os.SyscallError); ok && se.Err == syscall.ETIMEDOUT {
			fmt.Printf("dead err=ETIMEDOUT\n")
		} else if ok && se.Err == syscall.ECONNRESET {
			fmt.Printf("dead err=ECONNRESET\n")
		} else {
			fmt.Printf("dead err=%v\n", err)
		}
	} else {
		fmt.Printf("dead err=EOF\n")
	}
}
