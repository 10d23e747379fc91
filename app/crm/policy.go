package crm

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Policy is how hard a request is retried before the outbox rows behind it
// are deferred to a later attempt.
type Policy struct {
	Tries int // attempts per request for 429, 5xx, timeouts and network errors (default 4)
	// Base and Max bound the exponential back-off: attempt n waits a random
	// time in [d/2, d] with d = min(Max, Base·2ⁿ) ("equal jitter").
	Base, Max time.Duration // defaults 500ms, 30s
	// LimitWait is how long rows wait when the CRM's daily API cap is spent
	// (Salesforce REQUEST_LIMIT_EXCEEDED): retrying sooner only burns calls.
	LimitWait time.Duration // default 15m
	Timeout   time.Duration // per HTTP request (default 20s)
}

func (p Policy) withDefaults() Policy {
	if p.Tries <= 0 {
		p.Tries = 4
	}
	if p.Base <= 0 {
		p.Base = 500 * time.Millisecond
	}
	if p.Max <= 0 {
		p.Max = 30 * time.Second
	}
	if p.LimitWait <= 0 {
		p.LimitWait = 15 * time.Minute
	}
	if p.Timeout <= 0 {
		p.Timeout = 20 * time.Second
	}
	return p
}

// WithDefaults fills the zero fields with the defaults.
func (p Policy) WithDefaults() Policy { return p.withDefaults() }

// Backoff is the wait before retry number attempt (0-based), with jitter.
func (p Policy) Backoff(attempt int) time.Duration {
	p = p.withDefaults()
	d := p.Base
	for i := 0; i < attempt && d < p.Max; i++ {
		d *= 2
	}
	d = min(d, p.Max)
	half := d / 2
	return half + time.Duration(rand.Int64N(int64(half)+1))
}

// retryAfter reads a Retry-After header: delay-seconds or an HTTP date.
func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}
