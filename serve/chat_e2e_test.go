package serve

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"cxinbox/app"
)

// chromiumPath finds a Chromium or Chrome binary.
func chromiumPath() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// TestChatInChromium drives the real chat page in headless Chromium over
// the DevTools protocol. Two browser contexts are two browsers (separate
// cookie jars): visitor 1 fills in the pre-chat form and writes, an agent's
// reply appears on the page live, a reload keeps the same contact; visitor
// 2 types the same email into the form and becomes a new contact with one
// potential duplicate, as the spec says.
func TestChatInChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test; skipped with -short")
	}
	bin := chromiumPath()
	if bin == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("no chromium in CI: .ci/run installs Debian's chromium package")
		}
		t.Skip("no chromium, chromium-browser or google-chrome on PATH (Debian: apt-get install chromium)")
	}
	ts := newTestServer(t, testSecrets)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(bin), chromedp.NoSandbox,
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.UserDataDir(t.TempDir()))
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	browser, cancelBrowser := chromedp.NewContext(alloc)
	defer cancelBrowser()
	if err := chromedp.Do(browser); err != nil { // starts the browser
		t.Fatalf("start %s: %v", bin, err)
	}
	start := time.Now()

	// newBrowser is a fresh profile: its own cookies, German, in Berlin.
	newBrowser := func() context.Context {
		tab, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
		t.Cleanup(cancel)
		_, err := chromedp.Call(tab, network.Enable, network.EnableParams{})
		if err == nil {
			_, err = chromedp.Call(tab, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{
				Headers: network.Headers{"Accept-Language": "de-DE,de;q=0.9"}})
		}
		if err == nil {
			_, err = chromedp.Call(tab, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "Europe/Berlin"})
		}
		if err != nil {
			t.Fatal(err)
		}
		return tab
	}
	pageText := func(tab context.Context) string {
		s, _ := chromedp.Run(tab, chromedp.Evaluate[string](`document.body.innerText`))
		return s
	}
	do := func(tab context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		c, cancel := context.WithTimeout(tab, 15*time.Second)
		defer cancel()
		if err := chromedp.Do(c, steps...); err != nil {
			t.Fatalf("%s: %v\npage: %s", what, err, pageText(tab))
		}
	}
	eval := func(tab context.Context, expr string) string {
		t.Helper()
		v, err := chromedp.Run(tab, chromedp.Evaluate[string](expr))
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		return v
	}
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }

	// Visitor 1: the form is offered before the first message.
	v1 := newBrowser()
	const hostile = `Hello <img src=x onerror="document.title='pwned'"> where is my order?`
	do(v1, "visitor 1 opens the chat",
		chromedp.Navigate(ts.srv.URL+"/chat"),
		chromedp.WaitVisible(css(`#prechat`)),
		chromedp.SendKeys(css(`#pc-name`), "Ann Smith"),
		chromedp.SendKeys(css(`#pc-email`), "ann@example.com"),
		chromedp.SendKeys(css(`#text`), hostile),
		chromedp.Click(css(`#send`)),
		chromedp.WaitVisible(css(`#log li.in[data-id]`)), // delivered: the server's copy replaced the pending one
		chromedp.WaitNotVisible(css(`#prechat`)),
	)
	if shown := eval(v1, `document.querySelector("#log li.in[data-id] .body").textContent`); shown != hostile {
		t.Fatalf("page shows %q, want the text as typed", shown)
	}
	if n := eval(v1, `String(document.querySelectorAll("#log img").length)`); n != "0" {
		t.Fatalf("visitor text became markup: %s img elements", n)
	}
	first := contactsWithEmail(t, ts, "ann@example.com")
	if len(first) != 1 || first[0].Name != "Ann Smith" || first[0].Country != "DE" || first[0].Timezone != "Europe/Berlin" {
		t.Fatalf("contact from the form: %+v", first)
	}

	// The agent replies from the inbox: it appears on the page without a reload.
	vc := ts.contactOf(first[0].Identities[0].Value)
	if _, err := ts.a.Reply(ctx, "bob", vc.Messages[0].TicketID, "Hi Ann, it ships today."); err != nil {
		t.Fatal(err)
	}
	do(v1, "the reply appears live", chromedp.WaitVisible(css(`#log li.out`)))
	if reply := eval(v1, `document.querySelector("#log li.out").textContent`); !strings.Contains(reply, "Hi Ann, it ships today.") || !strings.Contains(reply, "bob") {
		t.Fatalf("reply shows %q", reply)
	}

	// Same browser, later: the same contact, no form, the history shown.
	do(v1, "visitor 1 comes back",
		chromedp.Reload(),
		chromedp.WaitVisible(css(`#log li.out`)),
		chromedp.SendKeys(css(`#text`), "Thanks!"),
		chromedp.Click(css(`#send`)),
		chromedp.WaitVisible(css(`#log li.in[data-id]:nth-of-type(3)`)),
	)
	if eval(v1, `String(document.getElementById("prechat").hidden)`) != "true" {
		t.Fatal("a returning visitor was offered the pre-chat form")
	}
	if got := contactsWithEmail(t, ts, "ann@example.com"); len(got) != 1 {
		t.Fatalf("the same cookie made a new contact: %+v", got)
	}

	// Visitor 2: a fresh profile is a new visitor, even with the same email.
	v2 := newBrowser()
	do(v2, "visitor 2 opens the chat",
		chromedp.Navigate(ts.srv.URL+"/chat"),
		chromedp.WaitVisible(css(`#prechat`)),
		chromedp.SendKeys(css(`#pc-name`), "Ann Smith"),
		chromedp.SendKeys(css(`#pc-email`), "ann@example.com"),
		chromedp.SendKeys(css(`#text`), "Hi, it's me again from my laptop"),
		chromedp.Click(css(`#send`)),
		chromedp.WaitVisible(css(`#log li.in[data-id]`)),
	)
	if n := eval(v2, `String(document.querySelectorAll("#log li").length)`); n != "1" {
		t.Fatalf("visitor 2 sees %s messages, want only their own", n)
	}
	both := contactsWithEmail(t, ts, "ann@example.com")
	if len(both) != 2 {
		t.Fatalf("contacts with the email: %+v", both)
	}
	dups, err := ts.a.DuplicatesOf(ctx, both[1].ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(dups) != 1 || dups[0].Other(both[1].ID) != both[0].ID {
		t.Fatalf("the new contact's potential duplicates: %+v, want 1 (contact %d)", dups, both[0].ID)
	}
	if p := os.Getenv("CXINBOX_CHAT_SCREENSHOT"); p != "" {
		do(v1, "viewport", chromedp.EmulateViewport(480, 640))
		png, err := chromedp.Run(v1, chromedp.FullScreenshot(100))
		if err == nil {
			err = os.WriteFile(p, png, 0o644)
		}
		if err != nil {
			t.Log("screenshot:", err)
		}
	}
	if title, _ := chromedp.Run(v1, chromedp.Title()); title == "pwned" {
		t.Fatal("visitor text ran as script")
	}
	t.Logf("browser part took %s", time.Since(start).Round(time.Millisecond))
}

func contactsWithEmail(t *testing.T, ts *testServer, email string) []app.ContactSummary {
	t.Helper()
	cs, err := ts.a.ListContacts(context.Background(), app.ContactPage{Search: email, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	return cs
}
