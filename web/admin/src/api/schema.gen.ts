// Generated from docs/openapi.yaml by web/apigen (openapi-typescript). Do not edit:
// change the document and run `make api-types`.

export interface paths {
    "/api/v1/session/create": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Create a visitor session
         * @description The site comes from `site_id`, else the request's `Origin`, else `origin_domain`, else the
         *     origin of `page_url`. Sets the cookie `chat_session_id` (HttpOnly; `Secure; SameSite=None;
         *     Partitioned` over HTTPS, `SameSite=Lax` over plain HTTP) and answers the bearer token.
         */
        post: operations["createSession"];
        delete?: never;
        /**
         * CORS preflight
         * @description Answers for an allowed `Origin` of some site; 403 `origin_not_allowed` otherwise.
         */
        options: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Allowed (`Access-Control-Allow-Methods`, `-Headers`, `-Max-Age`). */
                204: {
                    headers: {
                        "Access-Control-Allow-Origin"?: string;
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                403: components["responses"]["Forbidden"];
            };
        };
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/session/validate": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Check the caller's session */
        get: operations["validateSession"];
        put?: never;
        post?: never;
        delete?: never;
        /**
         * CORS preflight
         * @description Answers for an allowed `Origin` of some site; 403 `origin_not_allowed` otherwise.
         */
        options: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Allowed (`Access-Control-Allow-Methods`, `-Headers`, `-Max-Age`). */
                204: {
                    headers: {
                        "Access-Control-Allow-Origin"?: string;
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                403: components["responses"]["Forbidden"];
            };
        };
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/chat/message": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Send a message and stream the reply
         * @description Answers `200 text/event-stream`: see `ReplyStream`. Errors found before the stream starts
         *     are JSON; nothing is stored or sent to n8n for any of them. Sending the same
         *     `client_message_id` (or `Idempotency-Key`) again stores nothing new and joins the first
         *     reply's stream.
         */
        post: operations["sendMessage"];
        delete?: never;
        /**
         * CORS preflight
         * @description Answers for an allowed `Origin` of some site; 403 `origin_not_allowed` otherwise.
         */
        options: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Allowed (`Access-Control-Allow-Methods`, `-Headers`, `-Max-Age`). */
                204: {
                    headers: {
                        "Access-Control-Allow-Origin"?: string;
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                403: components["responses"]["Forbidden"];
            };
        };
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/chat/stream": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Send a message (EventSource form) or resume a reply
         * @description With `message`: the seed widget's EventSource form (cookie auth, same-origin only).
         *     With `message_id` (an assistant message id) and `Last-Event-ID`: resumes a reply, sending
         *     the events after that position and then continuing live; a finished reply is replayed
         *     from the database; an unknown or expired position answers one `reset` event.
         */
        get: operations["streamGet"];
        put?: never;
        /** Send a message and stream the reply (same as /api/v1/chat/message) */
        post: operations["sendMessageStream"];
        delete?: never;
        /**
         * CORS preflight
         * @description Answers for an allowed `Origin` of some site; 403 `origin_not_allowed` otherwise.
         */
        options: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Allowed (`Access-Control-Allow-Methods`, `-Headers`, `-Max-Age`). */
                204: {
                    headers: {
                        "Access-Control-Allow-Origin"?: string;
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                403: components["responses"]["Forbidden"];
            };
        };
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/chat/history/{session_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A session's messages, oldest first */
        get: operations["history"];
        put?: never;
        post?: never;
        delete?: never;
        /**
         * CORS preflight
         * @description Answers for an allowed `Origin` of some site; 403 `origin_not_allowed` otherwise.
         */
        options: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Allowed (`Access-Control-Allow-Methods`, `-Headers`, `-Max-Age`). */
                204: {
                    headers: {
                        "Access-Control-Allow-Origin"?: string;
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                403: components["responses"]["Forbidden"];
            };
        };
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/me/export": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The session's own data as a JSON download */
        get: operations["exportMyData"];
        put?: never;
        post?: never;
        delete?: never;
        /**
         * CORS preflight
         * @description Answers for an allowed `Origin` of some site; 403 `origin_not_allowed` otherwise.
         */
        options: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Allowed (`Access-Control-Allow-Methods`, `-Headers`, `-Max-Age`). */
                204: {
                    headers: {
                        "Access-Control-Allow-Origin"?: string;
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                403: components["responses"]["Forbidden"];
            };
        };
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/me": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Erase this session, or every session of its visitor on the site
         * @description `scope: visitor` needs the session's own `visitor_id` and a session created less than 10
         *     minutes ago (403 `fresh_session_required`). The cookie is cleared; the audit log gets a
         *     `visitor.erase` entry (ids only).
         */
        delete: operations["eraseMyData"];
        /**
         * CORS preflight
         * @description Answers for an allowed `Origin` of some site; 403 `origin_not_allowed` otherwise.
         */
        options: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Allowed (`Access-Control-Allow-Methods`, `-Headers`, `-Max-Age`). */
                204: {
                    headers: {
                        "Access-Control-Allow-Origin"?: string;
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                403: components["responses"]["Forbidden"];
            };
        };
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/me/consent": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Withdraw (or give back) analytics consent for the session */
        post: operations["setConsent"];
        delete?: never;
        /**
         * CORS preflight
         * @description Answers for an allowed `Origin` of some site; 403 `origin_not_allowed` otherwise.
         */
        options: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Allowed (`Access-Control-Allow-Methods`, `-Headers`, `-Max-Age`). */
                204: {
                    headers: {
                        "Access-Control-Allow-Origin"?: string;
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                403: components["responses"]["Forbidden"];
            };
        };
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Analytics events from the widget and the shop page
         * @description Sent as `application/json` or `text/plain` (what `sendBeacon` sends without a
         *     preflight), at most 64 KiB. The session token may come as `Authorization: Bearer`, the
         *     `token` field or the cookie; without a session the events belong to `visitor_id` alone.
         *     One bad event refuses the whole batch and nothing is stored.
         */
        post: operations["trackEvents"];
        delete?: never;
        /**
         * CORS preflight
         * @description Answers for an allowed `Origin` of some site; 403 `origin_not_allowed` otherwise.
         */
        options: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Allowed (`Access-Control-Allow-Methods`, `-Headers`, `-Max-Age`). */
                204: {
                    headers: {
                        "Access-Control-Allow-Origin"?: string;
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                403: components["responses"]["Forbidden"];
            };
        };
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/uploads": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Upload one file (checked by its content; images lose their metadata)
         * @description Off unless the site has `uploads.enabled`. Every file is checked before anything is stored.
         */
        post: operations["upload"];
        delete?: never;
        /**
         * CORS preflight
         * @description Answers for an allowed `Origin` of some site; 403 `origin_not_allowed` otherwise.
         */
        options: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Allowed (`Access-Control-Allow-Methods`, `-Headers`, `-Max-Age`). */
                204: {
                    headers: {
                        "Access-Control-Allow-Origin"?: string;
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                403: components["responses"]["Forbidden"];
            };
        };
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/uploads/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The session's own file, as an attachment (404 `upload_not_found` for anyone else's) */
        get: operations["getUpload"];
        put?: never;
        post?: never;
        delete?: never;
        /**
         * CORS preflight
         * @description Answers for an allowed `Origin` of some site; 403 `origin_not_allowed` otherwise.
         */
        options: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Allowed (`Access-Control-Allow-Methods`, `-Headers`, `-Max-Age`). */
                204: {
                    headers: {
                        "Access-Control-Allow-Origin"?: string;
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                403: components["responses"]["Forbidden"];
            };
        };
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/n8n/{site_id}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                site_id: string;
            };
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * A drop-in webhookUrl for n8n's own @n8n/chat widget
         * @description `action: loadPreviousSession` answers `N8nHistory`; `sendMessage` (or none) goes the way
         *     of `POST /api/v1/chat/message` and answers `N8nOutput`, or, with `Accept: text/plain`
         *     (the widget's `enableStreaming`), n8n's stream: one `N8nStreamChunk` JSON object per
         *     line, labelled `application/json` as n8n labels it. Errors carry a top-level `message`
         *     too (what the widget shows). The request needs an `Origin` the site allows.
         */
        post: operations["n8nChat"];
        delete?: never;
        /** CORS preflight of the @n8n/chat endpoint */
        options: operations["n8nPreflight"];
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/sites/{site_id}/config": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The public part of a site's configuration
         * @description No secrets and no upstream URL. Cacheable with `ETag` / `If-None-Match`.
         */
        get: operations["siteConfig"];
        put?: never;
        post?: never;
        delete?: never;
        /**
         * CORS preflight
         * @description Answers for an allowed `Origin` of some site; 403 `origin_not_allowed` otherwise.
         */
        options: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Allowed (`Access-Control-Allow-Methods`, `-Headers`, `-Max-Age`). */
                204: {
                    headers: {
                        "Access-Control-Allow-Origin"?: string;
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                403: components["responses"]["Forbidden"];
            };
        };
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/health": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Health of the database (and Redis when configured) */
        get: operations["health"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/health/live": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Liveness */
        get: operations["live"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/health/ready": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Readiness (503 while shutting down) */
        get: operations["ready"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/.well-known/jwks.json": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Public keys of the ES256 sites (for n8n's JWT credential) */
        get: operations["jwks"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/embed.js": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The loader script
         * @description `<script src=".../embed.js" data-site-id="SITE" async>`
         */
        get: operations["embedJS"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/widget/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The chat app page for the iframe, and its assets under /widget/…
         * @description `GET /widget/?site=SITE` is the page (`frame-ancestors` = the site's origins;
         *     `Cache-Control: no-cache`). Paths below `/widget/` are the app's hashed assets (immutable).
         *     Other spellings of the page's path (`/widget/index.html/`) are 404.
         */
        get: operations["widget"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The demo shop page (demo mode only; 404 otherwise) */
        get: operations["demoPage"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/demo/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The demo page's assets under /demo/… (demo mode only) */
        get: operations["demoAsset"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/openapi.json": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * This document as JSON
         * @description Needs no sign-in: it describes the API of every chatproxy (it is in the repository) and
         *     holds nothing about this deployment. It is on the console listener only.
         */
        get: operations["openapiDocument"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/setup": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Create the first owner with the one-time setup token, and sign in */
        post: operations["setup"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/login": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Sign in
         * @description Every failure answers 401 `invalid_credentials`, in the same time, whatever was wrong.
         *     After 5 failures per account or address: 429 `login_backoff` with `Retry-After`.
         */
        post: operations["login"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/logout": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** End the session and clear the cookie */
        post: operations["logout"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/me": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The signed-in account */
        get: operations["me"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/me/password": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Change one's own password
         * @description Every other session of the account ends; a cookie caller gets a new cookie (200), a token caller 204.
         */
        post: operations["changePassword"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/me/totp": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Start enrolling an authenticator (replaces a pending one) */
        post: operations["startTOTP"];
        /** Turn TOTP off (takes a current code) */
        delete: operations["disableTOTP"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/me/totp/confirm": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Turn TOTP on with a code from the pending authenticator */
        post: operations["confirmTOTP"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/accounts": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Every account, ordered by email (owners) */
        get: operations["listAccounts"];
        put?: never;
        /** Create an account (owners) */
        post: operations["createAccount"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/accounts/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        /** One account (owners) */
        get: operations["getAccount"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /**
         * Change an account (owners; a merge patch)
         * @description Disabling, changing the role, or resetting the password ends the account's sessions.
         *     409 `last_owner` when no active owner would remain.
         */
        patch: operations["updateAccount"];
        trace?: never;
    };
    "/admin/api/v1/tokens": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * API tokens, newest first
         * @description The caller's own; owners may name another account's id, or `*` for everyone's (others 403).
         */
        get: operations["listTokens"];
        put?: never;
        /** Create an API token (shown this once) */
        post: operations["createToken"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/tokens/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Revoke a token (its account, or an owner); it stops at once */
        delete: operations["revokeToken"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/audit": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The audit log, newest first (owners; admins see their sites' entries and their own) */
        get: operations["listAudit"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/analytics/summary": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A site's totals over a range (every role, sites in scope) */
        get: operations["analyticsSummary"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/analytics/timeseries": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One metric per hour or day */
        get: operations["analyticsTimeseries"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/analytics/breakdown": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Counts by one dimension, largest first */
        get: operations["analyticsBreakdown"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/conversations": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Conversations of the caller's sites, newest first (keyset pages)
         * @description With `q` the range is at most 31 days (400 `invalid_range`). With `q` or `page`, `scan`
         *     says what the bounded scan read (50,000 messages or 2 s): `stopped: true` means `items`
         *     may be short, even empty, and `next_cursor` continues the scan.
         */
        get: operations["listConversations"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/conversations/export": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Every conversation of the filter, streamed as CSV or JSON lines (owners, admins)
         * @description `format=csv`: a header row then the fields of `Conversation` in its order (a cell
         *     starting with `=`, `+`, `-`, `@`, tab or CR gets a leading `'`). `format=jsonl`: one
         *     `Conversation` per line. No `limit` and no `cursor`. Audited as `conversation.export`;
         *     a stream that stops part way is cut short and audited with `result: error`.
         */
        get: operations["exportConversations"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/conversations/{session_id}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                session_id: string;
            };
            cookie?: never;
        };
        /** A transcript, every message oldest first (404 outside the caller's scope) */
        get: operations["getConversation"];
        put?: never;
        post?: never;
        /** Delete a conversation with its messages and events (owners, admins) */
        delete: operations["deleteConversation"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/subjects": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A visitor's sessions with counts, no content (every role, in scope)
         * @description The subject is `?session_id=` (any session of the visitor) or `?site=&visitor_id=`. A site
         *     outside the caller's scope answers 404 `not_found`, like an unknown visitor or session.
         */
        get: operations["findSubject"];
        put?: never;
        post?: never;
        /**
         * Erase the visitor with every session, message and event (owners, admins)
         * @description In one transaction; their tokens stop (this replica at once, others within 5 s); audited `subject.erase`.
         */
        delete: operations["eraseSubject"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/subjects/export": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The visitor's export, every session of theirs (owners, admins; audited) */
        get: operations["exportSubject"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/sites": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Sites in the caller's scope, ordered by id (file sites included) */
        get: operations["listSites"];
        put?: never;
        /**
         * Create a site (owners, admins of every site)
         * @description The body is a site without the read-only fields. `secret` in the answer is the HS256 key
         *     for n8n, shown this once. Bodies may be up to 256 KiB.
         */
        post: operations["createSite"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/sites/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        /** One site (in scope) */
        get: operations["getSite"];
        put?: never;
        post?: never;
        /** Delete a disabled site with its visitors, sessions, messages and events (owners) */
        delete: operations["deleteSite"];
        options?: never;
        head?: never;
        /**
         * Change a site (a JSON merge patch, RFC 7396)
         * @description `null` resets a field to its default; read-only fields may come back unchanged. Send the
         *     body as `application/json`. A patch that changes nothing keeps the version.
         */
        patch: operations["updateSite"];
        trace?: never;
    };
    "/admin/api/v1/sites/{id}/rotate-secret": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** A new n8n signing key; the replaced one keeps verifying for 24 h unless revoked */
        post: operations["rotateSiteSecret"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Redirects to /admin/ */
        get: operations["consoleRedirect"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/{path}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The console web app (/admin/ and any path under it outside /admin/api/)
         * @description Hashed assets under `/admin/assets/`, the app's page for every other path (the app
         *     routes itself, e.g. `/admin/setup?token=…`), or a 503 page when the binary has no app.
         */
        get: operations["consoleApp"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        /**
         * @description Every code the API answers, declared once in `internal/apierr/catalogue.go` (a test checks this list against it).
         * @enum {string}
         */
        ErrorCode: "account_exists" | "blocked_content" | "body_too_large" | "bot_detected" | "consent_required" | "csrf" | "daily_budget_exhausted" | "empty_message" | "file_too_large" | "forbidden" | "fresh_session_required" | "image_too_large" | "internal" | "invalid_before" | "invalid_client_message_id" | "invalid_credentials" | "invalid_cursor" | "invalid_event_name" | "invalid_event_props" | "invalid_event_time" | "invalid_file" | "invalid_file_name" | "invalid_json" | "invalid_last_event_id" | "invalid_limit" | "invalid_message_id" | "invalid_range" | "invalid_request" | "invalid_session_id" | "invalid_totp" | "invalid_utf8" | "last_owner" | "login_backoff" | "message_too_long" | "no_events" | "not_found" | "origin_not_allowed" | "polyglot_file" | "precondition_failed" | "props_too_large" | "rate_limited" | "repeated_message" | "session_expired" | "session_not_found" | "session_origin_mismatch" | "setup_invalid" | "shutting_down" | "site_enabled" | "site_exists" | "site_managed_by_file" | "site_mismatch" | "site_not_found" | "site_required" | "storage_unavailable" | "too_fast" | "too_many_events" | "too_many_files" | "too_many_streams" | "totp_required" | "totp_state" | "unauthorized" | "unsupported_file_type" | "unsupported_media_type" | "upload_not_found" | "uploads_disabled" | "weak_password" | "webhook_not_allowed" | "wrong_password";
        ErrorBody: {
            error: {
                code: components["schemas"]["ErrorCode"];
                /** @description Safe to show; never a cause. */
                message: string;
                /** @description On `internal` only: matches a server log line. */
                id?: string;
            };
        };
        CreateSessionRequest: {
            site_id?: string;
            page_url?: string;
            /** @description The visitor's earlier id; a new one is made when it is missing, not an id, or another site's. */
            visitor_id?: string;
            fingerprint?: string;
            /** @description The host page's origin, or a bare host name. */
            origin_domain?: string;
            /** @description The host page's `document.referrer`; only its host is recorded. */
            referrer?: string;
            /** @description A honeypot a real widget never fills (400 `bot_detected`). */
            hp?: string;
            /** @description The visitor accepted; a site with `consent: opt_in` answers 400 `consent_required` without it. */
            consent?: boolean;
        };
        Session: {
            /** Format: uuid */
            session_id: string;
            /** @description The bearer token for every later call. */
            token: string;
            /** Format: date-time */
            expires_at: string;
            /** Format: uuid */
            visitor_id: string;
            /** @description The visitor had a session on this site before. */
            returning: boolean;
        };
        SessionValidation: {
            /** @constant */
            valid: true;
            /** Format: uuid */
            session_id: string;
            site_id: string;
            /** Format: date-time */
            expires_at: string;
        };
        ChatMessageRequest: {
            /** @description At most the site's `max_message_length` characters (default 4,000). */
            message: string;
            page_url?: string;
            /** @description Printable ASCII; the same id again joins the first reply. */
            client_message_id?: string;
            /** @description At most 4 KiB and 32 keys; reaches n8n with its strings cleaned like the message. */
            context?: {
                [key: string]: unknown;
            };
            /** @description Honeypot. */
            hp?: string;
        };
        /** @enum {string} */
        ReplyEventType: "begin" | "item" | "end" | "error" | "reset" | "reconnect";
        /** @enum {string} */
        ReplyStatus: "complete" | "partial" | "failed";
        /**
         * @description One SSE event's `data`. `begin` names the assistant and user message ids; `item` carries
         *     text; `error` a `code` (`upstream_timeout`, `upstream_unreachable`, …, `interrupted`)
         *     and a friendly `content`; `end` the reply's `status`; `reset`: the position asked for is
         *     gone, reload history; `reconnect`: this replica is going away, reconnect after `retry_ms`.
         */
        ReplyEvent: {
            type: components["schemas"]["ReplyEventType"];
            content?: string;
            message_id?: string;
            user_message_id?: string;
            code?: string;
            status?: components["schemas"]["ReplyStatus"];
            retry_ms?: number;
        };
        HistoryMessage: {
            /** Format: uuid */
            id: string;
            /** @enum {string} */
            role: "user" | "assistant";
            content: string;
            /** @description e.g. `complete`, `streaming`, `partial`, `failed`. */
            status: string;
            /** Format: date-time */
            created_at: string;
        };
        History: {
            /** Format: uuid */
            session_id: string;
            messages: components["schemas"]["HistoryMessage"][];
            has_more: boolean;
        };
        PublicWidget: {
            title?: string;
            subtitle?: string;
            primary_color?: string;
            text_color?: string;
            avatar_url?: string;
            launcher_icon?: string;
            position?: string;
            welcome?: string;
            placeholder?: string;
            suggestions?: string[];
            texts?: {
                [key: string]: string;
            };
        };
        PublicSiteConfig: {
            site_id: string;
            name: string;
            allowed_origins: string[];
            /** @description `auto` or a language code. */
            language: string;
            max_message_length: number;
            allow_remote_images: boolean;
            image_hosts: string[];
            /** @description A first message sooner than this after session creation is 429 `too_fast` (0 = no rule). */
            min_first_message_delay_ms: number;
            consent: components["schemas"]["Consent"];
            privacy_policy_url: string;
            identify: components["schemas"]["Identify"];
            widget: components["schemas"]["PublicWidget"];
        };
        Health: {
            /** @enum {string} */
            status: "ok" | "degraded" | "unavailable";
            checks: {
                [key: string]: "ok" | "unavailable";
            };
        };
        JWKS: {
            keys: {
                kty: string;
                kid: string;
                alg?: string;
                use?: string;
                crv?: string;
                x?: string;
                y?: string;
            }[];
        };
        N8nErrorBody: components["schemas"]["ErrorFields"] & {
            /** @description The error's message again, where @n8n/chat looks for it. */
            message?: string;
        };
        /** @description `ErrorBody` without its closed shape, for composition. */
        ErrorFields: {
            error: components["schemas"]["ErrorBody"]["error"];
        };
        VisitorExport: {
            /** @constant */
            format: "chatproxy-export/1";
            /** Format: date-time */
            exported_at: string;
            site_id: string;
            visitor_id: string;
            sessions: components["schemas"]["SessionExport"][];
        };
        SessionExport: {
            id: string;
            /** Format: date-time */
            created_at: string;
            /** Format: date-time */
            last_seen: string;
            /** Format: date-time */
            expires_at: string;
            page_url: string;
            user_agent: string;
            /** @description A keyed hash of the address's /24 or /48; the address is never stored. */
            ip_hash: string;
            returning: boolean;
            /** @description False once the visitor withdrew consent. */
            analytics: boolean;
            messages: components["schemas"]["HistoryMessage"][];
            events: {
                type: string;
                data: unknown;
                /** Format: date-time */
                created_at: string;
            }[];
            attachments: string[];
        };
        EraseRequest: {
            /**
             * @default session
             * @enum {string}
             */
            scope: "session" | "visitor";
            /** @description With `scope: visitor`: the id the widget keeps. */
            visitor_id?: string;
        };
        EraseResult: {
            /** @enum {string} */
            erased: "session" | "visitor";
            sessions: string[];
        };
        ConsentRequest: {
            analytics: boolean;
        };
        EventsRequest: {
            site_id: string;
            visitor_id?: string;
            /** @description The session token (`sendBeacon` cannot set headers). */
            token?: string;
            events: {
                name: string;
                /** @description Flat (strings, numbers, booleans, null), at most 1 KB compact. */
                props?: {
                    [key: string]: string | number | boolean | null;
                };
                /**
                 * Format: date-time
                 * @description Within the last 24 hours; the server's time otherwise.
                 */
                at?: string;
            }[];
        };
        EventsAccepted: {
            accepted: number;
        };
        N8nChatRequest: {
            /** @enum {string} */
            action?: "sendMessage" | "loadPreviousSession";
            /**
             * Format: uuid
             * @description The widget's own id (36 characters).
             */
            sessionId: string;
            chatInput?: string;
            /** @description At most 4 KiB (else dropped); reaches n8n as `metadata.context`. */
            metadata?: Record<string, never>;
        };
        N8nHistory: {
            data: {
                /** @constant */
                lc: 1;
                /** @constant */
                type: "constructor";
                /** @description `["langchain_core","messages","HumanMessage"]` or `…,"AIMessage"]`. */
                id: string[];
                kwargs: {
                    content: string;
                    additional_kwargs: Record<string, never>;
                    response_metadata: Record<string, never>;
                };
            }[];
        };
        N8nOutput: {
            output: string;
            error?: {
                code: string;
                message: string;
            };
        };
        /** @description One line of the streamed answer, as n8n streams it. */
        N8nStreamChunk: {
            /** @enum {string} */
            type: "begin" | "item" | "end" | "error" | "keepalive";
            content?: string;
            metadata?: {
                nodeId: string;
                nodeName: string;
                itemIndex: number;
                runIndex: number;
                timestamp?: number;
            };
        };
        /** @enum {string} */
        AnalyticsMetric: "conversations" | "visitors" | "returning_visitors" | "messages" | "answered" | "failed" | "refused" | "first_token_p50" | "first_token_p95" | "feedback_up" | "feedback_down" | "conversions" | "conversions_value" | "assisted_conversions" | "assisted_value";
        Money: {
            count: number;
            value: number;
        };
        AnalyticsSummary: {
            conversations: number;
            visitors: number;
            returning_visitors: number;
            messages: number;
            answered: number;
            failed: number;
            refused: number;
            first_token_ms: {
                p50: number | null;
                p95: number | null;
            };
            feedback: {
                up: number;
                down: number;
            };
            conversions: components["schemas"]["Money"];
            assisted_conversions: components["schemas"]["Money"];
            currency: string;
        };
        AnalyticsTimeseries: {
            site: string;
            metric: components["schemas"]["AnalyticsMetric"];
            /** @enum {string} */
            interval: "hour" | "day";
            points: {
                /** Format: date-time */
                t: string;
                value: number;
            }[];
        };
        AnalyticsBreakdown: {
            site: string;
            /** @enum {string} */
            by: "page" | "country" | "hour_of_week" | "refusal_reason" | "error_code";
            rows: {
                key: string;
                count: number;
            }[];
        };
        /** @enum {string} */
        Role: "owner" | "admin" | "viewer";
        Account: {
            id: string;
            email: string;
            role: components["schemas"]["Role"];
            /** @description The site ids in scope; `null` with `all_sites`. */
            sites: string[] | null;
            all_sites: boolean;
            totp_enabled: boolean;
            disabled: boolean;
            /** Format: date-time */
            disabled_at: string | null;
            /** Format: date-time */
            created_at: string;
            /** Format: date-time */
            updated_at: string;
        };
        AccountList: {
            items: components["schemas"]["Account"][];
        };
        AccountCreate: {
            email: string;
            password: string;
            role: components["schemas"]["Role"];
            /** @description Absent or `null` = every site (owners always have every site). */
            sites?: string[] | null;
        };
        AccountPatch: {
            email?: string;
            role?: components["schemas"]["Role"];
            /** @description `null` = every site. */
            sites?: string[] | null;
            disabled?: boolean;
            /**
             * @description Turns off a lost authenticator.
             * @constant
             */
            totp_enabled?: false;
            /** @description An owner's reset; ends the account's sessions. */
            password?: string;
        };
        SetupRequest: {
            /** @description The setup link's token. */
            token: string;
            email: string;
            password: string;
        };
        LoginRequest: {
            email: string;
            password: string;
            /** @description The current code when the account has TOTP. */
            totp?: string;
        };
        SignedIn: {
            /** @description Send it back in `X-CSRF-Token` on every change. */
            csrf_token: string;
            account: components["schemas"]["Account"];
        };
        Me: {
            account: components["schemas"]["Account"];
            /** @description Cookie sessions only. */
            csrf_token?: string;
            /** @enum {string} */
            via: "cookie" | "token";
        };
        PasswordChange: {
            current_password: string;
            new_password: string;
        };
        TOTPEnrolment: {
            /** @description Base32, for typing into an authenticator. */
            secret: string;
            otpauth_uri: string;
        };
        TOTPCode: {
            code: string;
        };
        Token: {
            id: string;
            account_id: string;
            name: string;
            /** Format: date-time */
            created_at: string;
            /** Format: date-time */
            expires_at: string | null;
            /** Format: date-time */
            last_used_at: string | null;
            /** Format: date-time */
            revoked_at: string | null;
        };
        CreatedToken: components["schemas"]["TokenFields"] & {
            /** @description Shown this once. */
            token: string;
        };
        /** @description `Token` without its closed shape, for composition. */
        TokenFields: {
            id: string;
            account_id: string;
            name: string;
            /** Format: date-time */
            created_at: string;
            /** Format: date-time */
            expires_at: string | null;
            /** Format: date-time */
            last_used_at: string | null;
            /** Format: date-time */
            revoked_at: string | null;
        };
        TokenList: {
            items: components["schemas"]["Token"][];
        };
        TokenCreate: {
            name: string;
            /** @description A lifetime like `30d`, `12h` or `90m` (at most `3650d`); absent = never. */
            expires?: string;
            /** @description Owners only; absent = the caller. */
            account_id?: string;
        };
        /** @enum {string} */
        AuditAction: "auth.login" | "auth.login_failed" | "auth.logout" | "auth.setup" | "auth.totp_enabled" | "auth.totp_disabled" | "account.create" | "account.update" | "account.disable" | "account.password" | "token.create" | "token.revoke" | "site.create" | "site.update" | "site.disable" | "site.delete" | "site.secret_rotate" | "conversation.export" | "conversation.delete" | "retention.purge" | "subject.export" | "subject.erase" | "visitor.erase";
        /** @enum {string} */
        AuditResult: "ok" | "denied" | "error";
        AuditEntry: {
            id: string;
            /** Format: date-time */
            at: string;
            actor_id: string | null;
            /** @description The actor's email when written, or `cli:<user>`. */
            actor_label: string;
            actor_ip: string;
            action: components["schemas"]["AuditAction"];
            summary: string;
            site_id: string | null;
            target_type: string;
            target_id: string;
            result: components["schemas"]["AuditResult"];
            /** @description `{field: [old, new]}` with every secret `"<redacted>"` (some actions record other facts). */
            diff: Record<string, never> | null;
            request_id: string;
            hash: string;
            prev_hash: string;
        };
        AuditPage: {
            items: components["schemas"]["AuditEntry"][];
            /** @description Pass it back as `cursor` for the next page. */
            next_cursor?: string;
        };
        /**
         * @description The status of the last answer; `pending` = the last message is the visitor's.
         * @enum {string}
         */
        ConversationStatus: "complete" | "partial" | "failed" | "pending";
        Conversation: components["schemas"]["ConversationFields"];
        /** @description `Conversation` without its closed shape, for composition. */
        ConversationFields: {
            session_id: string;
            site_id: string;
            /** Format: date-time */
            started_at: string;
            /** Format: date-time */
            last_message_at: string;
            messages: number;
            status: components["schemas"]["ConversationStatus"];
            visitor_id: string;
            returning: boolean;
            /** @description Upper case, or "" without GEOIP_DB. */
            country: string;
            page_url: string;
            /** @description The first visitor message cut to 160 characters. */
            preview: string;
        };
        ConversationPage: {
            items: components["schemas"]["Conversation"][];
            /** @description Pass it back as `cursor`; "" at the end. */
            next_cursor: string;
            scan?: {
                conversations: number;
                messages: number;
                stopped: boolean;
            };
        };
        TranscriptMessage: {
            id: string;
            /** @enum {string} */
            role: "user" | "assistant";
            /** @description Data to render (agent markdown as the widget does; visitor text as text). */
            text: string;
            status: string;
            error_code: string;
            first_token_ms: number | null;
            total_ms: number | null;
            page_url: string;
            /** Format: date-time */
            created_at: string;
        };
        Transcript: {
            conversation: {
                user_agent: string;
            } & components["schemas"]["ConversationFields"];
            messages: components["schemas"]["TranscriptMessage"][];
        };
        Upload: {
            upload_id: string;
            name: string;
            /** @description Bytes after metadata removal. */
            size: number;
            /** @enum {string} */
            type: "image/jpeg" | "image/png" | "image/webp" | "application/pdf";
        };
        Subject: {
            site_id: string;
            visitor_id: string;
            sessions: {
                id: string;
                /** Format: date-time */
                created_at: string;
                /** Format: date-time */
                last_seen: string;
                messages: number;
                events: number;
            }[];
        };
        SubjectErased: {
            site_id: string;
            visitor_id: string;
            sessions: string[];
        };
        /** @description A Go duration like `"30s"` or `"10m0s"`; requests may also send a number of seconds. */
        Duration: string | number;
        StringList: string[] | null;
        Signing: {
            /** @enum {string} */
            algorithm?: "HS256" | "ES256";
            kid?: string;
            ttl?: components["schemas"]["Duration"];
        };
        /** @description Rate limits and budgets; 0 = the default, -1 = no limit. */
        Limits: {
            max_message_length?: number;
            session_per_minute?: number;
            ip_per_minute?: number;
            site_per_minute?: number;
            concurrent_streams_per_session?: number;
            concurrent_streams_per_ip?: number;
            sessions_per_ip_per_hour?: number;
            daily_messages?: number;
        };
        Abuse: {
            min_first_message_delay_ms?: number;
            repeat_threshold?: number;
            repeat_window?: components["schemas"]["Duration"];
            blocklist?: components["schemas"]["StringList"];
        };
        Widget: {
            title?: string;
            subtitle?: string;
            primary_color?: string;
            text_color?: string;
            avatar_url?: string;
            launcher_icon?: string;
            /** @enum {string} */
            position?: "" | "left" | "right";
            welcome?: string;
            placeholder?: string;
            suggestions?: components["schemas"]["StringList"];
            texts?: {
                [key: string]: string;
            } | null;
            language?: string;
            allow_remote_images?: boolean;
            image_hosts?: components["schemas"]["StringList"];
        };
        /** @description A site's settings under the sites file's names (docs/console.md "Sites"). */
        SiteSettings: {
            id?: string;
            name?: string;
            allowed_origins?: components["schemas"]["StringList"];
            /** @description Absent for viewers. */
            n8n_webhook_url?: string;
            /** @enum {string} */
            payload_format?: "chat-trigger" | "webhook";
            signing?: components["schemas"]["Signing"];
            history_depth?: number;
            /** @enum {string} */
            client_ip?: "raw" | "hashed" | "omit";
            limits?: components["schemas"]["Limits"];
            abuse?: components["schemas"]["Abuse"];
            widget?: components["schemas"]["Widget"];
            consent?: components["schemas"]["Consent"];
            identify?: components["schemas"]["Identify"];
            privacy_policy_url?: string;
            retention?: components["schemas"]["Retention"];
            /** @description Nothing is purged while it is on. */
            legal_hold?: boolean;
            analytics?: components["schemas"]["SiteAnalytics"];
            uploads?: components["schemas"]["SiteUploads"];
        };
        /** @description Files visitors may attach (off by default). */
        SiteUploads: {
            enabled?: boolean;
            /** @description Media types, checked by content (default all four). */
            allowed_types?: ("image/jpeg" | "image/png" | "image/webp" | "application/pdf")[] | null;
            /** @description Per file (default 10 MiB). */
            max_bytes?: number;
            /** @description Per message. */
            max_files?: number;
            /** @enum {string} */
            file_delivery?: "multipart" | "url";
        };
        /**
         * @description What the widget asks before storing anything (docs/privacy.md): `none`, `notice` (default) or `opt_in`.
         * @enum {string}
         */
        Consent: "none" | "notice" | "opt_in";
        /**
         * @description `fingerprint`: the widget also sends a keyed hash of coarse browser signals; `none` (default): only its visitor id.
         * @enum {string}
         */
        Identify: "none" | "fingerprint";
        /** @description Days kept before the purge (messages, analytics events, uploads). */
        Retention: {
            messages?: number;
            events?: number;
            uploads?: number;
        };
        SiteAnalytics: {
            attribution_window?: components["schemas"]["Duration"];
            events_per_minute?: number;
        };
        /** @description The site's signing keys, never the keys themselves. */
        SecretInfo: {
            /** @enum {string} */
            algorithm: "HS256" | "ES256";
            kid: string;
            /** Format: date-time */
            set_at?: string;
            /** @description ES256 only. */
            public_key_pem?: string;
            /** @description The key a rotation replaced, still used for retries until `previous_until`. */
            previous_kid?: string;
            /** Format: date-time */
            previous_until?: string;
            previous_public_key_pem?: string;
        };
        Site: components["schemas"]["SiteSettings"] & {
            /** @enum {string} */
            readonly managed_by: "file" | "console";
            readonly version: number;
            disabled: boolean;
            /** Format: date-time */
            readonly created_at: string;
            /** Format: date-time */
            readonly updated_at: string;
            readonly secret: components["schemas"]["SecretInfo"];
        };
        SiteCreate: components["schemas"]["SiteSettings"] & {
            disabled?: boolean;
        };
        /** @description A JSON merge patch of the site's fields and `disabled` (`null` = the default). */
        SitePatch: {
            [key: string]: unknown;
        };
        SiteWithSecret: {
            site: components["schemas"]["Site"];
            /** @description The new HS256 key for n8n, shown this once. */
            secret?: string;
        };
        SiteList: {
            items: components["schemas"]["Site"][];
        };
        RotateRequest: {
            /**
             * @description Defaults to the site's.
             * @enum {string}
             */
            algorithm?: "HS256" | "ES256";
            /** @description The old key stops at once (after a leak). */
            revoke_previous?: boolean;
        };
    };
    responses: {
        /** @description Bad input (`invalid_json`, `invalid_request`, …); nothing was stored or forwarded. */
        BadRequest: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["ErrorBody"];
            };
        };
        /** @description Missing, invalid or expired credentials (`unauthorized`, `session_expired`, `invalid_credentials`, `totp_required`). */
        Unauthorized: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["ErrorBody"];
            };
        };
        /** @description Refused (`origin_not_allowed`, `site_mismatch`, `forbidden`, `csrf`). */
        Forbidden: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["ErrorBody"];
            };
        };
        /** @description Not found (`not_found`, `site_not_found`, `session_not_found`). */
        NotFound: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["ErrorBody"];
            };
        };
        /** @description Conflicts with the current state. */
        Conflict: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["ErrorBody"];
            };
        };
        /** @description `precondition_failed`: a stale `If-Match`; nothing was written. */
        PreconditionFailed: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["ErrorBody"];
            };
        };
        /** @description `body_too_large`. */
        BodyTooLarge: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["ErrorBody"];
            };
        };
        /** @description `unsupported_media_type`: send the body as `application/json`. */
        UnsupportedMediaType: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["ErrorBody"];
            };
        };
        /** @description A limit was reached (`rate_limited`, `too_many_streams`, `too_fast`, `repeated_message`, `daily_budget_exhausted`, `login_backoff`). */
        TooManyRequests: {
            headers: {
                "Retry-After": components["headers"]["RetryAfter"];
                /** @description The limit's state (IETF RateLimit fields), on `rate_limited`. */
                RateLimit?: string;
                /** @description The limit's policy, on `rate_limited`. */
                "RateLimit-Policy"?: string;
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["ErrorBody"];
            };
        };
        /** @description `internal`: an unexpected failure; `error.id` matches a server log line. */
        Internal: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["ErrorBody"];
            };
        };
        /** @description `storage_unavailable` (the database is down) or `shutting_down` (this replica is draining), with `Retry-After`. */
        Unavailable: {
            headers: {
                "Retry-After": components["headers"]["RetryAfter"];
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["ErrorBody"];
            };
        };
        /** @description An error, with a top-level `message` the @n8n/chat widget shows. */
        N8nError: {
            headers: {
                "Retry-After": components["headers"]["RetryAfter"];
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["N8nErrorBody"];
            };
        };
        /** @description The binary was built without these web assets (an HTML page says how to build them). */
        NotBuilt: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "text/html": string;
            };
        };
        /** @description Signed in; sets the `chatproxy_admin` cookie (a new random id every time). */
        SignedIn: {
            headers: {
                /** @description `chatproxy_admin=…; Path=/admin/; HttpOnly; SameSite=Strict` */
                "Set-Cookie"?: string;
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["SignedIn"];
            };
        };
        /**
         * @description The reply as Server-Sent Events (`Cache-Control: no-store`, `X-Accel-Buffering: no`).
         *     The stream starts with `retry: 3000`; each event is `id: <epoch>-<offset>` (offsets
         *     increase within a reply) and one `data:` line holding a `ReplyEvent` as JSON; the last
         *     line is `data: [DONE]`. `: ping` comments every 15 s keep proxies from cutting it. A
         *     client that disconnects does not stop the reply: the answer is stored in full.
         *
         *     ```
         *     retry: 3000
         *
         *     id: 6f1c2a-1
         *     data: {"type":"begin","message_id":"…","user_message_id":"…"}
         *
         *     id: 6f1c2a-2
         *     data: {"type":"item","content":"Hel","message_id":"…"}
         *
         *     id: 6f1c2a-3
         *     data: {"type":"end","message_id":"…","status":"complete"}
         *
         *     data: [DONE]
         *     ```
         */
        ReplyStream: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "text/event-stream": string;
            };
        };
    };
    parameters: {
        /** @description The same as `client_message_id`. */
        IdempotencyKey: string;
        /** @description The `ETag` last read; 412 `precondition_failed` when the site changed since. */
        IfMatch: string;
        /** @description `next_cursor` of the previous page. */
        Cursor: string;
        Limit: number;
        /** @description Site ids separated by commas (or repeated); outside the caller's scope 403. Omitted = every site in scope. */
        ConvSite: string;
        /** @description `from` ≤ `started_at` (RFC 3339). */
        ConvFrom: string;
        /** @description `started_at` < `to` (RFC 3339). */
        ConvTo: string;
        ConvStatus: components["schemas"]["ConversationStatus"];
        ConvReturning: boolean;
        /** @description ISO 3166-1 alpha-2 from GeoIP at the session's start. */
        ConvCountry: string;
        /** @description The conversation's page URL contains it (case-insensitive). */
        ConvPage: string;
        /** @description A message's text contains it (case-insensitive); the range is then at most 31 days. */
        ConvText: string;
    };
    requestBodies: {
        ChatMessage: {
            content: {
                "application/json": components["schemas"]["ChatMessageRequest"];
            };
        };
        TOTPCode: {
            content: {
                "application/json": components["schemas"]["TOTPCode"];
            };
        };
    };
    headers: {
        /** @description The version of what was answered (quoted). */
        ETag: string;
        /** @description Seconds to wait before trying again. */
        RetryAfter: string;
    };
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    createSession: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": components["schemas"]["CreateSessionRequest"];
            };
        };
        responses: {
            /** @description The new session. */
            200: {
                headers: {
                    /** @description `chat_session_id=…; HttpOnly; Path=/…` */
                    "Set-Cookie"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Session"];
                };
            };
            400: components["responses"]["BadRequest"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            413: components["responses"]["BodyTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["TooManyRequests"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    validateSession: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The session is valid. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SessionValidation"];
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    sendMessage: {
        parameters: {
            query?: never;
            header?: {
                /** @description The same as `client_message_id`. */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody: components["requestBodies"]["ChatMessage"];
        responses: {
            200: components["responses"]["ReplyStream"];
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            413: components["responses"]["BodyTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["TooManyRequests"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    streamGet: {
        parameters: {
            query?: {
                /** @description The message text (EventSource form). */
                message?: string;
                page_url?: string;
                client_message_id?: string;
                /** @description The assistant message to resume. */
                message_id?: string;
            };
            header?: {
                /** @description `<epoch>-<offset>` of the last event received. */
                "Last-Event-ID"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: components["responses"]["ReplyStream"];
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            413: components["responses"]["BodyTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["TooManyRequests"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    sendMessageStream: {
        parameters: {
            query?: never;
            header?: {
                /** @description The same as `client_message_id`. */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody: components["requestBodies"]["ChatMessage"];
        responses: {
            200: components["responses"]["ReplyStream"];
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            413: components["responses"]["BodyTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["TooManyRequests"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    history: {
        parameters: {
            query?: {
                limit?: number;
                /** @description A message id; older messages only. */
                before?: string;
            };
            header?: never;
            path: {
                session_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The messages. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["History"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    exportMyData: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The export (`Content-Disposition: attachment; filename="conversation-<session id>.json"`). */
            200: {
                headers: {
                    "Content-Disposition"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["VisitorExport"];
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    eraseMyData: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": components["schemas"]["EraseRequest"];
            };
        };
        responses: {
            /** @description What was erased. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["EraseResult"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            413: components["responses"]["BodyTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    setConsent: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ConsentRequest"];
            };
        };
        responses: {
            /** @description Recorded; other replicas follow within 5 s. */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            413: components["responses"]["BodyTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    trackEvents: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["EventsRequest"];
                "text/plain": components["schemas"]["EventsRequest"];
            };
        };
        responses: {
            /** @description Queued for the store. */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["EventsAccepted"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            413: components["responses"]["BodyTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["TooManyRequests"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    upload: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "multipart/form-data": {
                    /** Format: binary */
                    file: string;
                };
            };
        };
        responses: {
            /** @description Stored. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Upload"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            413: components["responses"]["BodyTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["TooManyRequests"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    getUpload: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The file (`Content-Disposition: attachment`, `Content-Security-Policy: default-src 'none'; sandbox`). */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "image/jpeg": string;
                    "image/png": string;
                    "image/webp": string;
                    "application/pdf": string;
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    n8nChat: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                site_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["N8nChatRequest"];
            };
        };
        responses: {
            /** @description The history, the answer, or (streaming) NDJSON lines of `N8nStreamChunk`. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["N8nHistory"] | components["schemas"]["N8nOutput"] | components["schemas"]["N8nStreamChunk"];
                };
            };
            400: components["responses"]["N8nError"];
            401: components["responses"]["N8nError"];
            403: components["responses"]["N8nError"];
            404: components["responses"]["N8nError"];
            413: components["responses"]["N8nError"];
            415: components["responses"]["N8nError"];
            429: components["responses"]["N8nError"];
            500: components["responses"]["N8nError"];
            503: components["responses"]["N8nError"];
        };
    };
    n8nPreflight: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                site_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Allowed (`Access-Control-Allow-Methods: POST, OPTIONS`, the headers asked for). */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            403: components["responses"]["N8nError"];
            404: components["responses"]["N8nError"];
        };
    };
    siteConfig: {
        parameters: {
            query?: never;
            header?: {
                "If-None-Match"?: string;
            };
            path: {
                site_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The site's public configuration. */
            200: {
                headers: {
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PublicSiteConfig"];
                };
            };
            /** @description Not modified (the `If-None-Match` ETag is current). */
            304: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            404: components["responses"]["NotFound"];
            500: components["responses"]["Internal"];
        };
    };
    health: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Healthy (`degraded` when Redis is down). */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Health"];
                };
            };
            /** @description The database is down. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Health"];
                };
            };
        };
    };
    live: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The process answers. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Health"];
                };
            };
        };
    };
    ready: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Ready. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Health"];
                };
            };
            /** @description The database is down (`Health`) or this replica is draining (`shutting_down`). */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Health"] | components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    jwks: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A JSON Web Key Set. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["JWKS"];
                };
            };
        };
    };
    embedJS: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The loader. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/javascript": string;
                };
            };
            /** @description Not modified. */
            304: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            404: components["responses"]["NotFound"];
            503: components["responses"]["NotBuilt"];
        };
    };
    widget: {
        parameters: {
            query?: {
                site?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The page or an asset. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/html": string;
                    "text/javascript": string;
                    "text/css": string;
                    "*/*": unknown;
                };
            };
            /** @description Not modified. */
            304: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            404: components["responses"]["NotFound"];
            503: components["responses"]["NotBuilt"];
        };
    };
    demoPage: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The page. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/html": string;
                };
            };
            /** @description Not modified. */
            304: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            404: components["responses"]["NotFound"];
            503: components["responses"]["NotBuilt"];
        };
    };
    demoAsset: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description An asset. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "*/*": unknown;
                };
            };
            /** @description Not modified. */
            304: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            404: components["responses"]["NotFound"];
            503: components["responses"]["NotBuilt"];
        };
    };
    openapiDocument: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The OpenAPI document. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": Record<string, never>;
                };
            };
        };
    };
    setup: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SetupRequest"];
            };
        };
        responses: {
            200: components["responses"]["SignedIn"];
            400: components["responses"]["BadRequest"];
            403: components["responses"]["Forbidden"];
            413: components["responses"]["BodyTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    login: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["LoginRequest"];
            };
        };
        responses: {
            200: components["responses"]["SignedIn"];
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            413: components["responses"]["BodyTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["TooManyRequests"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    logout: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Signed out. */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    me: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The caller. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Me"];
                };
            };
            401: components["responses"]["Unauthorized"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    changePassword: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["PasswordChange"];
            };
        };
        responses: {
            200: components["responses"]["SignedIn"];
            /** @description Changed (token callers). */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            413: components["responses"]["BodyTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    startTOTP: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The pending authenticator's secret. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TOTPEnrolment"];
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            409: components["responses"]["Conflict"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    disableTOTP: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: components["requestBodies"]["TOTPCode"];
        responses: {
            /** @description The account after the change. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Account"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["BodyTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    confirmTOTP: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: components["requestBodies"]["TOTPCode"];
        responses: {
            /** @description The account after the change. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Account"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["BodyTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    listAccounts: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The accounts. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AccountList"];
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    createAccount: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["AccountCreate"];
            };
        };
        responses: {
            /** @description The new account. */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Account"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["BodyTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    getAccount: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The account. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Account"];
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    updateAccount: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["AccountPatch"];
            };
        };
        responses: {
            /** @description The account after the change. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Account"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["BodyTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    listTokens: {
        parameters: {
            query?: {
                account_id?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The tokens (never the tokens themselves). */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TokenList"];
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    createToken: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["TokenCreate"];
            };
        };
        responses: {
            /** @description The token, with its secret value this once. */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CreatedToken"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            413: components["responses"]["BodyTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    revokeToken: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The revoked token. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Token"];
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    listAudit: {
        parameters: {
            query?: {
                action?: components["schemas"]["AuditAction"];
                actor_id?: string;
                site?: string;
                target_type?: string;
                target_id?: string;
                result?: components["schemas"]["AuditResult"];
                /** @description Entries at or after (RFC 3339). */
                from?: string;
                /** @description Entries before (RFC 3339). */
                to?: string;
                /** @description `next_cursor` of the previous page. */
                cursor?: components["parameters"]["Cursor"];
                limit?: components["parameters"]["Limit"];
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description One page of entries. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AuditPage"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    analyticsSummary: {
        parameters: {
            query: {
                site: string;
                /** @description Default: 7 days before `to`. */
                from?: string;
                /** @description Default: now. */
                to?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The totals (`Accept: text/csv` gives CSV). */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AnalyticsSummary"];
                    "text/csv": string;
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    analyticsTimeseries: {
        parameters: {
            query: {
                site: string;
                from?: string;
                to?: string;
                metric: components["schemas"]["AnalyticsMetric"];
                interval?: "hour" | "day";
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Every bucket of the range (`Accept: text/csv` gives CSV). */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AnalyticsTimeseries"];
                    "text/csv": string;
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    analyticsBreakdown: {
        parameters: {
            query: {
                site: string;
                from?: string;
                to?: string;
                by: "page" | "country" | "hour_of_week" | "refusal_reason" | "error_code";
                limit?: components["parameters"]["Limit"];
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The rows (`Accept: text/csv` gives CSV). */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AnalyticsBreakdown"];
                    "text/csv": string;
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    listConversations: {
        parameters: {
            query?: {
                /** @description Site ids separated by commas (or repeated); outside the caller's scope 403. Omitted = every site in scope. */
                site?: components["parameters"]["ConvSite"];
                /** @description `from` ≤ `started_at` (RFC 3339). */
                from?: components["parameters"]["ConvFrom"];
                /** @description `started_at` < `to` (RFC 3339). */
                to?: components["parameters"]["ConvTo"];
                status?: components["parameters"]["ConvStatus"];
                returning?: components["parameters"]["ConvReturning"];
                /** @description ISO 3166-1 alpha-2 from GeoIP at the session's start. */
                country?: components["parameters"]["ConvCountry"];
                /** @description The conversation's page URL contains it (case-insensitive). */
                page?: components["parameters"]["ConvPage"];
                /** @description A message's text contains it (case-insensitive); the range is then at most 31 days. */
                q?: components["parameters"]["ConvText"];
                /** @description `next_cursor` of the previous page. */
                cursor?: components["parameters"]["Cursor"];
                limit?: components["parameters"]["Limit"];
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description One page. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ConversationPage"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    exportConversations: {
        parameters: {
            query: {
                format: "csv" | "jsonl";
                /** @description Site ids separated by commas (or repeated); outside the caller's scope 403. Omitted = every site in scope. */
                site?: components["parameters"]["ConvSite"];
                /** @description `from` ≤ `started_at` (RFC 3339). */
                from?: components["parameters"]["ConvFrom"];
                /** @description `started_at` < `to` (RFC 3339). */
                to?: components["parameters"]["ConvTo"];
                status?: components["parameters"]["ConvStatus"];
                returning?: components["parameters"]["ConvReturning"];
                /** @description ISO 3166-1 alpha-2 from GeoIP at the session's start. */
                country?: components["parameters"]["ConvCountry"];
                /** @description The conversation's page URL contains it (case-insensitive). */
                page?: components["parameters"]["ConvPage"];
                /** @description A message's text contains it (case-insensitive); the range is then at most 31 days. */
                q?: components["parameters"]["ConvText"];
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The rows (`Content-Disposition: attachment`); with jsonl, each line is a `Conversation`. */
            200: {
                headers: {
                    "Content-Disposition"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "text/csv": string;
                    "application/x-ndjson": components["schemas"]["Conversation"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    getConversation: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                session_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The transcript. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Transcript"];
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    deleteConversation: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                session_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Deleted; audited as `conversation.delete`. */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    findSubject: {
        parameters: {
            query?: {
                /** @description Any session of the visitor (or give site and visitor_id). */
                session_id?: string;
                site?: string;
                visitor_id?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The visitor's sessions. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Subject"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    eraseSubject: {
        parameters: {
            query?: {
                /** @description Any session of the visitor (or give site and visitor_id). */
                session_id?: string;
                site?: string;
                visitor_id?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description What was erased. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SubjectErased"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    exportSubject: {
        parameters: {
            query?: {
                /** @description Any session of the visitor (or give site and visitor_id). */
                session_id?: string;
                site?: string;
                visitor_id?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The export (`Content-Disposition: attachment`), shaped like `GET /api/v1/me/export`. */
            200: {
                headers: {
                    "Content-Disposition"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["VisitorExport"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    listSites: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The sites. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SiteList"];
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    createSite: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SiteCreate"];
            };
        };
        responses: {
            /** @description The new site. */
            201: {
                headers: {
                    ETag: components["headers"]["ETag"];
                    /** @description The site's URL. */
                    Location?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SiteWithSecret"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["BodyTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    getSite: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The site. */
            200: {
                headers: {
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Site"];
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    deleteSite: {
        parameters: {
            query?: never;
            header?: {
                /** @description The `ETag` last read; 412 `precondition_failed` when the site changed since. */
                "If-Match"?: components["parameters"]["IfMatch"];
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Deleted. */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            412: components["responses"]["PreconditionFailed"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    updateSite: {
        parameters: {
            query?: never;
            header?: {
                /** @description The `ETag` last read; 412 `precondition_failed` when the site changed since. */
                "If-Match"?: components["parameters"]["IfMatch"];
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SitePatch"];
            };
        };
        responses: {
            /** @description The site after the change. */
            200: {
                headers: {
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Site"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            412: components["responses"]["PreconditionFailed"];
            413: components["responses"]["BodyTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    rotateSiteSecret: {
        parameters: {
            query?: never;
            header?: {
                /** @description The `ETag` last read; 412 `precondition_failed` when the site changed since. */
                "If-Match"?: components["parameters"]["IfMatch"];
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": components["schemas"]["RotateRequest"];
            };
        };
        responses: {
            /** @description The site and, this once, the new HS256 secret. */
            200: {
                headers: {
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SiteWithSecret"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            412: components["responses"]["PreconditionFailed"];
            413: components["responses"]["BodyTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    consoleRedirect: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description To `/admin/`. */
            301: {
                headers: {
                    Location?: "/admin/";
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    consoleApp: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                path: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The app's page or an asset. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/html": string;
                    "*/*": unknown;
                };
            };
            /** @description Not modified. */
            304: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            404: components["responses"]["NotFound"];
            503: components["responses"]["NotBuilt"];
        };
    };
}
