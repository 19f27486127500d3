package apiclient

import (
	"context"
	"net/http"
)

// NotificationSettings say who is e-mailed before a signing certificate expires: Emails is the app's own list (the
// directory's default list, for the directory), Recipients who gets the notices.
type NotificationSettings struct {
	Emails     []string `json:"emails"`
	Recipients []string `json:"recipients"`
}

// notificationEmails is the body of the Set…Notifications calls; an empty list is sent as [].
type notificationEmails struct {
	Emails []string `json:"emails"`
}

func emailsBody(emails []string) notificationEmails {
	if emails == nil {
		emails = []string{}
	}
	return notificationEmails{emails}
}

// DirectoryNotifications returns the directory's default list of addresses e-mailed before a signing certificate
// expires.
func (c *Client) DirectoryNotifications(ctx context.Context, dir string) (*NotificationSettings, error) {
	return get[NotificationSettings](ctx, c, dirPath(dir, "notifications"))
}

// SetDirectoryNotifications replaces the directory's default notification list; none removes it.
func (c *Client) SetDirectoryNotifications(ctx context.Context, dir string, emails []string) (*NotificationSettings, error) {
	return send[NotificationSettings](ctx, c, http.MethodPut, dirPath(dir, "notifications"), emailsBody(emails))
}

// AppNotifications returns who is e-mailed before the app's signing certificate expires.
func (c *Client) AppNotifications(ctx context.Context, dir, appID string) (*NotificationSettings, error) {
	return get[NotificationSettings](ctx, c, dirPath(dir, "apps", appID, "notifications"))
}

// SetAppNotifications replaces the app's notification list; none lets the directory's default list apply.
func (c *Client) SetAppNotifications(ctx context.Context, dir, appID string, emails []string) (*NotificationSettings, error) {
	return send[NotificationSettings](ctx, c, http.MethodPut, dirPath(dir, "apps", appID, "notifications"), emailsBody(emails))
}
