package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// benchProc is an `intake api` or `intake worker` started by the benchmark
// as a child process of the same binary, so that its memory is its own.
type benchProc struct {
	name string
	cmd  *exec.Cmd
	log  *os.File
	done chan struct{}
	err  error
}

// startProc runs `exe args...` with env, its output appended to logPath.
func startProc(exe, name string, args, env []string, logPath string) (*benchProc, error) {
	lf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, args...)
	cmd.Env, cmd.Stdout, cmd.Stderr = env, lf, lf
	if err := cmd.Start(); err != nil {
		lf.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &benchProc{name: name, cmd: cmd, log: lf, done: make(chan struct{})}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	return p, nil
}

// alive reports an error if the process has exited.
func (p *benchProc) alive() error {
	select {
	case <-p.done:
		return fmt.Errorf("%s exited: %v (see %s)", p.name, p.err, p.log.Name())
	default:
		return nil
	}
}

// stop sends SIGTERM and waits for the process, killing it after timeout.
func (p *benchProc) stop(timeout time.Duration) error {
	defer p.log.Close()
	if p.alive() != nil {
		return nil
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(timeout):
		_ = p.cmd.Process.Kill()
		<-p.done
		return fmt.Errorf("%s did not stop within %s", p.name, timeout)
	}
	return nil
}

// memory returns the process's resident set now and its peak (VmRSS and
// VmHWM of /proc/<pid>/status), in bytes.
func (p *benchProc) memory() (rss, peak int64, err error) {
	return procMemory(p.cmd.Process.Pid)
}

// resetPeak resets the process's peak resident set to its current one
// (writing 5 to /proc/<pid>/clear_refs), so that a phase reads its own peak.
func (p *benchProc) resetPeak() error {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", p.cmd.Process.Pid), []byte("5"), 0)
}

// procMemory reads VmRSS and VmHWM of a process.
func procMemory(pid int) (rss, peak int64, err error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || (k != "VmRSS" && k != "VmHWM") {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("parse %s: %w", k, err)
		}
		if k == "VmRSS" {
			rss = kb << 10
		} else {
			peak = kb << 10
		}
	}
	if peak == 0 {
		return 0, 0, errors.New("no VmHWM in /proc status (Linux only)")
	}
	return rss, peak, sc.Err()
}

// freeAddr returns a loopback address with a port free right now.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// withEnv returns env with the given variables set (replacing earlier values).
func withEnv(env []string, kv ...string) []string {
	out := make([]string, 0, len(env)+len(kv)/2)
	set := map[string]bool{}
	for i := 0; i+1 < len(kv); i += 2 {
		set[kv[i]] = true
	}
	for _, e := range env {
		if k, _, _ := strings.Cut(e, "="); !set[k] {
			out = append(out, e)
		}
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, kv[i]+"="+kv[i+1])
	}
	return out
}

// waitFor polls cond every interval until it returns true or an error, or
// the timeout passes.
func waitFor(ctx context.Context, timeout, interval time.Duration, what string, cond func() (bool, error)) error {
	deadline := time.Now().Add(timeout)
	for {
		ok, err := cond()
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: not done after %s", what, timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(interval):
		}
	}
}

// cpuSeconds is the CPU time the process has used so far (user + system,
// from /proc/<pid>/stat, in the kernel's 100 Hz ticks), or 0 if unknown.
func (p *benchProc) cpuSeconds() float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	// Fields after the command name, which is in parentheses: state is
	// field 3, utime 14 and stime 15.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return float64(ut+st) / 100
}
