package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"intake/jobs"
	"intake/storage/postgres/pgtest"
)

// TestDevCommand runs the real binary's `intake dev` (embedded S3 on a temp
// folder): it must start, answer /readyz, complete an import, and stop on
// SIGTERM.
func TestDevCommand(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "intake")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	redisURL := testRedisURL(t)
	ropt, _ := redis.ParseURL(redisURL)
	rdb := redis.NewClient(ropt)
	if err := rdb.FlushDB(context.Background()).Err(); err != nil {
		t.Fatalf("redis is not reachable (%v); start it with: redis-server --daemonize yes --port 6379 --save ''", err)
	}
	rdb.Close()
	cmd := exec.Command(bin, "dev")
	cmd.Env = append(os.Environ(), "DATABASE_URL="+pgtest.NewSchema(t), "REDIS_URL="+redisURL,
		"S3_ENDPOINT=", "INTAKE_ADDR=127.0.0.1:0", "INTAKE_DATA_DIR="+t.TempDir(), "INTAKE_TEMP_DIR="+t.TempDir())
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = io.Discard
	if testing.Verbose() {
		cmd.Stderr = os.Stderr
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	re := regexp.MustCompile(`^export INTAKE_URL=(\S+) INTAKE_KEY=(\S+)$`)
	var url, key string
	timeout := time.After(60 * time.Second)
	for url == "" {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("intake dev exited before printing its URL")
			}
			if m := re.FindStringSubmatch(l); m != nil {
				url, key = m[1], m[2]
			}
		case <-timeout:
			t.Fatal("intake dev printed no URL within 60s")
		}
	}
	go func() {
		for range lines {
		}
	}()
	resp, err := http.Get(url + "/readyz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("/readyz: %v %v", resp, err)
	}
	resp.Body.Close()

	e := &env{t: t, url: url}
	imp := e.uploadRaw(key, "dev.csv", []byte("Customer code,Customer name,Address code,Country\nD1,Dev One,MAIN,Portugal\n"))
	e.wait(key, imp.ID, jobs.StatusValidated)
	if resp := e.do("POST", "/v1/imports/"+imp.ID+"/confirm", key, nil, "", nil); resp.StatusCode != 202 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("confirm: %d %s", resp.StatusCode, b)
	}
	done := e.wait(key, imp.ID, jobs.StatusCompleted)
	if done.Summary.CustomersNew != 1 {
		t.Fatalf("summary %+v", done.Summary)
	}

	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("intake dev exited with %v after SIGTERM", err)
		}
	case <-time.After(40 * time.Second):
		t.Fatal("intake dev did not stop within 40s of SIGTERM")
	}
}
