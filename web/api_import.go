package web

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/http"
	"time"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/idp"
)

// maxImportBody bounds the body of a user import: some 300,000 rows of a typical CSV file.
const maxImportBody = 32 << 20

// importFormats maps the media types of an import body to their formats.
var importFormats = map[string]idp.ImportFormat{
	"text/csv":             idp.ImportCSV,
	"application/x-ndjson": idp.ImportJSONL,
	"application/jsonl":    idp.ImportJSONL,
}

// importUsers creates the users of a CSV or JSON-lines file. The body is read whole before any user is created,
// so that a body over the limit is refused with nothing created.
func (s *Server) importUsers(w http.ResponseWriter, r *http.Request) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	format, ok := importFormats[mt]
	if err != nil || !ok {
		return &gatehouse.Error{Code: gatehouse.EINVALID,
			Message: "Send the users as CSV (Content-Type: text/csv) or JSON lines (Content-Type: application/x-ndjson)."}
	}
	// A large file takes longer than the server's usual deadlines, which are per request.
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(5 * time.Minute))
	_ = rc.SetWriteDeadline(time.Now().Add(15 * time.Minute))
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxImportBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return gatehouse.Errorf(gatehouse.ETOOLARGE, "The file is larger than %d MiB; send it in several requests.", maxImportBody>>20)
		}
		return &gatehouse.Error{Code: gatehouse.EINVALID, Message: "The request body could not be read.", Err: err}
	}
	res, err := s.Service.ImportUsers(r.Context(), userFrom(r), r.PathValue("dir"), format, bytes.NewReader(body))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}
