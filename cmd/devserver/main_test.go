package main

import (
	"bytes"
	"net"
	"strconv"
	"strings"
	"testing"
)

func TestUsage(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run(nil, &stdout, &stderr); code != 2 {
		t.Fatalf("no command: exit %d, want 2", code)
	}
	if !strings.Contains(stderr.String(), "Usage: devserver COMMAND") {
		t.Fatalf("no usage:\n%s", stderr.String())
	}
	stderr.Reset()
	if code := run([]string{"launch"}, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), `unknown command "launch"`) {
		t.Fatalf("unknown command: exit %d\n%s", code, stderr.String())
	}
}

func TestStatusAndStopWhenNotRunning(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()

	var stdout, stderr bytes.Buffer
	if code := run([]string{"status", "-port", port}, &stdout, &stderr); code != 3 {
		t.Fatalf("status: exit %d, want 3\n%s%s", code, stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), "not running on port "+port) {
		t.Fatalf("status:\n%s", stdout.String())
	}
	stdout.Reset()
	if code := run([]string{"stop", "-port", port}, &stdout, &stderr); code != 0 {
		t.Fatalf("stop: exit %d\n%s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "not running on port "+port) {
		t.Fatalf("stop:\n%s", stdout.String())
	}
}
