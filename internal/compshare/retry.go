package compshare

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxRetryAfter caps the pause a Retry-After header imposes on the client's
// own retries: a server asking for minutes should not hold a call that long.
// A caller that can wait longer sees the asked pause in RetryAfter(err).
const maxRetryAfter = 30 * time.Second

// sleep pauses for d, or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// answerTime is when the server sent an answer, by its own clock: its Date
// header, else (none, or unreadable) now(). An HTTP-date Retry-After is
// relative to it (RFC 9110, 10.2.3): a server whose clock is ahead of ours
// must not make us wait longer than it meant.
func answerTime(header http.Header, now func() time.Time) time.Time {
	if date, err := http.ParseTime(header.Get("Date")); err == nil {
		return date
	}
	return now()
}

// parseRetryAfter reads a Retry-After header: delay-seconds or an HTTP date
// (RFC 9110, 10.2.3), the latter relative to sent, when the answer was sent
// (see answerTime). It returns 0 for an absent, invalid or past value.
func parseRetryAfter(header string, sent time.Time) time.Duration {
	header = strings.TrimSpace(header)
	if header == "" {
		return 0
	}
	if seconds, err := strconv.ParseUint(header, 10, 64); err == nil || errors.Is(err, strconv.ErrRange) {
		return time.Duration(min(seconds, 1<<32)) * time.Second // a range error leaves the maximum
	}
	if at, err := http.ParseTime(header); err == nil && at.After(sent) {
		return at.Sub(sent)
	}
	return 0
}

// exponentialBackoff follows the SDK's own: 4^n x 100-199 ms, capped at 10 s.
func exponentialBackoff(n int) time.Duration {
	d := time.Duration(100+rand.IntN(100)) * time.Millisecond << (2 * min(n, 3))
	return min(d, 10*time.Second)
}
