package compshare

import (
	"context"
	"time"
)

// The request budget spaces attempts evenly (a burst of one), so no second
// sees more than the budget however many waits poll at once. budgetMargin
// widens the spacing by 5 %: a delay on the way to the API, such as a new
// connection's, must not bring two attempts closer and one more into a second
// as the API counts them.
const budgetMargin = 0.95

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
