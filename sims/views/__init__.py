"""Staff pages of the SIM app, a module per page family: SIMs and their commands (`sims`), the
request journal (`requests`), settling an unknown outcome (`settle`), batches, scheduled actions,
CSV imports and the number pool. Thin: parse, call one service, render.

A refusal raised by a service is shown by `common.web.shows_refusals`; a form page puts it
beside its field instead (`common.forms.add_refusal`).
"""
