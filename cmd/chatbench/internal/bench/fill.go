package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/chatproxy/chatproxy/internal/store"
)

// FillOptions fill a database with conversations for the console benchmarks.
type FillOptions struct {
	Store         store.Store // migrated, with the server's field cipher
	Conversations int
	Sites         int           // spread over sites fill-00 … (at least 1)
	Days          int           // conversations start over the last Days days
	Workers       int           // concurrent writers
	Progress      func(string)  // optional
	Every         time.Duration // progress interval
}

// FillReport is what a fill wrote.
type FillReport struct {
	Conversations int64
	Messages      int64
	Elapsed       time.Duration
}

// FillSiteID names the i-th fill site.
func FillSiteID(i int) string { return fmt.Sprintf("fill-%02d", i) }

// Fill writes o.Conversations conversations through the store's write path (StartSession and
// AddMessage, the calls the chat path makes, with the same sealing of every personal field):
// 1 to 4 exchanges each (5 messages on average), statuses mostly complete with some partial
// and failed answers, 30 % of visitors returning. The HTTP path would spend its time in the
// fake n8n and the SSE relay, not in what the console reads.
func Fill(ctx context.Context, o FillOptions) (FillReport, error) {
	o.Sites, o.Days, o.Workers = max(o.Sites, 1), max(o.Days, 1), max(o.Workers, 1)
	now := time.Now().UTC()
	for i := range o.Sites {
		cfg, _ := json.Marshal(map[string]string{"id": FillSiteID(i)})
		if err := o.Store.UpsertSite(ctx, store.Site{ID: FillSiteID(i), Name: "Fill " + strconv.Itoa(i), Config: cfg, CreatedAt: now, UpdatedAt: now}); err != nil {
			return FillReport{}, err
		}
	}
	var next, convs, msgs atomic.Int64
	start := time.Now()
	stopProgress := make(chan struct{})
	if o.Progress != nil && o.Every > 0 {
		go func() {
			t := time.NewTicker(o.Every)
			defer t.Stop()
			for {
				select {
				case <-stopProgress:
					return
				case <-t.C:
					o.Progress(fmt.Sprintf("fill: %d conversations, %d messages, %.0f messages/s", convs.Load(), msgs.Load(), float64(msgs.Load())/time.Since(start).Seconds()))
				}
			}
		}()
	}
	var wg sync.WaitGroup
	errs := make(chan error, o.Workers)
	for w := range o.Workers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), uint64(now.UnixNano())))
			for ctx.Err() == nil {
				i := next.Add(1)
				if i > int64(o.Conversations) {
					return
				}
				n, err := fillOne(ctx, o, rng, now)
				if err != nil {
					errs <- err
					return
				}
				convs.Add(1)
				msgs.Add(int64(n))
			}
		})
	}
	wg.Wait()
	close(stopProgress)
	rep := FillReport{Conversations: convs.Load(), Messages: msgs.Load(), Elapsed: time.Since(start)}
	select {
	case err := <-errs:
		return rep, err
	default:
	}
	return rep, ctx.Err()
}

var fillCountries = []string{"DE", "FR", "GB", "US", "SE", "NL", "ES", "IT", "PL", ""}

// fillOne writes one conversation and returns its number of messages.
func fillOne(ctx context.Context, o FillOptions, rng *rand.Rand, now time.Time) (int, error) {
	site := FillSiteID(rng.IntN(o.Sites))
	started := now.Add(-time.Duration(rng.Int64N(int64(o.Days) * int64(24*time.Hour))))
	v := store.Visitor{ID: uuid.Must(uuid.NewV7()).String(), SiteID: site, FirstSeen: started, LastSeen: started}
	sess := store.Session{
		ID: uuid.Must(uuid.NewV7()).String(), SiteID: site, CreatedAt: started, LastSeen: started,
		ExpiresAt: started.Add(24 * time.Hour), IPHash: "fill",
		UserAgent: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
		PageURL:   "https://shop.example/products/" + strconv.Itoa(rng.IntN(5000)) + "?utm_source=newsletter",
	}
	sess.Country = fillCountries[rng.IntN(len(fillCountries))]
	sess, err := o.Store.StartSession(ctx, v, sess)
	if err != nil {
		return 0, fmt.Errorf("fill: start session: %w", err)
	}
	exchanges := 1 + rng.IntN(4)
	at := started
	for e := range exchanges {
		user := store.Message{ID: uuid.Must(uuid.NewV7()).String(), SessionID: sess.ID, SiteID: site, Role: store.RoleUser,
			Content: fmt.Sprintf("Hello, do you ship order %d to Berlin before Friday, and can I pay by invoice? (%d)", rng.IntN(100000), e),
			Status:  store.StatusComplete, FirstTokenMS: -1, CreatedAt: at}
		if _, _, err := o.Store.AddMessage(ctx, user); err != nil {
			return 0, fmt.Errorf("fill: user message: %w", err)
		}
		at = at.Add(time.Duration(1+rng.IntN(4)) * time.Second)
		answer := store.Message{ID: uuid.Must(uuid.NewV7()).String(), SessionID: sess.ID, SiteID: site, Role: store.RoleAssistant,
			Content: fillAnswer, Status: store.StatusComplete, ClientMessageID: "answer-to:" + user.ID,
			FirstTokenMS: int64(300 + rng.IntN(900)), TotalMS: int64(1500 + rng.IntN(3000)), CreatedAt: at}
		switch r := rng.IntN(100); {
		case r < 2:
			answer.Status, answer.Content, answer.FirstTokenMS = store.StatusFailed, "", -1
			answer.ErrorCode = "upstream_timeout"
		case r < 6:
			answer.Status, answer.Content = store.StatusPartial, fillAnswer[:120]
			answer.ErrorCode = "upstream_bad_response"
		}
		if _, _, err := o.Store.AddMessage(ctx, answer); err != nil {
			return 0, fmt.Errorf("fill: answer: %w", err)
		}
		at = at.Add(time.Duration(10+rng.IntN(50)) * time.Second)
	}
	return 2 * exchanges, nil
}

const fillAnswer = "Yes, we ship to Berlin: orders placed before 14:00 on a working day leave the warehouse " +
	"the same day and usually arrive within two working days with DHL. **Invoice** payment is available " +
	"for returning customers after a credit check at checkout; otherwise you can pay by card, PayPal or " +
	"bank transfer. Would you like me to check the delivery date for a specific product?"
