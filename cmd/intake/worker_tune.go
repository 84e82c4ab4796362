package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"syscall"
	"time"
)

// workerTuning is how a worker process shares its machine (docs/perf.md,
// "Service at 1M rows").
type workerTuning struct {
	// Heap is the heap the worker may fill before collecting
	// (INTAKE_WORKER_HEAP_MIB, default 176; 0 leaves the runtime's
	// defaults). When the live heap nears it, the budget follows the live
	// heap (see followLiveHeap).
	Heap int64
	// Nice lowers the worker's CPU priority (INTAKE_WORKER_NICE, 0–19,
	// default 0): validation is batch work, and an API sharing the machine
	// (the same cgroup: containers and systemd services each have their
	// own, where nice changes nothing) must keep answering while the worker
	// saturates the cores. `intake bench` runs its workers at 10.
	Nice int
}

func loadWorkerTuning() (workerTuning, error) {
	t := workerTuning{Heap: 176 << 20}
	if v := os.Getenv("INTAKE_WORKER_HEAP_MIB"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return t, fmt.Errorf("INTAKE_WORKER_HEAP_MIB: want a number of MiB, got %q", v)
		}
		t.Heap = n << 20
	}
	if v := os.Getenv("INTAKE_WORKER_NICE"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 19 {
			return t, fmt.Errorf("INTAKE_WORKER_NICE: want 0 to 19, got %q", v)
		}
		t.Nice = n
	}
	return t, nil
}

// apply tunes this process. The memory budget replaces GOGC's "collect when
// the heap doubles": validation allocates steadily (excelize some 20 KB a
// row) while what stays live is small, or, for the per-customer state,
// pointer-free and cheap to collect; a fixed budget spends fewer cycles on
// small files and keeps the peak the same whatever the file's size, until
// the live heap itself outgrows it. GOGC or GOMEMLIMIT set in the
// environment win.
func (t workerTuning) apply(ctx context.Context, log *slog.Logger) {
	if t.Nice > 0 {
		if err := niceThreads(t.Nice); err != nil {
			log.Warn("worker: cannot lower CPU priority", "err", err)
		}
	}
	if t.Heap <= 0 || os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetGCPercent(-1)
	debug.SetMemoryLimit(t.Heap)
	go followLiveHeap(ctx, t.Heap)
}

// followLiveHeap raises the memory limit above floor when the live heap
// needs it, and lowers it back. The headroom left between collections is
// the scannable part of the live heap, at least 24 MiB: a collection's cost
// is the pointers it scans, so this keeps the collector's work per byte
// allocated where GOGC=100 keeps it, while the pointer-free per-customer
// state (most of a large file's live heap) gets no headroom of its own.
func followLiveHeap(ctx context.Context, floor int64) {
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/gc/scan/heap:bytes"}}
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	last := floor
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		metrics.Read(sample)
		if sample[0].Value.Kind() != metrics.KindUint64 || sample[1].Value.Kind() != metrics.KindUint64 {
			return
		}
		live, scan := int64(sample[0].Value.Uint64()), int64(sample[1].Value.Uint64())
		limit := max(floor, live+max(24<<20, scan))
		if limit != last {
			debug.SetMemoryLimit(limit)
			last = limit
		}
	}
}

// niceThreads sets the nice value of every thread of the process; threads
// started later inherit it from the thread that starts them.
func niceThreads(nice int) error {
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return err
	}
	for _, task := range tasks {
		tid, err := strconv.Atoi(task.Name())
		if err != nil {
			continue
		}
		if err := syscall.Setpriority(syscall.PRIO_PROCESS, tid, nice); err != nil {
			return err
		}
	}
	return nil
}
