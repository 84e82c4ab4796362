package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"intake/storage/postgres"
	"intake/storage/postgres/pgtest"
)

// cluster is Intake as production runs it: the real binary as one `intake
// api` process and several `intake worker` processes, on real Postgres,
// Redis and S3. Each process's output goes to a file in logDir, shown when
// the test fails and scanned for API keys when it ends.
type cluster struct {
	t        *testing.T
	id       string // names the workers' database sessions
	bin      string
	dsn      string
	redisURL string
	env      []string // every process's environment
	logDir   string
	api      *clusterProc
	workers  []*clusterProc
	db       *postgres.DB
	tasks    *asynq.Inspector
	http     *env // the API's client; keyA and keyB are two tenants' keys
}

// clusterOpts configures newCluster; zero values take the defaults.
type clusterOpts struct {
	workers  int      // default 2
	redisURL string   // flushed at start; default a private redis-server of the test's own
	dsn      string   // default a fresh pgtest schema
	env      []string // more KEY=VALUE for every process
}

// clusterProc is one process of a cluster.
type clusterProc struct {
	name   string
	args   []string
	env    []string
	log    string
	cmd    *exec.Cmd
	exited chan struct{}
	err    error // the exit status, once exited is closed
}

// buildIntake builds the intake binary into a temp dir.
func buildIntake(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "intake")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// newCluster builds the binary and starts the API and the workers.
func newCluster(t *testing.T, o clusterOpts) *cluster {
	t.Helper()
	endpoint, access, secret := testS3(t)
	if o.workers == 0 {
		o.workers = 2
	}
	if o.redisURL == "" {
		// Not a database of the shared server: two people running the suite
		// at once would flush each other's queues, and one's workers would
		// take the other's tasks (and fail them, not finding their imports).
		o.redisURL = startPrivateRedis(t).url(0)
	}
	if o.dsn == "" {
		o.dsn = pgtest.NewSchema(t)
	}
	ropt, err := redis.ParseURL(o.redisURL)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(ropt)
	err = rdb.FlushDB(context.Background()).Err()
	rdb.Close()
	if err != nil {
		t.Fatalf("redis is not reachable at %s (%v); start it with: redis-server --daemonize yes --port 6379 --save ''", o.redisURL, err)
	}
	addr := clusterAddr(t)
	c := &cluster{t: t, id: fmt.Sprintf("%06x", rand.Uint32()>>8), bin: buildIntake(t), dsn: o.dsn,
		redisURL: o.redisURL, logDir: t.TempDir()}
	c.env = append(os.Environ(), "DATABASE_URL="+o.dsn, "REDIS_URL="+o.redisURL, "S3_ENDPOINT="+endpoint,
		"S3_ACCESS_KEY="+access, "S3_SECRET_KEY="+secret, "S3_BUCKET=intake-test", "INTAKE_ADDR="+addr,
		"INTAKE_TEMP_DIR="+t.TempDir(), "INTAKE_RATE_LIMIT=0")
	c.env = append(c.env, o.env...)
	if c.db, err = postgres.Open(context.Background(), o.dsn); err != nil {
		t.Fatal(err)
	}
	aopt, _ := asynq.ParseRedisURI(o.redisURL)
	c.tasks = asynq.NewInspector(aopt)
	c.http = &env{t: t, url: "http://" + addr}
	ctx := context.Background()
	if _, c.http.keyA, err = c.db.CreateAPIKey(ctx, "tenant-a"); err != nil {
		t.Fatal(err)
	}
	if _, c.http.keyB, err = c.db.CreateAPIKey(ctx, "tenant-b"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.stop)
	c.api = c.start("api", nil, "api")
	sep := "?"
	if strings.Contains(o.dsn, "?") {
		sep = "&"
	}
	for i := range o.workers {
		// The application name tells the worker's sessions apart in pg_stat_activity.
		name := fmt.Sprintf("worker-%d", i+1)
		c.workers = append(c.workers, c.start(name, []string{"DATABASE_URL=" + o.dsn + sep + "application_name=" + c.session(i)}, "worker"))
	}
	c.waitHealthy()
	return c
}

// session is the application name of worker i's database sessions.
func (c *cluster) session(i int) string { return fmt.Sprintf("intake-%s-worker-%d", c.id, i+1) }

// clusterAddr returns a free loopback address.
func clusterAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// start runs `intake args...` as a process of the cluster; env adds to the
// cluster's environment (later entries win).
func (c *cluster) start(name string, env []string, args ...string) *clusterProc {
	c.t.Helper()
	p := &clusterProc{name: name, args: args, env: env, log: filepath.Join(c.logDir, name+".log")}
	c.run(p)
	return p
}

// run starts p (again), appending to its log.
func (c *cluster) run(p *clusterProc) {
	c.t.Helper()
	f, err := os.OpenFile(p.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		c.t.Fatal(err)
	}
	defer f.Close()
	p.cmd = exec.Command(c.bin, p.args...)
	p.cmd.Env = append(append([]string{}, c.env...), p.env...)
	p.cmd.Stdout, p.cmd.Stderr = f, f
	if err := p.cmd.Start(); err != nil {
		c.t.Fatalf("start %s: %v", p.name, err)
	}
	p.exited = make(chan struct{})
	go func(cmd *exec.Cmd, exited chan struct{}) {
		p.err = cmd.Wait()
		close(exited)
	}(p.cmd, p.exited)
}

// waitHealthy waits for the API to answer /healthz.
func (c *cluster) waitHealthy() {
	c.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(c.http.url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-c.api.exited:
			c.t.Fatalf("the API exited: %v\n%s", c.api.err, c.logTail(c.api, 40))
		default:
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("the API did not answer /healthz within 30s\n%s", c.logTail(c.api, 40))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// kill sends SIGKILL to p and waits for it to die.
func (c *cluster) kill(p *clusterProc) {
	c.t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited
}

// terminate sends SIGTERM to p and waits up to timeout for it to exit;
// it reports whether p exited with status 0.
func (c *cluster) terminate(p *clusterProc, timeout time.Duration) bool {
	c.t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
		return p.err == nil
	case <-time.After(timeout):
		c.kill(p)
		return false
	}
}

// stop ends every process still running, then fails the test if a log holds
// an API key, and shows the logs' ends if the test failed.
func (c *cluster) stop() {
	for _, p := range append([]*clusterProc{c.api}, c.workers...) {
		if p == nil || p.cmd == nil {
			continue
		}
		select {
		case <-p.exited:
		default:
			c.terminate(p, 30*time.Second)
		}
	}
	for _, p := range append([]*clusterProc{c.api}, c.workers...) {
		if p == nil {
			continue
		}
		b, _ := os.ReadFile(p.log)
		for _, key := range []string{c.http.keyA, c.http.keyB} {
			if key != "" && bytes.Contains(b, []byte(key)) {
				c.t.Errorf("%s's log holds an API key", p.name)
			}
		}
		if c.t.Failed() {
			c.t.Logf("--- %s (%s), last lines:\n%s", p.name, p.log, c.logTail(p, 30))
		}
	}
	c.tasks.Close()
	c.db.Close()
}

// logTail returns the last n lines of p's log.
func (c *cluster) logTail(p *clusterProc, n int) string {
	b, _ := os.ReadFile(p.log)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// vmHWM is the peak resident set size of process pid, from /proc.
func vmHWM(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/%d/status", pid)
}
