package provider

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"regexp"
	"strings"
	"sync"
	"time"

	"golang.org/x/text/encoding/htmlindex"

	"cxinbox/model"
)

// wordDecoder decodes RFC 2047 words in any charset a mail client may use,
// not only the UTF-8 and Latin-1 the standard library knows.
var wordDecoder = &mime.WordDecoder{CharsetReader: func(cs string, r io.Reader) (io.Reader, error) {
	enc, err := htmlindex.Get(cs)
	if err != nil {
		return nil, err
	}
	return enc.NewDecoder().Reader(r), nil
}}

// ParseEmail parses a raw RFC 5322 message. The From address is the sender,
// Message-ID the idempotency key, In-Reply-To then References (deduplicated)
// the thread. A message without From, Message-ID or Date is rejected: the
// first two identify it and a guessed date would misorder the thread. The
// text is the first text/plain part (an HTML-only mail is stripped to text)
// with CRLF line ends made "\n"; attachments are listed as
// "[attachment] name".
func ParseEmail(raw []byte) ([]model.Inbound, error) {
	const p = "email"
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, fmt.Errorf("%s: empty message", p)
	}
	// ReadMessage would make a 4 KB buffer per message unless handed one:
	// a pooled one, back in the pool once the body is read (below).
	br := readers.Get().(*bufio.Reader)
	br.Reset(bytes.NewReader(raw))
	defer func() { br.Reset(nil); readers.Put(br) }()
	msg, err := mail.ReadMessage(br)
	if err != nil {
		return nil, fmt.Errorf("%s: malformed message: %v", p, err)
	}
	h := msg.Header
	from := h.Get("From")
	if strings.TrimSpace(from) == "" {
		return nil, fmt.Errorf("%s: no From header", p)
	}
	addrs, err := (&mail.AddressParser{WordDecoder: wordDecoder}).ParseList(from)
	if err == nil && len(addrs) == 0 {
		err = errors.New("no address")
	}
	if err != nil {
		return nil, fmt.Errorf("%s: From %q is not an address: %v", p, from, strings.TrimPrefix(err.Error(), "mail: "))
	}
	sender, err := model.NewIdentity(model.Email, addrs[0].Address)
	if err != nil {
		return nil, fmt.Errorf("%s: From %q is not an address: %w", p, from, err)
	}
	ids := msgIDs(h.Get("Message-Id"))
	if len(ids) == 0 {
		return nil, fmt.Errorf("%s: no Message-ID header", p)
	}
	date := h.Get("Date")
	if strings.TrimSpace(date) == "" {
		return nil, fmt.Errorf("%s: no Date header", p)
	}
	t, err := parseDate(date)
	if err != nil {
		return nil, fmt.Errorf("%s: Date %q is not an RFC 5322 date: %v", p, date, strings.TrimPrefix(err.Error(), "mail: "))
	}
	at, ok := unixTime(t.Unix())
	if !ok {
		return nil, fmt.Errorf("%s: Date %q is out of range", p, date)
	}
	var w mimeWalk
	if err := w.walk(h.Get, msg.Body, 0); err != nil {
		return nil, fmt.Errorf("%s: body: %v", p, err)
	}
	return checked(p, []model.Inbound{{
		Sender:     sender,
		SenderName: clean(decodeWords(addrs[0].Name)),
		MessageID:  ids[0],
		Subject:    clean(decodeWords(h.Get("Subject"))),
		InReplyTo:  dedupe(append(msgIDs(h.Get("In-Reply-To")), msgIDs(h.Get("References"))...)),
		Text:       w.text(),
		SentAt:     at,
	}})
}

// decodeWords decodes RFC 2047 words, including the quoted ones net/mail
// leaves alone ("=?UTF-8?Q?…?=" <a@b.c>) that clients nevertheless send.
func decodeWords(s string) string {
	if d, err := wordDecoder.DecodeHeader(s); err == nil {
		return d
	}
	return s
}

// msgIDs reads a list of message ids, stripping the angle brackets. Text
// outside brackets (old "Your message of …" phrases) is ignored when
// brackets are present.
func msgIDs(s string) []string {
	if !strings.Contains(s, "<") {
		return strings.Fields(s)
	}
	var ids []string
	for _, part := range strings.Split(s, "<")[1:] {
		id, _, ok := strings.Cut(part, ">")
		if id = strings.TrimSpace(id); ok && id != "" {
			ids = append(ids, id)
		}
	}
	return ids
}

func dedupe(ss []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// mimeWalk collects the readable text of a MIME tree.
type mimeWalk struct {
	plain, html         string
	havePlain, haveHTML bool
	files               []string
}

// maxDepth bounds multipart nesting; real mail nests three or four deep.
const maxDepth = 20

func (w *mimeWalk) walk(get func(string) string, r io.Reader, depth int) error {
	mt, params, err := mime.ParseMediaType(get("Content-Type"))
	if err != nil { // RFC 2045: missing or invalid means text/plain
		mt, params = "text/plain", map[string]string{}
	}
	if strings.HasPrefix(mt, "multipart/") {
		if depth >= maxDepth {
			return errors.New("MIME parts nested too deep")
		}
		if params["boundary"] == "" {
			return fmt.Errorf("%s without boundary", mt)
		}
		mr := multipart.NewReader(r, params["boundary"])
		for {
			part, err := mr.NextRawPart() // raw: we decode transfer encodings ourselves
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return fmt.Errorf("%s: %v", mt, err)
			}
			if err := w.walk(part.Header.Get, part, depth+1); err != nil {
				return err
			}
		}
	}
	disp, dparams, _ := mime.ParseMediaType(get("Content-Disposition"))
	if disp != "attachment" && (mt == "text/plain" && !w.havePlain || mt == "text/html" && !w.haveHTML) {
		s, err := decodeBody(get("Content-Transfer-Encoding"), params["charset"], r)
		if err != nil {
			return fmt.Errorf("%s part: %v", mt, err)
		}
		if mt == "text/plain" {
			w.plain, w.havePlain = s, true
		} else {
			w.html, w.haveHTML = s, true
		}
		return nil
	}
	if name := cmpOr(dparams["filename"], params["name"]); name != "" || !strings.HasPrefix(mt, "text/") {
		w.files = append(w.files, label("attachment", decodeWords(cmpOr(name, mt))))
	}
	return nil
}

func (w *mimeWalk) text() string {
	t := w.plain
	if !w.havePlain {
		t = htmlText(w.html)
	}
	return clean(strings.Join(append([]string{clean(t)}, w.files...), "\n"))
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// readers pools bufio's default-sized readers, which mail.ReadMessage and
// quotedprintable.NewReader use as they are instead of making their own.
var readers = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 4096) }}

func decodeBody(cte, charset string, r io.Reader) (string, error) {
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "quoted-printable":
		// quotedprintable.NewReader wraps r in a new 4 KB bufio.Reader unless
		// r is one already: hand it a pooled one (most mail is QP).
		br := readers.Get().(*bufio.Reader)
		br.Reset(r)
		defer func() { br.Reset(nil); readers.Put(br) }()
		r = quotedprintable.NewReader(br)
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, r) // it skips the line breaks
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return "", err
	}
	switch cs := strings.ToLower(charset); cs {
	case "", "utf-8", "utf8", "us-ascii":
	default:
		if enc, err := htmlindex.Get(cs); err == nil {
			if d, err := enc.NewDecoder().Bytes(b); err == nil {
				b = d
			}
		} // an unknown charset keeps its bytes; clean() makes them valid UTF-8
	}
	return strings.ReplaceAll(string(b), "\r\n", "\n"), nil
}

var (
	htmlDrop  = regexp.MustCompile(`(?is)<(script|style|head)\b.*?</(script|style|head)\s*>`)
	htmlBreak = regexp.MustCompile(`(?i)<br\s*/?>|</(p|div|li|tr|h[1-6])\s*>`)
	htmlTag   = regexp.MustCompile(`<[^>]*>`)
	blankRuns = regexp.MustCompile(`\n[ \t]*\n(\s*\n)+`)
)

// htmlText is deliberately crude: just enough to read an HTML-only mail.
func htmlText(s string) string {
	s = htmlDrop.ReplaceAllString(s, "")
	s = htmlBreak.ReplaceAllString(s, "\n")
	s = html.UnescapeString(htmlTag.ReplaceAllString(s, ""))
	return blankRuns.ReplaceAllString(s, "\n\n")
}

// EmailMsg is one customer email for EmailBody.
type EmailMsg struct {
	MessageID  string   // without angle brackets
	From       string   // address
	FromName   string   // display name; RFC 2047-encoded when not ASCII
	To         string   // address
	Subject    string   // RFC 2047-encoded when not ASCII
	Text       string   // plain-text body
	InReplyTo  string   // Message-ID this one answers, if a reply
	References []string // the thread's Message-IDs, oldest first
	SentAt     time.Time
}

// EmailBody builds the raw RFC 5322 message for m: a single text/plain
// UTF-8 part in quoted-printable, with CRLF line ends as on the wire.
func EmailBody(m EmailMsg) []byte {
	var b bytes.Buffer
	hdr := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	hdr("Message-ID", "<"+m.MessageID+">")
	hdr("Date", m.SentAt.Format(time.RFC1123Z))
	hdr("From", (&mail.Address{Name: m.FromName, Address: m.From}).String())
	hdr("To", (&mail.Address{Address: m.To}).String())
	if m.Subject != "" {
		hdr("Subject", mime.QEncoding.Encode("utf-8", m.Subject))
	}
	if m.InReplyTo != "" {
		hdr("In-Reply-To", "<"+m.InReplyTo+">")
	}
	if len(m.References) > 0 {
		hdr("References", "<"+strings.Join(m.References, "> <")+">")
	}
	hdr("MIME-Version", "1.0")
	hdr("Content-Type", "text/plain; charset=utf-8")
	hdr("Content-Transfer-Encoding", "quoted-printable")
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	qp.Write([]byte(m.Text))
	qp.Close()
	return b.Bytes()
}

// parseDate is mail.ParseDate with the common RFC 1123 form first: ParseDate
// tries its layouts in turn and allocates an error for each miss.
func parseDate(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC1123Z, strings.TrimSpace(s)); err == nil {
		return t, nil
	}
	return mail.ParseDate(s)
}
