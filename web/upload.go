package web

import (
	"cmp"
	"errors"
	"mime"
	"mime/multipart"
	"net/http"

	"github.com/gatehouse-idp/gatehouse"
)

// parseUploadForm reads a portal form that may carry a file, sent as multipart/form-data (what the page sends) or
// as a URL-encoded form without the file, into r.Form (and r.MultipartForm). A body over max is ETOOLARGE with
// tooLarge as its message; any other body that cannot be read is EINVALID saying what is wrong with it. Both name
// field, the form's file field.
func parseUploadForm(w http.ResponseWriter, r *http.Request, max int64, field, tooLarge string) error {
	r.Body = http.MaxBytesReader(w, r.Body, max)
	if r.ContentLength > max {
		return &gatehouse.Error{Code: gatehouse.ETOOLARGE, Field: field, Message: tooLarge}
	}
	typ, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var err error
	switch typ {
	case "multipart/form-data":
		err = r.ParseMultipartForm(max)
	case "application/x-www-form-urlencoded":
		err = r.ParseForm()
	default:
		return gatehouse.FieldErrorf(field, "The form was sent as %q; send it as multipart/form-data (with the file) or application/x-www-form-urlencoded (without it).",
			cmp.Or(r.Header.Get("Content-Type"), "no content type"))
	}
	var mbe *http.MaxBytesError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &mbe) || errors.Is(err, multipart.ErrMessageTooLarge):
		return &gatehouse.Error{Code: gatehouse.ETOOLARGE, Field: field, Message: tooLarge, Err: err}
	case typ == "multipart/form-data":
		return &gatehouse.Error{Code: gatehouse.EINVALID, Field: field, Err: err,
			Message: "The form could not be read: its multipart/form-data body is incomplete or damaged. Send the form again."}
	}
	return &gatehouse.Error{Code: gatehouse.EINVALID, Field: field, Err: err,
		Message: "The form could not be read: its URL-encoded body is damaged. Send the form again."}
}

// fileHeaders returns the files of a form field, none for a form that was not multipart.
func fileHeaders(r *http.Request, field string) []*multipart.FileHeader {
	if r.MultipartForm == nil {
		return nil
	}
	return r.MultipartForm.File[field]
}
