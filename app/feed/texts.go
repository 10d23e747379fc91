package feed

import (
	"fmt"
	"strconv"
	"strings"
)

// topic is what a customer is writing about; follow-ups stay on it.
type topic struct {
	cat     int
	order   string
	product string
	amount  string
	code    string
}

// category is one kind of customer-service request. Placeholders:
// {order} {product} {amount} {date} {carrier} {days} {last4} {code} {city}.
type category struct {
	subjects []string
	first    []string
	more     []string
}

var categories = []category{
	{ // where is my order
		subjects: []string{"Order {order} not delivered", "Where is my order?", "Delivery status for {order}", "Still waiting for my package"},
		first: []string{
			"Where is my order {order}? It was supposed to arrive on {date}.",
			"Hi, I ordered a {product} on {date} and the tracking still says 'label created'. Order {order}.",
			"My {carrier} tracking for {order} hasn't moved in {days} days. Is it lost?",
			"The app says my order was delivered but there is nothing at my door. Order {order}.",
			"hi when will order {order} ship?? I paid for express",
		},
		more: []string{"Any update on {order}?", "It's been {days} days now and still nothing from {carrier}.", "The tracking finally moved, it's in {city} now.", "Found it! The neighbour had it. Sorry for the trouble.", "Can you just resend it?"},
	},
	{ // refund
		subjects: []string{"Refund for order {order}", "Where is my refund?", "Return of {product}"},
		first: []string{
			"I returned the {product} two weeks ago and still haven't got my refund of {amount}.",
			"Hello, I'd like to return order {order}. The {product} is not what I expected. How do I get a return label?",
			"You refunded {amount} but I paid more than that for {order}. Can you check?",
			"I want a refund for {order}, the item never arrived.",
		},
		more: []string{"The refund still isn't on my card.", "My bank says nothing has come in yet.", "Got the refund today, thank you!", "I sent the {product} back with {carrier}, tracking attached."},
	},
	{ // shipping question
		subjects: []string{"Question about shipping", "Shipping to {city}", "Delivery times"},
		first: []string{
			"Do you ship to {city}? How long does delivery usually take?",
			"How much is shipping for a {product}? Checkout shows a strange amount.",
			"Can I pick up my order instead of having it delivered?",
			"Is express delivery available? I need the {product} before the weekend.",
		},
		more: []string{"And is there customs to pay?", "Ok, and if I order today?", "Great, thanks for the quick answer."},
	},
	{ // login
		subjects: []string{"Can't log in", "Password reset not working", "Account locked"},
		first: []string{
			"I can't log in, the password reset email never arrives.",
			"My account says it is locked after too many attempts. Can you unlock it?",
			"The two-factor code you text me is always 'invalid'.",
			"I changed my phone and lost the authenticator app. How do I get back into my account?",
			"login keeps looping back to the sign in page on my phone",
		},
		more: []string{"Still not getting the email, I checked spam too.", "I tried again, same error.", "It works now, thanks!", "Can you send the code to my other email instead?"},
	},
	{ // billing
		subjects: []string{"Charged twice for {order}", "Invoice request", "Payment declined but money taken"},
		first: []string{
			"I was charged twice for order {order}, {amount} each time.",
			"Could I get an invoice for {order} with my company name on it?",
			"My card ending {last4} was declined, but the money left my account.",
			"Why was I charged {amount}? I don't recognise this payment.",
		},
		more: []string{"The second charge is still there.", "Here is a screenshot from my bank.", "Invoice received, all good.", "Please refund the duplicate charge to the card ending {last4}."},
	},
	{ // product question
		subjects: []string{"Question about {product}", "Is the {product} back in stock?"},
		first: []string{
			"Is the {product} back in stock soon?",
			"Does the {product} come with a warranty?",
			"What is the difference between the {product} and the newer model?",
			"Is the {product} compatible with what I bought last year?",
		},
		more: []string{"Can you let me know when it is available?", "Thanks, I'll order it then.", "And does it come in another colour?"},
	},
	{ // change or cancel
		subjects: []string{"Cancel order {order}", "Change delivery address", "Wrong size ordered"},
		first: []string{
			"Please cancel order {order}, I ordered the wrong size.",
			"Can I change the delivery address for {order}? I moved to {city}.",
			"I'd like to add a second {product} to order {order}, is that still possible?",
		},
		more: []string{"Has it been cancelled?", "Please confirm the new address.", "Too late, it shipped. I'll return it then."},
	},
	{ // damaged
		subjects: []string{"Damaged item", "{product} arrived broken", "Wrong item received"},
		first: []string{
			"The {product} arrived damaged, the box was crushed. What should I do?",
			"I received the wrong item in order {order}, I got something else instead of the {product}.",
			"Part of my order {order} is missing.",
		},
		more: []string{"I've attached photos of the damage.", "Will you send a replacement?", "The replacement arrived, all fine now."},
	},
	{ // subscription
		subjects: []string{"Cancel my subscription", "Subscription renewal", "Unexpected renewal charge"},
		first: []string{
			"How do I cancel my subscription? There is no button in my settings.",
			"My subscription renewed for {amount} although I cancelled last month.",
			"Can I pause my subscription for two months?",
		},
		more: []string{"Still charged this month.", "Ok, please cancel it then.", "Thanks, I see it's cancelled now."},
	},
	{ // promo code
		subjects: []string{"Discount code not working", "Promo {code}"},
		first: []string{
			"The discount code {code} says expired but your email says it's valid until Sunday.",
			"I forgot to apply my code {code} on order {order}, can you still apply it?",
		},
		more: []string{"Tried again, still 'invalid code'.", "Thanks for applying it!"},
	},
}

// localized are messages customers write in their own language; follow-ups
// in it too. Keyed by the primary language subtag.
var localized = map[string]struct{ first, more []string }{
	"de": {
		first: []string{"Hallo, wo bleibt meine Bestellung {order}? Sie sollte am {date} ankommen.", "Ich habe den {product} zurückgeschickt, aber noch keine Erstattung über {amount} erhalten.", "Ich kann mich nicht einloggen, die E-Mail zum Zurücksetzen kommt nie an.", "Mir wurde die Bestellung {order} doppelt abgebucht."},
		more:  []string{"Gibt es schon Neuigkeiten?", "Danke, hat geklappt!", "Immer noch nichts angekommen."},
	},
	"pt": {
		first: []string{"Olá, meu pedido {order} ainda não chegou. Era para {date}.", "Quero devolver o {product}, como faço?", "Não consigo entrar na minha conta, o código não chega.", "Fui cobrado duas vezes no pedido {order}!"},
		more:  []string{"Alguma novidade?", "Obrigada, deu certo!", "Ainda estou aguardando o reembolso."},
	},
	"es": {
		first: []string{"Hola, ¿dónde está mi pedido {order}? Debía llegar el {date}.", "Devolví el {product} hace dos semanas y aún no recibo el reembolso de {amount}.", "No puedo iniciar sesión, nunca llega el correo para cambiar la contraseña.", "Me cobraron dos veces el pedido {order}."},
		more:  []string{"¿Alguna novedad?", "¡Gracias, ya funciona!", "Sigo esperando."},
	},
	"fr": {
		first: []string{"Bonjour, où en est ma commande {order} ? Elle devait arriver le {date}.", "J'ai renvoyé le {product} et je n'ai toujours pas été remboursé·e.", "Je n'arrive pas à me connecter, l'e-mail de réinitialisation n'arrive jamais.", "J'ai été débité deux fois pour la commande {order}."},
		more:  []string{"Des nouvelles ?", "Merci, c'est réglé !", "Toujours rien reçu."},
	},
}

var (
	cities     = []string{"Toronto", "Lyon", "Porto Alegre", "Leeds", "Köln", "Guadalajara", "Pune", "Utrecht", "Kraków", "Debrecen", "İzmir", "Sevilla", "Austin"}
	shortMore  = []string{"??", "hello?", "any news", "ok thanks", "👍", "thank you!!", "still waiting 😕", "can someone call me back?", "order number is {order}", "sorry, wrong order number, it's {order}"}
	emoji      = []string{"", "", "", " 🙏", " 😊", " 😡", " 📦"}
	tgCommands = []string{"/start", "/start", "/help"}
)

// newTopic starts a new request with its own order, product and amount.
func (f *Feed) newTopic(p *person) topic {
	return topic{
		cat:     f.fk.IntN(len(categories)),
		order:   f.orderNumber(),
		product: f.fk.ProductName(),
		amount:  money(p.loc.currency, 900+f.fk.IntN(40000)),
		code:    strings.ToUpper(f.fk.Lexify("????")) + f.fk.Numerify("##"),
	}
}

func (f *Feed) orderNumber() string {
	switch f.fk.IntN(3) {
	case 0:
		return "#" + f.fk.Numerify("1#####")
	case 1:
		return f.fk.Numerify("ORD-2026-#####")
	}
	return f.fk.Numerify("4##-#######-#######")
}

// message writes the customer's next text on their topic: a first message
// when first, else a follow-up. Short channels get short, informal texts.
func (f *Feed) message(p *person, first, short bool) string {
	if first || p.topic.order == "" { // nothing asked yet (a bare "/start" or "hi")
		p.topic, first = f.newTopic(p), true
	}
	t := p.topic
	var tmpl string
	lang, _, _ := strings.Cut(p.loc.lang, "-")
	switch l, ok := localized[lang]; {
	case ok && f.chance(0.5):
		tmpl = pick(f, l.more)
		if first {
			tmpl = pick(f, l.first)
		}
	case first:
		tmpl = pick(f, categories[t.cat].first)
	case short && f.chance(0.4):
		tmpl = pick(f, shortMore)
	default:
		tmpl = pick(f, categories[t.cat].more)
	}
	s := f.fill(tmpl, p)
	if short {
		s += pick(f, emoji)
	}
	return s
}

// fill expands the {placeholders} of a template.
func (f *Feed) fill(tmpl string, p *person) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(tmpl, '{')
		if i < 0 {
			break
		}
		j := strings.IndexByte(tmpl[i:], '}') + i
		if j < i {
			break
		}
		b.WriteString(tmpl[:i])
		t := p.topic
		switch name := tmpl[i+1 : j]; name {
		case "order":
			b.WriteString(t.order)
		case "product":
			b.WriteString(t.product)
		case "amount":
			b.WriteString(t.amount)
		case "code":
			b.WriteString(t.code)
		case "date":
			b.WriteString(f.now.AddDate(0, 0, -2-f.fk.IntN(12)).Format("2 January"))
		case "carrier":
			b.WriteString(pick(f, p.loc.carriers))
		case "days":
			b.WriteString(strconv.Itoa(3 + f.fk.IntN(9)))
		case "last4":
			b.WriteString(f.fk.Numerify("####"))
		case "city":
			b.WriteString(pick(f, cities))
		default:
			b.WriteString("{" + name + "}")
		}
		tmpl = tmpl[j+1:]
	}
	return b.String() + tmpl
}

// emailText wraps a message in the greeting and sign-off people put in mail.
func (f *Feed) emailText(p *person, text string) string {
	greet := pick(f, []string{"Hi,", "Hello,", "Hello support team,", "Dear Sir or Madam,", "Hi there,"})
	bye := pick(f, []string{"Thanks,", "Best regards,", "Kind regards,", "Cheers,", "Thank you,"})
	return greet + "\n\n" + text + "\n\n" + bye + "\n" + p.first + "\n"
}

// quote appends the earlier message the way mail clients quote it.
func quote(text, at, from string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\nOn %s, %s wrote:\n", at, from)
	for _, l := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		b.WriteString(strings.TrimRight("> "+l, " ") + "\n")
	}
	return b.String()
}

func (f *Feed) subject(p *person) string {
	return f.fill(pick(f, categories[p.topic.cat].subjects), p)
}

// money formats cents the way the customer's country writes prices.
func money(currency string, cents int) string {
	whole, frac := cents/100, cents%100
	switch currency {
	case "USD":
		return fmt.Sprintf("$%d.%02d", whole, frac)
	case "GBP":
		return fmt.Sprintf("£%d.%02d", whole, frac)
	case "EUR":
		return fmt.Sprintf("%d,%02d €", whole, frac)
	case "BRL":
		return fmt.Sprintf("R$ %d,%02d", whole*5, frac)
	case "MXN":
		return fmt.Sprintf("MX$%d.%02d", whole*18, frac)
	case "INR":
		return fmt.Sprintf("₹%d", whole*85)
	case "HUF":
		return fmt.Sprintf("%d Ft", whole*360)
	case "PLN":
		return fmt.Sprintf("%d,%02d zł", whole*4, frac)
	case "TRY":
		return fmt.Sprintf("₺%d", whole*34)
	}
	return fmt.Sprintf("%d.%02d %s", whole, frac, currency)
}
