"""The words integrators read first at /api/v1/docs (and in the OpenAPI description): what a key is
and how to send it, how to retry safely, what an error looks like, the rate limit. Written for
someone who calls the API, not for us: no module of ours is named here."""

DESCRIPTION = """
The reseller back-office's API: the SIMs, gateway requests, numbers, batches, scheduled actions,
despatch orders, stock and webhooks that staff work with on the pages, for your own systems. It
does what the pages do, under the same rules.

## Your API key

Every call needs an API key. Your administrator issues it to you with a role (Observer, Customer
service, Supervisor, Admin), and the key may do exactly what that role may do on the pages. The
key is shown once, when it is issued: keep it as secret as a password, and ask for a new one if it
may have leaked (the old one is then revoked). What a key does is recorded as done by its owner,
through the API, under the key's name.

Send it in the `Authorization` header of every call:

    Authorization: Bearer mvno_…

A call without a key, or with one that is mistyped or revoked, is answered `401 No valid API key`.

## Commands and their outcome

A command the gateway carries out later (activate, suspend, reactivate, terminate, a services
change) is answered `202 Accepted`, with the request to follow in the `Location` header
(`/api/v1/requests/{id}`); read it again, or subscribe to webhooks to be told. Its `state` is
`pending` while the gateway works, then `success` or `failed`. When the gateway's answer could not
be read, the state is `unknown`, never failure or success without evidence: `outcome` says in
words what is known and what is being done to find out. Do not send the command again: it is
checked for you, and a second one could act twice.

## What is not known

A SIM's `services` map each service's name to `true` (on), `false` (off) or `null`: not known. The
gateway's record of a SIM does not show its voice and SMS services, so a SIM found in use at the
gateway without a change of ours (one adopted from it) has them `null` until a change of services
tells us; never guessed off. To change services on such a SIM, list in `keep` those to leave as they
are: the others are set as `services` says. Likewise `subscriber_not_known` is `true` for a SIM in
use whose subscriber we do not hold (adopted) until staff fill it in.

## Replacements

A SIM replaced by another that keeps its number is a procedure of several gateway commands, each sent in
turn: `GET /replacements/{id}` says where it stands (`state`, `step`, and `said` in words), and `GET
/replacements?state=…` lists them. Each SIM names the latest replacement it is part of in `replacement`
(`role`: `old`, the SIM replaced, or `new`, the SIM replacing it; `null` when none). While one runs, waits or
is stopped, no other command but a query is sent for either SIM (`sim-replacing`; a batch's row for it is not
done, and its `outcome` names the replacement). A Supervisor's key resumes a stopped one or abandons it.

## Retrying safely: `Idempotency-Key`

Send each write (`POST`, `PUT`, `DELETE`) with a header `Idempotency-Key` holding a value of your
own, unique to that write (a UUID, say; at most 200 characters). If the connection drops and you
send the same call again with the same key and body within 24 hours, it is done once and you get
the first answer again. The same key with a different body is refused (`422`); while the first is
still being done, a repeat is answered `409`.

## Errors

Every error is a problem details object ([RFC 9457](https://www.rfc-editor.org/rfc/rfc9457)),
sent as `application/problem+json`:

    {"type": "/api/v1/docs#problem-422", "title": "Not valid", "status": 422,
     "detail": "Some of what was sent is not valid: see errors.", "instance": "/api/v1/sims/…/activate",
     "code": "invalid", "errors": [{"field": "imei", "message": "That IMEI is not valid: …", "code": null}]}

`errors` names each input that is wrong. Where the gateway refused, `code` is its error code and
`message` says what it means. The kinds (`type` ends with `#problem-` and the status):

- **400 Bad request**: the request could not be read (not JSON, say).
- **401 No valid API key**: see above.
- **403 Not allowed**: the key's role may not do this.
- **404 Not found**: no such SIM, request, order or other record on our account.
- **409 Refused**: our rules forbid it now, for example while another command for the SIM is under way.
- **413 Too large**: the body is larger than we take; send a long list in several calls.
- **422 Not valid**: some input is wrong, or the gateway refused it; see `errors`.
- **429 Too many requests**: over the rate limit; wait the seconds the `Retry-After` header gives.
- **500 Our error**: something went wrong on our side; it is logged.
- **502 No clear answer from aql** (the network's gateway): the outcome is unknown and is being checked for you; the
  `request` member points to it. Do not resend.

### Codes

`detail` is written for people and its words may change; `code` is for your program and does
not. Match on `code`:

- `sim-busy` (409): another command for the SIM is under way; wait for it to settle.
- `sim-state` (409): the SIM's state (or its number, or the lack of one) does not allow this command.
- `sim-replacing` (409): the SIM is being replaced (a new SIM taking its number): no other command until
  that procedure is done or abandoned.
- `replacement-state` (409): a replacement cannot be resumed (only a stopped one can) or abandoned (one done or
  abandoned already) in the state it is in; `detail` says which. Abandoning one whose step is still with aql is
  `sim-busy`: wait for the step to settle.
- `pool-empty` (409): a replacement moves the number through free pool numbers that stand in for a
  moment, and the pool has too few: add numbers first.
- `aql-` and a number, such as `aql-63204` (422, or 409 when it stops a later command): the gateway
  refused with that code; `errors` gives each of its codes with its meaning. `aql-63027` means the
  network is congested and nothing may be sent for the SIM until the time `detail` gives.
- `number-resting` (422, on the field `number`): the number was freed from a subscriber's SIM and rests
  (`NUMBER_REST_DAYS`, 90 days by default) before going to someone new; `detail` says until when. The
  pool's `rests_until` shows it; `GET /numbers?show=resting` lists them. A number resting for the SIM's own
  subscriber (a number change back) is not refused.
- `number-not-resting` (422, on the field `number`): ending a rest early (`POST /numbers/{number}/end-rest`)
  of a number that is not resting: there is no rest to end.
- `not-sent` (409): a request that was never sent to the gateway; `request` points to it.
- `order-refused` (422): the gateway refused a despatch order at once; `detail` says why.
- `idempotency-key-reused` (422), `idempotency-key-too-long` (422), `idempotency-key-in-use` (409),
  `idempotency-unanswered` (409): see *Retrying safely* above.
- One for each kind when there is nothing more particular: `bad-request` (400), `no-key` (401),
  `forbidden` (403), `not-found` (404), `method-not-allowed` (405), `refused` (409: our rules
  forbid it now), `too-large` (413), `invalid` (422), `rate-limited` (429), `our-error` (500),
  `outcome-unknown` (502).

## Rate limit

Each key may make a limited number of calls a minute; the `429` answer says the limit. Identifiers
(ICCIDs, IMEIs, numbers, ids) are written with the digits 0 to 9; an ICCID's last digit is its
check digit.
"""
