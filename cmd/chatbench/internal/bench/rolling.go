package bench

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chatproxy/chatproxy/internal/n8ntest"
	"github.com/chatproxy/chatproxy/internal/store"
)

// RollingOptions configure RunRolling: a rolling restart of one of two replicas that share
// PostgreSQL and Redis, with Streams answers streaming from it when it is told to stop, and
// Streams/10 (at least 1) followers reading from it answers that run on the other replica.
type RollingOptions struct {
	Options               // PostgresURL and RedisURL (both required), Chunks, Settings, Progress
	Streams int           // visitors, each with an answer streaming from the replica that stops
	Hold    time.Duration // how long each answer streams (must be shorter than the drain deadline)
}

// RollingReport is what the visitors saw and what was stored.
type RollingReport struct {
	Machine  Machine `json:"machine"`
	Streams  int     `json:"streams"`
	Chunks   int     `json:"chunks"`
	HoldS    float64 `json:"hold_s"`
	InFlight int     `json:"in_flight_at_stop"` // answers still streaming when the replica was told to stop
	// DrainS is how long the stopped replica took from the stop to its last stream closed.
	DrainS float64 `json:"drain_s"`
	// First and Second count visitors whose answer arrived whole (text equal to what n8n sent,
	// end status complete) for their first message (sent to the replica that stops) and their
	// second one (sent to it while it drains, then, refused, to the other replica).
	First  int `json:"first_complete"`
	Second int `json:"second_complete"`
	// Refused counts, by kind, the second messages the stopping replica did not answer
	// (503 while draining, connection refused once it is gone); each was sent to the other.
	Refused       map[string]int `json:"second_refused"`
	Errors        map[string]int `json:"errors,omitempty"`
	UpstreamCalls int            `json:"upstream_calls"` // want 2 × Streams: nothing sent twice
	// Followers read, from the stopping replica, replies that run on the other one (see
	// rolling.follow); FollowersWhole got the whole answer, every item once, after resuming on
	// the other replica; Reconnected got A's reconnect event at its drain deadline.
	Followers      int `json:"followers"`
	FollowersWhole int `json:"followers_whole"`
	Reconnected    int `json:"followers_reconnected"`
	// DrainDeadlineS is CHATPROXY_SHUTDOWN_TIMEOUT: 1.5 × hold unless set, so the first
	// answers finish within it and the followers' (three times as long) outlast it.
	DrainDeadlineS float64 `json:"drain_deadline_s"`
	StoredComplete int     `json:"sessions_stored_complete"`
	// StoredWrong counts sessions whose stored conversation is not exactly one question and
	// its complete answer per message sent (a message lost or stored twice, an answer cut short).
	StoredWrong int `json:"sessions_stored_wrong"`
}

// Failed reports whether any visitor or stored conversation came out wrong, n8n was called
// other than once per message, or some answers had ended before the stop (-hold too short for
// the visitors to start: the restart did not happen under every stream).
func (rep *RollingReport) Failed() bool {
	return rep.First != rep.Streams || rep.Second != rep.Streams || rep.InFlight != rep.Streams ||
		rep.FollowersWhole != rep.Followers || rep.Reconnected != rep.Followers ||
		rep.StoredComplete != rep.Streams+rep.Followers || rep.UpstreamCalls != 2*rep.Streams+rep.Followers
}

// RunRolling starts two replicas, has every visitor start a conversation on the first and,
// once every answer is streaming, stops the first replica the way SIGTERM does. Each visitor
// reads its answer to the end, then sends its next message to the same replica, as a load
// balancer that has not yet noticed would; refused, it sends it again (same client_message_id)
// to the other replica. The followers (see follow) run meanwhile. Finally each conversation is
// read back from the database.
func RunRolling(ctx context.Context, o RollingOptions) (*RollingReport, error) {
	if o.Streams < 1 || o.Chunks < 1 || o.Hold <= 0 || o.RedisURL == "" {
		return nil, errors.New("rolling restart: streams, chunks and hold must be positive, and Redis is required")
	}
	followers := max(1, o.Streams/10)
	if _, err := fileLimitFor(o.Streams+followers, filesPerStream); err != nil {
		return nil, err
	}
	fake := startFake(ctx, o.Chunks, o.Hold/time.Duration(o.Chunks))
	defer fake.Close()
	o.Settings = maps.Clone(o.Settings)
	if o.Settings == nil {
		o.Settings = map[string]string{}
	}
	if o.Settings["CHATPROXY_SHUTDOWN_TIMEOUT"] == "" {
		o.Settings["CHATPROXY_SHUTDOWN_TIMEOUT"] = (o.Hold * 3 / 2).String()
	}
	a, b, err := startReplicas(ctx, o, fake.URL)
	if err != nil {
		return nil, err
	}
	defer a.close()
	defer b.close()
	rep := &RollingReport{Machine: thisMachine(), Streams: o.Streams, Chunks: o.Chunks, HoldS: o.Hold.Seconds(),
		Followers: followers, DrainDeadlineS: a.app.Config.ShutdownTimeout.Seconds(),
		Errors: map[string]int{}, Refused: map[string]int{}}
	r := &rolling{o: o, rep: rep, a: a, b: b, want: n8ntest.StreamText(o.Chunks), client: newClient(o.Streams + rep.Followers)}
	defer r.client.CloseIdleConnections()
	visitors := r.start(ctx)
	o.progress("%d conversations started on replica A, %d followers; waiting until every answer streams", o.Streams, rep.Followers)
	for !r.allStreaming(fake) && ctx.Err() == nil {
		time.Sleep(5 * time.Millisecond)
	}
	rep.InFlight = o.Streams - int(r.finished.Load())
	o.progress("stopping replica A with %d answers streaming and %d followers", rep.InFlight, r.attached.Load())
	stopped := time.Now()
	a.stop()
	var served error
	select {
	case served = <-a.served:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	a.stop = nil // already stopped: close() only cleans up
	rep.DrainS = time.Since(stopped).Seconds()
	visitors.Wait()
	if served != nil {
		return nil, fmt.Errorf("replica A: %w", served)
	}
	rep.UpstreamCalls = fake.Count()
	rep.Reconnected = int(r.reconnected.Load())
	r.checkStored(ctx, b)
	return rep, ctx.Err()
}

// allStreaming: every visitor's answer is running and every follower reads from A, or some
// visitors are already done (failed, or -hold too short: the report then fails).
func (r *rolling) allStreaming(fake *n8ntest.Server) bool {
	if int(r.finished.Load()+r.failed.Load()) > 0 {
		return true
	}
	return fake.Count() >= r.o.Streams+r.rep.Followers && int(r.attached.Load()) >= r.rep.Followers
}

// startReplicas starts two chatproxy replicas with the same settings, database and Redis prefix.
func startReplicas(ctx context.Context, o RollingOptions, fakeURL string) (a, b *proxy, err error) {
	spec := proxySpec{engine: EnginePostgres, pgAdminURL: o.PostgresURL, redisURL: o.RedisURL, fakeURL: fakeURL,
		maxUpstream: o.Streams + defaultUpstreamCap, settings: o.Settings,
		extraSites: []siteSpec{{id: longSite, webhookURL: longAnswers(fakeURL, o.Chunks, o.Hold)}}}
	a, vars, err := prepareProxy(ctx, spec)
	if err != nil {
		return nil, nil, err
	}
	b = &proxy{served: make(chan error, 1)}
	for _, p := range []*proxy{a, b} {
		c, err := loadConfig(vars)
		if err == nil {
			labelled(ctx, sideProxy, func(ctx context.Context) { err = p.serve(ctx, c) })
		}
		if err != nil {
			b.close()
			a.close()
			return nil, nil, err
		}
	}
	return a, b, nil
}

// rolling is the state the visitors of one RunRolling share.
type rolling struct {
	o           RollingOptions
	rep         *RollingReport
	a, b        *proxy
	want        string
	client      *http.Client
	finished    atomic.Int64 // first answers read to the end (whole or not)
	failed      atomic.Int64 // visitors that could not start a conversation
	attached    atomic.Int64 // followers reading from A (or failed before)
	reconnected atomic.Int64 // followers told by A to reconnect

	mu       sync.Mutex
	sessions []storedSession
}

// storedSession is a conversation to read back: how many messages it must have.
type storedSession struct {
	id       string
	messages int
}

func (r *rolling) addSession(id string, messages int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sessions = append(r.sessions, storedSession{id, messages})
}

// start runs every visitor on a goroutine of its own.
func (r *rolling) start(ctx context.Context) *sync.WaitGroup {
	var wg sync.WaitGroup
	for i := range r.o.Streams {
		v := newVisitor(r.client, r.a.url, "", "rolling-"+strconv.Itoa(i), r.want)
		v.idempotent = true
		wg.Go(func() { labelled(ctx, sideClient, func(ctx context.Context) { r.visit(ctx, v) }) })
	}
	for i := range r.rep.Followers {
		v := newVisitor(r.client, r.b.url, "", "follower-"+strconv.Itoa(i), r.want)
		v.site = longSite
		wg.Go(func() {
			labelled(ctx, sideClient, func(ctx context.Context) {
				err := r.follow(ctx, v)
				r.mu.Lock()
				defer r.mu.Unlock()
				if err != nil {
					r.rep.Errors["follower: "+errorKind(err)]++
				} else {
					r.rep.FollowersWhole++
				}
			})
		})
	}
	return &wg
}

// visit is one visitor's conversation of two messages across the restart.
func (r *rolling) visit(ctx context.Context, v *visitor) {
	token, err := v.createSession(ctx)
	if err != nil {
		r.failed.Add(1)
		r.note(err, false, false, nil)
		return
	}
	v.token, v.seq = token, 1
	r.addSession(v.sessionID, 4)
	_, err1 := v.message(ctx, time.Now())
	r.finished.Add(1)
	v.seq = 2
	_, err2 := v.message(ctx, time.Now())
	var refused error
	if err2 != nil {
		// Refused (503 while draining, or the replica is gone), or cut off: the same message
		// goes to the other replica. It carries its client_message_id, so if the first replica
		// did store it, the other one joins that reply instead of storing it again.
		refused = err2
		v.proxyURL = r.b.url
		_, err2 = v.message(ctx, time.Now())
	}
	r.note(cmp.Or(err1, err2), err1 == nil, err2 == nil, refused)
}

func (r *rolling) note(err error, first, second bool, refused error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.rep.Errors[errorKind(err)]++
	}
	if refused != nil {
		r.rep.Refused[errorKind(refused)]++
	}
	r.rep.First += b2i(first)
	r.rep.Second += b2i(second)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// checkStored reads every conversation back through the surviving replica's store.
func (r *rolling) checkStored(ctx context.Context, via *proxy) {
	for _, s := range r.sessions {
		msgs, err := via.app.Store.ListMessages(ctx, s.id, store.Page{Limit: 10})
		if err == nil && storedWhole(msgs, r.want, s.messages) {
			r.rep.StoredComplete++
		} else {
			r.rep.StoredWrong++
		}
	}
}

// storedWhole: n messages, alternately a question and a complete answer.
func storedWhole(msgs []store.Message, want string, n int) bool {
	if len(msgs) != n {
		return false
	}
	for i, m := range msgs {
		if i%2 == 0 && m.Role != store.RoleUser {
			return false
		}
		if i%2 == 1 && (m.Role != store.RoleAssistant || m.Status != store.StatusComplete || m.Content != want) {
			return false
		}
	}
	return true
}

// WriteJSON writes the report as indented JSON.
func (rep *RollingReport) WriteJSON(w io.Writer) error { return writeJSON(w, rep) }

// WriteText writes the report for people.
func (rep *RollingReport) WriteText(w io.Writer) {
	fmt.Fprintf(w, "chatbench rolling restart: %s\n", rep.Machine)
	fmt.Fprintf(w, "two replicas on PostgreSQL + Redis; %d visitors, answers of %d chunks over %gs; replica A stopped (as on SIGTERM) with %d answers streaming\n",
		rep.Streams, rep.Chunks, rep.HoldS, rep.InFlight)
	fmt.Fprintf(w, "  A drained and stopped in %.2fs (drain deadline %gs)\n", rep.DrainS, rep.DrainDeadlineS)
	fmt.Fprintf(w, "  first answers (streaming from A at the stop) whole: %d/%d\n", rep.First, rep.Streams)
	fmt.Fprintf(w, "  second messages (sent to A while it drained, then to B) answered whole: %d/%d; A refused %v\n", rep.Second, rep.Streams, rep.Refused)
	fmt.Fprintf(w, "  followers (reading from A answers that run on B, three times as long): whole after A's reconnect and a resume on B: %d/%d; reconnect events %d\n",
		rep.FollowersWhole, rep.Followers, rep.Reconnected)
	fmt.Fprintf(w, "  n8n calls: %d (want %d: each message sent once)\n", rep.UpstreamCalls, 2*rep.Streams+rep.Followers)
	fmt.Fprintf(w, "  conversations stored whole (every question once, every answer complete): %d/%d, wrong %d\n",
		rep.StoredComplete, rep.Streams+rep.Followers, rep.StoredWrong)
	if len(rep.Errors) > 0 {
		fmt.Fprintf(w, "  errors: %v\n", rep.Errors)
	}
	if rep.Failed() {
		fmt.Fprintln(w, "FAIL")
		return
	}
	fmt.Fprintln(w, "PASS: nothing lost, nothing duplicated")
}
