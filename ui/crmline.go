package ui

import (
	"time"

	"cxinbox/app"
)

// crmLine is the contact pane's CRM sync state — "synced 2m ago",
// "failed: <the CRM's reason>", "pending" (with the transient error it is
// retrying after, if any) — or "" when no CRM is connected.
func crmLine(s Styles, c app.ContactCRM, now time.Time) string {
	if c.Provider == "" {
		return ""
	}
	switch c.State {
	case "synced":
		ago := age(now, c.SyncedAt)
		if ago == "now" {
			return s.OK.Render("synced just now")
		}
		return s.OK.Render("synced " + ago + " ago")
	case "failed":
		return s.Error.Render("failed: " + oneLine(c.Error))
	case "pending":
		if c.Error != "" {
			return s.Warn.Render("pending") + s.Dim.Render(" · retrying after "+oneLine(c.Error))
		}
		return s.Dim.Render("pending")
	}
	return s.Dim.Render("not synced (from before the CRM was connected)")
}
