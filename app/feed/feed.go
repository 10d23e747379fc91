// Package feed simulates inbound customer traffic: a seeded, repeatable
// stream of provider webhook bodies on all seven channels, with the ground
// truth of who wrote what, so identity matching and duplicate detection can
// be exercised and measured.
package feed

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"math"
	"math/rand/v2"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/brianvoe/gofakeit/v7"

	"cxinbox/app/provider"
	"cxinbox/model"
)

// Channel indexes, in model.Channels order.
const (
	chEmail = iota
	chSMS
	chWhatsApp
	chFacebook
	chInstagram
	chTelegram
	chWebChat
)

// channelWeights is the traffic mix in percent, in model.Channels order.
var channelWeights = []int{30, 10, 20, 8, 7, 5, 20}

// The business side of the conversations.
const (
	supportAddress = "support@northwind-shop.com"
	twilioAccount  = "AC7d1f3c0a9b8e4d2f6a5c4b3a29180716"
	igAccount      = "17841405822304914"
	// Probabilities of the events that exercise the rules.
	pRedelivery = 0.01
	pFollowUp   = 0.6
	pOtherChan  = 0.08
)

// facebookPages are the two Messenger pages the team answers.
var facebookPages = [2]string{"110392518376541", "104877335692120"}

// smsNumbers are the team's Twilio numbers; customers text the one of their region.
var smsNumbers = map[string]string{"US": "+14155238886", "GB": "+447723456789", "DE": "+4915112345678"}

// Option configures a Feed.
type Option func(*Feed)

// WithClock sets the first event's time and the range of gaps between events
// (drawn log-uniformly, so most are short and some long).
func WithClock(start time.Time, minGap, maxGap time.Duration) Option {
	return func(f *Feed) {
		f.now, f.minGap, f.maxGap = start.UTC(), max(minGap, 0), max(maxGap, minGap, 0)
	}
}

// WithPool sets how many recent people may write again (default 2000).
// Older ones are forgotten, which bounds memory on long runs.
func WithPool(n int) Option {
	return func(f *Feed) { f.pool.ring = make([]*person, max(n, 1)) }
}

// Feed generates events. It is safe for concurrent use.
type Feed struct {
	mu             sync.Mutex
	fk             *gofakeit.Faker
	now            time.Time
	minGap, maxGap time.Duration
	pool           pool
	truth          truthLog
	recent         [64]provider.Event // for provider re-deliveries
	emitted        int
	update         int64 // Telegram update_id, per bot
	counts         [nScenarios]int
	zones          map[string]*time.Location
}

// New returns a feed whose stream is fully determined by seed and opts.
func New(seed int64, opts ...Option) *Feed {
	f := &Feed{
		// A PCG source directly: gofakeit.New treats seed 0 as "random".
		fk:     gofakeit.NewFaker(rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15), false),
		now:    time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC),
		minGap: 2 * time.Second,
		maxGap: 4 * time.Minute,
		truth:  truthLog{owner: map[uint64]int32{}},
		zones:  map[string]*time.Location{},
	}
	f.pool.ring = make([]*person, 2000)
	for _, o := range opts {
		o(f)
	}
	for _, n := range smsNumbers {
		f.truth.reserve(classPhone, n, -1) // no customer texts from our own numbers
	}
	f.update = 731500000 + int64(f.fk.IntN(1_000_000))
	return f
}

// Next returns the next event.
func (f *Feed) Next() provider.Event {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.emitted > 0 {
		f.tick()
	}
	if f.emitted > 0 && f.chance(pRedelivery) {
		// At-least-once delivery: the very same request again.
		f.counts[scRedelivery]++
		ev := f.recent[f.fk.IntN(min(f.emitted, len(f.recent)))]
		return provider.Event{Channel: ev.Channel, Body: bytes.Clone(ev.Body)}
	}
	var ev provider.Event
	switch f.weighted(channelWeights) {
	case chEmail:
		ev = f.email()
	case chSMS:
		ev = f.sms()
	case chWhatsApp:
		ev = f.whatsApp()
	case chFacebook:
		ev = f.facebook()
	case chInstagram:
		ev = f.instagram()
	case chTelegram:
		ev = f.telegram()
	default:
		ev = f.webChat()
	}
	f.recent[f.emitted%len(f.recent)] = ev
	f.emitted++
	return provider.Event{Channel: ev.Channel, Body: bytes.Clone(ev.Body)}
}

// Stats counts the scenarios generated so far, by name.
func (f *Feed) Stats() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := make(map[string]int, nScenarios)
	for s, n := range f.counts {
		m[scenario(s).String()] = n
	}
	return m
}

// Truth returns the ground truth so far. It shares no memory with the feed.
func (f *Feed) Truth() *Truth {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := &Truth{Persons: make([]Person, 0, len(f.truth.persons))}
	for _, p := range f.truth.persons {
		p.Identities = append([]TruthIdentity(nil), p.Identities...)
		p.MessageIDs = append([]string(nil), p.MessageIDs...)
		t.Persons = append(t.Persons, p)
	}
	return t
}

// Stream sends f's events to out at rate events per second until ctx ends,
// and returns ctx's error. A consumer that falls more than a second behind
// is not flooded with the backlog afterwards.
func Stream(ctx context.Context, f *Feed, rate float64, out chan<- provider.Event) error {
	if rate <= 0 || math.IsNaN(rate) || math.IsInf(rate, 0) {
		return fmt.Errorf("feed: rate %v is not a positive number of events per second", rate)
	}
	tick := time.NewTicker(max(time.Duration(float64(time.Second)/rate), 5*time.Millisecond))
	defer tick.Stop()
	start, sent := time.Now(), 0
	for {
		due := int(time.Since(start).Seconds()*rate) + 1
		if due-sent > int(rate)+1 {
			sent = due - 1
		}
		for ; sent < due; sent++ {
			ev := f.Next()
			select {
			case out <- ev:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// tick advances the clock by a log-uniform gap.
func (f *Feed) tick() {
	lo, hi := float64(max(f.minGap, time.Millisecond)), float64(max(f.maxGap, f.minGap, time.Millisecond))
	f.now = f.now.Add(time.Duration(lo * math.Pow(hi/lo, f.fk.Float64())).Truncate(time.Millisecond))
}

func (f *Feed) chance(p float64) bool { return f.fk.Float64() < p }

func (f *Feed) weighted(w []int) int {
	total := 0
	for _, x := range w {
		total += x
	}
	n := f.fk.IntN(total)
	for i, x := range w {
		if n < x {
			return i
		}
		n -= x
	}
	return len(w) - 1
}

// actor picks who writes next on channel c: a recent person who already
// writes there (a follow-up), a known person trying channel c for the first
// time, or a new person.
func (f *Feed) actor(c int) *person {
	switch u := f.fk.Float64(); {
	case u < pFollowUp:
		if p := f.pool.find(f, func(p *person) bool { return p.used.has(c) }); p != nil {
			return p
		}
	case u < pFollowUp+pOtherChan:
		if p := f.pool.find(f, func(p *person) bool { return p.used != 0 && !p.used.has(c) }); p != nil {
			return p
		}
	}
	return f.newPerson()
}

// wrote records a message of p on channel c from the raw identity value.
func (f *Feed) wrote(p *person, c int, raw, msgID string) {
	k := ""
	if c == chSMS || c == chWhatsApp {
		k = phoneKey(p.mobile) // every form of their number normalises to it; skips libphonenumber
	}
	added := f.use(p, TruthIdentity{Channel: model.Channels[c], Value: raw}, k)
	switch {
	case p.used == 0:
		f.counts[scNewCustomer]++
	case !added:
		f.counts[scFollowUp]++
	case !p.used.has(c):
		f.counts[scOtherChannel]++
		if c == chEmail && p.used.has(chWhatsApp) || c == chWhatsApp && p.used.has(chEmail) {
			f.counts[scEmailAndWhatsApp]++
		}
	}
	p.used |= 1 << c
	t := &f.truth.persons[p.id]
	t.MessageIDs = append(t.MessageIDs, msgID)
}

// use records an identity of p in the ground truth (see truthLog.use).
func (f *Feed) use(p *person, id TruthIdentity, k string) (added bool) {
	added, ok := f.truth.use(p.id, id, k)
	if !ok { // values are reserved when drawn, so this is a bug in the feed
		panic(fmt.Sprintf("feed: %s identity %q is someone else's", id.Channel, id.Value))
	}
	return added
}

func (f *Feed) email() provider.Event {
	p := f.actor(chEmail)
	follow := p.used.has(chEmail)
	if follow && p.emailFrom == p.email {
		switch u := f.fk.Float64(); {
		case u < 0.06: // same mailbox, differently cased by another client
			p.emailFrom = caseVariant(p.email)
			f.counts[scEmailCase]++
		case u < 0.10: // Gmail-style dot variant: another address to anyone else
			if v := dotVariant(p.email); f.truth.reserve(classEmail, v, p.id) {
				p.emailFrom = v
				f.counts[scEmailDot]++
			}
		}
	}
	name := p.name()
	if p.id%17 == 0 {
		name = "" // some clients send a bare address
	}
	from, sentAt := p.emailFrom, f.now.In(f.zone(p.tz))
	date, msgID := sentAt.Format(time.RFC1123Z), f.messageID(from)
	var subject, text, inReplyTo string
	var refs []string
	if follow && len(p.thread.refs) > 0 && f.chance(0.7) {
		f.counts[scEmailReply]++
		subject, refs = p.thread.subject, p.thread.refs
		if !strings.HasPrefix(subject, "Re: ") {
			subject = "Re: " + subject
		}
		inReplyTo = refs[len(refs)-1]
		text = f.emailText(p, f.message(p, false, false))
		quoted := quote(p.thread.text, p.thread.at, (&mail.Address{Name: name, Address: from}).String())
		p.thread.text, text = text, text+quoted
		p.thread.refs = appendRef(refs, msgID)
	} else {
		text = f.emailText(p, f.message(p, true, false))
		subject = f.subject(p)
		p.thread.text, p.thread.refs = text, []string{msgID}
	}
	p.thread.subject, p.thread.at = subject, date
	f.wrote(p, chEmail, from, msgID)
	return provider.Event{Channel: model.Email, Body: provider.EmailBody(provider.EmailMsg{
		MessageID: msgID, From: from, FromName: name, To: supportAddress, Subject: subject, Text: text,
		InReplyTo: inReplyTo, References: refs, SentAt: sentAt})}
}

// appendRef keeps References short the way mail clients do: the thread's
// first message and the latest ones.
func appendRef(refs []string, id string) []string {
	out := append(append(make([]string, 0, len(refs)+1), refs...), id)
	if len(out) > 8 {
		out = append(out[:1], out[len(out)-7:]...)
	}
	return out
}

// zone caches time zones: the sender's mail client dates mail in its own.
func (f *Feed) zone(tz string) *time.Location {
	loc, ok := f.zones[tz]
	if !ok {
		if loc, _ = time.LoadLocation(tz); loc == nil {
			loc = time.UTC
		}
		f.zones[tz] = loc
	}
	return loc
}

// messageID makes a Message-ID (without brackets) in the style of the
// sender's mail provider.
func (f *Feed) messageID(from string) string {
	_, domain, _ := strings.Cut(strings.ToLower(from), "@")
	switch {
	case domain == "gmail.com":
		return "CA" + f.token(base62, 44) + "@mail.gmail.com"
	case strings.HasPrefix(domain, "outlook.") || strings.HasPrefix(domain, "hotmail."):
		host := "AM" + f.fk.Numerify("#PR0#MB####")
		return host + f.token(hexUpper, 16) + "@" + host + ".eurprd0" + f.fk.Numerify("#") + ".prod.outlook.com"
	case domain == "icloud.com":
		return strings.ToUpper(f.fk.UUID()) + "@icloud.com"
	}
	return f.token(hexLower, 16) + "." + strconv.FormatInt(f.now.Unix(), 10) + "@" + domain
}

func (f *Feed) sms() provider.Event {
	p := f.actor(chSMS)
	text := f.message(p, !p.used.has(chSMS), true)
	to, ok := smsNumbers[p.loc.country]
	if !ok {
		to = smsNumbers["US"]
	}
	sid := "SM" + f.token(hexLower, 32)
	f.wrote(p, chSMS, p.mobile, sid)
	return provider.Event{Channel: model.SMS, Body: provider.TwilioSMSBody(provider.SMSMsg{
		MessageSid: sid, AccountSid: twilioAccount, From: p.mobile, To: to, Body: text, SentAt: f.now})}
}

func (f *Feed) whatsApp() provider.Event {
	p := f.actor(chWhatsApp)
	text := f.message(p, !p.used.has(chWhatsApp), true)
	if p.waID == "" {
		var noNinth bool
		if p.waID, noNinth = f.whatsAppID(p); noNinth {
			f.counts[scBrazilNoNinth]++
		}
	}
	// The profile name is whatever the user set: often just a first name.
	profile := p.name()
	switch p.id % 5 {
	case 0:
		profile = p.first
	case 1:
		profile = p.first + " " + []string{"🌸", "✌️", "⚽", "☀️"}[p.id%4]
	}
	// A wamid is base64 of a small protobuf holding the sender's number.
	raw := append([]byte{0x1c, 0x18, byte(len(p.waID))}, p.waID...)
	raw = append(append(raw, 0x15, 0x02, 0x00, 0x12, 0x18, 0x14), f.token(hexUpper, 20)...)
	wamid := "wamid." + base64.StdEncoding.EncodeToString(append(raw, 0))
	f.wrote(p, chWhatsApp, p.waID, wamid)
	return provider.Event{Channel: model.WhatsApp, Body: provider.WhatsAppBody(provider.WhatsAppMsg{
		From: p.waID, Name: profile, ID: wamid, Text: text, SentAt: f.now})}
}

func (f *Feed) facebook() provider.Event {
	p := f.actor(chFacebook)
	page := f.fk.IntN(10) / 7 // page 0 gets most traffic
	switch {
	case p.psid[0] != "" && p.psid[1] != "":
	case p.psid[0] != "" || p.psid[1] != "":
		page = 0
		if p.psid[0] == "" {
			page = 1
		}
		if f.chance(0.12) { // the same person messages the other page: a new PSID
			page = 1 - page
			f.counts[scSecondPage]++
		}
	}
	follow := p.psid[page] != ""
	for p.psid[page] == "" {
		if id := strconv.Itoa(1e15 + f.fk.IntN(9e15)); f.truth.reserve(model.Facebook, facebookPages[page]+":"+id, p.id) {
			p.psid[page] = id
		}
	}
	text := f.message(p, !follow, true)
	mid := "m_" + f.token(base64URL, 86)
	f.wrote(p, chFacebook, facebookPages[page]+":"+p.psid[page], mid)
	return provider.Event{Channel: model.Facebook, Body: provider.MetaBody(model.Facebook, provider.MetaMsg{
		PageID: facebookPages[page], SenderID: p.psid[page], MID: mid, Text: text, SentAt: f.now})}
}

func (f *Feed) instagram() provider.Event {
	p := f.actor(chInstagram)
	follow := p.igsid != ""
	for p.igsid == "" {
		if id := f.fk.Numerify("1###############"); f.truth.reserve(model.Instagram, igAccount+":"+id, p.id) {
			p.igsid = id
		}
	}
	text := f.message(p, !follow, true)
	mid := strings.TrimRight(base64.StdEncoding.EncodeToString([]byte("ig_message_item:1:IGMessageThread:"+igAccount+":"+f.fk.Numerify(strings.Repeat("#", 39)))), "=")
	f.wrote(p, chInstagram, igAccount+":"+p.igsid, mid)
	return provider.Event{Channel: model.Instagram, Body: provider.MetaBody(model.Instagram, provider.MetaMsg{
		PageID: igAccount, SenderID: p.igsid, MID: mid, Text: text, SentAt: f.now})}
}

func (f *Feed) telegram() provider.Event {
	p := f.actor(chTelegram)
	first := p.tgID == 0
	for p.tgID == 0 {
		id := int64(100_000_000 + f.fk.IntN(7_900_000_000))
		if f.truth.reserve(model.Telegram, strconv.FormatInt(id, 10), p.id) {
			p.tgID, p.tgMsg = id, 1
			if f.chance(0.5) {
				last := asciiName(p.last, "")
				p.tgUser = asciiName(p.first, "") + "_" + last[:min(3, len(last))] + f.fk.Numerify("##")
			}
		}
	}
	text := f.message(p, first, true)
	if first && f.chance(0.35) {
		text = pick(f, tgCommands)
		p.topic = topic{} // the real question comes next
		f.counts[scTelegramStart]++
	}
	last := p.last
	if p.id%3 == 0 {
		last = "" // last_name is optional and often left empty
	}
	f.update += 1 + int64(f.fk.IntN(2))
	p.tgMsg += 1 + int64(f.fk.IntN(3)) // the bot's replies take ids too
	id := strconv.FormatInt(p.tgID, 10)
	f.wrote(p, chTelegram, id, id+":"+strconv.FormatInt(p.tgMsg, 10)) // the parser's key: chat id, message id
	return provider.Event{Channel: model.Telegram, Body: provider.TelegramBody(provider.TelegramMsg{
		UpdateID: f.update, MessageID: p.tgMsg, FromID: p.tgID, FirstName: p.first, LastName: last,
		Username: p.tgUser, Text: text, SentAt: f.now})}
}

func (f *Feed) webChat() provider.Event {
	var p *person
	var form *model.Prechat
	startedBy := model.StartedByVisitor
	switch u := f.fk.Float64(); {
	case u < 0.40: // the same browser comes back: same cookie, no form
		if p = f.pool.find(f, func(p *person) bool { return len(p.visitors) > 0 }); p != nil {
			f.counts[scReturningVisitor]++
			return f.chat(p, p.visitors[len(p.visitors)-1], startedBy, nil, false)
		}
	case u < 0.50: // a new browser, a form with an email an existing contact has
		if p = f.pool.find(f, func(p *person) bool { return p.prechat || p.used.has(chEmail) }); p != nil {
			if len(p.visitors) > 0 {
				f.counts[scSecondBrowser]++
			}
			form = f.form(p)
		}
	case u < 0.58: // a form with a typo or another spelling of known details
		if p = f.pool.find(f, func(p *person) bool { return p.used&(1<<chEmail|1<<chSMS|1<<chWhatsApp) != 0 || p.prechat }); p != nil {
			form = f.variantForm(p)
		}
	}
	if p == nil {
		p = f.newPerson()
		if f.chance(0.65) {
			form = f.form(p)
			f.counts[scPrechat]++
		} else {
			startedBy = []model.StartedBy{model.StartedByWorkflow, model.StartedByAgent}[f.fk.IntN(2)]
			f.counts[scNoPrechat]++
		}
	}
	v := "v_" + f.token(base62, 22)
	for !f.truth.reserve(model.WebChat, v, p.id) {
		v = "v_" + f.token(base62, 22)
	}
	p.visitors = append(p.visitors[max(len(p.visitors)-2, 0):], v)
	return f.chat(p, v, startedBy, form, true)
}

// form is what a visitor types into the pre-chat form, correctly.
func (f *Feed) form(p *person) *model.Prechat {
	form := &model.Prechat{Name: p.name(), Email: p.email}
	if f.chance(0.15) {
		form.Name = p.first
	}
	if f.chance(0.2) {
		form.Email = caseVariant(p.email)
		f.counts[scEmailCase]++
	}
	if f.chance(0.4) {
		form.Phone = p.formPhone()
		if f.chance(0.5) {
			form.Phone = typedPhone(form.Phone, false)
		}
	}
	return form
}

func (p *person) formPhone() string {
	if p.landline != "" {
		return p.landline
	}
	return p.mobile
}

// variantForm is a form whose email or phone differs from what the person
// used before: a typo, or the same number written another way.
func (f *Feed) variantForm(p *person) *model.Prechat {
	form := &model.Prechat{Name: p.name()}
	known := p.formPhone() // the number they gave before
	if p.used&(1<<chSMS|1<<chWhatsApp) != 0 {
		known = p.mobile
	} else if !p.phoneForm {
		known = ""
	}
	switch n := f.fk.IntN(3); {
	case n == 0 && known != "":
		form.Phone = typedPhone(known, true) // "0049 30 …"
		f.counts[scPhoneFormat]++
	case n == 1 && known != "":
		if t := f.phoneTypo(known); t != "" && f.truth.reserve(classPhone, t, p.id) {
			form.Phone = t
			f.counts[scPhoneTypo]++
		} else {
			form.Phone = typedPhone(known, true)
			f.counts[scPhoneFormat]++
		}
	default:
		if t := f.typoVariant(p.email); f.truth.reserve(classEmail, t, p.id) {
			form.Email = t
			f.counts[scEmailTypo]++
		} else {
			form.Email = p.email
		}
	}
	return form
}

// chat is one web-chat message; the form rides on a visitor's first message.
func (f *Feed) chat(p *person, visitor string, by model.StartedBy, form *model.Prechat, first bool) provider.Event {
	if form != nil {
		if form.Email != "" {
			p.prechat = true
			f.use(p, TruthIdentity{Channel: model.Email, Value: form.Email, Prechat: true}, "")
		}
		if form.Phone != "" {
			p.phoneForm = true
			f.use(p, TruthIdentity{Channel: model.SMS, Value: form.Phone, Prechat: true}, "")
		}
	}
	msgID := f.fk.UUID()
	m := provider.WebChatMsg{VisitorID: visitor, MessageID: msgID, StartedBy: by, Prechat: form,
		Country: p.loc.country, Timezone: p.tz, Language: p.loc.lang, SentAt: f.now}
	if by == model.StartedByVisitor {
		m.Text = f.message(p, first, true)
	} else { // an answer to a proactive greeting; the question follows
		m.Text = pick(f, []string{"hi", "Hello?", "yes I have a question", "hey"})
		p.topic = topic{}
	}
	f.wrote(p, chWebChat, visitor, msgID)
	return provider.Event{Channel: model.WebChat, Body: provider.WebChatBody(m)}
}

// pool is a ring of the most recently created people.
type pool struct {
	ring []*person
	n    int
}

func (q *pool) add(p *person) {
	q.ring[q.n%len(q.ring)] = p
	q.n++
}

// find draws a few people, favouring recent ones, and returns the first that
// satisfies ok, or nil.
func (q *pool) find(f *Feed, ok func(*person) bool) *person {
	size := min(q.n, len(q.ring))
	if size == 0 {
		return nil
	}
	for range 12 {
		u := f.fk.Float64()
		if p := q.ring[(q.n-1-int(float64(size)*u*u))%len(q.ring)]; ok(p) {
			return p
		}
	}
	return nil
}

const (
	base62    = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	base64URL = base62 + "-_"
	hexLower  = "0123456789abcdef"
	hexUpper  = "0123456789ABCDEF"
)

func (f *Feed) token(alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[f.fk.IntN(len(alphabet))]
	}
	return string(b)
}

// scenario names what an event exercises; Stats counts them.
type scenario int

const (
	scNewCustomer scenario = iota
	scFollowUp
	scOtherChannel
	scEmailAndWhatsApp
	scEmailReply
	scSecondPage
	scTelegramStart
	scPrechat
	scNoPrechat
	scReturningVisitor
	scSecondBrowser
	scEmailCase
	scEmailDot
	scEmailTypo
	scPhoneFormat
	scPhoneTypo
	scBrazilNoNinth
	scRedelivery
	nScenarios
)

var scenarioNames = [nScenarios]string{"new_customer", "follow_up", "other_channel", "email_and_whatsapp",
	"email_reply", "second_facebook_page", "telegram_start", "prechat_form", "no_prechat", "returning_visitor",
	"second_browser", "email_case_variant", "email_dot_variant", "email_typo", "phone_format_variant",
	"phone_typo", "brazil_no_ninth_digit", "redelivery"}

func (s scenario) String() string { return scenarioNames[s] }
