"""Security headers, defined once: the local host sends them, the site build puts the CSP in
a meta tag too, and deployments (infra/) copy them into their response-headers policy."""

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        # libsodium's WebAssembly needs 'wasm-unsafe-eval'; no inline script, no eval.
        "script-src 'self' 'wasm-unsafe-eval'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "worker-src 'self'",
        "manifest-src 'self'",
        # The form must never be submitted natively: that would send plaintext.
        "form-action 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)

SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
}
