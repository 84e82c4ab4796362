package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"intake/storage/postgres"
)

// privateRedis is a redis-server of the test's own, on a free port, that
// the test may stop and start: the shared server on 6379 must never be
// restarted under other tests. Like the CI server it keeps nothing on disk,
// so a restart loses every queued task.
type privateRedis struct {
	t      *testing.T
	addr   string
	dir    string
	cmd    *exec.Cmd
	exited chan struct{}
}

func startPrivateRedis(t *testing.T) *privateRedis {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Fatal("redis-server is not installed: apt-get install redis-server")
	}
	r := &privateRedis{t: t, addr: clusterAddr(t), dir: t.TempDir()}
	r.start()
	t.Cleanup(r.stop)
	return r
}

// url is the REDIS_URL of database db.
func (r *privateRedis) url(db int) string { return fmt.Sprintf("redis://%s/%d", r.addr, db) }

// start runs the server and waits until it accepts connections.
func (r *privateRedis) start() {
	r.t.Helper()
	host, port, _ := net.SplitHostPort(r.addr)
	r.cmd = exec.Command("redis-server", "--bind", host, "--port", port, "--save", "", "--appendonly", "no",
		"--dir", r.dir, "--logfile", filepath.Join(r.dir, "redis.log"))
	if err := r.cmd.Start(); err != nil {
		r.t.Fatalf("start redis-server: %v", err)
	}
	r.exited = make(chan struct{})
	go func(cmd *exec.Cmd, exited chan struct{}) { _ = cmd.Wait(); close(exited) }(r.cmd, r.exited)
	waitTCP(r.t, r.addr, "redis-server")
}

// stop shuts the server down (SIGTERM) and waits for it to exit.
func (r *privateRedis) stop() {
	if r.cmd == nil {
		return
	}
	_ = r.cmd.Process.Signal(os.Interrupt)
	select {
	case <-r.exited:
	case <-time.After(10 * time.Second):
		_ = r.cmd.Process.Kill()
		<-r.exited
	}
	r.cmd = nil
}

// privatePostgres is a Postgres cluster of the test's own (initdb into a
// temp dir, trust auth, a free port) that the test may stop, crash and
// start: the shared server on 5432 must never be restarted under other
// tests. As root, the server runs as the postgres user (initdb refuses root).
type privatePostgres struct {
	t    *testing.T
	bin  string // the directory of initdb and pg_ctl
	dir  string // the data directory, also the socket directory
	port int
	as   []string // the runuser prefix when root, or nothing
}

func startPrivatePostgres(t *testing.T) *privatePostgres {
	t.Helper()
	p := &privatePostgres{t: t, bin: postgresBin(t)}
	_, port, _ := net.SplitHostPort(clusterAddr(t))
	p.port, _ = strconv.Atoi(port)
	dir, err := os.MkdirTemp("", "intake-pg-")
	if err != nil {
		t.Fatal(err)
	}
	p.dir = dir
	t.Cleanup(func() {
		p.pgctl("stop", "-m", "immediate")
		os.RemoveAll(dir)
	})
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("running as root needs a postgres user to run a private Postgres: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		p.as = []string{"runuser", "-u", "postgres", "--"}
	}
	if out, err := p.command("initdb", "-D", filepath.Join(dir, "data"), "-U", "postgres", "-A", "trust",
		"-E", "UTF8", "--locale=C", "--no-sync").CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	p.start()
	if err := postgres.CreateDatabase(context.Background(), p.dsn()); err != nil {
		t.Fatal(err)
	}
	if err := postgres.Migrate(context.Background(), p.dsn()); err != nil {
		t.Fatal(err)
	}
	return p
}

// postgresBin finds the newest installed Postgres's binaries.
func postgresBin(t *testing.T) string {
	t.Helper()
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int {
		va, _ := strconv.Atoi(filepath.Base(filepath.Dir(a)))
		vb, _ := strconv.Atoi(filepath.Base(filepath.Dir(b)))
		return va - vb
	})
	if len(dirs) > 0 {
		return dirs[len(dirs)-1]
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p)
	}
	t.Fatal("no Postgres binaries (initdb, pg_ctl) found: apt-get install postgresql")
	return ""
}

// dsn is the DATABASE_URL of the cluster's intake database.
func (p *privatePostgres) dsn() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/intake?sslmode=disable", p.port)
}

func (p *privatePostgres) command(tool string, args ...string) *exec.Cmd {
	argv := append(append(slices.Clone(p.as), filepath.Join(p.bin, tool)), args...)
	return exec.Command(argv[0], argv[1:]...)
}

// pgctl runs pg_ctl on the cluster and returns its output.
func (p *privatePostgres) pgctl(args ...string) (string, error) {
	args = append([]string{"-D", filepath.Join(p.dir, "data")}, args...)
	out, err := p.command("pg_ctl", args...).CombinedOutput()
	return string(out), err
}

// start starts the server and waits until it accepts connections.
func (p *privatePostgres) start() {
	p.t.Helper()
	opts := strings.Join([]string{"-p", strconv.Itoa(p.port), "-k", p.dir, "-c", "listen_addresses=127.0.0.1",
		"-c", "fsync=off", "-c", "max_connections=60"}, " ")
	if out, err := p.pgctl("start", "-w", "-t", "60", "-l", filepath.Join(p.dir, "server.log"), "-o", opts); err != nil {
		log, _ := os.ReadFile(filepath.Join(p.dir, "server.log"))
		p.t.Fatalf("pg_ctl start: %v\n%s\n%s", err, out, log)
	}
}

// stop stops the server: mode "fast" (sessions terminated, clean shutdown)
// or "immediate" (every process killed: a crash, recovered at the next start).
func (p *privatePostgres) stop(mode string) {
	p.t.Helper()
	if out, err := p.pgctl("stop", "-w", "-m", mode); err != nil {
		p.t.Fatalf("pg_ctl stop -m %s: %v\n%s", mode, err, out)
	}
}

// waitTCP waits up to 10s for addr to accept connections.
func waitTCP(t *testing.T, addr, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s does not accept connections on %s: %v", what, addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
