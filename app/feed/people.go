package feed

import (
	"strconv"
	"strings"
	"unicode"

	"github.com/nyaruka/phonenumbers"
	"golang.org/x/text/unicode/norm"
)

// locale is one country the simulated customers live in: names, mail
// providers, phone plans and time zones that belong together.
type locale struct {
	country  string // ISO 3166-1 alpha-2
	lang     string // BCP 47, as a browser or Telegram reports it
	weight   int
	first    []string // nil: gofakeit's English names
	last     []string
	domains  []string
	currency string
	carriers []string
	zones    []zone
	landline []string // patterns of fixed-line numbers, for pre-chat forms
}

// zone ties a time zone to the mobile number patterns issued there, so a
// customer's phone and time zone agree. In patterns '#' is any digit, 'N' 2–9
// and 'M' 6–9; the rest is literal.
type zone struct {
	tz     string
	mobile []string
}

var locales = []locale{
	{country: "US", lang: "en-US", weight: 22, currency: "USD",
		domains:  []string{"gmail.com", "gmail.com", "yahoo.com", "outlook.com", "icloud.com", "hotmail.com", "aol.com", "comcast.net"},
		carriers: []string{"UPS", "USPS", "FedEx"},
		zones: []zone{
			{"America/New_York", []string{"212N######", "646N######", "718N######", "617N######", "305N######"}},
			{"America/Chicago", []string{"312N######", "773N######", "214N######", "512N######"}},
			{"America/Denver", []string{"303N######", "720N######", "801N######"}},
			{"America/Phoenix", []string{"602N######", "480N######"}},
			{"America/Los_Angeles", []string{"213N######", "310N######", "415N######", "206N######"}},
		}},
	{country: "GB", lang: "en-GB", weight: 12, currency: "GBP",
		domains:  []string{"gmail.com", "gmail.com", "outlook.com", "hotmail.co.uk", "yahoo.co.uk", "btinternet.com", "icloud.com"},
		carriers: []string{"Royal Mail", "DPD", "Evri"},
		zones:    []zone{{"Europe/London", []string{"74########", "75########", "77########", "78########", "79########"}}},
		landline: []string{"207#######", "208#######", "161N######"}},
	{country: "DE", lang: "de-DE", weight: 12, currency: "EUR",
		first:    []string{"Jürgen", "Günter", "Jörg", "Björn", "Lena", "Jonas", "Lukas", "Sören", "Käthe", "Anna-Lena", "Maximilian", "Sophie", "Felix", "Mia", "Leonie", "Moritz", "Jan", "Uwe", "Sabine", "Hannah"},
		last:     []string{"Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Zimmermann", "Krüger", "Hoffmann", "Weiß", "Groß", "Köhler", "Böhm"},
		domains:  []string{"gmail.com", "web.de", "gmx.de", "gmx.net", "t-online.de", "outlook.de", "posteo.de"},
		carriers: []string{"DHL", "Hermes", "DPD"},
		zones:    []zone{{"Europe/Berlin", []string{"151########", "152########", "157########", "160#######", "170#######", "171########", "176########", "179#######"}}},
		landline: []string{"30N#######", "40N#######", "89N#######"}},
	{country: "BR", lang: "pt-BR", weight: 12, currency: "BRL",
		first:    []string{"João", "José", "Maria", "Ana Luíza", "Antônio", "Conceição", "Letícia", "Vitória", "Caio", "Thiago", "Júlia", "Mariana", "Gabriel", "Sebastião", "Lúcia", "Rafael", "Fernanda", "Luís Otávio"},
		last:     []string{"Silva", "Santos", "Oliveira", "Souza", "Pereira", "Costa", "Rodrigues", "Almeida", "Nascimento", "Lima", "Araújo", "Fernandes", "Carvalho", "Gonçalves", "Ribeiro", "Conceição", "Magalhães", "Simões"},
		domains:  []string{"gmail.com", "gmail.com", "hotmail.com", "uol.com.br", "bol.com.br", "yahoo.com.br", "terra.com.br", "outlook.com"},
		carriers: []string{"Correios", "Jadlog", "Loggi"},
		zones: []zone{
			{"America/Sao_Paulo", []string{"119M#######", "219M#######", "319M#######", "419M#######", "519M#######", "619M#######"}},
			{"America/Bahia", []string{"719M#######"}},
			{"America/Recife", []string{"819M#######"}},
			{"America/Manaus", []string{"929M#######"}},
		}},
	{country: "IN", lang: "en-IN", weight: 10, currency: "INR",
		first:    []string{"Aarav", "Vivaan", "Aditya", "Priya", "Ananya", "Diya", "Rohan", "Arjun", "Kavya", "Sneha", "Rahul", "Pooja", "Sai", "Ishaan", "Meera", "Lakshmi", "Karthik", "Deepika"},
		last:     []string{"Sharma", "Verma", "Gupta", "Singh", "Kumar", "Patel", "Reddy", "Iyer", "Nair", "Menon", "Rao", "Mehta", "Joshi", "Banerjee", "Chatterjee", "Das", "Agarwal", "Pillai"},
		domains:  []string{"gmail.com", "gmail.com", "yahoo.co.in", "rediffmail.com", "outlook.com", "hotmail.com"},
		carriers: []string{"Delhivery", "Blue Dart", "India Post"},
		zones:    []zone{{"Asia/Kolkata", []string{"98########", "97########", "88########", "79########", "70########", "63########"}}}},
	{country: "MX", lang: "es-MX", weight: 8, currency: "MXN",
		first:    []string{"Alejandro", "Guadalupe", "José Luis", "Ximena", "Valentina", "Santiago", "Andrés", "Mónica", "Verónica", "Héctor", "Sofía", "Renata", "Itzel", "Jesús"},
		last:     []string{"Hernández", "García", "Martínez", "López", "González", "Pérez", "Rodríguez", "Sánchez", "Ramírez", "Cruz", "Flores", "Morales", "Vázquez", "Jiménez", "Reyes", "Díaz", "Gutiérrez", "Núñez"},
		domains:  []string{"gmail.com", "hotmail.com", "outlook.com", "yahoo.com.mx", "prodigy.net.mx"},
		carriers: []string{"Estafeta", "DHL", "Correos de México"},
		zones: []zone{
			{"America/Mexico_City", []string{"55N#######", "33N#######", "222N######"}},
			{"America/Monterrey", []string{"81N#######"}},
			{"America/Tijuana", []string{"664N######"}},
			{"America/Cancun", []string{"998N######"}},
		}},
	{country: "FR", lang: "fr-FR", weight: 6, currency: "EUR",
		first:    []string{"Zoë", "Chloé", "Élodie", "Théo", "Léa", "Hélène", "François", "Céline", "Jérôme", "Anaïs", "Maël", "Noémie", "Benoît", "Gaëlle"},
		last:     []string{"Martin", "Bernard", "Dubois", "Thomas", "Robert", "Petit", "Durand", "Leroy", "Moreau", "Lefèvre", "Girard", "Bonnet", "Mercier", "Rousseau", "Fontaine", "Chevalier", "Lemaître"},
		domains:  []string{"gmail.com", "orange.fr", "free.fr", "laposte.net", "hotmail.fr", "sfr.fr"},
		carriers: []string{"Colissimo", "Chronopost", "Mondial Relay"},
		zones:    []zone{{"Europe/Paris", []string{"6########", "7N#######"}}},
		landline: []string{"1N#######"}},
	{country: "ES", lang: "es-ES", weight: 6, currency: "EUR",
		first:    []string{"José", "María", "Jesús", "Ángel", "Lucía", "Álvaro", "Sofía", "Íñigo", "Begoña", "Raúl", "Sergio", "Carmen", "Nuria", "Martín"},
		last:     []string{"García", "Fernández", "González", "Rodríguez", "López", "Martínez", "Sánchez", "Pérez", "Gómez", "Jiménez", "Núñez", "Muñoz", "Álvarez", "Romero", "Domínguez", "Ibáñez", "Peña"},
		domains:  []string{"gmail.com", "hotmail.es", "yahoo.es", "outlook.es", "telefonica.net"},
		carriers: []string{"Correos", "SEUR", "MRW"},
		zones:    []zone{{"Europe/Madrid", []string{"6########"}}, {"Atlantic/Canary", []string{"6########"}}},
		landline: []string{"91N######"}},
	{country: "NL", lang: "nl-NL", weight: 4, currency: "EUR",
		first:    []string{"Daan", "Zoë", "Sanne", "Bram", "Sem", "Fleur", "Lotte", "Thijs", "Anouk", "Joëlle", "Ruben", "Noor"},
		last:     []string{"de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Janssen", "Visser", "Smit", "Meijer", "de Boer", "Mulder", "de Groot", "Bos"},
		domains:  []string{"gmail.com", "ziggo.nl", "kpnmail.nl", "outlook.com", "hotmail.nl"},
		carriers: []string{"PostNL", "DHL"},
		zones:    []zone{{"Europe/Amsterdam", []string{"6########"}}}},
	{country: "PL", lang: "pl-PL", weight: 3, currency: "PLN",
		first:    []string{"Łukasz", "Małgorzata", "Paweł", "Agnieszka", "Wojciech", "Michał", "Zofia", "Jędrzej", "Grażyna", "Krzysztof", "Katarzyna", "Bartłomiej"},
		last:     []string{"Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kowalczyk", "Kamiński", "Lewandowski", "Zieliński", "Woźniak", "Dąbrowski", "Kozłowski", "Mazur"},
		domains:  []string{"gmail.com", "wp.pl", "onet.pl", "interia.pl", "o2.pl"},
		carriers: []string{"InPost", "Poczta Polska"},
		zones:    []zone{{"Europe/Warsaw", []string{"50#######", "51#######", "60#######", "66#######", "69#######", "72#######", "79#######", "88#######"}}}},
	{country: "HU", lang: "hu-HU", weight: 2, currency: "HUF",
		first:    []string{"Ödön", "Zsófia", "Gergő", "Bálint", "Eszter", "Réka", "Dávid", "Ádám", "Zoltán", "Lőrinc", "Anikó", "Tünde", "Katalin"},
		last:     []string{"Nagy", "Kovács", "Tóth", "Szabó", "Horváth", "Varga", "Kiss", "Molnár", "Németh", "Farkas", "Juhász", "Mészáros", "Szűcs"},
		domains:  []string{"gmail.com", "freemail.hu", "citromail.hu"},
		carriers: []string{"Magyar Posta", "GLS"},
		zones:    []zone{{"Europe/Budapest", []string{"20#######", "30#######", "70#######"}}}},
	{country: "TR", lang: "tr-TR", weight: 3, currency: "TRY",
		first:    []string{"Şükrü", "Ayşe", "Çağla", "Gökhan", "Özge", "İbrahim", "Ömer", "Büşra", "Emre", "Elif", "Zeynep", "Uğur", "Yağmur"},
		last:     []string{"Yılmaz", "Kaya", "Demir", "Şahin", "Çelik", "Yıldız", "Öztürk", "Aydın", "Özdemir", "Arslan", "Doğan", "Kılıç", "Çetin"},
		domains:  []string{"gmail.com", "hotmail.com", "yandex.com.tr", "outlook.com"},
		carriers: []string{"Yurtiçi Kargo", "Aras Kargo"},
		zones:    []zone{{"Europe/Istanbul", []string{"53########", "54########", "55########"}}}},
}

var localeWeights = func() (w []int) {
	for _, l := range locales {
		w = append(w, l.weight)
	}
	return w
}()

// person is a simulated customer and what the feed remembers about their
// conversations. Only a bounded pool of recent people is kept.
type person struct {
	id          int // index into the ground truth
	first, last string
	loc         *locale
	tz          string
	email       string // primary address, as the provider would deliver it
	mobile      string // E.164
	landline    string // E.164, or "" when none

	used      chanSet // channels on which this person has written
	emailFrom string  // the address they currently write from
	thread    thread
	waID      string    // digits on WhatsApp (a Brazilian one may lack the ninth digit)
	psid      [2]string // per Facebook page
	igsid     string
	tgID      int64
	tgUser    string
	tgMsg     int64
	visitors  []string // web-chat cookies, newest last
	prechat   bool     // has typed their email into a pre-chat form
	phoneForm bool     // has typed a phone number into one
	topic     topic
}

func (p *person) name() string { return p.first + " " + p.last }

type chanSet uint8

func (s chanSet) has(c int) bool { return s&(1<<c) != 0 }

// thread is the customer's last email conversation, for In-Reply-To and References.
type thread struct {
	subject string
	refs    []string // Message-IDs, oldest first
	text    string   // last message, quoted in a reply
	at      string   // its Date, as the quote header shows it
}

// newPerson invents a customer whose email and phones nobody else uses.
func (f *Feed) newPerson() *person {
	loc := &locales[f.weighted(localeWeights)]
	z := loc.zones[f.fk.IntN(len(loc.zones))]
	p := &person{loc: loc, tz: z.tz}
	if loc.first == nil {
		p.first, p.last = f.fk.FirstName(), f.fk.LastName()
	} else {
		p.first, p.last = pick(f, loc.first), pick(f, loc.last)
		if (loc.country == "BR" || loc.country == "MX" || loc.country == "ES") && f.chance(0.3) {
			p.last += " " + pick(f, loc.last) // two surnames
		}
		if loc.country == "PL" && strings.HasSuffix(p.first, "a") && strings.HasSuffix(p.last, "ki") {
			p.last = strings.TrimSuffix(p.last, "i") + "a" // Kowalski → Kowalska
		}
	}
	p.id = f.truth.add(p)
	for {
		if e := f.emailFor(p); f.truth.reserve(classEmail, e, p.id) {
			p.email, p.emailFrom = e, e
			break
		}
	}
	for {
		if m := f.phone(loc, pick(f, z.mobile)); m != "" && f.truth.reserveKey(phoneKey(m), p.id) {
			p.mobile = m
			break
		}
	}
	if loc.landline != nil && f.chance(0.3) {
		if l := f.phone(loc, pick(f, loc.landline)); l != "" && f.truth.reserveKey(phoneKey(l), p.id) {
			p.landline = l
		}
	}
	f.pool.add(p)
	return p
}

// phoneKey is the truth key of a number libphonenumber formatted as E.164
// (already normal: phone never makes a Brazilian mobile without its 9).
func phoneKey(e164 string) string { return string(classPhone) + ":" + e164 }

// phone fills a number pattern and returns it in E.164 if libphonenumber
// calls it valid for the country, or "" so the caller draws again. It builds
// the number directly: phonenumbers.Parse would cost more than the check.
func (f *Feed) phone(loc *locale, pattern string) string {
	var nsn uint64
	for i := range len(pattern) {
		d := uint64(pattern[i] - '0')
		switch pattern[i] {
		case '#':
			d = uint64(f.fk.IntN(10))
		case 'N':
			d = uint64(2 + f.fk.IntN(8))
		case 'M':
			d = uint64(6 + f.fk.IntN(4))
		}
		nsn = nsn*10 + d
	}
	cc := int32(phonenumbers.GetCountryCodeForRegion(loc.country))
	if !phonenumbers.IsValidNumberForRegion(&phonenumbers.PhoneNumber{CountryCode: &cc, NationalNumber: &nsn}, loc.country) {
		return ""
	}
	return "+" + strconv.Itoa(int(cc)) + strconv.FormatUint(nsn, 10)
}

// emailFor builds an address the way people pick them: from their name at a
// local or global provider, now and then at their employer.
func (f *Feed) emailFor(p *person) string {
	first, last := asciiName(p.first, p.loc.country), asciiName(p.last, p.loc.country)
	domain := pick(f, p.loc.domains)
	if f.chance(0.1) {
		domain = slug(f.fk.Company()) + ".com"
	}
	var local string
	switch f.fk.IntN(7) {
	case 0:
		local = first + "." + last
	case 1:
		local = first + last
	case 2:
		local = first + "_" + last
	case 3:
		local = first[:1] + last
	case 4:
		local = first + last + f.fk.Numerify("##")
	case 5:
		local = first + "." + last + f.fk.Numerify("19##")
	default:
		local = last + "." + first
	}
	return local + "@" + domain
}

var (
	germanUmlauts = strings.NewReplacer("ä", "ae", "ö", "oe", "ü", "ue", "Ä", "Ae", "Ö", "Oe", "Ü", "Ue")
	// unaccented covers letters NFD does not split into base and mark.
	unaccented = strings.NewReplacer("ß", "ss", "ł", "l", "Ł", "L", "ı", "i", "ø", "o", "æ", "ae", "đ", "d")
)

// asciiName lower-cases a name part for a mailbox: "Müller" is "mueller" to
// a German and "muller" elsewhere; "Łukasz" is "lukasz"; spaces and hyphens go.
func asciiName(s, country string) string {
	if country == "DE" {
		s = germanUmlauts.Replace(s)
	}
	s = unaccented.Replace(s)
	var b strings.Builder
	for _, r := range norm.NFD.String(s) { // "ñ" is "n" + a combining tilde
		if r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	if b.Len() == 0 {
		return "x"
	}
	return b.String()
}

// slug is a company's mail domain label: "Acme Labs, Inc." → "acme".
func slug(company string) string { return asciiName(strings.Fields(company + " x")[0], "") }

// Variants of an identity that the same person produces.

// caseVariant is an address as some mail clients send it, "Ann.Smith@Gmail.com".
func caseVariant(email string) string {
	local, domain, _ := strings.Cut(email, "@")
	title := func(s string) string {
		var b strings.Builder
		up := true
		for _, r := range s {
			if up {
				r = unicode.ToUpper(r)
			}
			up = r == '.' || r == '_'
			b.WriteRune(r)
		}
		return b.String()
	}
	if v := title(local) + "@" + title(domain); v != email {
		return v
	}
	return strings.ToUpper(email)
}

// dotVariant drops or adds a dot in the local part: Gmail ignores dots, so
// people use both forms, but to anyone else they are two addresses.
func dotVariant(email string) string {
	local, domain, _ := strings.Cut(email, "@")
	if i := strings.IndexAny(local, "._"); i > 0 {
		return local[:i] + local[i+1:] + "@" + domain
	}
	if len(local) < 4 {
		return local + ".x@" + domain
	}
	return local[:len(local)/2] + "." + local[len(local)/2:] + "@" + domain
}

// typoVariant swaps two neighbouring letters of the local part, as a hurried
// visitor does in a pre-chat form.
func (f *Feed) typoVariant(email string) string {
	local, domain, _ := strings.Cut(email, "@")
	b := []byte(local)
	for range 8 {
		i := f.fk.IntN(max(len(b)-1, 1))
		if i+1 < len(b) && b[i] != b[i+1] && b[i] != '.' && b[i+1] != '.' {
			b[i], b[i+1] = b[i+1], b[i]
			return string(b) + "@" + domain
		}
	}
	return local + local[len(local)-1:] + "@" + domain // a doubled last letter
}

// typedPhone writes an E.164 number the way people type it into a form:
// "+49 30 12345678", or with zeros "0049 30 12345678".
func typedPhone(e164 string, zeros bool) string {
	n, err := phonenumbers.Parse(e164, "")
	if err != nil {
		return e164
	}
	s := phonenumbers.Format(n, phonenumbers.INTERNATIONAL)
	if zeros {
		return "00" + strings.TrimPrefix(s, "+")
	}
	return s
}

// phoneTypo changes one digit of the subscriber part and returns a number
// that is still valid, or "".
func (f *Feed) phoneTypo(e164 string) string {
	n, err := phonenumbers.Parse(e164, "")
	if err != nil {
		return ""
	}
	region := phonenumbers.GetRegionCodeForNumber(n)
	b := []byte(e164)
	i := len(b) - 1 - f.fk.IntN(4)
	b[i] = byte('0' + (int(b[i]-'0')+1+f.fk.IntN(9))%10)
	m, err := phonenumbers.Parse(string(b), "")
	if err != nil || !phonenumbers.IsValidNumberForRegion(m, region) {
		return ""
	}
	return string(b)
}

// whatsAppID is the number as WhatsApp reports it: digits without '+'. Many
// Brazilian accounts predate the ninth digit and still lack it.
func (f *Feed) whatsAppID(p *person) (id string, noNinth bool) {
	d := strings.TrimPrefix(p.mobile, "+")
	if p.loc.country == "BR" && len(d) == 13 && d[4] == '9' && f.chance(0.5) {
		return d[:4] + d[5:], true
	}
	return d, false
}

func pick[T any](f *Feed, s []T) T { return s[f.fk.IntN(len(s))] }
