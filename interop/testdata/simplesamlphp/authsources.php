<?php
// The authentication sources: default-sp, the SAML service provider Gatehouse signs in to. SIMPLESAMLPHP_SIGN=1
// makes it sign its AuthnRequests.
$config = [
    'admin' => ['core:AdminPassword'],
    'default-sp' => [
        'saml:SP',
        'idp' => getenv('SIMPLESAMLPHP_IDP'),
        'privatekey' => 'sp.key',
        'certificate' => 'sp.crt',
        'sign.authnrequest' => getenv('SIMPLESAMLPHP_SIGN') === '1',
        'sign.logout' => true,
        'signature.algorithm' => 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
        'RelayState' => getenv('SIMPLESAMLPHP_BASE') . '/app',
    ],
];
