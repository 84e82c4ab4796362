package api

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"intake/jobs"
)

// maxKeyLen bounds what is looked up as an API key: Intake's keys are 46
// bytes, anything much longer is refused without a database round trip.
const maxKeyLen = 256

// withTenant authenticates the request's API key, applies the tenant's rate
// limit and calls h. The key is never logged; the tenant id is.
func (s *server) withTenant(h tenantHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		key, ok := bearer(r.Header.Get("Authorization"))
		if !ok {
			s.fail(w, r, &jobs.Error{Code: jobs.ErrCodeUnauthorized, Message: "missing or malformed Authorization header"})
			return
		}
		t, err := s.svc.Authenticate(r.Context(), key)
		if jobs.ErrorCode(err) == jobs.ErrCodeNotFound {
			// An unknown key is never a 404, however the store wraps it.
			err = &jobs.Error{Code: jobs.ErrCodeUnauthorized, Message: "unknown API key"}
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		infoFrom(r.Context()).tenant = t.ID
		if wait, ok := s.limits.allow(t.ID); !ok {
			w.Header().Set("Retry-After", strconv.Itoa(retryAfter(wait)))
			s.fail(w, r, &jobs.Error{Code: codeTooManyRequests, Message: "rate limit exceeded"})
			return
		}
		if err := h(w, r, t); err != nil {
			s.fail(w, r, err)
		}
	}
}

// bearer extracts the key of an "Authorization: Bearer <key>" header; the
// scheme is case-insensitive (RFC 9110 §11.1).
func bearer(header string) (string, bool) {
	scheme, key, ok := strings.Cut(strings.TrimSpace(header), " ")
	key = strings.TrimSpace(key)
	if !ok || !strings.EqualFold(scheme, "Bearer") || key == "" || len(key) > maxKeyLen {
		return "", false
	}
	return key, true
}

// retryAfter is a Retry-After value in whole seconds, at least 1.
func retryAfter(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}

// limiter is a token bucket per tenant. A nil limiter allows everything.
// Buckets are kept for the life of the process: one per tenant that made a
// request, a few hundred bytes each.
type limiter struct {
	every rate.Limit
	burst int

	mu      sync.Mutex
	buckets map[int64]*rate.Limiter
}

// newLimiter returns a limiter of perSecond requests per tenant with burst,
// or nil when perSecond is not positive (rate limiting disabled).
func newLimiter(perSecond float64, burst int) *limiter {
	if perSecond <= 0 {
		return nil
	}
	return &limiter{every: rate.Limit(perSecond), burst: max(1, burst), buckets: map[int64]*rate.Limiter{}}
}

// allow takes a token from the tenant's bucket, or reports how long until
// one is available without taking it.
func (l *limiter) allow(tenant int64) (time.Duration, bool) {
	if l == nil {
		return 0, true
	}
	l.mu.Lock()
	b, ok := l.buckets[tenant]
	if !ok {
		b = rate.NewLimiter(l.every, l.burst)
		l.buckets[tenant] = b
	}
	l.mu.Unlock()
	now := time.Now()
	res := b.ReserveN(now, 1)
	if !res.OK() {
		return time.Second, false
	}
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return d, false
	}
	return 0, true
}
