package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

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
	in := apiclient.MetadataInput{URL: *u}
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
	out, err := cl.ImportMetadata(c.ctx, c.directory, a.ID, in)
	if err != nil {
		return err
	}
	if c.json {
		return c.printJSON(out)
	}
	c.say("Configured %s from its SP metadata.", clean(out.Name))
	if len(out.Changes) == 0 {
		fmt.Fprintln(c.stdout, "The metadata changed nothing: the settings were already what it describes.")
	} else {
		fmt.Fprintln(c.stdout, "What the metadata changed:")
		for _, ch := range out.Changes {
			fmt.Fprintf(c.stdout, "  - %s\n", clean(ch.Message))
		}
	}
	for _, sg := range out.Suggestions {
		if sg.Field == "encryptAssertions" {
			fmt.Fprintf(c.stdout, "The SP publishes an encryption certificate, but assertions are not encrypted. To encrypt them:\n  gatehouse app saml set %s --encrypt-assertions\n", clean(out.ID))
			continue
		}
		fmt.Fprintf(c.stdout, "Suggested: %s\n", clean(sg.Message))
	}
	fmt.Fprintln(c.stdout)
	return c.printApp(&out.App)
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
