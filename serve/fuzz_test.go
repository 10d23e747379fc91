package serve

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"testing"

	"cxinbox/app"
	"cxinbox/app/provider"
	"cxinbox/model"
)

var fuzzChannels = []model.Channel{model.WhatsApp, model.Facebook, model.Instagram, model.Telegram, model.SMS, model.Email}

// FuzzWebhook throws arbitrary bodies and signature headers at every
// endpoint. An unsigned or forged request is never 200 and writes nothing;
// a correctly signed one is 200, 400 or 413 (never a 5xx or a panic), and a
// refused one writes nothing.
//
//	go test ./serve -run '^$' -fuzz FuzzWebhook -fuzztime 60s
func FuzzWebhook(f *testing.F) {
	for i, c := range channelBodies {
		f.Add(uint8(i), c.body(i), "", true)
		f.Add(uint8(i), c.body(i), "sha256=00", false)
	}
	f.Add(uint8(0), []byte(`{"object":"whatsapp_business_account","entry":[{"changes":[{"value":{"messages":[{}]}}]}]}`), "", true)
	f.Add(uint8(4), []byte("MessageSid=SM%zz&From=+1"), "", true)
	f.Add(uint8(5), []byte("From: <a@b.c>\r\nMessage-ID: <x@y>\r\n\r\nhi"), "", true)

	a, err := app.Open(filepath.Join(f.TempDir(), "fuzz.db"))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { a.Close() })
	cfg := testSecrets
	cfg.MaxBody = 16 << 10
	h, err := NewHTTPHandler(a, cfg)
	if err != nil {
		f.Fatal(err)
	}
	p, _ := NewPoster(testPostConfig("http://example.test"))
	seq := func() int64 {
		v, err := a.Store().ChangeSeq(context.Background())
		if err != nil {
			f.Fatal(err)
		}
		return v
	}
	f.Fuzz(func(t *testing.T, which uint8, body []byte, sig string, sign bool) {
		ch := fuzzChannels[int(which)%len(fuzzChannels)]
		req := httptest.NewRequest(http.MethodPost, p.EndpointURL(ch), bytes.NewReader(body))
		req.Host = "example.test"
		if sign {
			signed, err := p.Request(context.Background(), provider.Event{Channel: ch, Body: body})
			if err != nil {
				return // an SMS body the poster cannot read as a form: nothing to sign
			}
			req.Header = signed.Header
		} else {
			req.Header.Set(sigHeader(ch), sig)
		}
		before := seq()
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		switch {
		case !sign && w.Code == http.StatusOK:
			t.Fatalf("%s: unsigned request (%q) accepted", ch, sig)
		case sign && w.Code != 200 && w.Code != 400 && w.Code != 413:
			t.Fatalf("%s: signed request got %d %s", ch, w.Code, w.Body)
		}
		if w.Code != http.StatusOK && seq() != before {
			t.Fatalf("%s: refused request (%d) wrote", ch, w.Code)
		}
	})
}

// FuzzSignatures: verification never panics, accepts what the signer
// made, and refuses a different body.
func FuzzSignatures(f *testing.F) {
	f.Add("secret", []byte(`{"a":1}`), "sha256=abc", "https://x.test/webhooks/sms", "From=%2B1&Body=hi")
	f.Add("", []byte{}, "", "", "")
	f.Fuzz(func(t *testing.T, secret string, body []byte, header, rawURL, form string) {
		VerifyMeta(secret, body, header)
		q, _ := url.ParseQuery(form)
		VerifyTwilio(secret, rawURL, q, header)
		if secret == "" {
			return
		}
		if !VerifyMeta(secret, body, SignMeta(secret, body)) {
			t.Fatal("VerifyMeta refuses SignMeta")
		}
		if VerifyMeta(secret, append(body, 'x'), SignMeta(secret, body)) {
			t.Fatal("VerifyMeta accepts another body")
		}
		if !VerifyTwilio(secret, rawURL, q, SignTwilio(secret, rawURL, q)) {
			t.Fatal("VerifyTwilio refuses SignTwilio")
		}
		q2 := url.Values{}
		for k, v := range q {
			q2[k] = v
		}
		q2.Add("Body", "tampered")
		if VerifyTwilio(secret, rawURL, q2, SignTwilio(secret, rawURL, q)) {
			t.Fatal("VerifyTwilio accepts other parameters")
		}
	})
}
