<?php
// SimpleSAMLphp's configuration for Gatehouse's interoperability tests. Everything that differs per run comes from
// the environment: SIMPLESAMLPHP_BASE (this server's base URL, plain http on loopback), SIMPLESAMLPHP_STATE (a
// temporary directory for sessions, logs and caches) and SIMPLESAMLPHP_SECRET.
$state = getenv('SIMPLESAMLPHP_STATE');
$config = [
    'baseurlpath' => getenv('SIMPLESAMLPHP_BASE') . '/',
    'certdir' => __DIR__ . '/cert/',
    'loggingdir' => $state . '/log/',
    'datadir' => $state . '/data/',
    'tempdir' => $state . '/tmp',
    'metadatadir' => __DIR__ . '/metadata/',
    'metadata.sources' => [['type' => 'xml', 'file' => __DIR__ . '/idp-metadata.xml']],
    'secretsalt' => getenv('SIMPLESAMLPHP_SECRET'),
    'auth.adminpassword' => getenv('SIMPLESAMLPHP_SECRET'),
    'admin.protectindexpage' => true,
    'admin.protectmetadata' => false,
    'technicalcontact_name' => 'Gatehouse interop',
    'technicalcontact_email' => 'interop@example.test',
    'timezone' => 'UTC',
    'logging.level' => 7,
    'logging.handler' => 'errorlog',
    'showerrors' => true,
    'errorreporting' => false,
    'enable.saml20-idp' => false,
    'enable.shib13-idp' => false,
    // Plain http on loopback: the cookies cannot be Secure (a browser would not send them back), nor SameSite=None.
    'session.cookie.secure' => false,
    'session.cookie.samesite' => null,
    'session.cookie.path' => '/',
    'session.phpsession.savepath' => $state . '/sessions',
    'session.phpsession.cookiename' => 'SimpleSAML_' . parse_url(getenv('SIMPLESAMLPHP_BASE'), PHP_URL_PORT),
    'session.cookie.name' => 'SimpleSAMLSessionID_' . parse_url(getenv('SIMPLESAMLPHP_BASE'), PHP_URL_PORT),
    'session.authtoken.cookiename' => 'SimpleSAMLAuthToken_' . parse_url(getenv('SIMPLESAMLPHP_BASE'), PHP_URL_PORT),
    'store.type' => 'phpsession',
    'language.available' => ['en'],
    'language.default' => 'en',
    'trusted.url.domains' => [parse_url(getenv('SIMPLESAMLPHP_BASE'), PHP_URL_HOST) . ':' . parse_url(getenv('SIMPLESAMLPHP_BASE'), PHP_URL_PORT)],
];
