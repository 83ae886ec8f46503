"""The Content-Security-Policy of the portal (sent by portal.csp.ContentSecurityPolicyMiddleware),
on in production and in the tests, browser tests included, so every page is checked under it.
Off in development (portal.settings.local): Django's debug error pages use inline script and style.

As strict as the pages allow. Everything comes from the portal's own origin; no inline script, no
inline event handler (`onclick=`, htmx's `hx-on`), no eval (so no htmx trigger filters `[...]`:
the pages' JavaScript lives in static files). What it still permits, and why:

- style-src-attr 'unsafe-inline': `style="width: 37.5%"` / `style="left: …"` attributes place the
  bars of the report charts and the segments of a rep's timeline; a width per value cannot be a
  class. Only attributes: a style attribute cannot run script, and the images it could load are
  held to img-src. <style> elements stay limited to 'self' (htmx's own indicator <style> is
  switched off in _base.html, its two rules are in portal.css).
- style-src 'sha256-…': the one <style> of templates/500.html, which uses no static file so that it
  renders whatever else is broken (tests/reliability/test_security.py checks the hash).
- img-src data:: Pico's and Swagger UI's icons are SVG data: URIs inside their stylesheets.
- connect-src 'self': htmx requests and the live stream (EventSource), same origin.

A notification sound made with WebAudio needs no source; an audio file would come from 'self'
(default-src).
"""

ERROR_PAGE_STYLE = "'sha256-idgpLX8OYrIVFhfwY3Lm74UgOTg8HHVXWQC04tTXzYQ='"

CONTENT_SECURITY_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'", ERROR_PAGE_STYLE],
    "style-src-attr": ["'unsafe-inline'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
