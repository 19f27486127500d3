package main

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gatehouse-idp/gatehouse/apiclient"
)

// importRowsPerRequest is how many rows `gatehouse user import` sends per request by default: well under the
// server's 32 MiB limit for rows of a few hundred bytes, and a few seconds of work for the server.
const importRowsPerRequest = 10_000

// importPart is a part of an import file sent in one request: the body, and how its lines map to the file's.
type importPart struct {
	body []byte
	// headerLines is the number of lines of the CSV header repeated at the start of body (0 for JSON lines).
	headerLines int
	// firstLine is the file's line number of body's first line after the header.
	firstLine int
}

// fileLine returns the file's line number of line n of the part's body.
func (p importPart) fileLine(n int) int {
	if n <= p.headerLines {
		return n
	}
	return p.firstLine + n - p.headerLines - 1
}

func userImport(c *cli, args []string) error {
	fs := c.newFlagSet()
	format := fs.String("format", "", "the file's `FORMAT`: csv or jsonl (default: from the extension, .csv or .jsonl/.ndjson)")
	perRequest := fs.Int("rows-per-request", importRowsPerRequest, "send the file in requests of at most this `MANY` rows")
	pos, err := c.parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	if *perRequest < 1 {
		return usagef("--rows-per-request must be at least 1")
	}
	name := pos[0]
	if *format == "" {
		switch strings.ToLower(filepath.Ext(name)) {
		case ".csv":
			*format = "csv"
		case ".jsonl", ".ndjson":
			*format = "jsonl"
		default:
			return usagef("cannot tell the format of %q from its name; give --format csv or --format jsonl", name)
		}
	}
	var contentType string
	switch *format {
	case "csv":
		contentType = "text/csv"
	case "jsonl":
		contentType = "application/x-ndjson"
	default:
		return usagef("--format %q: choose csv or jsonl", *format)
	}
	var data []byte
	if name == "-" {
		data, err = io.ReadAll(c.stdin)
	} else {
		data, err = os.ReadFile(name)
	}
	if err != nil {
		return fmt.Errorf("read the users: %w", err)
	}
	var parts []importPart
	if *format == "csv" {
		parts = splitCSV(data, *perRequest)
	} else {
		parts = splitLines(data, *perRequest)
	}

	client := c.client()
	total := apiclient.ImportResult{Errors: []apiclient.ImportError{}}
	for i, p := range parts {
		res, err := client.ImportUsers(c.ctx, c.directory, p.body, contentType)
		if err != nil {
			if total.Created > 0 || total.Failed > 0 {
				fmt.Fprintf(c.stderr, "Before the error, %d users were created and %d rows refused, up to line %d.\n",
					total.Created, total.Failed, p.firstLine-1)
			}
			return err
		}
		total.Created += res.Created
		total.Failed += res.Failed
		for _, e := range res.Errors {
			e.Line = p.fileLine(e.Line)
			total.Errors = append(total.Errors, e)
		}
		if len(parts) > 1 && !c.json {
			fmt.Fprintf(c.stderr, "Part %d of %d: %d users created, %d rows refused.\n", i+1, len(parts), res.Created, res.Failed)
		}
	}
	if c.json {
		if err := c.printJSON(total); err != nil {
			return err
		}
	} else {
		c.say("Created %d users; %d rows refused.", total.Created, total.Failed)
		if len(total.Errors) > 0 {
			t := newTable(c.stdout)
			t.row("LINE", "USER NAME", "CODE", "FIELD", "PROBLEM")
			for _, e := range total.Errors {
				t.row(strconv.Itoa(e.Line), orDash(e.UserName), e.Code, orDash(e.Field), e.Message)
			}
			t.flush()
			if n := total.Failed - len(total.Errors); n > 0 {
				fmt.Fprintf(c.stdout, "(%d more refused rows are not listed: the server lists the first 1000 of each request)\n", n)
			}
		}
	}
	if total.Failed > 0 {
		return fmt.Errorf("%d rows were refused; the other rows were created", total.Failed)
	}
	return nil
}

// splitCSV cuts a CSV file into parts of at most n records each, at record boundaries (a quoted field may span
// lines), each part with the header line in front. A file whose header cannot be read is one part: the server
// says what is wrong with it.
func splitCSV(data []byte, n int) []importPart {
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	if _, err := r.Read(); err != nil {
		return []importPart{{body: data, firstLine: 1}}
	}
	header := data[:r.InputOffset()]
	headerLines := bytes.Count(header, []byte("\n"))
	var parts []importPart
	start, line := len(header), headerLines+1
	cut := func(end int) {
		body := append(append(make([]byte, 0, len(header)+end-start), header...), data[start:end]...)
		parts = append(parts, importPart{body: body, headerLines: headerLines, firstLine: line})
		line += bytes.Count(data[start:end], []byte("\n"))
		start = end
	}
	for rows := 0; ; {
		_, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		// A record that is not valid CSV still ends somewhere; the server reports it.
		if rows++; rows == n {
			cut(int(r.InputOffset()))
			rows = 0
		}
	}
	if start < len(data) || len(parts) == 0 {
		cut(len(data))
	}
	return parts
}

// splitLines cuts a JSON-lines file into parts of at most n lines each.
func splitLines(data []byte, n int) []importPart {
	var parts []importPart
	start, line := 0, 1
	for start < len(data) || len(parts) == 0 {
		end, lines := start, 0
		for end < len(data) && lines < n {
			i := bytes.IndexByte(data[end:], '\n')
			if i < 0 {
				end = len(data)
			} else {
				end += i + 1
			}
			lines++
		}
		parts = append(parts, importPart{body: data[start:end], firstLine: line})
		line += lines
		start = end
	}
	return parts
}
