package main

import (
	"errors"

	"tuongtac/threads"
)

// openMeili opens the Meilisearch indexes (MEILI_URL, MEILI_API_KEY).
func openMeili(cfg Config) (threads.Indexes, error) {
	return threads.Indexes{}, errors.New("search: the Meilisearch backend is not built into this version")
}
