package sqlstore

import (
	"context"
	"slices"

	"github.com/gatehouse-idp/gatehouse"
)

// SearchWindow is how many users, in user-name order from the page's edge, a broad search reads for its page
// before it falls back to sorting what every field's index range holds.
const SearchWindow = 20_000

// UserQueries are one engine's queries of FindUsers, bound to a directory. A window is as the engines'
// findUsersQuery takes it: 0 reads the union of the searched fields' index ranges, n > 0 reads at most n users in
// user-name order from the page's edge and keeps the matches, -1 reads all of them that way.
type UserQueries[U any] struct {
	// MostBeginning returns the largest number of users, counted no further than gatehouse.UserCountLimit+1 in each
	// searched field's index, whose field begins with the query.
	MostBeginning func(ctx context.Context, query string) (int, error)
	// Count counts the users that match f, no further than gatehouse.UserCountLimit+1.
	Count func(ctx context.Context, f gatehouse.UserFilter, window int) (int, error)
	// Page reads the first limit users after f.After in user-name order, or the last ones before f.Before read
	// backwards.
	Page func(ctx context.Context, f gatehouse.UserFilter, limit, window int) ([]U, error)
}

// FindUsers returns one page of limit users that match f, in user-name order, and how many match f, counted no
// further than gatehouse.UserCountLimit+1: the steps of a store's FindUsers that are the same on every engine.
//
// A search first counts, in each field's index, the users whose field begins with the query. When no field has
// more than gatehouse.UserCountLimit, the search is narrow: the union of the fields' ranges holds a few thousand
// users at most, and is counted and sorted. Otherwise it is broad, and more than UserCountLimit users match: a page
// is then found by reading users in user-name order from the page's edge and keeping those that match, which soon
// fills a page when so many match; if SearchWindow users do not fill it, the matches are few among them and the
// union is sorted after all. A broad search for a role is counted along the role's index; without a role, more
// than UserCountLimit users match.
func FindUsers[U any](ctx context.Context, f gatehouse.UserFilter, limit int, q UserQueries[U]) ([]U, int, error) {
	broad := false
	if f.Query != "" {
		most, err := q.MostBeginning(ctx, f.Query)
		if err != nil {
			return nil, 0, err
		}
		broad = most > gatehouse.UserCountLimit
	}
	total := gatehouse.UserCountLimit + 1
	if !broad || f.Role != "" {
		all := f
		all.After, all.Before = "", ""
		window := 0
		if broad {
			window = -1
		}
		var err error
		if total, err = q.Count(ctx, all, window); err != nil {
			return nil, 0, err
		}
	}
	window := 0
	if broad {
		window = SearchWindow
	}
	users, err := q.Page(ctx, f, limit, window)
	if err == nil && broad && len(users) < limit {
		users, err = q.Page(ctx, f, limit, 0)
	}
	if err != nil {
		return nil, 0, err
	}
	if f.Before != "" && f.After == "" {
		slices.Reverse(users)
	}
	return users, total, nil
}
