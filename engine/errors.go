package engine

import (
	"errors"
	"fmt"
)

// Code classifies an Error. The HTTP layer maps each code to one status in
// exactly one table, so the meaning of a failure is decided here, once.
type Code string

const (
	ECONFLICT       Code = "conflict"        // trigger known but not permitted in the current state
	EFORBIDDEN      Code = "forbidden"       // the actor's role or ownership does not allow it
	EINVALID        Code = "invalid"         // missing or invalid data
	EUNKNOWNTRIGGER Code = "unknown_trigger" // the workflow has no such trigger
	ENOTFOUND       Code = "not_found"       // no such record, or not the caller's to see
	EPRECONDITION   Code = "precondition"    // If-Match named another version
	EUNAUTHORIZED   Code = "unauthorized"    // no or bad credentials
	EUNAVAILABLE    Code = "unavailable"     // the database cannot be reached for now: retry later
	EINTERNAL       Code = "internal"        // anything else
)

// Error is the one error type of the domain.
type Error struct {
	Code    Code
	Message string
	// Field names the offending input field, where there is one.
	Field string
	// Permitted lists what the actor may fire instead, for ECONFLICT.
	Permitted []string
}

func (e *Error) Error() string { return e.Message }

// Errorf returns an *Error with the given code.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldErrorf returns an EINVALID *Error naming field.
func FieldErrorf(field, format string, args ...any) *Error {
	return &Error{Code: EINVALID, Field: field, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err, EINTERNAL when it is not an *Error.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}
