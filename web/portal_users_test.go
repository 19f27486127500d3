package web

import (
	"net/url"
	"testing"

	"github.com/gatehouse-idp/gatehouse"
)

// TestUserPagerCount checks how the users page counts: exactly up to gatehouse.UserCountLimit, and "more than"
// past it, which is what FindUsers's count of UserCountLimit+1 means.
func TestUserPagerCount(t *testing.T) {
	for _, tc := range []struct {
		total, count int
		more         bool
	}{{0, 0, false}, {31, 31, false}, {gatehouse.UserCountLimit, gatehouse.UserCountLimit, false},
		{gatehouse.UserCountLimit + 1, gatehouse.UserCountLimit, true}} {
		_, p := newUserPager(url.Values{}, gatehouse.UserFilter{}, nil, tc.total)
		if p.Count != tc.count || p.More != tc.more {
			t.Errorf("total %d: count %d, more %v; want %d, %v", tc.total, p.Count, p.More, tc.count, tc.more)
		}
	}
}
