package serve

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"net/url"
	"sort"
	"strings"
)

// The providers' signature headers, and ours for email.
const (
	HeaderMetaSignature  = "X-Hub-Signature-256"
	HeaderTwilioSig      = "X-Twilio-Signature"
	HeaderTelegramSecret = "X-Telegram-Bot-Api-Secret-Token"
	HeaderEmailSecret    = "X-Cxinbox-Email-Secret"
)

// SignMeta is Meta's X-Hub-Signature-256 value for a body:
// "sha256=" + hex(HMAC-SHA256(app secret, raw body)).
func SignMeta(appSecret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(appSecret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// VerifyMeta checks an X-Hub-Signature-256 header against the raw body in
// constant time. An empty secret verifies nothing.
func VerifyMeta(appSecret string, body []byte, header string) bool {
	if appSecret == "" {
		return false
	}
	got, ok := strings.CutPrefix(strings.TrimSpace(header), "sha256=")
	if !ok {
		return false
	}
	sig, err := hex.DecodeString(got)
	if err != nil || len(sig) != sha256.Size {
		return false
	}
	m := hmac.New(sha256.New, []byte(appSecret))
	m.Write(body)
	return hmac.Equal(sig, m.Sum(nil))
}

// SignTwilio is Twilio's X-Twilio-Signature for a form POST to fullURL:
// base64(HMAC-SHA1(auth token, URL + each parameter's name and value,
// sorted by name)). Repeated names contribute each value, values sorted.
func SignTwilio(authToken, fullURL string, form url.Values) string {
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(fullURL)
	for _, k := range keys {
		vs := append([]string(nil), form[k]...)
		sort.Strings(vs)
		for _, v := range vs {
			b.WriteString(k)
			b.WriteString(v)
		}
	}
	m := hmac.New(sha1.New, []byte(authToken))
	m.Write([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// VerifyTwilio checks an X-Twilio-Signature for a form POST to fullURL. Like
// Twilio's own libraries, it also accepts the URL with its default port
// added or removed (https:443, http:80), since proxies differ on that.
func VerifyTwilio(authToken, fullURL string, form url.Values, header string) bool {
	if authToken == "" || header == "" {
		return false
	}
	sig, err := base64.StdEncoding.DecodeString(strings.TrimSpace(header))
	if err != nil || len(sig) != sha1.Size {
		return false
	}
	for _, u := range twilioURLVariants(fullURL) {
		want, _ := base64.StdEncoding.DecodeString(SignTwilio(authToken, u, form))
		if hmac.Equal(sig, want) {
			return true
		}
	}
	return false
}

func twilioURLVariants(fullURL string) []string {
	out := []string{fullURL}
	u, err := url.Parse(fullURL)
	if err != nil || u.Host == "" {
		return out
	}
	def := map[string]string{"https": "443", "http": "80"}[u.Scheme]
	if def == "" {
		return out
	}
	v := *u
	switch u.Port() {
	case def:
		v.Host = u.Hostname()
		if strings.Contains(v.Host, ":") { // IPv6 literal
			v.Host = "[" + v.Host + "]"
		}
	case "":
		v.Host = u.Host + ":" + def
	default:
		return out
	}
	return append(out, v.String())
}

// equalSecret compares a presented secret with the configured one in
// constant time. An empty configured secret matches nothing.
func equalSecret(want, got string) bool {
	if want == "" {
		return false
	}
	// Hash both so the comparison does not leak the length either.
	w, g := sha256.Sum256([]byte(want)), sha256.Sum256([]byte(got))
	return subtle.ConstantTimeCompare(w[:], g[:]) == 1
}
