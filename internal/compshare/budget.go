package compshare

import (
	"context"
	"time"
)

// The request budget spaces attempts evenly (a burst of one), so no second
// sees more than the budget however many waits poll at once. budgetMargin
// widens the spacing by 10 %: a delay on the way to the API (a new
// connection, a busy machine or network) must not bring two attempts closer
// and one more into a second as the API counts them. At 20 requests per
// second it absorbs delays of up to about 160 ms; 5 % absorbed about 100 ms,
// and make bench saw 21 requests in one second when 100 waits ended together.
const budgetMargin = 0.9

// takeToken waits until the request budget allows one more attempt, or ctx
// ends. Tokens go to the callers in the order they asked, so none starves.
func (c *Client) takeToken(ctx context.Context) error {
	r := c.budget.Reserve() // always OK: one token never exceeds the burst
	delay := r.Delay()
	if delay == 0 {
		return nil
	}
	t := time.NewTimer(delay)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		r.Cancel() // hand the slot to the callers queued behind
		return ctx.Err()
	}
}
