// Package serve is team mode: the inbox UI over SSH for every agent (ssh.go)
// and customers' messages over HTTP — the providers' webhooks and the web-chat
// page (http.go). Both run on one app.App, so one process holds the single
// writer and every session sees every change at once.
package serve
