package api

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
)

// A cursor is opaque to clients: the base64url (unpadded) encoding of a
// small JSON object holding the sort key of the last item of a page. Clients
// pass back the "next" value they were given and never build one.

// page is a list answer: {"items": [...], "next": cursor or null}.
type page[T any] struct {
	Items []T     `json:"items"`
	Next  *string `json:"next"`
}

// encodeCursor makes a cursor of v.
func encodeCursor(v any) *string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("api: encode cursor: %v", err)) // cursors are plain structs
	}
	s := base64.RawURLEncoding.EncodeToString(b)
	return &s
}

// decodeCursor reads the ?cursor= parameter into v and reports whether one
// was given; a malformed cursor is invalid_request.
func decodeCursor(r *http.Request, v any) (bool, error) {
	s := r.URL.Query().Get("cursor")
	if s == "" {
		return false, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(b, v) != nil {
		return false, badRequest("the cursor is not one this API returned")
	}
	return true, nil
}

// pageLimit reads ?limit=: def when absent, capped at maxLimit; anything but
// a positive integer is invalid_request.
func pageLimit(r *http.Request, def, maxLimit int) (int, error) {
	s := r.URL.Query().Get("limit")
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, badRequest(fmt.Sprintf("limit must be an integer from 1 to %d", maxLimit))
	}
	return min(n, maxLimit), nil
}

// paginate makes the page of items fetched with limit+1: the extra item
// only says that there is a next page, whose cursor is made from the last
// item kept.
func paginate[T, V any](items []T, limit int, view func(T) V, cursor func(T) any) page[V] {
	p := page[V]{Items: make([]V, 0, min(len(items), limit))}
	if len(items) > limit {
		items = items[:limit]
		p.Next = encodeCursor(cursor(items[len(items)-1]))
	}
	for _, it := range items {
		p.Items = append(p.Items, view(it))
	}
	return p
}
