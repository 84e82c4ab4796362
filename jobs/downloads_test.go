package jobs

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestReportSlotsBoundBuilds takes every report slot, wants the next build to
// wait until its request ends, and to get a slot once one is released.
func TestReportSlotsBoundBuilds(t *testing.T) {
	s := &Service{MaxReports: 2}
	ctx := context.Background()
	var releases []func()
	for range 2 {
		release, err := s.reportSlot(ctx)
		if err != nil {
			t.Fatal(err)
		}
		releases = append(releases, release)
	}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := s.reportSlot(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a third build while two run: %v, want it to wait until its request ends", err)
	}
	got := make(chan error, 1)
	go func() {
		release, err := s.reportSlot(ctx)
		if err == nil {
			release()
		}
		got <- err
	}()
	select {
	case err := <-got:
		t.Fatalf("a build got a slot while none was free (err %v)", err)
	case <-time.After(50 * time.Millisecond):
	}
	releases[0]()
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a released slot was not taken")
	}
	releases[1]()

	// No bound: never waits, even for a request that has ended.
	unbounded := &Service{}
	for range 10 {
		if _, err := unbounded.reportSlot(short); err != nil {
			t.Fatal(err)
		}
	}
}
