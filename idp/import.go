package idp

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/password"
)

// ImportFormat is the format of a file of users to import.
type ImportFormat string

// The import formats: CSV with a header line that names the columns, and JSON lines (one object per line).
const (
	ImportCSV   ImportFormat = "csv"
	ImportJSONL ImportFormat = "jsonl"
)

// Import limits.
const (
	// ImportBatch is the number of rows read, checked and hashed at a time, and created in one transaction unless
	// a sign-on waits for it (see ImportYield).
	ImportBatch = 1000
	// ImportYield is how long a transaction of an import creates rows at least before it commits early for a
	// sign-on waiting to write. SQLite has one writer, and a sign-on that comes during a transaction of 1,000 rows
	// would wait tens of milliseconds for it; instead the import commits within about ImportYield, the sign-on's
	// transaction goes first (the store serves sign-ons before other waiting transactions), and the import goes
	// on in a new transaction. The floor keeps the import going when sign-ons come without pause.
	ImportYield = time.Millisecond
	// MaxImportErrors is the number of refused rows an ImportResult lists; Failed counts them all.
	MaxImportErrors = 1000
	// maxImportLine bounds one line of a JSON-lines file.
	maxImportLine = 64 << 10
)

// ImportColumns are the columns of an import file, as CSV header names (case-insensitive) and JSON keys. Only
// userName is required.
var ImportColumns = []string{"userName", "firstName", "lastName", "displayName", "mail", "role", "disabled", "password"}

// ImportRow is one user of an import file. DisplayName defaults to "FirstName LastName", or to the user name when
// both are empty; Role defaults to user. A user with a Password gets it as a temporary password, checked against the
// password policy, that must be changed at the first sign-in; a user without one gets no password at all (no hash is
// computed) and cannot sign in with a password until an admin resets it.
type ImportRow struct {
	UserName    string         `json:"userName"`
	FirstName   string         `json:"firstName"`
	LastName    string         `json:"lastName"`
	DisplayName string         `json:"displayName"`
	Mail        string         `json:"mail"`
	Role        gatehouse.Role `json:"role"`
	Disabled    bool           `json:"disabled"`
	Password    string         `json:"password"`
}

// ImportResult is the outcome of an import: how many users were created, how many rows were refused, and why.
type ImportResult struct {
	Created int `json:"created"`
	Failed  int `json:"failed"`
	// Errors lists the first MaxImportErrors refused rows in file order.
	Errors []ImportError `json:"errors"`
}

// ImportError is a refused row: its line in the file (the first line of the record, counting from 1), the user name
// when it could be read, and the error's code, field and message as the API gives them.
type ImportError struct {
	Line     int    `json:"line"`
	UserName string `json:"userName,omitempty"`
	Code     string `json:"code"`
	Field    string `json:"field,omitempty"`
	Message  string `json:"message"`
}

func (r *ImportResult) refuse(line int, userName string, err error) {
	r.Failed++
	if len(r.Errors) < MaxImportErrors {
		r.Errors = append(r.Errors, ImportError{Line: line, UserName: userName, Code: gatehouse.ErrorCode(err),
			Field: gatehouse.ErrorField(err), Message: gatehouse.ErrorMessage(err)})
	}
}

// importItem is a row on its way into the directory.
type importItem struct {
	line     int
	userName string
	user     *gatehouse.User
	pw       string // the temporary password to hash, if any
	err      error
}

// ImportUsers creates the users of a CSV or JSON-lines file in a directory. Valid rows are created and invalid ones
// are listed with their line numbers: a refused row never stops the others. A row is refused when it cannot be read,
// when the user would be invalid (the same checks as CreateUser, and only global admins create global admins), when
// its password breaks the policy, or when its user name is taken in the directory, by an existing user or by an
// earlier row. Rows are read ImportBatch at a time and their passwords hashed before they are created in one
// transaction, which commits early when a sign-on waits for the database (see ImportYield and
// gatehouse.WriteContention). The import is one entry of the audit log ("user.import", with the counts), written
// with the last rows, not one per user.
//
// The request as a whole fails, before any user is created, only when the file cannot be read as its format: a
// CSV header without userName or with an unknown or repeated column is EINVALID. A failure of the database midway
// returns what was created so far with the error; the audit log records those users.
func (s *Service) ImportUsers(ctx context.Context, actor *gatehouse.User, dirID string, format ImportFormat, r io.Reader) (*ImportResult, error) {
	if err := s.Authorize(ctx, actor, dirID, ManageUsers); err != nil {
		return nil, err
	}
	if _, err := s.store.FindDirectory(ctx, dirID); err != nil {
		return nil, err
	}
	var rows rowReader
	var err error
	switch format {
	case ImportCSV:
		rows, err = newCSVRows(r)
	case ImportJSONL:
		rows = newJSONRows(r)
	default:
		err = gatehouse.Errorf(gatehouse.EINVALID, "The import format %q is unknown; send CSV or JSON lines.", format)
	}
	if err != nil {
		return nil, err
	}
	res := &ImportResult{Errors: []ImportError{}}
	batch := make([]*importItem, 0, ImportBatch)
	for {
		row, line, rerr := rows.next()
		last := rerr == io.EOF
		switch {
		case last:
		case gatehouse.ErrorCode(rerr) == gatehouse.EINTERNAL:
			return res, s.importFailed(ctx, actor, dirID, format, res, rerr)
		case rerr != nil:
			it := &importItem{line: line, err: rerr}
			if row != nil {
				it.userName = strings.TrimSpace(row.UserName)
			}
			batch = append(batch, it)
		default:
			batch = append(batch, s.importItem(actor, dirID, line, row))
		}
		if len(batch) == ImportBatch || last {
			if err := s.importBatch(ctx, actor, dirID, format, batch, res, last); err != nil {
				return res, s.importFailed(ctx, actor, dirID, format, res, err)
			}
			batch = batch[:0]
		}
		if last {
			return res, nil
		}
	}
}

// importItem checks a row and makes the user it describes.
func (s *Service) importItem(actor *gatehouse.User, dirID string, line int, row *ImportRow) *importItem {
	it := &importItem{line: line, userName: strings.TrimSpace(row.UserName)}
	u := &gatehouse.User{
		DirectoryID: dirID,
		UserName:    strings.TrimSpace(row.UserName),
		FirstName:   strings.TrimSpace(row.FirstName),
		LastName:    strings.TrimSpace(row.LastName),
		DisplayName: strings.TrimSpace(row.DisplayName),
		Mail:        strings.TrimSpace(row.Mail),
		Role:        gatehouse.Role(strings.TrimSpace(string(row.Role))),
		Disabled:    row.Disabled,
		Source:      gatehouse.SourceImport,
	}
	it.user = u
	if u.DisplayName == "" {
		u.DisplayName = strings.TrimSpace(u.FirstName + " " + u.LastName)
	}
	if u.DisplayName == "" {
		u.DisplayName = u.UserName
	}
	if u.Role == "" {
		u.Role = gatehouse.RoleUser
	}
	for _, v := range []string{u.UserName, u.FirstName, u.LastName, u.DisplayName, u.Mail, row.Password} {
		if !utf8.ValidString(v) {
			it.err = gatehouse.Errorf(gatehouse.EINVALID, "The row is not valid UTF-8 text.")
			return it
		}
	}
	if it.err = validateUser(u, ""); it.err != nil {
		return it
	}
	if u.Role == gatehouse.RoleGlobalAdmin && actor.Role != gatehouse.RoleGlobalAdmin && !IsInstanceAdmin(actor) {
		it.err = &gatehouse.Error{Code: gatehouse.EFORBIDDEN, Field: "role", Message: "Only global admins can create global admins."}
		return it
	}
	if row.Password != "" {
		if err := password.CheckPolicy(row.Password, u.UserName); err != nil {
			it.err = &gatehouse.Error{Code: gatehouse.EINVALID, Field: "password", Message: gatehouse.ErrorMessage(err)}
			return it
		}
		it.pw = row.Password
		u.MustChangePassword = true
	}
	return it
}

// importBatch hashes the batch's passwords, then creates its valid users in one transaction, or in several when
// sign-ons wait for it, with the import's audit event in the last one when it is the last batch.
func (s *Service) importBatch(ctx context.Context, actor *gatehouse.User, dirID string, format ImportFormat, batch []*importItem, res *ImportResult, last bool) error {
	var wg sync.WaitGroup
	for _, it := range batch {
		if it.err == nil && it.pw != "" {
			wg.Go(func() { it.user.PasswordHash, it.err = s.hasher.Hash(ctx, it.pw) })
		}
	}
	wg.Wait()
	var todo []*importItem
	for _, it := range batch {
		if it.err != nil && gatehouse.ErrorCode(it.err) == gatehouse.EUNAVAILABLE {
			return it.err // the request ended while waiting for the hasher
		}
		if it.err == nil {
			todo = append(todo, it)
		}
	}
	now := s.now()
	created := 0 // in the transactions committed so far
	var err error
	for first := true; first || len(todo) > 0; first = false {
		n, inTx := 0, 0
		err = s.store.InTx(ctx, func(tx gatehouse.Store) error {
			n, inTx = 0, 0
			c, _ := tx.(gatehouse.WriteContention)
			start := time.Now() // a duration on the monotonic clock, not a time of the service's
			for n < len(todo) && (n == 0 || c == nil || time.Since(start) < ImportYield || !c.Contended()) {
				it := todo[n]
				n++
				u := it.user
				u.ID = s.newID()
				u.CreatedAt, u.UpdatedAt, u.PasswordChangedAt = now, now, now
				switch err := tx.CreateUser(ctx, u); gatehouse.ErrorCode(err) {
				case "":
					inTx++
				case gatehouse.ECONFLICT:
					it.err = &gatehouse.Error{Code: gatehouse.ECONFLICT, Field: "userName",
						Message: "A user named " + u.UserName + " already exists in this directory."}
				default:
					return err
				}
			}
			if !last || n < len(todo) {
				return nil
			}
			return s.auditImport(ctx, tx, actor, dirID, format, res.Created+created+inTx, res.Failed+failedIn(batch))
		})
		if err != nil {
			break // the rows of the transactions committed before stay created, and refused rows refused
		}
		created += inTx
		todo = todo[n:]
	}
	res.Created += created
	for _, it := range batch {
		if it.err != nil {
			res.refuse(it.line, it.userName, it.err)
		}
	}
	return err
}

func failedIn(batch []*importItem) int {
	n := 0
	for _, it := range batch {
		if it.err != nil {
			n++
		}
	}
	return n
}

// importSummary is what the audit log keeps of an import.
type importSummary struct {
	Format  ImportFormat `json:"format"`
	Created int          `json:"created"`
	Failed  int          `json:"failed"`
	// Complete is false when the import stopped at an error before the end of the file.
	Complete bool `json:"complete"`
}

func (s *Service) auditImport(ctx context.Context, tx gatehouse.Store, actor *gatehouse.User, dirID string, format ImportFormat, created, failed int) error {
	return s.audit(ctx, tx, actor, dirID, "user.import", "directory", dirID, nil,
		importSummary{Format: format, Created: created, Failed: failed, Complete: true})
}

// importFailed records in the audit log the users an import created before it stopped at err, and returns err.
func (s *Service) importFailed(ctx context.Context, actor *gatehouse.User, dirID string, format ImportFormat, res *ImportResult, err error) error {
	if res.Created == 0 {
		return err
	}
	ctx = context.WithoutCancel(ctx)
	aerr := s.store.InTx(ctx, func(tx gatehouse.Store) error {
		return s.audit(ctx, tx, actor, dirID, "user.import", "directory", dirID, nil,
			importSummary{Format: format, Created: res.Created, Failed: res.Failed})
	})
	if aerr != nil {
		s.logger.Error("audit an interrupted import", "directory", dirID, "created", res.Created, "err", aerr)
	}
	return err
}

// rowReader reads the rows of an import file. next returns the next row and the line it starts on; a row that
// cannot be read is an EINVALID error with its line (and the row as far as it was read, or nil), after which
// reading goes on; io.EOF ends the file; an EINTERNAL error (the file could not be read) ends the import.
type rowReader interface {
	next() (*ImportRow, int, error)
}

// csvRows reads CSV with a header line.
type csvRows struct {
	r *csv.Reader
	// cols maps each column of the file to its ImportColumns index.
	cols []int
}

func newCSVRows(r io.Reader) (*csvRows, error) {
	br := bufio.NewReader(r)
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte("\xef\xbb\xbf")) {
		br.Discard(3) // a byte order mark, as spreadsheets write it
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	var pe *csv.ParseError
	switch {
	case err == io.EOF:
		return nil, gatehouse.Errorf(gatehouse.EINVALID, "The CSV file is empty; its first line names the columns, such as userName,firstName,lastName,mail.")
	case errors.As(err, &pe):
		return nil, gatehouse.Errorf(gatehouse.EINVALID, "The CSV header on line %d is not valid CSV: %v.", pe.StartLine, pe.Err)
	case err != nil:
		return nil, importReadError(err)
	}
	c := &csvRows{r: cr}
	seen := map[int]bool{}
	for _, h := range header {
		i := columnIndex(strings.TrimSpace(h))
		switch {
		case i < 0:
			return nil, gatehouse.Errorf(gatehouse.EINVALID, "The CSV header names the column %q, which is unknown; the columns are %s.",
				truncate(h, 64), strings.Join(ImportColumns, ", "))
		case seen[i]:
			return nil, gatehouse.Errorf(gatehouse.EINVALID, "The CSV header names the column %s twice.", ImportColumns[i])
		}
		seen[i] = true
		c.cols = append(c.cols, i)
	}
	if !seen[0] {
		return nil, gatehouse.Errorf(gatehouse.EINVALID, "The CSV header has no userName column; the columns are %s.", strings.Join(ImportColumns, ", "))
	}
	return c, nil
}

func columnIndex(name string) int {
	for i, c := range ImportColumns {
		if strings.EqualFold(c, name) {
			return i
		}
	}
	return -1
}

func (c *csvRows) next() (*ImportRow, int, error) {
	rec, err := c.r.Read()
	var pe *csv.ParseError
	switch {
	case err == io.EOF:
		return nil, 0, io.EOF
	case errors.As(err, &pe):
		return nil, pe.StartLine, gatehouse.Errorf(gatehouse.EINVALID, "The row is not valid CSV: %v.", pe.Err)
	case err != nil:
		return nil, 0, importReadError(err)
	}
	line, _ := c.r.FieldPos(0)
	if len(rec) != len(c.cols) {
		return nil, line, gatehouse.Errorf(gatehouse.EINVALID, "The row has %d fields; the header has %d.", len(rec), len(c.cols))
	}
	row := &ImportRow{}
	for i, v := range rec {
		v = strings.TrimSpace(v)
		switch ImportColumns[c.cols[i]] {
		case "userName":
			row.UserName = v
		case "firstName":
			row.FirstName = v
		case "lastName":
			row.LastName = v
		case "displayName":
			row.DisplayName = v
		case "mail":
			row.Mail = v
		case "role":
			row.Role = gatehouse.Role(v)
		case "disabled":
			if v == "" {
				continue
			}
			b, err := strconv.ParseBool(v)
			if err != nil {
				return row, line, gatehouse.FieldErrorf("disabled", "disabled is true or false, not %q.", truncate(v, 32))
			}
			row.Disabled = b
		case "password":
			row.Password = v
		}
	}
	return row, line, nil
}

// jsonRows reads JSON lines: one object per line; blank lines are skipped.
type jsonRows struct {
	r    *bufio.Reader
	line int
}

func newJSONRows(r io.Reader) *jsonRows { return &jsonRows{r: bufio.NewReaderSize(r, maxImportLine)} }

func (j *jsonRows) next() (*ImportRow, int, error) {
	for {
		b, err := j.r.ReadSlice('\n')
		if len(b) == 0 && err == io.EOF {
			return nil, 0, io.EOF
		}
		j.line++
		if errors.Is(err, bufio.ErrBufferFull) {
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = j.r.ReadSlice('\n')
			}
			if err != nil && err != io.EOF {
				return nil, 0, importReadError(err)
			}
			return nil, j.line, gatehouse.Errorf(gatehouse.EINVALID, "The line is longer than %d KiB.", maxImportLine>>10)
		}
		if err != nil && err != io.EOF {
			return nil, 0, importReadError(err)
		}
		b = bytes.TrimSpace(b)
		if len(b) == 0 {
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		row := &ImportRow{}
		if err := dec.Decode(row); err != nil {
			return nil, j.line, gatehouse.Errorf(gatehouse.EINVALID, "The line is not a JSON object of a user: %s", jsonLineProblem(err))
		}
		if dec.More() {
			return nil, j.line, gatehouse.Errorf(gatehouse.EINVALID, "The line has more than one JSON value; put each user on its own line.")
		}
		return row, j.line, nil
	}
}

// jsonLineProblem describes a decoding error without echoing the line.
func jsonLineProblem(err error) string {
	var ute *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &ute):
		if ute.Field == "" {
			return "the line is " + ute.Value + ", not an object."
		}
		return "field " + ute.Field + " must be " + ute.Type.String() + "."
	case errors.As(err, &se):
		return "syntax error at byte " + strconv.FormatInt(se.Offset, 10) + "."
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "unknown field " + strings.TrimPrefix(err.Error(), "json: unknown field ") + "; the fields are " +
			strings.Join(ImportColumns, ", ") + "."
	}
	return "it could not be decoded."
}

// importReadError is the error of a file that cannot be read, which ends the import.
func importReadError(err error) error {
	return gatehouse.Internal(fmt.Errorf("idp: import: read the file: %w", err))
}
