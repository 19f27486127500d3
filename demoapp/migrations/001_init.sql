-- The organization, its projects and its people.
CREATE TABLE organization (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    name       TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE projects (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL UNIQUE,
    description TEXT    NOT NULL DEFAULT '',
    seed        INTEGER NOT NULL
);

INSERT INTO projects (name, description, seed) VALUES
    ('Web app',        'Sign-ups, activation and retention of the browser product.', 7),
    ('Mobile',         'Sessions and funnels from the iOS and Android apps.',        19),
    ('Marketing site', 'Visits, campaigns and conversions on the public site.',      31);

CREATE TABLE users (
    id              INTEGER PRIMARY KEY,
    email           TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    first_name      TEXT    NOT NULL DEFAULT '',
    last_name       TEXT    NOT NULL DEFAULT '',
    role            TEXT    NOT NULL CHECK (role IN ('owner', 'member')),
    status          TEXT    NOT NULL CHECK (status IN ('pending', 'active')),
    password_hash   TEXT    NOT NULL DEFAULT '',
    invited_at      INTEGER NOT NULL,
    last_sign_in_at INTEGER
);

-- Server-side sessions; the cookie carries a random token whose SHA-256 is the key.
CREATE TABLE sessions (
    token_hash   TEXT    PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    method       TEXT    NOT NULL CHECK (method IN ('password', 'sso')),
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Single sign-on settings (Settings → Access security); one row at most.
CREATE TABLE sso_settings (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    cert_der    BLOB,
    auth_url    TEXT    NOT NULL DEFAULT '',
    issuer_url  TEXT    NOT NULL DEFAULT '',
    require_sso INTEGER NOT NULL DEFAULT 0 CHECK (require_sso IN (0, 1)),
    updated_at  INTEGER NOT NULL
);

-- AuthnRequests sent and not yet answered, bound to the browser that started them.
CREATE TABLE authn_requests (
    id          TEXT    PRIMARY KEY,
    browser     TEXT    NOT NULL,
    next_path   TEXT    NOT NULL DEFAULT '/',
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX authn_requests_browser ON authn_requests (browser);

-- Assertion IDs already accepted, kept until the assertion could no longer be accepted anyway.
CREATE TABLE used_assertions (
    id         TEXT    PRIMARY KEY,
    expires_at INTEGER NOT NULL
);
