package bot

import (
	"context"
	"fmt"
)

// RunJob runs a registered job now, as the sweeper does on its round.
func RunJob(ctx context.Context, b *Bot, feature string) error {
	for _, j := range routes.jobs {
		if j.feature == feature {
			return j.fn(ctx, b)
		}
	}
	return fmt.Errorf("no job %q", feature)
}
