package main

import (
	"bufio"
	"context"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"reentrybot/dbtest"
)

const proxyChildEnv = "REENTRYBOT_PROXY_CHILD"

// TestProxyChild is the child process of TestBotAPIGoesThroughHTTPSProxy:
// net/http reads the proxy variables once per process, so each case needs
// a fresh one.
func TestProxyChild(t *testing.T) {
	if os.Getenv(proxyChildEnv) == "" {
		t.Skip("runs only as a child of TestBotAPIGoesThroughHTTPSProxy")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	os.Exit(run(ctx, strings.Fields(os.Getenv(proxyChildEnv)), strings.NewReader(""), os.Stdout, os.Stderr))
}

// Telegram is blocked in Vietnam; HTTPS_PROXY must carry every Bot API
// call: the running bot's (serve asks getMe first) and check's.
func TestBotAPIGoesThroughHTTPSProxy(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var mu sync.Mutex
	var seen []string
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			line, _ := bufio.NewReader(c).ReadString('\n')
			mu.Lock()
			seen = append(seen, strings.TrimSpace(line))
			mu.Unlock()
			c.Write([]byte("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n"))
			c.Close()
		}
	}()
	dbURL := dbtest.URL(t)
	for _, args := range []string{"serve", "check"} {
		t.Run(args, func(t *testing.T) {
			mu.Lock()
			seen = nil
			mu.Unlock()
			cmd := exec.Command(os.Args[0], "-test.run=^TestProxyChild$", "-test.count=1")
			cmd.Env = append(os.Environ(), proxyChildEnv+"="+args,
				"HTTPS_PROXY=http://"+ln.Addr().String(), "NO_PROXY=", "no_proxy=",
				"TELEGRAM_API_URL=https://api.telegram.org", "TELEGRAM_BOT_TOKEN=123456:proxytest",
				"DATABASE_URL="+dbURL, "HTTP_ADDR=127.0.0.1:0", "METRICS_ADDR=off", "LOG_LEVEL=error")
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("%s succeeded without reaching Telegram:\n%s", args, out)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(seen) == 0 || !strings.HasPrefix(seen[0], "CONNECT api.telegram.org:443 ") {
				t.Fatalf("%s: the proxy saw %q; output:\n%s", args, seen, out)
			}
		})
	}
}
