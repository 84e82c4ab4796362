package main

import (
	"context"
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

func TestWorkerTuningFromEnv(t *testing.T) {
	tests := []struct {
		name, heap, nice string
		want             workerTuning
		wantErr          bool
	}{
		{name: "defaults", want: workerTuning{Heap: 176 << 20}},
		{name: "set", heap: "64", nice: "10", want: workerTuning{Heap: 64 << 20, Nice: 10}},
		{name: "runtime defaults", heap: "0", nice: "0", want: workerTuning{}},
		{name: "bad heap", heap: "-1", wantErr: true},
		{name: "bad nice", nice: "20", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("INTAKE_WORKER_HEAP_MIB", tc.heap)
			t.Setenv("INTAKE_WORKER_NICE", tc.nice)
			got, err := loadWorkerTuning()
			if (err != nil) != tc.wantErr || (!tc.wantErr && got != tc.want) {
				t.Errorf("got %+v, %v; want %+v (error %v)", got, err, tc.want, tc.wantErr)
			}
		})
	}
}

// The budget follows a live heap that outgrows it, and comes back down.
func TestFollowLiveHeap(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	floor := int64(8 << 20)
	debug.SetMemoryLimit(floor)
	go followLiveHeap(ctx, floor)
	live := make([]byte, 64<<20)
	for i := range live {
		live[i] = 1
	}
	deadline := time.Now().Add(10 * time.Second)
	for debug.SetMemoryLimit(-1) < 80<<20 {
		if time.Now().After(deadline) {
			t.Fatalf("limit %d with 64 MiB live", debug.SetMemoryLimit(-1))
		}
		debug.FreeOSMemory() // a collection, so the live heap is measured
		time.Sleep(50 * time.Millisecond)
	}
	runtime.KeepAlive(live)
	live = nil
	for debug.SetMemoryLimit(-1) > 64<<20 {
		if time.Now().After(deadline) {
			t.Fatalf("limit %d after the live heap went", debug.SetMemoryLimit(-1))
		}
		debug.FreeOSMemory()
		time.Sleep(50 * time.Millisecond)
	}
}
