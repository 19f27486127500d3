<?php
// The router of `php -S` for SimpleSAMLphp as a service provider in Gatehouse's interoperability tests.
//
//   /app      the protected page: the signed-in user's NameID and attributes as JSON; without a session it starts
//             SP-initiated sign-in with the authentication source default-sp
//   /force    starts SP-initiated sign-in with ForceAuthn, even when signed in; /passive with IsPassive, coming
//             to /passive-failed when the IdP has no session
//   /mfa      starts SP-initiated sign-in whose RequestedAuthnContext asks for https://refeds.org/profile/mfa
//   /logout   starts single logout, then comes back to /loggedout
//   anything else is SimpleSAMLphp's own www directory (module.php/saml/sp/... for the SAML endpoints).
//
// The configuration directory is SIMPLESAMLPHP_CONFIG_DIR; SIMPLESAMLPHP_BASE is this server's base URL.

$path = parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH);
$base = getenv('SIMPLESAMLPHP_BASE');

switch ($path) {
    case '/app':
        require_once '/usr/share/simplesamlphp/lib/_autoload.php';
        $as = new \SimpleSAML\Auth\Simple('default-sp');
        $as->requireAuth(['ReturnTo' => $base . '/app']);
        $nameId = $as->getAuthData('saml:sp:NameID');
        header('Content-Type: application/json');
        echo json_encode([
            'nameId' => $nameId === null ? null : $nameId->getValue(),
            'nameIdFormat' => $nameId === null ? null : $nameId->getFormat(),
            'idp' => $as->getAuthData('saml:sp:IdP'),
            'attributes' => $as->getAttributes(),
        ], JSON_PRETTY_PRINT);
        return true;
    case '/force':
        require_once '/usr/share/simplesamlphp/lib/_autoload.php';
        $as = new \SimpleSAML\Auth\Simple('default-sp');
        $as->login(['ForceAuthn' => true, 'ReturnTo' => $base . '/app']);
        return true;
    case '/passive':
        require_once '/usr/share/simplesamlphp/lib/_autoload.php';
        $as = new \SimpleSAML\Auth\Simple('default-sp');
        $as->login(['isPassive' => true, 'ReturnTo' => $base . '/app', 'ErrorURL' => $base . '/passive-failed']);
        return true;
    case '/mfa':
        require_once '/usr/share/simplesamlphp/lib/_autoload.php';
        $as = new \SimpleSAML\Auth\Simple('default-sp');
        $as->login(['saml:AuthnContextClassRef' => 'https://refeds.org/profile/mfa', 'ReturnTo' => $base . '/app']);
        return true;
    case '/passive-failed':
        echo "passive sign-in failed: no session at the IdP\n";
        return true;
    case '/logout':
        require_once '/usr/share/simplesamlphp/lib/_autoload.php';
        $as = new \SimpleSAML\Auth\Simple('default-sp');
        if (!$as->isAuthenticated()) {
            echo "not signed in\n";
            return true;
        }
        $as->logout($base . '/loggedout');
        return true;
    case '/loggedout':
        echo "signed out\n";
        return true;
}
return false;
