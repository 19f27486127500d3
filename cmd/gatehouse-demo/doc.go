// Command gatehouse-demo runs the demo analytics app that plays the service provider's side of Gatehouse's SAML
// tutorial (the part Mixpanel plays in it), so that the whole single sign-on flow runs on one machine.
//
// Run gatehouse-demo --help for its flags; each has an environment variable equivalent (GATEHOUSE_DEMO_ADDR,
// GATEHOUSE_DEMO_PUBLIC_URL, GATEHOUSE_DEMO_DATA, GATEHOUSE_DEMO_OWNER_EMAIL, GATEHOUSE_DEMO_OWNER_PASSWORD).
package main
