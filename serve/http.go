package serve

import (
	"errors"
	"net/http"

	"cxinbox/app"
)

// HTTPConfig holds the webhook secrets and limits.
type HTTPConfig struct {
	MetaAppSecret       string // X-Hub-Signature-256 (WhatsApp, Messenger, Instagram)
	MetaVerifyToken     string // GET hub.verify_token handshake
	TwilioAuthToken     string // X-Twilio-Signature
	TelegramSecretToken string // X-Telegram-Bot-Api-Secret-Token
	EmailSecret         string // shared secret for /webhooks/email
	PublicURL           string // the URL providers call, for Twilio's signature (default: from the request)
	MaxBody             int64  // bytes; larger bodies get 413
}

// NewHTTPHandler returns the webhook endpoints and the web-chat page.
func NewHTTPHandler(a *app.App, cfg HTTPConfig) (http.Handler, error) {
	return nil, errors.New("http: not built yet")
}
