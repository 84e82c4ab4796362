package worker

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/hibiken/asynq"
)

func TestBackoff(t *testing.T) {
	f := backoff(time.Minute)
	for n := range 12 {
		want := min(time.Second<<n, time.Minute)
		for range 50 {
			if d := f(n, errors.New("db down"), nil); d < want/2 || d > want {
				t.Fatalf("retry %d: %v, want within [%v, %v]", n, d, want/2, want)
			}
		}
	}
	// A killed worker's task is retried at once, whatever its count: asynq
	// took a minute or more to notice the lease expired.
	for _, n := range []int{0, 3, 7} {
		if d := f(n, fmt.Errorf("recovered: %w", asynq.ErrLeaseExpired), nil); d != 0 {
			t.Errorf("lease expired, retry %d: %v", n, d)
		}
	}
}
