package model

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Error codes shared by every package; httpapi maps each to one status and problem type.
const (
	ECONFLICT       = "conflict"
	EINTERNAL       = "internal"
	EINVALID        = "invalid"
	ENOTFOUND       = "not_found"
	EUNAUTHORIZED   = "unauthorized"
	EFORBIDDEN      = "forbidden"
	ETOOLARGE       = "too_large"
	EUNSUPPORTED    = "unsupported_media_type"
	EUNAVAILABLE    = "unavailable"
	ETOOMANYREQUEST = "too_many_requests"
)

// Error is an application error with a code and a message fit for clients.
// Errors without a code are internal: their text is logged, never sent.
type Error struct {
	Code    string
	Message string
	Fields  []FieldError
}

func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		return fmt.Sprintf("%s: %s", e.Code, e.Message)
	}
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Path.String() + ": " + f.Detail
	}
	return fmt.Sprintf("%s: %s (%s)", e.Code, e.Message, strings.Join(parts, "; "))
}

// Errorf builds an *Error with a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err, or EINTERNAL for uncoded errors.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	if c := classify(err); c != nil {
		return c.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the client-safe message of err.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	if c := classify(err); c != nil {
		return c.Message
	}
	return "internal error"
}

// ErrorClass gives a code to errors of a library that cannot return *Error itself, such as
// a database driver's "out of memory", which is a 503 to clients rather than a 500.
type ErrorClass func(err error) *Error

var errorClasses []ErrorClass

// RegisterErrorClass adds c to the classes ErrorCode and ErrorMessage consult for uncoded
// errors. Packages register their classes at init.
func RegisterErrorClass(c ErrorClass) { errorClasses = append(errorClasses, c) }

func classify(err error) *Error {
	if err == nil {
		return nil
	}
	for _, c := range errorClasses {
		if e := c(err); e != nil {
			return e
		}
	}
	return nil
}

// Path is a location inside a JSON document: object keys and array indexes.
type Path []any

// Append returns a new path with elem added; the receiver is not modified.
func (p Path) Append(elem any) Path {
	out := make(Path, len(p), len(p)+1)
	copy(out, p)
	return append(out, elem)
}

// String renders the path the way a developer writes it: spans[0].tokens_input.
func (p Path) String() string {
	var b strings.Builder
	for _, e := range p {
		switch v := e.(type) {
		case int:
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(v))
			b.WriteByte(']')
		default:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			fmt.Fprint(&b, v)
		}
	}
	return b.String()
}

// Pointer renders the path as an RFC 6901 JSON pointer: /spans/0/tokens_input.
func (p Path) Pointer() string {
	var b strings.Builder
	for _, e := range p {
		b.WriteByte('/')
		s := fmt.Sprint(e)
		s = strings.ReplaceAll(s, "~", "~0")
		s = strings.ReplaceAll(s, "/", "~1")
		b.WriteString(s)
	}
	return b.String()
}

// FieldError is one invalid field.
type FieldError struct {
	Path   Path
	Detail string
}

// FieldErrors collects validation failures in document order.
type FieldErrors []FieldError

// Add records a failure at path.
func (fe *FieldErrors) Add(path Path, format string, args ...any) {
	*fe = append(*fe, FieldError{Path: path, Detail: fmt.Sprintf(format, args...)})
}

// Err returns nil when nothing failed, otherwise an EINVALID *Error carrying the fields.
func (fe FieldErrors) Err(what string) error {
	if len(fe) == 0 {
		return nil
	}
	msg := "1 field is invalid"
	if len(fe) > 1 {
		msg = strconv.Itoa(len(fe)) + " fields are invalid"
	}
	return &Error{Code: EINVALID, Message: what + ": " + msg, Fields: fe}
}
