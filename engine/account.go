package engine

import "time"

// Account is a user as an administrator sees it: never a token, a
// password or their hashes.
type Account struct {
	ID   int64
	Name string
	Role Role
	// Email is what the user signs in to the web pages with; "" for a
	// user with an API token only.
	Email       string
	HasPassword bool
	Created     time.Time
	// Revoked is when the account was revoked; zero while it is valid.
	Revoked time.Time
}
