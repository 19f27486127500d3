package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/apiclient"
	"github.com/gatehouse-idp/gatehouse/idp"
)

// metadataImport configures an app from its SP's metadata, read from a file or fetched by the server from a URL.
func metadataImport(c *cli, args []string) error {
	fs := c.newFlagSet()
	file := fs.String("file", "", "read the SP's metadata from `FILE` (- for standard input)")
	u := fs.String("url", "", "have the server fetch the SP's metadata from `URL` and refresh it periodically")
	pos, err := c.parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	if (*file == "") == (*u == "") {
		return usagef("give exactly one of --file and --url")
	}
	in := idp.MetadataInput{URL: *u}
	if *file != "" {
		var data []byte
		if *file == "-" {
			data, err = io.ReadAll(io.LimitReader(c.stdin, 2<<20))
		} else {
			data, err = os.ReadFile(*file)
		}
		if err != nil {
			return fmt.Errorf("read the metadata: %w", err)
		}
		in.Metadata = string(data)
	}
	cl := c.client()
	a, err := c.resolveApp(cl, pos[0])
	if err != nil {
		return err
	}
	var out gatehouse.App
	p := "/api/v1/directories/" + url.PathEscape(c.directory) + "/apps/" + url.PathEscape(a.ID) + "/saml/metadata"
	if err := c.postJSON(p, in, &out); err != nil {
		return err
	}
	if c.json {
		return c.printJSON(&out)
	}
	c.say("Configured %s from its SP metadata.\n", clean(out.Name))
	return c.printApp(&out)
}

// postJSON POSTs in as JSON to the server's path p and decodes the answer into out; an error answer becomes an
// *apiclient.Error.
func (c *cli) postJSON(p string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(c.ctx, http.MethodPost, c.server+p, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("User-Agent", "gatehouse-cli/"+version())
	hc := c.hc
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := &apiclient.Error{Status: resp.StatusCode}
		if json.Unmarshal(b, e) != nil || e.Code == "" {
			e = &apiclient.Error{Status: resp.StatusCode, Message: http.StatusText(resp.StatusCode)}
		}
		return e
	}
	return json.Unmarshal(b, out)
}

// refreshMetadata fetches the SP metadata of apps configured from a URL again every interval (checking every
// minute which are due), and checks once a day for signing certificates close to expiry, until ctx is done.
func refreshMetadata(ctx context.Context, svc *idp.Service, interval time.Duration, logger *slog.Logger) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	var lastExpiryCheck time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			if _, err := svc.RefreshMetadata(ctx, interval); err != nil && ctx.Err() == nil {
				logger.Warn("refresh SP metadata", "err", err)
			}
			if now.Sub(lastExpiryCheck) >= 24*time.Hour {
				lastExpiryCheck = now
				if err := svc.CheckCertificateExpiry(ctx); err != nil && ctx.Err() == nil {
					logger.Warn("check certificate expiry", "err", err)
				}
			}
		}
	}
}
