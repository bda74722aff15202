package main

import (
	"context"
	"fmt"
	"time"

	"tuongtac/search/meili"
	"tuongtac/threads"
)

// openMeili opens the two thread indexes on Meilisearch (MEILI_URL,
// MEILI_API_KEY): threads_public and threads_officer.
func openMeili(cfg Config) (threads.Indexes, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pub, err := meili.Open(ctx, cfg.MeiliURL, cfg.MeiliAPIKey, "threads_public")
	if err != nil {
		return threads.Indexes{}, fmt.Errorf("search: meilisearch: %w", err)
	}
	off, err := meili.Open(ctx, cfg.MeiliURL, cfg.MeiliAPIKey, "threads_officer")
	if err != nil {
		pub.Close()
		return threads.Indexes{}, fmt.Errorf("search: meilisearch: %w", err)
	}
	return threads.Indexes{Public: pub, Officer: off}, nil
}
