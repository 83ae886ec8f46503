"""Django admin of the presence app: a tool for looking at raw rows, open to portal admins only
(portal/admin_site.py: it is not scoped by team, A2).

Everything that carries a rule is guarded here as well:

- Built-in statuses (B2) can be looked at, never changed or deleted.
- History (H3) and the audit log (A4) are never rewritten: read-only.
- Current presence, conversations, offers and clients are runtime state kept by the services
  (a presence change must close and open history intervals in the same transaction, H1;
  conversations carry capacity bookkeeping, K3/K4): read-only, so an admin edit cannot
  bypass those rules. Use the portal's pages for changes.
- API tokens show their prefix only; the hash is never shown or editable; revoking goes through
  the service (audited, A4).
- Every add, change and delete of configuration made here is audited like the portal's own
  (A4: who, when, what, old and new value; AuditedAdmin), and a change of a rep's capacity
  configuration (units, profiles, limits) recalculates them at once (P4). A capacity profile's
  reset is read-only once created (K2).

Foreign keys to Representative and to users use autocomplete: there are 10,000+ reps.
"""

from . import configuration, runtime, webhooks  # noqa: F401  (each module registers its admins)
